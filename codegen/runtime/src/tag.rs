//! Finding the routing tag of a frame (`header.channel`, `event`, `type`) without decoding the
//! rest: a byte scan that stops as soon as it has read the tag, checked against serde_json,
//! which gives the exact answer (or error) whenever the scan does not answer.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::decode::DecodeError;

/// Reads the string at `path` (property names from the root object) without decoding anything
/// else. The scan stops as soon as the tag is read, so a tag near the start of a frame costs a
/// few bytes of parsing whatever the frame's size. `Ok(None)`: the frame has no string there.
pub fn peek_tag<'a>(frame: &'a str, path: &[&str]) -> Result<Option<Cow<'a, str>>, DecodeError> {
    match scan_tag(frame.as_bytes(), path) {
        Some(tag) => Ok(Some(Cow::Borrowed(tag))),
        None => parse_tag(frame, path),
    }
}

/// The fast path of [`peek_tag`], for the frame servers actually send: walks the bytes of the
/// objects on `path` and skips the values before the tag without decoding them (no
/// deserializer, no error value, no allocation). It answers only when it finds the tag as a
/// string without escapes after a prefix it has checked to be valid JSON, which is exactly when
/// the parser would answer the same; `None` (an escape, a missing tag, anything unusual) leaves
/// the frame to [`parse_tag`], which gives the exact answer or error.
fn scan_tag<'a>(frame: &'a [u8], path: &[&str]) -> Option<&'a str> {
    let mut i = 0;
    for (level, key) in path.iter().enumerate() {
        i = skip_ws(frame, i);
        if frame.get(i) != Some(&b'{') {
            return None;
        }
        i += 1;
        loop {
            let (name, next) = scan_str(frame, skip_ws(frame, i))?;
            i = skip_ws(frame, next);
            if frame.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(frame, i + 1);
            if name == key.as_bytes() {
                if level + 1 == path.len() {
                    let (tag, _) = scan_str(frame, i)?;
                    return std::str::from_utf8(tag).ok();
                }
                break;
            }
            i = skip_ws(frame, skip_value(frame, i, 0)?);
            if frame.get(i) != Some(&b',') {
                return None;
            }
            i += 1;
        }
    }
    None
}

fn skip_ws(frame: &[u8], mut i: usize) -> usize {
    while matches!(frame.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The content of the string starting at `i` and the index after it; `None` unless it is a
/// string without escapes or control characters.
fn scan_str(frame: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if frame.get(i) != Some(&b'"') {
        return None;
    }
    let rest = frame.get(i + 1..)?;
    let end = rest.iter().position(|&c| STRING_STOP[usize::from(c)])?;
    (rest[end] == b'"').then(|| (&rest[..end], i + 2 + end))
}

/// The bytes that end the plain part of a JSON string: the quote, a backslash, a control
/// character. One table look-up per byte instead of three comparisons.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        table[c] = true;
        c += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The index after the JSON value starting at `i`; `None` unless it is valid JSON without
/// string escapes and nests at most 64 deep.
fn skip_value(frame: &[u8], i: usize, depth: usize) -> Option<usize> {
    let (open, close) = match frame.get(i)? {
        b'"' => return scan_str(frame, i).map(|(_, next)| next),
        b't' => return frame[i..].starts_with(b"true").then_some(i + 4),
        b'f' => return frame[i..].starts_with(b"false").then_some(i + 5),
        b'n' => return frame[i..].starts_with(b"null").then_some(i + 4),
        b'-' | b'0'..=b'9' => return skip_number(frame, i),
        b'{' => (b'{', b'}'),
        b'[' => (b'[', b']'),
        _ => return None,
    };
    if depth >= 64 {
        return None;
    }
    let mut i = skip_ws(frame, i + 1);
    if frame.get(i) == Some(&close) {
        return Some(i + 1);
    }
    loop {
        if open == b'{' {
            let (_, next) = scan_str(frame, i)?;
            i = skip_ws(frame, next);
            if frame.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(frame, i + 1);
        }
        i = skip_ws(frame, skip_value(frame, i, depth + 1)?);
        match frame.get(i)? {
            b',' => i = skip_ws(frame, i + 1),
            c if *c == close => return Some(i + 1),
            _ => return None,
        }
    }
}

/// The index after the JSON number starting at `i` (RFC 8259 grammar).
fn skip_number(frame: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: usize| i + frame.get(i..).map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    if frame.get(i) == Some(&b'-') {
        i += 1;
    }
    match frame.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i),
        _ => return None,
    }
    if frame.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(frame.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(frame.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// The exact path of [`peek_tag`]: serde_json walks the frame and stops at the tag.
fn parse_tag<'a>(frame: &'a str, path: &[&str]) -> Result<Option<Cow<'a, str>>, DecodeError> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(frame);
    let outcome = TagSeed { path, found: &mut found }.deserialize(&mut de);
    if found.is_some() {
        return Ok(found);
    }
    match outcome {
        Ok(()) => de.end().map(|()| None).map_err(|e| DecodeError::syntax(&e)),
        Err(e) if e.is_data() => Ok(None),
        Err(e) => Err(DecodeError::syntax(&e)),
    }
}

/// Marker error: the tag was found and the scan stopped early on purpose.
const FOUND: &str = "tag found";

struct TagSeed<'p, 's, 'a> {
    path: &'p [&'p str],
    found: &'s mut Option<Cow<'a, str>>,
}

impl<'de, 'p, 's> DeserializeSeed<'de> for TagSeed<'p, 's, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.path.split_first() {
            None => match deserializer.deserialize_any(LeafVisitor)? {
                Some(tag) => {
                    *self.found = Some(tag);
                    Err(de::Error::custom(FOUND))
                }
                None => Ok(()),
            },
            Some(_) => deserializer.deserialize_any(self),
        }
    }
}

impl<'de, 'p, 's> Visitor<'de> for TagSeed<'p, 's, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((first, rest)) = self.path.split_first() else { return Ok(()) };
        while let Some(Tag(key)) = map.next_key::<Tag<'de>>()? {
            if key == *first {
                map.next_value_seed(TagSeed { path: rest, found: &mut *self.found })?;
                if self.found.is_some() {
                    return Err(de::Error::custom(FOUND));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// An object key that borrows from the frame when it has no escapes.
struct Tag<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Tag<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TagVisitor)
    }
}

/// The value at the end of the tag path: a string is the tag; anything else is skipped.
struct LeafVisitor;

impl<'de> Visitor<'de> for LeafVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

struct TagVisitor;

impl<'de> Visitor<'de> for TagVisitor {
    type Value = Tag<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Tag<'de>, E> {
        Ok(Tag(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tag<'de>, E> {
        Ok(Tag(Cow::Owned(v.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_nested_tag_and_borrows_it() {
        let frame = r#"{"header": {"type": "API", "channel": "vehicle/status"}, "data": {"x": 1}}"#;
        let tag = peek_tag(frame, &["header", "channel"]).expect("valid frame");
        assert!(matches!(tag, Some(Cow::Borrowed("vehicle/status"))));
    }

    #[test]
    fn finds_a_tag_after_the_payload() {
        let frame = r#"{"data": {"x": [1, {"channel": "no"}]}, "header": {"channel": "a\/b"}}"#;
        assert_eq!(peek_tag(frame, &["header", "channel"]).expect("valid").as_deref(), Some("a/b"));
    }

    #[test]
    fn a_missing_or_non_string_tag_is_none() {
        assert_eq!(peek_tag(r#"{"data": {}}"#, &["header", "channel"]).expect("valid"), None);
        assert_eq!(peek_tag(r#"{"header": {"channel": 7}}"#, &["header", "channel"]).expect("valid"), None);
        assert_eq!(peek_tag(r#"[1, 2]"#, &["header", "channel"]).expect("valid"), None);
    }

    #[test]
    fn the_fast_scan_agrees_with_the_parser_whenever_it_answers() {
        let path = &["header", "channel"];
        let frames = [
            r#"{"header": {"type": "API", "channel": "vehicle/status"}, "data": {"x": 1}}"#,
            r#" { "data" : [ 1 , -2.5e+3 , true , false , null , { "a" : [ ] } , { } , "s" ] , "header" : { "channel" : "c" } } "#,
            r#"{"data": {"x": [1, {"channel": "no"}]}, "header": {"channel": "a\/b"}}"#,
            r#"{"data": "\"", "header": {"channel": "x"}}"#,
            r#"{"header": {"channel": "one"}, "header": {"channel": "two"}}"#,
            r#"{"header": {"type": 1}, "header": {"channel": "late"}}"#,
            r#"{"header": {"channel": 7}}"#,
            r#"{"header": {"channel": null, "channel": "dup"}}"#,
            r#"{"a": 01, "header": {"channel": "x"}}"#,
            r#"{"a": 1., "header": {"channel": "x"}}"#,
            r#"{"a": -, "header": {"channel": "x"}}"#,
            r#"{"a": tru, "header": {"channel": "x"}}"#,
            r#"{"a": [1 2], "header": {"channel": "x"}}"#,
            r#"{"a": {"b" 1}, "header": {"channel": "x"}}"#,
            r#"{"a": 1 "header": {"channel": "x"}}"#,
            "{\"a\": \"tab\there\", \"header\": {\"channel\": \"x\"}}",
            r#"{"header": {"channel": "ünïcode"}}"#,
            r#"[{"header": {"channel": "x"}}]"#,
            r#"{"header": "#,
            "",
        ];
        for frame in frames {
            let exact = parse_tag(frame, path);
            if let Some(fast) = scan_tag(frame.as_bytes(), path) {
                assert_eq!(exact.as_ref().ok().cloned().flatten().as_deref(), Some(fast), "{frame}");
            }
            assert_eq!(peek_tag(frame, path), exact, "{frame}");
        }
        assert_eq!(scan_tag(frames[0].as_bytes(), path), Some("vehicle/status"));
        assert_eq!(scan_tag(frames[1].as_bytes(), path), Some("c"));
        assert_eq!(scan_tag(frames[8].as_bytes(), path), None, "a leading zero is not JSON");
        let deep = format!("{{\"a\": {}{}, \"header\": {{\"channel\": \"x\"}}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(peek_tag(&deep, path), parse_tag(&deep, path));
    }

    #[test]
    fn broken_json_before_the_tag_is_a_syntax_error() {
        let err = peek_tag("{\"header\": {\"chan", &["header", "channel"]).expect_err("truncated");
        assert!(matches!(err, DecodeError::Syntax { line: 1, .. }), "{err:?}");
    }
}
