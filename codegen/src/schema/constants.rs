//! Members pinned to one value (`const`, or an `enum` of one value) become definitions of their
//! own, which the `types` stage writes as zero-sized types: the value is part of the type, so a
//! decoded member can only be that value and a message built in Rust writes it by itself.
//!
//! Only string, boolean and number constants are hoisted; `null`, objects and arrays keep the
//! type typify gives them (they are rare as members, and an object or array constant would need
//! a deep comparison the runtime's constant check does not make).
//!
//! Runs after `presence::hoist_property_objects`, so every object written inline as a property is
//! a definition by then and its members are reached here.

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Keys a constant's schema may carry besides the value: annotations, and checks the constant
/// already satisfies or contradicts (a contradiction is the document's problem, not a type).
const CONSTANT_KEYS: &[&str] = &[
    "type",
    "enum",
    "const",
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
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// A hoisted constant: the definition's name and the value.
pub type Constants = Vec<(String, Value)>;

/// The value `schema` pins its instance to, when it is a string, boolean or number and the
/// schema says nothing else that a type would express.
pub fn constant_value(schema: &Value) -> Option<&Value> {
    let map = schema.as_object()?;
    let value = match (map.get("const"), map.get("enum").and_then(Value::as_array).map(Vec::as_slice)) {
        (Some(c), None) => c,
        (None, Some([one])) => one,
        (Some(c), Some([one])) if c == one => c,
        _ => return None,
    };
    let scalar = matches!(value, Value::String(_) | Value::Bool(_) | Value::Number(_));
    let only_annotations = map.keys().all(|k| CONSTANT_KEYS.contains(&k.as_str()) || k.starts_with("x-"));
    (scalar && only_annotations && type_admits(map.get("type"), value)).then_some(value)
}

/// Whether a `type` keyword (absent, a name or a list of names) admits `value`.
pub fn type_admits(ty: Option<&Value>, value: &Value) -> bool {
    let admits = |t: &str| match t {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    };
    match ty {
        None => true,
        Some(Value::String(t)) => admits(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(admits),
        Some(_) => false,
    }
}

/// Gives every constant member of an object definition its own definition, named as typify
/// names an inline type (`<Parent><Property>`, a number added when taken); the member refers to
/// it. A definition that is a constant itself is one too. Returns the constant definitions with
/// their values, in the order they were found.
pub fn hoist_constants(defs: &mut IndexMap<String, Value>) -> Constants {
    let mut found = Vec::new();
    let names: Vec<String> = defs.keys().cloned().collect();
    for parent in names {
        // A definition that is itself a constant (a shared `{const: ping}` that members refer to).
        if let Some(value) = defs.get(&parent).and_then(constant_value).cloned() {
            let def = definition(&defs[&parent], &value);
            defs.insert(parent.clone(), def);
            found.push((parent, value));
            continue;
        }
        let Some(Value::Object(props)) = defs.get(&parent).and_then(|s| s.get("properties")) else { continue };
        let pinned: Vec<(String, Value)> = props
            .iter()
            .filter(|(_, schema)| constant_value(schema).is_some())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (prop, schema) in pinned {
            let name = free_name(defs, &format!("{parent}{}", crate::naming::type_name(&prop)));
            let Some(value) = constant_value(&schema).cloned() else { continue };
            let reference = serde_json::json!({ "$ref": format!("#/definitions/{name}") });
            if let Some(Value::Object(props)) = defs.get_mut(&parent).and_then(|s| s.get_mut("properties")) {
                props.insert(prop, reference);
            }
            defs.insert(name.clone(), definition(&schema, &value));
            found.push((name, value));
        }
    }
    found
}

/// `base`, or `base2`, `base3`, ... when a definition of that name exists.
fn free_name(defs: &IndexMap<String, Value>, base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while defs.contains_key(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// The hoisted definition: the constant with the member's description and title.
fn definition(schema: &Value, value: &Value) -> Value {
    let mut def = Map::new();
    for key in ["description", "title"] {
        if let Some(text) = schema.get(key).filter(|v| v.is_string()) {
            def.insert(key.into(), text.clone());
        }
    }
    def.insert("enum".into(), Value::Array(vec![value.clone()]));
    Value::Object(def)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn constant_members_become_definitions_and_others_stay() {
        let mut d: IndexMap<String, Value> = IndexMap::from([
            (
                "Ping".to_owned(),
                json!({"type": "object", "required": ["event"], "properties": {
                    "event": {"type": "string", "enum": ["ping"], "description": "Always ping."},
                    "version": {"const": 2},
                    "flag": {"enum": [true]},
                    "nothing": {"enum": [null]},
                    "nullable": {"type": ["string", "null"], "enum": ["x"]},
                    "side": {"type": "string", "enum": ["buy", "sell"]},
                    "mismatch": {"type": "integer", "enum": ["x"]}
                }}),
            ),
            ("PingEvent".to_owned(), json!({"type": "string"})),
            ("Shared".to_owned(), json!({"const": "s", "description": "Shared."})),
        ]);
        let found = hoist_constants(&mut d);
        assert_eq!(
            found,
            vec![
                ("PingEvent2".to_owned(), json!("ping")),
                ("PingVersion".to_owned(), json!(2)),
                ("PingFlag".to_owned(), json!(true)),
                ("PingNullable".to_owned(), json!("x")),
                ("Shared".to_owned(), json!("s")),
            ]
        );
        assert_eq!(d["Shared"], json!({"description": "Shared.", "enum": ["s"]}));
        let props = &d["Ping"]["properties"];
        assert_eq!(props["event"], json!({"$ref": "#/definitions/PingEvent2"}));
        assert_eq!(d["PingEvent2"], json!({"description": "Always ping.", "enum": ["ping"]}));
        assert_eq!(props["nothing"], json!({"enum": [null]}));
        assert_eq!(props["side"]["enum"], json!(["buy", "sell"]));
        assert_eq!(props["mismatch"]["enum"], json!(["x"]));
    }
}
