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

/// The items of an open string enum besides its definition, the same for every one: `KNOWN`,
/// `as_str`, `from_wire`, and `FromStr`, `From<&str>`, `Display`, `Serialize` and `Deserialize`
/// through the last two. The generator writes the enum (its variants and their docs) and then
/// `__open_enum!(Enum, Fallback, ["wire" => Variant, ...]);`, where `Fallback(String)` is the
/// variant that keeps an unlisted value; one call instead of some forty lines per enum.
#[macro_export]
#[doc(hidden)]
macro_rules! __open_enum {
    ($ty:ident, $other:ident, [$($value:literal => $variant:ident),* $(,)?]) => {
        impl $ty {
            /// Every value the API lists, in document order.
            pub const KNOWN: &'static [$ty] = &[$($ty::$variant),*];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($ty::$variant => $value,)*
                    $ty::$other(value) => value,
                }
            }

            /// The variant for `value`; an unlisted value is kept in the fallback variant.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $($value => $ty::$variant,)*
                    other => $ty::$other(::std::borrow::ToOwned::to_owned(other)),
                }
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok($ty::from_wire(value))
            }
        }

        impl ::std::convert::From<&str> for $ty {
            fn from(value: &str) -> Self {
                $ty::from_wire(value)
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_open(deserializer, $ty::from_wire)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An open enum as the generator writes it.
    #[derive(Debug, PartialEq)]
    enum Level {
        High,
        Low,
        Unlisted(String),
    }

    crate::__open_enum!(Level, Unlisted, ["HIGH" => High, "LOW" => Low]);

    #[test]
    fn open_enums_keep_unlisted_values_and_refuse_other_types() {
        assert_eq!(serde_json::from_str::<Level>("\"HIGH\"").expect("a string"), Level::High);
        assert_eq!(serde_json::from_str::<Level>("\"EXTREME\"").expect("a string"), Level::Unlisted("EXTREME".into()));
        assert!(serde_json::from_str::<Level>("3").is_err());
    }

    #[test]
    fn open_enums_write_what_they_read() {
        assert_eq!(Level::KNOWN, [Level::High, Level::Low]);
        for text in ["HIGH", "LOW", "EXTREME"] {
            let level: Level = text.parse().expect("infallible");
            assert_eq!(level.to_string(), text);
            assert_eq!(Level::from(text).as_str(), text);
            assert_eq!(serde_json::to_string(&level).expect("a string"), format!("\"{text}\""));
        }
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
