//! Untagged unions (`oneOf`/`anyOf` whose alternatives no constant tells apart) decoded as the
//! alternative that fits the value best, not the first one that parses: serde's
//! `#[serde(untagged)]` takes the first, so `{"key2": "v"}` becomes an alternative that declares
//! only `key`, and `key2` is lost.
//!
//! The rule: the value is read once into a `serde_json::Value`; for an object, each alternative
//! is ranked by (1) having every member it requires, (2) how many of the object's members it
//! declares, most first, (3) how many members it declares that the object lacks, fewest first,
//! (4) document order. The alternatives are tried in that order and the first that decodes wins.
//! Alternatives that are not objects (strings, arrays, maps, other unions) declare nothing and
//! require nothing. A value that is not an object is tried in document order. An alternative that
//! takes any value (a JSON value) is tried last, whatever the value.

use serde::Deserialize as _;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

/// One alternative of a union as the generator describes it.
pub struct Alternative<T> {
    /// Its name in the Rust enum, for error messages.
    pub name: &'static str,
    /// The object members its type declares (empty for an alternative that is not an object).
    pub declared: &'static [&'static str],
    /// The members it cannot do without.
    pub required: &'static [&'static str],
    /// Whether it takes any value at all (a JSON value): it is tried last.
    pub fallback: bool,
    /// Decodes the value as this alternative.
    pub decode: fn(&Value) -> Result<T, serde_json::Error>,
}

/// The order in which `alternatives` are tried for `value` (indices into `alternatives`).
pub fn ranking<T>(value: &Value, alternatives: &[Alternative<T>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..alternatives.len()).collect();
    // A stable sort keeps document order among alternatives that rank the same.
    order.sort_by_key(|&i| {
        let a = &alternatives[i];
        let Value::Object(object) = value else { return (a.fallback, false, std::cmp::Reverse(0), 0) };
        let lacks_required = a.required.iter().any(|r| !object.contains_key(*r));
        let present = a.declared.iter().filter(|d| object.contains_key(**d)).count();
        let absent = a.declared.len() - present;
        (a.fallback, lacks_required, std::cmp::Reverse(present), absent)
    });
    order
}

/// Decodes a union: the alternatives in [`ranking`] order, the first that decodes wins. When none
/// does, the error names the union and says why the best-ranked alternative failed.
pub fn deserialize_union<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    union: &'static str,
    alternatives: &[Alternative<T>],
) -> Result<T, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let mut first_error = None;
    for i in ranking(&value, alternatives) {
        match (alternatives[i].decode)(&value) {
            Ok(decoded) => return Ok(decoded),
            Err(e) => {
                first_error.get_or_insert((alternatives[i].name, e));
            }
        }
    }
    Err(match first_error {
        Some((name, e)) => D::Error::custom(format_args!("no alternative of `{union}` matches (`{name}`: {e})")),
        None => D::Error::custom(format_args!("`{union}` has no alternatives")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct WithKey {
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct WithKey2 {
        #[serde(skip_serializing_if = "Option::is_none")]
        key2: Option<String>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
    struct Point {
        x: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    }

    #[derive(Debug, PartialEq, serde::Serialize)]
    #[serde(untagged)]
    enum Union {
        WithKey(WithKey),
        WithKey2(WithKey2),
        Point(Point),
        Text(String),
        Any(Value),
    }

    impl<'de> serde::Deserialize<'de> for Union {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_union(
                deserializer,
                "Union",
                &[
                    Alternative {
                        name: "WithKey",
                        declared: &["key"],
                        required: &[],
                        fallback: false,
                        decode: |v| WithKey::deserialize(v).map(Union::WithKey),
                    },
                    Alternative {
                        name: "WithKey2",
                        declared: &["key2"],
                        required: &[],
                        fallback: false,
                        decode: |v| WithKey2::deserialize(v).map(Union::WithKey2),
                    },
                    Alternative {
                        name: "Point",
                        declared: &["x", "key"],
                        required: &["x"],
                        fallback: false,
                        decode: |v| Point::deserialize(v).map(Union::Point),
                    },
                    Alternative {
                        name: "Any",
                        declared: &[],
                        required: &[],
                        fallback: true,
                        decode: |v| Value::deserialize(v).map(Union::Any),
                    },
                    Alternative {
                        name: "Text",
                        declared: &[],
                        required: &[],
                        fallback: false,
                        decode: |v| String::deserialize(v).map(Union::Text),
                    },
                ],
            )
        }
    }

    fn round_trip(json: &str) -> Union {
        let union: Union = serde_json::from_str(json).expect("decodes");
        let back: Value = serde_json::to_value(&union).expect("encodes");
        assert_eq!(back, serde_json::from_str::<Value>(json).expect("json"), "{json} re-encoded");
        union
    }

    #[test]
    fn the_alternative_that_declares_the_members_present_wins() {
        assert_eq!(round_trip(r#"{"key2": "v"}"#), Union::WithKey2(WithKey2 { key2: Some("v".into()) }));
        assert_eq!(round_trip(r#"{"key": "v"}"#), Union::WithKey(WithKey { key: Some("v".into()) }));
        assert_eq!(round_trip(r#"{"x": 1.5, "key": "v"}"#), Union::Point(Point { x: 1.5, key: Some("v".into()) }));
        assert_eq!(round_trip(r#""text""#), Union::Text("text".into()));
        // Nothing declared is present: the tightest fit (fewest declared members) in document order.
        assert_eq!(serde_json::from_str::<Union>("{}").expect("decodes"), Union::WithKey(WithKey { key: None }));
    }

    #[test]
    fn the_alternative_that_takes_any_value_comes_last() {
        assert_eq!(round_trip("[1]"), Union::Any(serde_json::json!([1])));
        // An object none declares anything of: the tightest object fit, before the JSON value.
        let other: Union = serde_json::from_str(r#"{"other": 1}"#).expect("decodes");
        assert_eq!(other, Union::WithKey(WithKey { key: None }));
    }

    #[test]
    fn a_value_no_alternative_takes_names_the_union() {
        let strict = [Alternative {
            name: "Point",
            declared: &["x"],
            required: &["x"],
            fallback: false,
            decode: |v| Point::deserialize(v),
        }];
        let mut de = serde_json::Deserializer::from_str(r#"{"x": "far"}"#);
        let err = deserialize_union(&mut de, "Only", &strict).expect_err("no alternative");
        assert!(err.to_string().starts_with("no alternative of `Only` matches (`Point`: invalid type"), "{err}");
    }
}
