//! Synthetic AsyncAPI 3.0 documents for the generator benchmarks (`cargo xtask bench`).
//!
//! `document(n)` returns, as YAML text, an API with `n` channels in the envelope style of the
//! spec of record: every frame is `{header, data}`, `header.channel` is a `const` equal to the
//! channel's address and routes the frame. Each message's `data` is its own record schema of 16
//! properties (strings, integers, numbers, booleans, a nullable string, a per-message enum,
//! arrays of scalars, arrays of `$ref`d objects, inline objects nested two levels deep) plus
//! `$ref`s to a few shared components (envelope, header, geo point, money, tag, lifecycle
//! state). Every message has one example.
//!
//! Invariant: the output depends only on `n` (no randomness, no clock, sorted keys), so every
//! run and every machine benchmarks the same bytes.

use serde_json::{Value, json};

/// The YAML text of a document with `n` channels.
pub fn document(n: usize) -> String {
    let mut channels = serde_json::Map::new();
    let mut operations = serde_json::Map::new();
    let mut messages = serde_json::Map::new();
    let mut schemas = shared_schemas();
    for i in 0..n {
        let address = format!("fleet/g{:02}/item{i:05}", i % 20);
        let channel = format!("item{i:05}");
        let message = format!("item{i:05}Update");
        let record = format!("Item{i:05}Record");
        channels.insert(
            channel.clone(),
            json!({
                "address": address,
                "description": format!("Updates of item {i}."),
                "messages": { &message: { "$ref": format!("#/components/messages/{message}") } }
            }),
        );
        operations.insert(
            format!("receive{record}"),
            json!({
                "action": "receive",
                "channel": { "$ref": format!("#/channels/{channel}") },
                "messages": [{ "$ref": format!("#/channels/{channel}/messages/{message}") }]
            }),
        );
        messages.insert(message.clone(), message_of(i, &message, &address, &record));
        schemas.insert(record, record_schema(i));
    }
    let doc = json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": format!("Synthetic fleet with {n} channels"),
            "version": "1.0.0",
            "description": "Written by `cargo xtask bench` (xtask/src/synth.rs) to time the generator."
        },
        "defaultContentType": "application/json",
        "servers": { "local": { "host": "localhost:8080", "protocol": "ws", "pathname": "/feed" } },
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages, "schemas": schemas }
    });
    let mut out = String::from("# Synthetic benchmark document written by `cargo xtask bench`; do not edit.\n");
    write_yaml(&doc, 0, &mut out);
    out
}

/// The components every message refers to.
fn shared_schemas() -> serde_json::Map<String, Value> {
    let schemas = json!({
        "EnvelopeHeader": {
            "type": "object",
            "required": ["channel"],
            "properties": {
                "type": { "type": "string", "description": "Frame type." },
                "api_version": { "type": "string" },
                "channel": { "type": "string", "description": "Routes the frame." },
                "uri": { "type": "string", "format": "uri" }
            }
        },
        "Envelope": {
            "type": "object",
            "required": ["header", "data"],
            "properties": {
                "header": { "$ref": "#/components/schemas/EnvelopeHeader" },
                "data": { "type": "object" }
            }
        },
        "GeoPoint": {
            "type": "object",
            "required": ["lat", "lon"],
            "properties": {
                "lat": { "type": "number", "minimum": -90, "maximum": 90 },
                "lon": { "type": "number", "minimum": -180, "maximum": 180 },
                "accuracy_m": { "type": ["number", "null"] }
            }
        },
        "Money": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": { "type": "number" },
                "currency": { "type": "string", "enum": ["CHF", "EUR", "USD"] }
            }
        },
        "Tag": {
            "type": "object",
            "required": ["key"],
            "properties": { "key": { "type": "string" }, "value": { "type": "string" } }
        },
        "LifecycleState": { "type": "string", "enum": ["NEW", "ACTIVE", "PAUSED", "RETIRED"] }
    });
    match schemas {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn record_schema(i: usize) -> Value {
    json!({
        "type": "object",
        "description": format!("State of item {i}."),
        "required": ["id", "seq", "kind", "created_at"],
        "properties": {
            "id": { "type": "string", "description": "Identifier." },
            "seq": { "type": "integer", "format": "int64" },
            "created_at": { "type": "string", "format": "date-time" },
            "kind": { "type": "string", "enum": [format!("alpha{i}"), "beta", "gamma", "delta"] },
            "score": { "type": "number" },
            "active": { "type": "boolean" },
            "comment": { "type": ["string", "null"] },
            "ratio": { "type": "number", "minimum": 0, "maximum": 1 },
            "labels": { "type": "array", "items": { "type": "string" } },
            "counts": { "type": "array", "items": { "type": "integer" } },
            "location": { "$ref": "#/components/schemas/GeoPoint" },
            "price": { "$ref": "#/components/schemas/Money" },
            "tags": { "type": "array", "items": { "$ref": "#/components/schemas/Tag" } },
            "state": { "$ref": "#/components/schemas/LifecycleState" },
            "details": {
                "type": "object",
                "properties": {
                    "note": { "type": "string" },
                    "level": { "type": "integer", "minimum": 0 },
                    "flags": { "type": "array", "items": { "type": "string", "enum": ["x", "y", "z"] } },
                    "sub": {
                        "type": "object",
                        "required": ["a"],
                        "properties": {
                            "a": { "type": "number" },
                            "b": { "type": "string", "enum": ["on", "off"] }
                        }
                    }
                }
            },
            "owner": {
                "type": "object",
                "properties": {
                    "name": { "type": "string" },
                    "email": { "type": "string", "format": "email" }
                }
            }
        }
    })
}

fn message_of(i: usize, name: &str, address: &str, record: &str) -> Value {
    json!({
        "name": name,
        "title": format!("Item {i} update"),
        "summary": format!("Envelope whose `data` is the state of item {i}."),
        "payload": {
            "allOf": [
                { "$ref": "#/components/schemas/Envelope" },
                {
                    "type": "object",
                    "properties": {
                        "header": {
                            "type": "object",
                            "required": ["channel"],
                            "properties": { "channel": { "const": address } }
                        },
                        "data": { "$ref": format!("#/components/schemas/{record}") }
                    }
                }
            ]
        },
        "examples": [{
            "name": "typical",
            "payload": {
                "header": { "type": "API", "api_version": "v1", "channel": address },
                "data": {
                    "id": format!("it_{i:05}"),
                    "seq": i,
                    "created_at": "2026-01-02T03:04:05Z",
                    "kind": format!("alpha{i}"),
                    "score": 0.5,
                    "active": true,
                    "comment": null,
                    "labels": ["a", "b"],
                    "counts": [1, 2, 3],
                    "location": { "lat": 47.37, "lon": 8.54 },
                    "price": { "amount": 12.5, "currency": "CHF" },
                    "tags": [{ "key": "k", "value": "v" }],
                    "state": "ACTIVE",
                    "details": { "level": 2, "flags": ["x"], "sub": { "a": 1.5, "b": "on" } }
                }
            }
        }]
    })
}

/// Block-style YAML. Strings are written as JSON strings (a valid YAML double-quoted scalar), so
/// values such as `on`, `null` or `1.0` stay strings; keys are quoted unless plainly safe.
fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                out.push_str(&pad);
                out.push_str(&yaml_key(key));
                out.push(':');
                if is_block(v) {
                    out.push('\n');
                    write_yaml(v, indent + 2, out);
                } else {
                    out.push(' ');
                    out.push_str(&scalar(v));
                    out.push('\n');
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                if is_block(item) {
                    // Write the item two columns in, then turn its first indent into the dash.
                    let mut nested = String::new();
                    write_yaml(item, indent + 2, &mut nested);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&nested[indent + 2..]);
                } else {
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn is_block(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

fn yaml_key(key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { key.to_owned() } else { Value::String(key.to_owned()).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_deterministic_and_the_generator_accepts_it() {
        let text = document(3);
        assert!(text.contains("address: \"fleet/g02/item00002\""), "{text}");
        assert_eq!(text, document(3), "the document depends only on n");
        let dir = crate::workspace_root().join("target/bench/test");
        std::fs::create_dir_all(&dir).expect("target/ is writable");
        let path = dir.join("synth-3.yaml");
        std::fs::write(&path, &text).expect("target/ is writable");
        let generated = asyncapi_codegen::generate(&asyncapi_codegen::Settings::new(&path).with_crate_name("synth-3"))
            .expect("the synthetic document generates");
        let messages = generated.files.get(std::path::Path::new("src/messages.rs"));
        assert!(messages.is_some_and(|m| m.contains("fleet/g02/item00002")), "messages.rs routes every channel");
    }

    #[test]
    fn nested_sequences_of_maps_are_indented_under_their_dash() {
        let mut out = String::new();
        write_yaml(&json!({ "a": [{ "b": 1, "c": [2] }] }), 0, &mut out);
        assert_eq!(out, "a:\n  - b: 1\n    c:\n      - 2\n");
    }
}
