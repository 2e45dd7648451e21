//! Members that an `allOf` pins to a constant, merged so that the constant reaches the type.
//!
//! A message typically narrows a shared schema: `allOf: [{$ref: Envelope}, {properties: {header:
//! {properties: {channel: {const: vehicle/status}}}}}]`. Flattening that `allOf` gives `header`
//! two parts, the shared `EnvelopeHeader` and the inline object that pins `channel`; and
//! `channel` two parts, `{type: string}` and the constant. Left as an `allOf`, typify would merge
//! them into a type of its own (or the constant would be dropped to share one header type), so
//! the message type would not carry its constant. Here:
//!
//! - parts that are one constant plus plain schemas of a type that admits it become the constant
//!   (with the first description found), which `constants` then makes a zero-sized type;
//! - a reference to an object definition plus inline objects that pin some of its members become
//!   one inline object: the definition's own schema merged with them. The merged object is then
//!   hoisted as `<Parent><Property>` (`VehicleStatusPayloadHeader`) by the presence rewrite.
//!
//! The second rule only follows a reference when an inline part pins something, and recurses
//! only into members that inline parts constrain, so the work is bounded by the inline parts the
//! document wrote (and by the normaliser's nesting bound).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::constants::{constant_value, type_admits};

/// Keys a plain scalar schema may carry and still be merged into a constant.
const PLAIN_KEYS: &[&str] = &[
    "type",
    "description",
    "title",
    "examples",
    "example",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "default",
    "format",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
];

/// One constant for `parts` that are a single constant value and plain schemas whose `type`
/// admits it; `None` otherwise.
pub(super) fn merged_constant(parts: &[&Value]) -> Option<Value> {
    let mut value: Option<&Value> = None;
    for part in parts {
        if let Some(v) = constant_value(part) {
            if value.is_some_and(|seen| seen != v) {
                return None;
            }
            value = Some(v);
        }
    }
    let value = value?;
    for part in parts {
        let map = part.as_object()?;
        let plain = map.keys().all(|k| PLAIN_KEYS.contains(&k.as_str()) || k.starts_with("x-"));
        if constant_value(part).is_none() && (!plain || !type_admits(map.get("type"), value)) {
            return None;
        }
    }
    let mut out = Map::new();
    for key in ["description", "title"] {
        if let Some(text) = parts.iter().find_map(|p| p.get(key).filter(|v| v.is_string())) {
            out.insert(key.into(), text.clone());
        }
    }
    if let Some(ty) = parts.iter().find_map(|p| p.get("type").filter(|t| t.is_string())) {
        out.insert("type".into(), ty.clone());
    }
    out.insert("enum".into(), Value::Array(vec![value.clone()]));
    Some(Value::Object(out))
}

/// Whether an inline schema pins a member to a constant, at any depth of inline objects.
fn pins_constant(schema: &Value, depth: usize) -> bool {
    if depth > super::MAX_STEPS || schema.get("$ref").is_some() {
        return false;
    }
    schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|props| props.values().any(|p| constant_value(p).is_some() || pins_constant(p, depth + 1)))
}

/// For `parts` that are one reference to an object definition and inline objects of which one
/// pins a member to a constant: the `allOf` of the definition's own schema and the inline parts,
/// ready for the normaliser to flatten (it documents the result with the definition's
/// description). `None` when the parts are anything else.
pub(super) fn through_reference(defs: &IndexMap<String, Value>, parts: &[&Value]) -> Option<Value> {
    let (refs, inline): (Vec<&Value>, Vec<&Value>) = parts.iter().copied().partition(|p| p.get("$ref").is_some());
    let [reference] = refs.as_slice() else { return None };
    if inline.is_empty()
        || !inline.iter().all(|p| super::is_object_shaped(defs, p))
        || !inline.iter().any(|p| pins_constant(p, 0))
    {
        return None;
    }
    let target = super::deref(defs, reference);
    if target.get("$ref").is_some() || !super::is_object_shaped(defs, target) {
        return None;
    }
    let mut merged = Map::new();
    if let Some(text) = target.get("description").filter(|v| v.is_string()) {
        merged.insert("description".into(), text.clone());
    }
    let mut all = vec![target.clone()];
    all.extend(inline.into_iter().cloned());
    merged.insert("allOf".into(), Value::Array(all));
    Some(Value::Object(merged))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_constant_and_plain_schemas_of_its_type_merge_into_the_constant() {
        let plain = json!({"type": "string", "description": "Channel name."});
        let pinned = json!({"enum": ["vehicle/status"]});
        assert_eq!(
            merged_constant(&[&plain, &pinned]),
            Some(json!({"description": "Channel name.", "type": "string", "enum": ["vehicle/status"]}))
        );
        let number = json!({"type": "integer"});
        assert_eq!(merged_constant(&[&number, &pinned]), None, "a type that does not admit it");
        let other = json!({"const": "other"});
        assert_eq!(merged_constant(&[&other, &pinned]), None, "two different constants");
        let object = json!({"type": "string", "properties": {}});
        assert_eq!(merged_constant(&[&object, &pinned]), None, "not a plain schema");
    }

    #[test]
    fn a_reference_is_merged_only_with_inline_parts_that_pin_a_member() {
        let defs = IndexMap::from([(
            "Header".to_owned(),
            json!({"type": "object", "description": "Shared.", "required": ["channel"], "properties": {"channel": {"type": "string"}}}),
        )]);
        let reference = json!({"$ref": "#/definitions/Header"});
        let pinning = json!({"type": "object", "properties": {"channel": {"const": "a"}}});
        let merged = through_reference(&defs, &[&reference, &pinning]).expect("merged");
        assert_eq!(merged["description"], "Shared.");
        assert_eq!(merged["allOf"][0], defs["Header"]);
        assert_eq!(merged["allOf"][1], pinning);
        let loose = json!({"type": "object", "properties": {"channel": {"type": "string"}}});
        assert_eq!(through_reference(&defs, &[&reference, &loose]), None);
    }
}
