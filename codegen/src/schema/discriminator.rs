//! Polymorphism by `discriminator`: a base schema whose `discriminator` names a property, and
//! subtypes (schemas that `allOf` the base, the base's `oneOf`/`anyOf` entries, or the targets of
//! an OpenAPI-style `mapping`) told apart by that property's value.
//!
//! The base becomes a tagged enum over its subtypes (see `types`); here the bundled definitions
//! are rewritten so that nothing refers back through the hierarchy: each subtype's `allOf`
//! reference to the base becomes the base's own part (its properties, without the list of
//! subtypes), and the base itself becomes its own part plus, per subtype, "if the property has
//! this tag, the value is that subtype" (which is what examples are checked against).

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One base and its subtypes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hierarchy {
    /// The base's definition name.
    pub base: String,
    /// The discriminating property.
    pub property: String,
    /// (tag, subtype definition name), in document order.
    pub variants: Vec<(String, String)>,
}

/// The property a schema's `discriminator` names (AsyncAPI: a string; OpenAPI: `propertyName`).
pub fn property(schema: &Value) -> Option<&str> {
    match schema.get("discriminator")? {
        Value::String(p) => Some(p),
        other => other.get("propertyName").and_then(Value::as_str),
    }
}

/// The base's own part: the base without its subtypes and discriminator.
pub fn own_part(defs: &IndexMap<String, Value>, hierarchy: &Hierarchy) -> Value {
    let Some(Value::Object(base)) = defs.get(&hierarchy.base) else { return Value::Object(Map::new()) };
    let subtype_refs: Vec<Value> = hierarchy.variants.iter().map(|(_, name)| reference(name)).collect();
    let mut own = Map::new();
    for (key, value) in base {
        let lists_subtypes = matches!(key.as_str(), "oneOf" | "anyOf")
            && value.as_array().is_some_and(|alts| alts.iter().all(|a| subtype_refs.contains(a)));
        if !lists_subtypes && key != "discriminator" {
            own.insert(key.clone(), value.clone());
        }
    }
    Value::Object(own)
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{name}") })
}

/// Rewrites `defs` so that the hierarchies hold no cycle (see the module documentation).
pub fn rewrite(defs: &mut IndexMap<String, Value>, hierarchies: &[Hierarchy]) {
    for hierarchy in hierarchies {
        let own = own_part(defs, hierarchy);
        let base_ref = reference(&hierarchy.base);
        for (_, subtype) in &hierarchy.variants {
            if let Some(Value::Array(parts)) = defs.get_mut(subtype).and_then(|s| s.get_mut("allOf")) {
                for part in parts.iter_mut().filter(|p| **p == base_ref) {
                    *part = own.clone();
                }
            }
        }
        let mut cases = vec![own];
        for (tag, subtype) in &hierarchy.variants {
            cases.push(json!({
                "if": { "properties": { hierarchy.property.as_str(): { "const": tag } }, "required": [hierarchy.property] },
                "then": reference(subtype),
            }));
        }
        let mut base = Map::new();
        for key in ["title", "description"] {
            if let Some(text) = defs.get(&hierarchy.base).and_then(|b| b.get(key)) {
                base.insert(key.into(), text.clone());
            }
        }
        base.insert("allOf".into(), Value::Array(cases));
        defs.insert(hierarchy.base.clone(), Value::Object(base));
    }
}

/// The base's own part from its rewritten definition (the first `allOf` member).
pub fn rewritten_own_part(base: &Value) -> Value {
    base.get("allOf").and_then(|a| a.get(0)).cloned().unwrap_or_else(|| Value::Object(Map::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hierarchy_no_longer_refers_back_and_still_checks_each_subtype() {
        let mut defs: IndexMap<String, Value> = IndexMap::from([
            (
                "Pet".to_owned(),
                json!({"type": "object", "discriminator": "petType", "required": ["petType"],
                       "properties": {"petType": {"type": "string"}}, "oneOf": [reference("Cat")]}),
            ),
            ("Cat".to_owned(), json!({"allOf": [reference("Pet"), {"properties": {"hunts": {"type": "boolean"}}}]})),
        ]);
        let h =
            Hierarchy { base: "Pet".into(), property: "petType".into(), variants: vec![("Cat".into(), "Cat".into())] };
        rewrite(&mut defs, &[h]);
        let own = json!({"type": "object", "required": ["petType"], "properties": {"petType": {"type": "string"}}});
        assert_eq!(defs["Cat"]["allOf"][0], own);
        assert_eq!(rewritten_own_part(&defs["Pet"]), own);
        assert_eq!(defs["Pet"]["allOf"][1]["then"], reference("Cat"));
        assert!(crate::schema::unmergeable(&defs).is_empty());
        let validator = jsonschema::draft7::new(
            &json!({"definitions": defs.into_iter().collect::<Map<String, Value>>(), "$ref": "#/definitions/Pet"}),
        )
        .expect("valid");
        assert!(validator.is_valid(&json!({"petType": "Cat", "hunts": true})));
        assert!(!validator.is_valid(&json!({"petType": "Cat", "hunts": "yes"})));
        assert!(validator.is_valid(&json!({"petType": "Fish"})), "an unlisted tag is the base's own business");
    }
}
