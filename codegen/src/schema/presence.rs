//! Rewrites that keep the presence of optional members visible in the Rust types, at every
//! level of nesting, so that a decoded message encodes back to the JSON it came from.
//!
//! - An object written inline as a property becomes a definition of its own, named as typify
//!   would name it (`<Parent><Property>`), so that the `types` stage sees its optional, nullable
//!   members as it sees those of a named object (three states, `Option<Option<T>>`).
//! - An optional property loses its `default`, which moves into its description: the field is
//!   `Option<T>`, `None` when the member was absent, instead of a `T` that re-encodes a value the
//!   sender never wrote (and typify's default functions no longer meet the three-state rewrite).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::resolve::DATA_KEYWORDS;

/// Gives every object schema written inline as the value of a property its own definition; the
/// property refers to it (`oneOf: [ref, null]` where it was nullable). Nested objects of the new
/// definitions are hoisted in turn.
pub fn hoist_property_objects(defs: &mut IndexMap<String, Value>) {
    let mut i = 0;
    while i < defs.len() {
        let Some((name, schema)) = defs.get_index(i).map(|(n, s)| (n.clone(), s.clone())) else { break };
        let mut schema = schema;
        let mut new_defs = Vec::new();
        hoist_from(&mut schema, &name, defs, &mut new_defs);
        if !new_defs.is_empty() {
            defs.insert(name, schema);
            defs.extend(new_defs);
        }
        i += 1;
    }
}

fn hoist_from(schema: &mut Value, parent: &str, defs: &IndexMap<String, Value>, new_defs: &mut Vec<(String, Value)>) {
    let Some(Value::Object(props)) = schema.get_mut("properties") else { return };
    for (prop, slot) in props.iter_mut() {
        let mut base = format!("{parent}{}", crate::naming::type_name(prop));
        // The items of an array written in place: `<Parent><Property>Item`.
        let slot = if is_array(slot) && slot.get("items").is_some_and(Value::is_object) {
            base.push_str("Item");
            &mut slot["items"]
        } else {
            slot
        };
        let Some(nullable) = inline_object(slot) else { continue };
        let mut name = base.clone();
        let mut n = 2;
        while defs.contains_key(&name) || new_defs.iter().any(|(d, _)| *d == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        let mut def = std::mem::take(slot);
        if nullable && let Some(map) = def.as_object_mut() {
            map.insert("type".into(), Value::String("object".into()));
        }
        let reference = serde_json::json!({ "$ref": format!("#/definitions/{name}") });
        *slot = if nullable { serde_json::json!({ "oneOf": [reference, { "type": "null" }] }) } else { reference };
        new_defs.push((name, def));
    }
}

/// Whether `schema` is an array schema (`type: array`, or nullable).
fn is_array(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.contains(&"array".into()),
        _ => false,
    }
}

/// Whether `schema` is a plain object schema written in place (`Some(nullable)`): it declares
/// properties, is not a reference, and combines nothing.
fn inline_object(schema: &Value) -> Option<bool> {
    let map = schema.as_object()?;
    let declares = map.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
    let combines = ["$ref", "allOf", "anyOf", "oneOf", "not", "if", "enum", "const", "discriminator"]
        .iter()
        .any(|k| map.contains_key(*k));
    if !declares || combines {
        return None;
    }
    match map.get("type") {
        None => Some(false),
        Some(Value::String(t)) if t == "object" => Some(false),
        Some(Value::Array(ts)) if ts.len() == 2 && ts.contains(&"object".into()) && ts.contains(&"null".into()) => {
            Some(true)
        }
        _ => None,
    }
}

/// Moves the `default` of every optional property, at any depth, into its description.
pub fn document_optional_defaults(defs: &mut IndexMap<String, Value>) {
    for schema in defs.values_mut() {
        document_in(schema, 0);
    }
}

fn document_in(schema: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match schema {
        Value::Object(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                for (key, prop) in props.iter_mut() {
                    if !required.contains(key)
                        && let Value::Object(p) = prop
                    {
                        move_default_to_description(p);
                    }
                }
            }
            for (key, child) in map.iter_mut() {
                if !DATA_KEYWORDS.contains(&key.as_str()) {
                    document_in(child, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| document_in(i, depth + 1)),
        _ => {}
    }
}

fn move_default_to_description(schema: &mut Map<String, Value>) {
    let Some(default) = schema.remove("default") else { return };
    let note = format!("When absent, the default is `{default}`.");
    let description = match schema.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => format!("{}\n\n{note}", d.trim_end()),
        _ => note,
    };
    schema.insert("description".into(), Value::String(description));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn defs(pairs: &[(&str, Value)]) -> IndexMap<String, Value> {
        pairs.iter().map(|(n, s)| ((*n).to_owned(), s.clone())).collect()
    }

    #[test]
    fn inline_objects_become_definitions_named_after_their_parent() {
        let mut d = defs(&[(
            "Outer",
            json!({"type": "object", "properties": {
                "inner": {"type": "object", "properties": {"deep": {"type": "object", "properties": {"x": {"type": "string"}}}}},
                "maybe": {"type": ["object", "null"], "properties": {"y": {"type": "integer"}}},
                "plain": {"type": "string"}
            }}),
        )]);
        hoist_property_objects(&mut d);
        let names: Vec<&str> = d.keys().map(String::as_str).collect();
        assert_eq!(names, ["Outer", "OuterInner", "OuterMaybe", "OuterInnerDeep"]);
        assert_eq!(d["Outer"]["properties"]["inner"], json!({"$ref": "#/definitions/OuterInner"}));
        assert_eq!(
            d["Outer"]["properties"]["maybe"],
            json!({"oneOf": [{"$ref": "#/definitions/OuterMaybe"}, {"type": "null"}]})
        );
        assert_eq!(d["OuterMaybe"]["type"], "object");
        assert_eq!(d["OuterInner"]["properties"]["deep"], json!({"$ref": "#/definitions/OuterInnerDeep"}));
        assert_eq!(d["Outer"]["properties"]["plain"], json!({"type": "string"}));
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let mut d = defs(&[
            ("A", json!({"properties": {"b": {"properties": {"x": {"type": "string"}}}}})),
            ("AB", json!({"type": "string"})),
        ]);
        hoist_property_objects(&mut d);
        assert_eq!(d["A"]["properties"]["b"], json!({"$ref": "#/definitions/AB2"}));
    }

    #[test]
    fn optional_defaults_move_into_the_description_and_required_ones_stay() {
        let mut d = defs(&[(
            "A",
            json!({"type": "object", "required": ["r"], "properties": {
                "r": {"type": "integer", "default": 1},
                "o": {"type": "integer", "default": 2, "description": "Count."},
                "n": {"type": "object", "properties": {"p": {"type": "string", "default": "x"}}}
            }}),
        )]);
        document_optional_defaults(&mut d);
        assert_eq!(d["A"]["properties"]["r"]["default"], 1);
        assert_eq!(
            d["A"]["properties"]["o"],
            json!({"type": "integer", "description": "Count.\n\nWhen absent, the default is `2`."})
        );
        assert_eq!(d["A"]["properties"]["n"]["properties"]["p"]["description"], "When absent, the default is `\"x\"`.");
    }
}
