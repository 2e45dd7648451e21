//! What the generated example tests assert: that a message encodes back to the JSON it was
//! decoded from.

use serde_json::Value;

/// Panics, naming the first differing JSON pointer, unless `expected` and `actual` are the same
/// JSON value: the same members, a `null` where there was one, and numbers equal as numbers
/// (`1.0` and `1`).
pub fn assert_same_json(expected: &str, actual: &str, what: &str) {
    let parse = |text: &str, which: &str| -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: the {which} text is not JSON: {e}"))
    };
    let (expected, actual) = (parse(expected, "expected"), parse(actual, "encoded"));
    if let Some(path) = first_difference(&expected, &actual, &mut String::new()) {
        panic!("{what}: re-encoded message differs at `{path}`\nexpected: {expected}\nactual:   {actual}");
    }
}

/// The JSON pointer of the first place where `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, path: &mut String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|key| {
                let len = path.len();
                path.push('/');
                path.push_str(key);
                let found = match (x.get(key), y.get(key)) {
                    (Some(l), Some(r)) => first_difference(l, r, path),
                    _ => Some(path.clone()),
                };
                path.truncate(len);
                found
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (l, r))| {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                let found = first_difference(l, r, path);
                path.truncate(len);
                found
            })
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(if path.is_empty() { "/".into() } else { path.clone() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn difference(a: &str, b: &str) -> Option<String> {
        let (a, b) = (serde_json::from_str(a).expect("json"), serde_json::from_str(b).expect("json"));
        first_difference(&a, &b, &mut String::new())
    }

    #[test]
    fn names_the_first_difference() {
        assert_eq!(difference(r#"{"a": 1, "b": [1, 2]}"#, r#"{"b": [1, 2.0], "a": 1.0}"#), None);
        assert_eq!(difference(r#"{"a": {"x": null}}"#, r#"{"a": {}}"#).as_deref(), Some("/a/x"));
        assert_eq!(difference(r#"{"a": [1, 2]}"#, r#"{"a": [1, 3]}"#).as_deref(), Some("/a/1"));
        assert_eq!(difference(r#"{"a": [1]}"#, r#"{"a": [1, 1]}"#).as_deref(), Some("/a"));
        assert_eq!(difference("1", "2").as_deref(), Some("/"));
    }

    #[test]
    #[should_panic(expected = "differs at `/a`")]
    fn a_difference_fails_the_test() {
        assert_same_json(r#"{"a": "x"}"#, r#"{"a": "y"}"#, "example");
    }
}
