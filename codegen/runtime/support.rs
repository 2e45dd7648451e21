//! Decoding support shared by every generated crate: finding the routing tag of a frame without
//! decoding the rest, typed decode errors that say where a frame is wrong, and the frame kept for
//! messages this API version does not know.
//!
//! This file is copied verbatim into each generated crate by `asyncapi-codegen`; it is written
//! and tested once, in the generator's repository.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is not JSON (or is cut short).
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser said.
        reason: String,
    },
    /// The frame has no routing tag at `path`, so it cannot be told which message it is.
    MissingTag {
        /// The dotted property path of the tag, such as `header.channel`.
        path: &'static str,
    },
    /// The frame is routed to `message`, but its content does not match that message's schema.
    Payload {
        /// The message's name in the AsyncAPI document.
        message: &'static str,
        /// Where in the frame, as a path such as `data.speed` (`.` for the whole frame).
        path: String,
        /// What the JSON parser said.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { line, column, reason } => {
                write!(f, "frame is not valid JSON at line {line}, column {column}: {reason}")
            }
            DecodeError::MissingTag { path } => write!(f, "frame has no `{path}` to route it by"),
            DecodeError::Payload { message, path, reason } => {
                write!(f, "frame for message `{message}` does not match its schema at `{path}`: {reason}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    fn syntax(e: &serde_json::Error) -> Self {
        DecodeError::Syntax { line: e.line(), column: e.column(), reason: reason_of(e) }
    }
}

/// The parser's message without its " at line N column M" suffix (the position is kept apart).
fn reason_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// A well-formed frame that matches no message of this API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFrame {
    /// The routing tag the frame carried, if any (for an envelope API: its channel).
    pub tag: Option<String>,
    /// The frame as received.
    pub raw: String,
}

impl UnknownFrame {
    /// Keeps `raw`, routed by `tag`.
    pub fn new(tag: Option<&str>, raw: &str) -> Self {
        UnknownFrame { tag: tag.map(str::to_owned), raw: raw.to_owned() }
    }
}

/// Checks that `frame` is one JSON value.
pub fn check_json(frame: &str) -> Result<(), DecodeError> {
    serde_json::from_str::<IgnoredAny>(frame).map(|_| ()).map_err(|e| DecodeError::syntax(&e))
}

/// Decodes the whole frame as `T`, the payload of `message`.
pub fn parse<'a, T: serde::Deserialize<'a>>(frame: &'a str, message: &'static str) -> Result<T, DecodeError> {
    match serde_json::from_str(frame) {
        Ok(value) => Ok(value),
        Err(e) if e.is_syntax() || e.is_eof() => Err(DecodeError::syntax(&e)),
        Err(e) => {
            // The slow path runs only for a frame that is already wrong: decode again, tracking
            // the path, to say where.
            let mut de = serde_json::Deserializer::from_str(frame);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(tracked) => tracked.path().to_string(),
                Ok(_) => ".".to_owned(),
            };
            Err(DecodeError::Payload { message, path, reason: reason_of(&e) })
        }
    }
}

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

/// The parameter values of `address` if it matches the channel address `template`
/// (`vehicle/{id}/status`), in template order. A value never contains the literal text that
/// follows its parameter in the template, and is never empty.
pub fn match_template<'a>(template: &str, address: &'a str) -> Option<Vec<&'a str>> {
    let mut values = Vec::new();
    let mut rest = address;
    let mut pieces = template.split('{');
    let literal = pieces.next().unwrap_or_default();
    rest = rest.strip_prefix(literal)?;
    for piece in pieces {
        let (_, literal) = piece.split_once('}')?;
        let end = if literal.is_empty() { rest.len() } else { rest.find(literal)? };
        if end == 0 {
            return None;
        }
        values.push(&rest[..end]);
        rest = rest[end..].strip_prefix(literal)?;
    }
    rest.is_empty().then_some(values)
}

/// The address made from `template` with each `{name}` replaced by the next of `values`.
pub fn fill_template(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|v| v.len()).sum::<usize>());
    let mut values = values.iter();
    let mut pieces = template.split('{');
    out.push_str(pieces.next().unwrap_or_default());
    for piece in pieces {
        let (_, literal) = piece.split_once('}').unwrap_or(("", piece));
        out.push_str(values.next().copied().unwrap_or_default());
        out.push_str(literal);
    }
    out
}

/// The correlation id a message carries at `pointer` inside its payload, as text (a number is
/// written out); `None` when the payload has nothing there.
pub fn correlation_of<T: serde::Serialize>(payload: &T, pointer: &str) -> Option<String> {
    let value = serde_json::to_value(payload).ok()?;
    match value.pointer(pointer)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// For an optional, nullable field (`Option<Option<T>>`): a member that is present, `null`
/// included, is `Some(..)`; an absent one stays `None` through `#[serde(default)]`.
pub fn present<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Deserializes a string into an open enum through `from`, without allocating for values the
/// enum knows. Used by [`open_enum!`].
pub fn deserialize_open<'de, D: Deserializer<'de>, T>(deserializer: D, from: fn(&str) -> T) -> Result<T, D::Error> {
    struct OpenVisitor<T>(fn(&str) -> T);
    impl<T> Visitor<'_> for OpenVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E>(self, v: &str) -> Result<T, E> {
            Ok((self.0)(v))
        }
    }
    deserializer.deserialize_str(OpenVisitor(from))
}

/// Defines a string enum that keeps the values it does not list in a fallback variant, so that a
/// server adding a value does not make whole frames undecodable.
#[allow(unused_macros)] // a document without string enums does not use it
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal,)* }
        other $other:ident
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the API does not list, kept as sent.
            $other(::std::string::String),
        }

        impl $name {
            /// Every value the API lists, in document order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $value,)*
                    $name::$other(value) => value,
                }
            }

            /// The variant for `value`; an unlisted value is kept in the fallback variant.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $($value => $name::$variant,)*
                    other => $name::$other(other.to_owned()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok($name::from_wire(value))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                $name::from_wire(value)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                $crate::support::deserialize_open(deserializer, $name::from_wire)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use open_enum;

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

    open_enum! {
        /// Test enum.
        Level { Low = "LOW", High = "HIGH", }
        other Unlisted
    }

    #[test]
    fn open_enums_keep_unlisted_values() {
        let level: Level = serde_json::from_str("\"HIGH\"").expect("a string");
        assert_eq!(level, Level::High);
        let level: Level = serde_json::from_str("\"EXTREME\"").expect("a string");
        assert_eq!(level, Level::Unlisted("EXTREME".into()));
        assert_eq!(serde_json::to_string(&level).expect("encodes"), "\"EXTREME\"");
        assert_eq!(Level::KNOWN, [Level::Low, Level::High]);
        assert!(serde_json::from_str::<Level>("3").is_err());
    }

    #[test]
    fn channel_templates_match_and_fill() {
        let t = "vehicle/{vehicle_id}/status/{kind}";
        assert_eq!(match_template(t, "vehicle/veh_1/status/full"), Some(vec!["veh_1", "full"]));
        assert_eq!(match_template(t, "vehicle//status/full"), None);
        assert_eq!(match_template(t, "vehicle/veh_1/state/full"), None);
        assert_eq!(match_template("a/{x}", "a/b/c"), Some(vec!["b/c"]));
        assert_eq!(match_template("plain", "plain"), Some(vec![]));
        assert_eq!(fill_template(t, &["veh_1", "full"]), "vehicle/veh_1/status/full");
    }

    #[test]
    fn correlation_ids_are_read_as_text() {
        let payload = serde_json::json!({"reqid": 42, "meta": {"id": "abc"}});
        assert_eq!(correlation_of(&payload, "/reqid").as_deref(), Some("42"));
        assert_eq!(correlation_of(&payload, "/meta/id").as_deref(), Some("abc"));
        assert_eq!(correlation_of(&payload, "/missing"), None);
    }

    #[test]
    fn payload_errors_name_the_path() {
        #[derive(serde::Deserialize, Debug)]
        struct Frame {
            #[allow(dead_code)]
            data: Data,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Data {
            #[allow(dead_code)]
            speed: f64,
        }
        let err = parse::<Frame>(r#"{"data": {"speed": "fast"}}"#, "status").expect_err("wrong type");
        match err {
            DecodeError::Payload { message, path, .. } => {
                assert_eq!(message, "status");
                assert_eq!(path, "data.speed");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
