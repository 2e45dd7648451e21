//! The property-combination fixture, `spec/fixtures/property-combinations.json`, is written from
//! the table below: every combination of required / optional × nullable / not × a `default` /
//! none × string / number / integer / boolean / enum / object / array, as the fields of a named
//! object, of an object nested inline, of the items of an array, and of an object whose members
//! are all optional. Its examples send every member with a value, only the required members, and
//! `null` wherever it is allowed.
//!
//! The snapshot test generates a crate from the fixture; `cargo test --workspace` builds that
//! crate (`tests/snapshots/property-combinations/`) and runs its example tests, which decode each
//! example and require the same JSON back. So a combination whose generated code does not
//! compile, or that loses what was sent, fails the tests.
//!
//! `BLESS=1 cargo test -p snapshot-tests --test combinations` rewrites the fixture (then bless the
//! snapshots).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The value types: (name, schema, default, a value other than the default).
fn value_types() -> Vec<(&'static str, Value, Value, Value)> {
    vec![
        ("string", json!({"type": "string"}), json!("d"), json!("v")),
        ("number", json!({"type": "number"}), json!(1.5), json!(2.25)),
        ("integer", json!({"type": "integer"}), json!(7), json!(9)),
        ("boolean", json!({"type": "boolean"}), json!(true), json!(false)),
        ("enum", json!({"type": "string", "enum": ["a", "b"]}), json!("b"), json!("a")),
        (
            "object",
            json!({"type": "object", "properties": {"k": {"type": "string"}}}),
            json!({"k": "d"}),
            json!({"k": "v"}),
        ),
        ("array", json!({"type": "array", "items": {"type": "integer"}}), json!([1, 2]), json!([3])),
    ]
}

/// One property per combination, with the three example objects: every member with a value,
/// the required members only, and `null` wherever it is allowed. `optional_only` leaves the
/// required combinations out.
struct Members {
    properties: Map<String, Value>,
    required: Vec<Value>,
    full: Map<String, Value>,
    minimal: Map<String, Value>,
    nulls: Map<String, Value>,
}

fn members(optional_only: bool) -> Members {
    let mut m = Members {
        properties: Map::new(),
        required: Vec::new(),
        full: Map::new(),
        minimal: Map::new(),
        nulls: Map::new(),
    };
    for (type_name, schema, default, value) in value_types() {
        for required in [true, false] {
            if required && optional_only {
                continue;
            }
            for nullable in [false, true] {
                for with_default in [false, true] {
                    let name = format!(
                        "{}_{}_{}_{type_name}",
                        if required { "req" } else { "opt" },
                        if nullable { "null" } else { "nonnull" },
                        if with_default { "default" } else { "nodefault" },
                    );
                    let mut s = schema.clone();
                    if nullable {
                        s["type"] = json!([s["type"].clone(), "null"]);
                        if let Some(values) = s.get_mut("enum").and_then(Value::as_array_mut) {
                            values.push(Value::Null);
                        }
                    }
                    if with_default {
                        s["default"] = default.clone();
                    }
                    m.properties.insert(name.clone(), s);
                    m.full.insert(name.clone(), value.clone());
                    let or_null = if nullable { Value::Null } else { value.clone() };
                    if required {
                        m.required.push(Value::String(name.clone()));
                        m.minimal.insert(name.clone(), or_null.clone());
                    }
                    m.nulls.insert(name, or_null);
                }
            }
        }
    }
    m
}

fn object(m: &Members) -> Value {
    json!({"type": "object", "required": m.required, "properties": m.properties})
}

/// The whole document.
fn document() -> Value {
    let all = members(false);
    let optional = members(true);
    let mut properties = all.properties.clone();
    properties.insert("nested".into(), object(&all));
    properties.insert("list".into(), json!({"type": "array", "items": object(&all)}));
    properties.insert("named".into(), json!({"$ref": "#/components/schemas/OptionalOnly"}));
    let mut required = all.required.clone();
    required.extend(["nested", "list", "named"].map(|n| Value::String(n.into())));
    let example = |pick: fn(&Members) -> &Map<String, Value>| {
        let mut payload = pick(&all).clone();
        payload.insert("nested".into(), Value::Object(pick(&all).clone()));
        payload.insert("list".into(), json!([pick(&all), pick(&all)]));
        payload.insert("named".into(), Value::Object(pick(&optional).clone()));
        payload
    };
    json!({
        "asyncapi": "3.0.0",
        "x-asyncapi-codegen": {"role": "app"},
        "info": {
            "title": "Property combinations",
            "version": "1.0.0",
            "description": "Written by tests/tests/combinations.rs: every combination of required or optional, nullable or not, with a default or none, over each value type, at each level of nesting."
        },
        "servers": {"local": {"host": "localhost:8080", "protocol": "ws"}},
        "channels": {
            "combinations": {
                "address": "combinations",
                "messages": {"combined": {"$ref": "#/components/messages/combined"}}
            }
        },
        "operations": {
            "receiveCombined": {
                "action": "receive",
                "channel": {"$ref": "#/channels/combinations"},
                "messages": [{"$ref": "#/channels/combinations/messages/combined"}]
            }
        },
        "components": {
            "schemas": {"OptionalOnly": object(&optional)},
            "messages": {
                "combined": {
                    "name": "combined",
                    "payload": {"type": "object", "required": required, "properties": properties},
                    "examples": [
                        {"name": "everyMemberWithAValue", "payload": example(|m| &m.full)},
                        {"name": "requiredMembersOnly", "payload": example(|m| &m.minimal)},
                        {"name": "nullWhereAllowed", "payload": example(|m| &m.nulls)}
                    ]
                }
            }
        }
    })
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/fixtures/property-combinations.json")
}

#[test]
fn the_fixture_is_the_table() {
    let text = serde_json::to_string_pretty(&document()).expect("a JSON value serialises") + "\n";
    if std::env::var_os("BLESS").is_some_and(|v| v != "0") {
        std::fs::write(fixture(), &text).expect("writing the fixture");
        return;
    }
    let committed = std::fs::read_to_string(fixture()).unwrap_or_default();
    assert!(
        committed == text,
        "spec/fixtures/property-combinations.json is not what tests/tests/combinations.rs writes; run `BLESS=1 cargo test -p snapshot-tests --test combinations`, then bless the snapshots"
    );
}

#[test]
fn the_table_covers_every_combination() {
    let all = members(false);
    // 2 (required) × 2 (nullable) × 2 (default) × 7 types.
    assert_eq!(all.properties.len(), 56);
    assert_eq!(members(true).properties.len(), 28);
    assert_eq!(all.required.len(), 28);
    let defaults = all.properties.values().filter(|s| s.get("default").is_some()).count();
    assert_eq!(defaults, 28);
}
