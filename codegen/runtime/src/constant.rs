//! Members a schema pins to one value (`const`, or an `enum` of one value): the generated crate
//! gives each a zero-sized type whose `Serialize` writes the value and whose `Deserialize` accepts
//! that value only. This module is the part that is the same for every such type.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::ser::Serializer;

/// The value a member is pinned to: a JSON string, boolean or number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constant {
    /// A string.
    Str(&'static str),
    /// `true` or `false`.
    Bool(bool),
    /// A negative or non-negative integer that fits `i64`.
    Int(i64),
    /// A non-negative integer above `i64::MAX`.
    Uint(u64),
    /// A number with a fraction or an exponent.
    Float(f64),
}

impl fmt::Display for Constant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constant::Str(s) => write!(f, "{s:?}"),
            Constant::Bool(b) => write!(f, "{b}"),
            Constant::Int(i) => write!(f, "{i}"),
            Constant::Uint(u) => write!(f, "{u}"),
            Constant::Float(x) => write!(f, "{x}"),
        }
    }
}

impl Constant {
    /// Whether the JSON number `value` equals this constant as a number (JSON Schema compares
    /// numbers by value: `1.0` is the constant `1`).
    fn equals_number(self, value: Number) -> bool {
        match (self, value) {
            (Constant::Int(c), Number::Int(v)) => c == v,
            (Constant::Int(c), Number::Uint(v)) | (Constant::Uint(v), Number::Int(c)) => {
                u64::try_from(c).is_ok_and(|c| c == v)
            }
            (Constant::Uint(c), Number::Uint(v)) => c == v,
            (Constant::Float(c), v) => c == v.as_f64(),
            (Constant::Int(_) | Constant::Uint(_), Number::Float(v)) => self.as_f64() == Some(v),
            (Constant::Str(_) | Constant::Bool(_), _) => false,
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Constant::Int(i) => Some(i as f64),
            Constant::Uint(u) => Some(u as f64),
            Constant::Float(x) => Some(x),
            Constant::Str(_) | Constant::Bool(_) => None,
        }
    }
}

#[derive(Clone, Copy)]
enum Number {
    Int(i64),
    Uint(u64),
    Float(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Uint(u) => u as f64,
            Number::Float(x) => x,
        }
    }
}

/// Writes `constant` (the `Serialize` of a generated constant type).
pub fn serialize_constant<S: Serializer>(constant: Constant, serializer: S) -> Result<S::Ok, S::Error> {
    match constant {
        Constant::Str(s) => serializer.serialize_str(s),
        Constant::Bool(b) => serializer.serialize_bool(b),
        Constant::Int(i) => serializer.serialize_i64(i),
        Constant::Uint(u) => serializer.serialize_u64(u),
        Constant::Float(x) => serializer.serialize_f64(x),
    }
}

/// Reads a value and accepts it only when it is `constant` (the `Deserialize` of a generated
/// constant type); any other value is an error that names the expected one, at the member's path.
pub fn deserialize_constant<'de, D: Deserializer<'de>>(deserializer: D, constant: Constant) -> Result<(), D::Error> {
    struct Expect(Constant);

    impl Expect {
        fn number<E: de::Error>(&self, value: Number, unexpected: Unexpected<'_>) -> Result<(), E> {
            if self.0.equals_number(value) { Ok(()) } else { Err(E::invalid_value(unexpected, self)) }
        }
    }

    impl Visitor<'_> for Expect {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "the constant {}", self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
            match self.0 {
                Constant::Str(c) if c == v => Ok(()),
                _ => Err(E::invalid_value(Unexpected::Str(v), &self)),
            }
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
            match self.0 {
                Constant::Bool(c) if c == v => Ok(()),
                _ => Err(E::invalid_value(Unexpected::Bool(v), &self)),
            }
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
            self.number(Number::Int(v), Unexpected::Signed(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
            self.number(Number::Uint(v), Unexpected::Unsigned(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
            self.number(Number::Float(v), Unexpected::Float(v))
        }
    }

    match constant {
        // A string constant asks for a string, so that a borrowed one is compared in place.
        Constant::Str(_) => deserializer.deserialize_str(Expect(constant)),
        _ => deserializer.deserialize_any(Expect(constant)),
    }
}

/// The trait impls of a constant type, the same for every one: `Display`, `Serialize` and
/// `Deserialize` of its `VALUE` as the [`Constant`] variant `$kind` (`Str`, `Bool`, `Int`, `Uint`
/// or `Float`). The generator writes the unit struct with its `VALUE` and then
/// `__constant!(Type, Kind);`.
#[macro_export]
#[doc(hidden)]
macro_rules! __constant {
    ($ty:ident, $kind:ident) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&$ty::VALUE, f)
            }
        }

        impl $crate::__private::serde::Serialize for $ty {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::__private::serialize_constant($crate::__private::Constant::$kind($ty::VALUE), serializer)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                $crate::__private::deserialize_constant(deserializer, $crate::__private::Constant::$kind($ty::VALUE))
                    .map(|()| $ty)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A constant type as the generator writes it.
    #[derive(Debug, Default, PartialEq)]
    struct Ping;

    impl Ping {
        const VALUE: &'static str = "ping";
    }

    crate::__constant!(Ping, Str);

    #[derive(Debug, serde::Deserialize, serde::Serialize)]
    struct Message {
        event: Ping,
    }

    #[test]
    fn a_string_constant_is_written_by_itself_and_no_other_value_is_read() {
        let text = serde_json::to_string(&Message { event: Ping }).expect("serializes");
        assert_eq!(text, r#"{"event":"ping"}"#);
        assert!(serde_json::from_str::<Message>(r#"{"event":"ping"}"#).is_ok());
        let err = serde_json::from_str::<Message>(r#"{"event":"pong"}"#).expect_err("another value");
        assert!(err.to_string().contains(r#"expected the constant "ping""#), "{err}");
        assert!(serde_json::from_str::<Message>(r#"{"event":1}"#).is_err());
        assert_eq!(Ping.to_string(), "ping");
    }

    fn read(json: &str, constant: Constant) -> bool {
        let mut de = serde_json::Deserializer::from_str(json);
        deserialize_constant(&mut de, constant).is_ok()
    }

    #[test]
    fn numbers_compare_by_value_and_booleans_exactly() {
        assert!(read("1", Constant::Int(1)));
        assert!(read("1.0", Constant::Int(1)));
        assert!(read("2.5", Constant::Float(2.5)));
        assert!(read("18446744073709551615", Constant::Uint(u64::MAX)));
        assert!(!read("-1", Constant::Uint(u64::MAX)));
        assert!(!read("2", Constant::Int(1)));
        assert!(!read("\"1\"", Constant::Int(1)));
        assert!(read("true", Constant::Bool(true)));
        assert!(!read("false", Constant::Bool(true)));
        let mut out = Vec::new();
        serialize_constant(Constant::Float(0.5), &mut serde_json::Serializer::new(&mut out)).expect("writes");
        assert_eq!(out, b"0.5");
    }
}
