//! Serde helpers that generated types name in their attributes and impls: three-state optional
//! fields, open string enums, and reading a correlation id.

use std::fmt;

use serde::Deserialize as _;
use serde::de::{Deserializer, Visitor};

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
pub fn present<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Deserializes a string into an open enum through `from`, without allocating for values the
/// enum knows: the `Deserialize` impl of every generated open enum calls it with the enum's
/// `from_wire`.
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
#[cfg(test)]
mod tests {
    use super::*;

    /// An open enum as the generator writes it.
    #[derive(Debug, PartialEq)]
    enum Level {
        High,
        Unlisted(String),
    }

    impl Level {
        fn from_wire(value: &str) -> Self {
            match value {
                "HIGH" => Level::High,
                other => Level::Unlisted(other.to_owned()),
            }
        }
    }

    impl<'de> serde::Deserialize<'de> for Level {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_open(deserializer, Level::from_wire)
        }
    }

    #[test]
    fn open_enums_keep_unlisted_values_and_refuse_other_types() {
        assert_eq!(serde_json::from_str::<Level>("\"HIGH\"").expect("a string"), Level::High);
        assert_eq!(serde_json::from_str::<Level>("\"EXTREME\"").expect("a string"), Level::Unlisted("EXTREME".into()));
        assert!(serde_json::from_str::<Level>("3").is_err());
    }

    #[test]
    fn present_keeps_null_apart_from_absent() {
        #[derive(serde::Deserialize)]
        struct S {
            #[serde(default, deserialize_with = "present")]
            x: Option<Option<u8>>,
        }
        let parse = |json: &str| serde_json::from_str::<S>(json).expect("valid").x;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"x": null}"#), Some(None));
        assert_eq!(parse(r#"{"x": 3}"#), Some(Some(3)));
    }

    #[test]
    fn correlation_ids_are_read_as_text() {
        let payload = serde_json::json!({"reqid": 42, "meta": {"id": "abc"}});
        assert_eq!(correlation_of(&payload, "/reqid").as_deref(), Some("42"));
        assert_eq!(correlation_of(&payload, "/meta/id").as_deref(), Some("abc"));
        assert_eq!(correlation_of(&payload, "/missing"), None);
    }
}
