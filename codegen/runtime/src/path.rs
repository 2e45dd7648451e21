//! The JSON path of a decode error (`data.speed`, `items[2].id`), worked out from where serde_json
//! stopped in the frame.
//!
//! The typed decode runs each payload type's deserializer once, with serde_json's own deserializer.
//! Tracking the path while decoding (`serde_path_to_error`) would need a second instance of every
//! payload type's deserializer, for the wrapping deserializer: for a generated crate that doubled
//! the machine code of its serde impls, and so a good part of its build time and memory. A failed
//! frame is rare, and its error carries the line and column where the parser stopped; this module
//! walks the frame up to that point and names the value there, in `serde_path_to_error`'s format.
//!
//! One case reads one level short: a deserializer that buffers its value first (an untagged
//! union, typify's or the runtime's best-fit one) fails after serde_json has read it, and when it
//! is the last member of its object, serde_json has read that object's `}` too before it places
//! the error, so the path names the object rather than the member. The message names the union.

/// One step of a path.
#[derive(Clone, Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

/// The path of the value at which serde_json reported the data error `error` in `frame`: the
/// value that ends there (serde_json reports an error once it has read the value, an object's
/// missing field once it has read the object's `}`), else the value that starts there (a
/// container of the wrong kind is refused before it is read), else the innermost container
/// around it. An unknown field is refused once its name is read: the path ends with that name.
/// `.` for the whole frame, or when the error has no position.
pub(crate) fn error_path(frame: &str, error: &serde_json::Error) -> String {
    if error.line() == 0 {
        return ".".to_owned();
    }
    let target = offset(frame, error.line(), error.column());
    let unknown_field = error.to_string().starts_with("unknown field");
    let mut walk =
        Walk { bytes: frame.as_bytes(), target, unknown_field, ended: None, started: None, open: Vec::new() };
    let _ = walk.value(0, &mut Vec::new());
    let found = walk.ended.or(walk.started).or_else(|| walk.open.pop());
    found.map_or_else(|| ".".to_owned(), |path| render(&path))
}

/// The byte offset of serde_json's 1-based line and its column (bytes read on that line).
fn offset(frame: &str, line: usize, column: usize) -> usize {
    let start = if line <= 1 { 0 } else { frame.match_indices('\n').nth(line - 2).map_or(frame.len(), |(i, _)| i + 1) };
    (start + column).min(frame.len())
}

fn render(path: &[Segment]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
        }
    }
    out
}

/// A walk of the frame that stops at `target`, keeping what it found there.
struct Walk<'a> {
    bytes: &'a [u8],
    target: usize,
    /// Whether the error is an unknown field, whose name the path ends with.
    unknown_field: bool,
    /// The path of the value that ends at `target`.
    ended: Option<Vec<Segment>>,
    /// The path of the value that starts at `target`.
    started: Option<Vec<Segment>>,
    /// The containers entered and not left when the walk stopped, outermost first.
    open: Vec<Vec<Segment>>,
}

impl Walk<'_> {
    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.bytes.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    }

    /// The end of the value at `i` (after whitespace); `None` once the walk stopped (it reached
    /// the target, or the frame is not JSON there).
    fn value(&mut self, i: usize, path: &mut Vec<Segment>) -> Option<usize> {
        let i = self.ws(i);
        if i == self.target {
            self.started = Some(path.clone());
        }
        if i >= self.target {
            return None;
        }
        let end = match *self.bytes.get(i)? {
            b'{' => self.container(i, path, true)?,
            b'[' => self.container(i, path, false)?,
            b'"' => self.string(i)?.1,
            _ => self.scalar(i)?,
        };
        // The value read last before the target, or one that spans it (the middle of a string).
        if end >= self.target {
            self.ended = Some(path.clone());
            return None;
        }
        Some(end)
    }

    fn container(&mut self, start: usize, path: &mut Vec<Segment>, object: bool) -> Option<usize> {
        let close = if object { b'}' } else { b']' };
        self.open.push(path.clone());
        let mut i = self.ws(start + 1);
        let mut index = 0;
        loop {
            // At the target an object's member name stops the walk; an element of an array is
            // the value that starts there.
            let at_end = self.bytes.get(i) == Some(&close);
            if i > self.target || (i == self.target && (object || at_end)) {
                return None;
            }
            if at_end {
                break;
            }
            let segment = if object {
                let (key, after) = self.string(i)?;
                let colon = self.ws(after);
                if colon >= self.target {
                    // The member's name was read and refused: an unknown field is named in the
                    // path, an unknown variant (of an enum written as an object) is not.
                    if self.unknown_field {
                        let mut named = path.clone();
                        named.push(Segment::Key(key));
                        self.started = Some(named);
                    }
                    return None;
                }
                if self.bytes.get(colon) != Some(&b':') {
                    return None;
                }
                i = colon + 1;
                Segment::Key(key)
            } else {
                Segment::Index(index)
            };
            path.push(segment);
            let end = self.value(i, path);
            path.pop();
            i = self.ws(end?);
            index += 1;
            if i >= self.target {
                return None;
            }
            match self.bytes.get(i) {
                Some(b',') => i = self.ws(i + 1),
                Some(c) if *c == close => break,
                _ => return None,
            }
        }
        self.open.pop();
        Some(i + 1)
    }

    /// The string at `i`, unescaped, and the index after it.
    fn string(&self, i: usize) -> Option<(String, usize)> {
        if self.bytes.get(i) != Some(&b'"') {
            return None;
        }
        let mut j = i + 1;
        let mut escaped = false;
        loop {
            match *self.bytes.get(j)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    j += 2;
                }
                _ => j += 1,
            }
        }
        let raw = std::str::from_utf8(self.bytes.get(i..=j)?).ok()?;
        let text = if escaped { serde_json::from_str(raw).ok()? } else { raw[1..raw.len() - 1].to_owned() };
        Some((text, j + 1))
    }

    /// The end of the number or literal at `i`.
    fn scalar(&self, i: usize) -> Option<usize> {
        let len = self.bytes[i..]
            .iter()
            .take_while(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E' | b'a'..=b'z'))
            .count();
        (len > 0).then_some(i + len)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Root {
        header: Header,
        data: Data,
        #[serde(default)]
        items: Vec<Item>,
        tags: Option<BTreeMap<String, Item>>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Header {
        channel: String,
        version: u8,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Data {
        speed: Option<f64>,
        moving: bool,
        kind: Kind,
        #[serde(rename = "a b\"c")]
        odd: Option<u16>,
        inner: Option<Inner>,
        #[serde(default, deserialize_with = "crate::fields::present")]
        three: Option<Option<u8>>,
        either: Option<Either>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(untagged)]
    enum Either {
        Number(u8),
        Object { id: String },
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    enum Kind {
        Car,
        Boat,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Inner {
        id: String,
        levels: Vec<u32>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    struct Item {
        id: u64,
        note: Option<String>,
        #[serde(flatten)]
        extra: BTreeMap<String, serde_json::Value>,
    }

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "header": {"channel": "vehicle/status", "version": 2},
            "data": {
                "speed": 12.5, "moving": true, "kind": "Boat", "a b\"c": 7,
                "inner": {"id": "x", "levels": [1, 2, 3]}, "three": null, "either": {"id": "e"}
            },
            "items": [{"id": 1}, {"id": 2, "note": "n"}],
            "tags": {"first": {"id": 3}, "sp ace": {"id": 4, "note": null}}
        })
    }

    /// Every place a mutation can go: the path to a value.
    fn places(value: &serde_json::Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let mut next = at.clone();
                    next.push(k.clone());
                    places(v, next, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let mut next = at.clone();
                    next.push(i.to_string());
                    places(v, next, out);
                }
            }
            _ => {}
        }
    }

    fn at<'a>(value: &'a mut serde_json::Value, path: &[String]) -> &'a mut serde_json::Value {
        path.iter().fold(value, |v, step| match v {
            serde_json::Value::Array(items) => &mut items[step.parse::<usize>().expect("an index")],
            other => &mut other[step.as_str()],
        })
    }

    fn replacements() -> Vec<serde_json::Value> {
        serde_json::from_str(r#"["x", 300, -1, 1.5, true, null, {}, [], {"zz": 1}, [1, "two"], "Car"]"#).expect("JSON")
    }

    proptest! {
        /// The path worked out from the position is the one `serde_path_to_error` tracks while
        /// decoding, whatever is wrong, wherever, with or without whitespace.
        #[test]
        fn the_path_from_the_position_is_the_tracked_path(
            place in any::<prop::sample::Index>(),
            mutation in 0..14usize,
            pretty in any::<bool>(),
        ) {
            let mut frame = valid();
            let mut all = Vec::new();
            places(&frame, Vec::new(), &mut all);
            let path = place.get(&all).clone();
            let replacements = replacements();
            match mutation {
                m if m < replacements.len() => *at(&mut frame, &path) = replacements[m].clone(),
                // Delete the member (a missing field where it is required).
                11 if !path.is_empty() => {
                    let (last, parent) = path.split_last().expect("not the root");
                    match at(&mut frame, parent) {
                        serde_json::Value::Object(map) => { map.remove(last); }
                        serde_json::Value::Array(items) => { items.remove(last.parse::<usize>().expect("an index")); }
                        _ => {}
                    }
                }
                // An unknown member (refused by `Header` only).
                12 => if let serde_json::Value::Object(map) = at(&mut frame, &path) {
                    map.insert("unknown".into(), 1.into());
                },
                _ => {}
            }
            let text = if pretty { serde_json::to_string_pretty(&frame) } else { serde_json::to_string(&frame) };
            let text = text.expect("serialises");
            let mut de = serde_json::Deserializer::from_str(&text);
            let tracked = serde_path_to_error::deserialize::<_, Root>(&mut de);
            let plain = serde_json::from_str::<Root>(&text);
            match (tracked, plain) {
                // `parse` names a path for data errors only; serde_json counts some refusals as
                // syntax errors (an enum written as an array is "expected value").
                (Err(tracked), Err(plain)) if plain.is_data() => {
                    let (found, exact) = (error_path(&text, &plain), tracked.path().to_string());
                    // The one known difference (see the module's docs): a buffered union that
                    // is the last member of its object is named by the object.
                    let one_short = plain.to_string().contains("untagged enum")
                        && exact.strip_prefix(found.as_str()).is_some_and(|rest| {
                            let rest = if found == "." { rest.trim_start_matches('.') } else { rest };
                            let member = rest.strip_prefix('.').unwrap_or(rest);
                            !member.is_empty() && !member.contains(['.', '['])
                        });
                    prop_assert!(found == exact || one_short, "{} found, {} tracked: {}", found, exact, text);
                }
                (Err(_), Err(_)) => {}
                (Ok(_), Ok(_)) => {}
                (tracked, plain) => prop_assert!(false, "the two decodes disagree: {tracked:?} / {plain:?}"),
            }
        }
    }

    #[test]
    fn errors_without_a_position_are_the_whole_frame() {
        let error = <serde_json::Error as serde::de::Error>::custom("no position");
        assert_eq!(error_path("{}", &error), ".");
    }
}
