//! JSON Schema analysis on the bundled definitions: which required properties carry a constant
//! tag (for dispatch), and the normalisation that makes a schema easy for `typify`
//! (flattening `allOf` of objects with the constants they pin, keeping date-times as text).

mod constants;
pub mod depth;
pub mod discriminator;
mod merges;
mod pins;
mod presence;

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::resolve::DATA_KEYWORDS;

pub use constants::{Constants, hoist_constants};
pub use merges::unmergeable;
pub use presence::{document_optional_defaults, hoist_property_objects};

/// How deep into nested objects a dispatch tag is looked for (`header.channel` is depth 2).
const MAX_TAG_DEPTH: usize = 3;
/// How many `$ref`/`allOf` steps the analysis follows before giving up (cycles).
const MAX_STEPS: usize = 32;

/// Whether a message `schemaFormat` is (a version of) JSON Schema, the AsyncAPI schema format, or
/// the OpenAPI 3.0 Schema Object (JSON Schema with `nullable`, which the schema stage reads).
pub fn is_json_schema_format(format: &str) -> bool {
    let f = format.to_ascii_lowercase();
    f.starts_with("application/vnd.aai.asyncapi")
        || f.starts_with("application/vnd.oai.openapi")
        || f.starts_with("application/schema+json")
        || f.starts_with("application/schema+yaml")
        || f.starts_with("application/json")
}

/// The definition names that `schema` refers to (`#/definitions/<Name>`), outside data keywords.
pub fn references(schema: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(name) =
                    map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/"))
                {
                    out.push(name);
                }
                stack.extend(map.iter().filter(|(k, _)| !DATA_KEYWORDS.contains(&k.as_str())).map(|(_, v)| v));
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// The definitions that `name` reaches through references, itself included.
pub fn reachable<'a>(defs: &'a IndexMap<String, Value>, name: &'a str) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name];
    while let Some(n) = stack.pop() {
        let Some((key, schema)) = defs.get_key_value(n) else { continue };
        if out.insert(key.as_str()) {
            stack.extend(references(schema));
        }
    }
    out
}

/// The definition a `#/definitions/<Name>` reference points to.
fn deref<'a>(defs: &'a IndexMap<String, Value>, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..MAX_STEPS {
        match current.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
            Some(name) => match defs.get(name) {
                Some(next) => current = next,
                None => return current,
            },
            None => return current,
        }
    }
    current
}

/// The properties (each with all schemas that constrain it) and required names of an object
/// schema, looking through `$ref` and `allOf`.
fn object_view<'a>(
    defs: &'a IndexMap<String, Value>,
    schema: &'a Value,
) -> (Vec<String>, IndexMap<String, Vec<&'a Value>>) {
    let mut required = Vec::new();
    let mut props: IndexMap<String, Vec<&Value>> = IndexMap::new();
    let mut stack = vec![(schema, 0usize)];
    // Each schema is looked through once: an `allOf` that reaches itself (directly or through
    // others) adds nothing new the second time, and would otherwise multiply the work.
    let mut seen: std::collections::HashSet<*const Value> = std::collections::HashSet::new();
    while let Some((s, depth)) = stack.pop() {
        if depth > MAX_STEPS {
            continue;
        }
        let s = deref(defs, s);
        if !seen.insert(std::ptr::from_ref(s)) {
            continue;
        }
        if let Some(req) = s.get("required").and_then(Value::as_array) {
            required.extend(req.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        // The AsyncAPI schema object requires its `discriminator` property to be required;
        // documents that forget to list it still mean it.
        match s.get("discriminator") {
            Some(Value::String(p)) => required.push(p.clone()),
            Some(d) => required.extend(d.get("propertyName").and_then(Value::as_str).map(str::to_owned)),
            None => {}
        }
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                props.entry(k.clone()).or_default().push(v);
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for part in all.iter().rev() {
                stack.push((part, depth + 1));
            }
        }
    }
    (required, props)
}

/// The constant string a schema pins its value to (`const`, or an `enum` of one string).
fn constant(defs: &IndexMap<String, Value>, schema: &Value) -> Option<String> {
    constant_within(defs, schema, 0)
}

fn constant_within(defs: &IndexMap<String, Value>, schema: &Value, steps: usize) -> Option<String> {
    if steps > MAX_STEPS {
        return None;
    }
    let s = deref(defs, schema);
    if let Some(Value::String(c)) = s.get("const") {
        return Some(c.clone());
    }
    match s.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
        Some([Value::String(one)]) => Some(one.clone()),
        _ => s.get("allOf").and_then(Value::as_array)?.iter().find_map(|p| constant_within(defs, p, steps + 1)),
    }
}

/// Every required property path (up to `MAX_TAG_DEPTH` deep) whose value the schema `name`
/// pins to a constant string, with that string.
pub fn tags(defs: &IndexMap<String, Value>, name: &str) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    if let Some(schema) = defs.get(name) {
        collect_tags(defs, schema, &mut Vec::new(), &mut out);
    }
    out
}

fn collect_tags(
    defs: &IndexMap<String, Value>,
    schema: &Value,
    path: &mut Vec<String>,
    out: &mut BTreeMap<Vec<String>, String>,
) {
    if path.len() >= MAX_TAG_DEPTH {
        return;
    }
    let (required, props) = object_view(defs, schema);
    for (key, parts) in props {
        if !required.contains(&key) {
            continue;
        }
        path.push(key);
        if let Some(value) = parts.iter().find_map(|p| constant(defs, p)) {
            out.insert(path.clone(), value);
        } else {
            for part in parts {
                collect_tags(defs, part, path, out);
            }
        }
        path.pop();
    }
}

/// Per definition, the properties moved into the additional-properties map.
pub type MovedProperties = Vec<(String, Vec<String>)>;

/// Normalises every definition for `typify`; returns the definitions and, per definition, the
/// property names that had to move into the additional-properties map (see
/// `separate_colliding_properties`).
pub fn normalize(defs: &IndexMap<String, Value>) -> (IndexMap<String, Value>, MovedProperties) {
    let mut moved = Vec::new();
    let out = defs
        .iter()
        .map(|(name, schema)| {
            let mut schema = normalize_schema(defs, schema, 0);
            let mut names = Vec::new();
            separate_colliding_properties(&mut schema, &mut names);
            if !names.is_empty() {
                moved.push((name.clone(), names));
            }
            (name.clone(), schema)
        })
        .collect();
    (out, moved)
}

/// Applies the unknown-fields policy to every object schema that declares properties and says
/// nothing more specific about undeclared members: `additionalProperties` absent or `true` (a
/// `false` or a schema written in the document wins).
pub fn apply_unknown_fields(defs: &mut IndexMap<String, Value>, policy: crate::ir::UnknownFields) {
    let extra = match policy {
        crate::ir::UnknownFields::Ignore => return,
        crate::ir::UnknownFields::Capture => Value::Object(Map::new()),
        crate::ir::UnknownFields::Deny => Value::Bool(false),
    };
    for schema in defs.values_mut() {
        set_unknown_fields(schema, &extra, 0);
    }
}

fn set_unknown_fields(schema: &mut Value, extra: &Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match schema {
        Value::Object(map) => {
            let open = matches!(map.get("additionalProperties"), None | Some(Value::Bool(true)));
            if map.contains_key("properties") && open && !map.contains_key("allOf") {
                map.insert("additionalProperties".into(), extra.clone());
            }
            for (key, child) in map.iter_mut() {
                if !DATA_KEYWORDS.contains(&key.as_str()) {
                    set_unknown_fields(child, extra, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| set_unknown_fields(i, extra, depth + 1)),
        _ => {}
    }
}

/// The coarsest form of a property name that any Rust field naming keeps apart: two properties
/// with the same key (`self` and `Self`, `a_b` and `aB`) would become the same field.
fn field_key(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Where two properties of one object would become the same Rust field, the later one (in
/// document order) leaves `properties` and is kept, losslessly, in the object's map of
/// additional properties instead.
fn separate_colliding_properties(schema: &mut Value, moved: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            let mut removed = Vec::new();
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                let mut seen = std::collections::HashSet::new();
                let colliding: Vec<String> = props.keys().filter(|k| !seen.insert(field_key(k))).cloned().collect();
                for key in colliding {
                    if let Some(v) = props.shift_remove(&key) {
                        removed.push((key, v));
                    }
                }
            }
            if !removed.is_empty() {
                let extra = match map.get("additionalProperties") {
                    Some(Value::Object(s)) => Value::Object(s.clone()),
                    _ => Value::Object(Map::new()),
                };
                map.insert("additionalProperties".into(), extra);
                if let Some(Value::Array(required)) = map.get_mut("required") {
                    required.retain(|r| !removed.iter().any(|(k, _)| r.as_str() == Some(k.as_str())));
                }
                moved.extend(removed.into_iter().map(|(k, _)| k));
            }
            for (key, child) in map.iter_mut() {
                if !DATA_KEYWORDS.contains(&key.as_str()) {
                    separate_colliding_properties(child, moved);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| separate_colliding_properties(i, moved)),
        _ => {}
    }
}

fn normalize_schema(defs: &IndexMap<String, Value>, schema: &Value, depth: usize) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if depth > 64 {
        return schema.clone();
    }
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => match value {
                Value::Object(props) => Value::Object(
                    props.iter().map(|(k, v)| (k.clone(), normalize_schema(defs, v, depth + 1))).collect(),
                ),
                other => other.clone(),
            },
            "items" | "additionalProperties" | "additionalItems" | "contains" | "propertyNames" => match value {
                Value::Array(items) => {
                    Value::Array(items.iter().map(|v| normalize_schema(defs, v, depth + 1)).collect())
                }
                other => normalize_schema(defs, other, depth + 1),
            },
            // typify makes an `anyOf` a struct of optional flattened members, which cannot hold a
            // string or a number; an `anyOf` with such a member is decoded as its first matching
            // alternative instead, which accepts every value the `anyOf` accepts.
            "anyOf"
                if !map.contains_key("oneOf")
                    && value.as_array().is_some_and(|alts| alts.iter().any(|a| !is_object_shaped(defs, a))) =>
            {
                let alts = value.as_array().map(|a| a.iter().map(|v| normalize_schema(defs, v, depth + 1)).collect());
                out.insert("oneOf".into(), Value::Array(alts.unwrap_or_default()));
                continue;
            }
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(items) => {
                    Value::Array(items.iter().map(|v| normalize_schema(defs, v, depth + 1)).collect())
                }
                other => other.clone(),
            },
            // Real APIs send date-times that are not RFC 3339 (`+0000` offsets); keep them as text.
            "format" if matches!(value.as_str(), Some("date-time" | "date" | "time")) => continue,
            // Conditional schemas validate; they describe no type (typify panics on them). The
            // value is typed by the rest of its schema; `types` reports what was dropped.
            "if" | "then" | "else" | "not" => continue,
            // `const: v` is `enum: [v]`; typify recognises tagged unions only in the second form.
            "const" if !map.contains_key("enum") => {
                out.insert("enum".into(), Value::Array(vec![value.clone()]));
                continue;
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    loosen_tuple(&mut out);
    open_pattern_properties(&mut out);
    drop_nonconforming_default(&mut out);
    let out = Value::Object(out);
    flatten_all_of(defs, &out, depth).unwrap_or(out)
}

/// A `default` that contradicts the schema's own `type` or `enum` (`type: boolean` with
/// `default: 'false'`, seen in published documents) is dropped: typify rejects the whole schema
/// otherwise, and a default is documentation for a client.
fn drop_nonconforming_default(schema: &mut Map<String, Value>) {
    let Some(default) = schema.get("default") else { return };
    let type_ok = match schema.get("type") {
        Some(Value::String(t)) => fits_type(t, default),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(|t| fits_type(t, default)),
        _ => true,
    };
    let enum_ok = schema.get("enum").and_then(Value::as_array).is_none_or(|e| e.contains(default));
    if !type_ok || !enum_ok || !default_validates(schema, default) {
        schema.remove("default");
    }
}

/// Whether `default` satisfies the rest of its own schema (`minimum`, `items`, `pattern`, ...),
/// checked when the schema stands alone (no `$ref` inside): typify rejects a schema whose
/// default does not (`value does not conform to the given schema`).
fn default_validates(schema: &Map<String, Value>, default: &Value) -> bool {
    let mut rest = schema.clone();
    rest.remove("default");
    let rest = Value::Object(rest);
    if !references(&rest).is_empty() {
        return true;
    }
    match jsonschema::draft7::options().should_validate_formats(false).build(&rest) {
        Ok(validator) => validator.is_valid(default),
        Err(_) => true,
    }
}

fn fits_type(t: &str, v: &Value) -> bool {
    match t {
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// The values of a string enum that should stay open (two or more strings, optionally `null`),
/// and whether `null` is one of them. Single-value enums are tags and stay closed.
fn open_enum_values(schema: &Value) -> Option<(Vec<String>, bool)> {
    let map = schema.as_object()?;
    let values = map.get("enum")?.as_array()?;
    let type_ok = match map.get("type") {
        None => true,
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().all(|t| matches!(t.as_str(), Some("string" | "null"))),
        Some(_) => false,
    };
    let structural = ["properties", "items", "oneOf", "anyOf", "allOf", "$ref", "pattern"];
    if !type_ok || structural.iter().any(|k| map.contains_key(*k)) {
        return None;
    }
    let nullable = values.iter().any(Value::is_null);
    let strings: Vec<String> = values.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    (strings.len() >= 2 && strings.len() + usize::from(nullable) == values.len()).then_some((strings, nullable))
}

/// The open string enums of a set of definitions, as (definition name, values).
pub type OpenEnums = Vec<(String, Vec<String>)>;

/// Gives every string enum of two or more values its own definition (`<Parent><Property>` for
/// one written inline), so that the `types` stage can make it an open enum; returns them.
pub fn hoist_open_enums(defs: &mut IndexMap<String, Value>) -> OpenEnums {
    let mut found = Vec::new();
    let names: Vec<String> = defs.keys().cloned().collect();
    for name in names {
        let Some(mut schema) = defs.get(&name).cloned() else { continue };
        if let Some((values, _)) = open_enum_values(&schema) {
            if let Some(obj) = schema.as_object_mut() {
                obj.insert("type".into(), Value::String("string".into()));
                obj.insert("enum".into(), Value::Array(values.iter().cloned().map(Value::String).collect()));
            }
            defs.insert(name.clone(), schema);
            found.push((name, values));
            continue;
        }
        let mut new_defs = Vec::new();
        hoist_in(&mut schema, &name, defs, &mut new_defs, 0);
        defs.insert(name, schema);
        for (n, def, values) in new_defs {
            defs.insert(n.clone(), def);
            found.push((n, values));
        }
    }
    found
}

fn hoist_in(
    schema: &mut Value,
    parent: &str,
    defs: &IndexMap<String, Value>,
    new_defs: &mut Vec<(String, Value, Vec<String>)>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let Some(map) = schema.as_object_mut() else { return };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (prop, sub) in props.iter_mut() {
            let base = format!("{parent}{}", crate::naming::type_name(prop));
            hoist_slot(sub, &base, defs, new_defs, depth);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = map.get_mut(key).filter(|s| s.is_object()) {
            hoist_slot(sub, &format!("{parent}Item"), defs, new_defs, depth);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(parts)) = map.get_mut(key) {
            for part in parts {
                hoist_in(part, parent, defs, new_defs, depth + 1);
            }
        }
    }
}

/// Replaces the open enum at `slot` with a reference to a new definition named after `base`, or
/// looks inside it for more.
fn hoist_slot(
    slot: &mut Value,
    base: &str,
    defs: &IndexMap<String, Value>,
    new_defs: &mut Vec<(String, Value, Vec<String>)>,
    depth: usize,
) {
    let Some((values, nullable)) = open_enum_values(slot) else {
        hoist_in(slot, base, defs, new_defs, depth + 1);
        return;
    };
    let mut name = base.to_owned();
    let mut n = 2;
    while defs.contains_key(&name) || new_defs.iter().any(|(d, _, _)| *d == name) {
        name = format!("{base}{n}");
        n += 1;
    }
    let mut def = Map::new();
    for key in ["description", "title"] {
        if let Some(v) = slot.get(key) {
            def.insert(key.into(), v.clone());
        }
    }
    def.insert("type".into(), Value::String("string".into()));
    def.insert("enum".into(), Value::Array(values.iter().cloned().map(Value::String).collect()));
    let reference = serde_json::json!({ "$ref": format!("#/definitions/{name}") });
    *slot = if nullable { serde_json::json!({ "oneOf": [reference, { "type": "null" }] }) } else { reference };
    new_defs.push((name, Value::Object(def), values));
}

/// `patternProperties` on an object whose other members are unconstrained (`additionalProperties`
/// absent or `true`): typify makes a map whose keys must match a pattern, which refuses the valid
/// object `{"other": 1}`. The values become "one of the pattern schemas, else any value" under
/// every key, which decodes every valid object and still types the values that match.
fn open_pattern_properties(schema: &mut Map<String, Value>) {
    if !matches!(schema.get("additionalProperties"), None | Some(Value::Bool(true))) {
        return;
    }
    let Some(Value::Object(patterns)) = schema.get("patternProperties") else { return };
    let mut alternatives: Vec<Value> = patterns.values().cloned().collect();
    alternatives.push(Value::Object(Map::new()));
    schema.remove("patternProperties");
    schema.insert("additionalProperties".into(), serde_json::json!({ "oneOf": alternatives }));
}

/// A tuple (`items` as a list) becomes a Rust tuple only when its length is fixed; otherwise
/// (typify rejects it) the array keeps every element as a JSON value, or as the one element
/// schema when all positions share it.
fn loosen_tuple(schema: &mut Map<String, Value>) {
    let Some(Value::Array(items)) = schema.get("items") else { return };
    let len = items.len() as u64;
    let fixed = schema.get("minItems").and_then(Value::as_u64) == Some(len)
        && schema.get("maxItems").and_then(Value::as_u64) == Some(len);
    if fixed {
        return;
    }
    let shared = match items.split_first() {
        Some((first, rest)) if rest.iter().all(|i| i == first) => first.clone(),
        _ => Value::Object(Map::new()),
    };
    schema.insert("items".into(), shared);
    schema.remove("additionalItems");
}

/// The definitions that use a keyword the types cannot express (`if`/`then`/`else`, `not`).
pub fn untyped_keywords(defs: &IndexMap<String, Value>) -> Vec<(String, &'static str)> {
    fn uses(schema: &Value, depth: usize) -> bool {
        if depth > 64 {
            return false;
        }
        match schema {
            Value::Object(map) => {
                map.contains_key("if")
                    || map.contains_key("not")
                    || map.iter().any(|(k, v)| !DATA_KEYWORDS.contains(&k.as_str()) && uses(v, depth + 1))
            }
            Value::Array(items) => items.iter().any(|v| uses(v, depth + 1)),
            _ => false,
        }
    }
    defs.iter().filter(|(_, s)| uses(s, 0)).map(|(n, _)| (n.clone(), "if/then/else or not")).collect()
}

/// Per object definition, the properties that are optional and may be `null`.
pub fn optional_nullable(defs: &IndexMap<String, Value>) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for (name, schema) in defs {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else { continue };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let set: std::collections::BTreeSet<String> = props
            .iter()
            .filter(|(k, v)| !required.contains(&k.as_str()) && is_nullable(defs, v))
            .map(|(k, _)| k.clone())
            .collect();
        if !set.is_empty() {
            out.insert(name.clone(), set);
        }
    }
    out
}

/// Whether a schema admits `null` (`type` with `"null"`, a `null` alternative, `nullable: true`).
fn is_nullable(defs: &IndexMap<String, Value>, schema: &Value) -> bool {
    let s = deref(defs, schema);
    let null_type = |v: &Value| match v.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    null_type(s)
        || s.get("nullable") == Some(&Value::Bool(true))
        || s.get("enum").and_then(Value::as_array).is_some_and(|e| e.contains(&Value::Null))
        || ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| s.get(*k).and_then(Value::as_array))
            .any(|alts| alts.iter().any(|a| null_type(deref(defs, a))))
}

/// Whether a schema only annotates (no constraint at all).
fn is_annotation_only(schema: &Value) -> bool {
    schema.as_object().is_some_and(|m| {
        m.keys().all(|k| {
            matches!(
                k.as_str(),
                "description" | "title" | "examples" | "example" | "$comment" | "deprecated" | "readOnly" | "writeOnly"
            ) || k.starts_with("x-")
        })
    })
}

fn is_object_shaped(defs: &IndexMap<String, Value>, schema: &Value) -> bool {
    let s = deref(defs, schema);
    let Some(m) = s.as_object() else { return false };
    let typed_object = match m.get("type") {
        None => m.contains_key("properties") || m.contains_key("allOf"),
        Some(Value::String(t)) => t == "object",
        Some(_) => false,
    };
    typed_object && !m.contains_key("oneOf") && !m.contains_key("anyOf") && !m.contains_key("not")
}

/// `allOf` whose parts are all objects becomes one object schema.
fn flatten_all_of(defs: &IndexMap<String, Value>, schema: &Value, depth: usize) -> Option<Value> {
    let map = schema.as_object()?;
    let parts = map.get("allOf")?.as_array()?;
    if parts.is_empty() || !parts.iter().all(|p| is_object_shaped(defs, p) || is_annotation_only(p)) {
        return None;
    }
    let (required, props) = object_view(defs, schema);
    let mut properties = Map::new();
    for (key, parts) in props {
        properties.insert(key, merge_property(defs, parts, depth));
    }
    let mut out = Map::new();
    for (k, v) in map {
        if !matches!(k.as_str(), "allOf" | "properties" | "required" | "type" | "additionalProperties") {
            out.insert(k.clone(), v.clone());
        }
    }
    let closed = parts.iter().all(|p| deref(defs, p).get("additionalProperties") == Some(&Value::Bool(false)));
    out.insert("type".into(), Value::String("object".into()));
    out.insert("properties".into(), Value::Object(properties));
    let mut unique: Vec<String> = Vec::new();
    for r in required {
        if !unique.contains(&r) {
            unique.push(r);
        }
    }
    if !unique.is_empty() {
        out.insert("required".into(), Value::Array(unique.into_iter().map(Value::String).collect()));
    }
    if closed {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Some(Value::Object(out))
}

/// One schema for a property that several `allOf` parts constrain.
///
/// `depth` is that of the object being flattened: merged parts that reach the object again (two
/// parts whose properties refer to each other) stop at the nesting bound instead of going on.
fn merge_property(defs: &IndexMap<String, Value>, parts: Vec<&Value>, depth: usize) -> Value {
    let mut kept: Vec<&Value> = Vec::new();
    for part in &parts {
        if !is_annotation_only(part) && !kept.contains(part) {
            kept.push(part);
        }
    }
    // An inline object part whose properties another part already declares with the same type
    // adds nothing (a part that repeats the shared header's `channel: {type: string}`).
    let snapshot = kept.clone();
    kept.retain(|p| !snapshot.iter().any(|q| !std::ptr::eq(*p, *q) && subsumes(defs, q, p)));
    match kept.as_slice() {
        [] => parts.first().map_or(Value::Object(Map::new()), |p| (*p).clone()),
        [one] => (*one).clone(),
        many => {
            // A member pinned to a constant keeps its constant, in the type of each message.
            if let Some(constant) = pins::merged_constant(many) {
                return constant;
            }
            if let Some(merged) = pins::through_reference(defs, many) {
                return normalize_schema(defs, &merged, depth + 1);
            }
            let mut m = Map::new();
            m.insert("allOf".into(), Value::Array(many.iter().map(|p| (*p).clone()).collect()));
            // Parts that name definitions are left for typify to merge: flattening them here
            // would go through the definitions again, without end when they refer to each other
            // (the check in `merges` then decides whether typify can). Inline parts are finite.
            if many.iter().any(|p| p.get("$ref").is_some()) {
                return Value::Object(m);
            }
            normalize_schema(defs, &Value::Object(m), depth + 1)
        }
    }
}

fn subsumes(defs: &IndexMap<String, Value>, q: &Value, p: &Value) -> bool {
    if p.get("$ref").is_some() || !is_object_shaped(defs, p) || !is_object_shaped(defs, q) {
        return false;
    }
    let (q_req, q_props) = object_view(defs, q);
    let (p_req, p_props) = object_view(defs, p);
    p_req.iter().all(|r| q_req.contains(r))
        && p_props.iter().all(|(k, p_parts)| {
            q_props.get(k).is_some_and(|q_parts| {
                p_parts.iter().all(|pp| {
                    let pp = deref(defs, pp);
                    is_annotation_only(pp)
                        || pp.as_object().is_some_and(|m| m.len() == 1 && m.contains_key("type"))
                            && q_parts.iter().any(|qp| deref(defs, qp).get("type") == pp.get("type"))
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> IndexMap<String, Value> {
        let mut d = IndexMap::new();
        d.insert(
            "EnvelopeHeader".into(),
            json!({"type": "object", "required": ["channel"], "properties": {"channel": {"type": "string"}, "uri": {"type": "string"}}}),
        );
        d.insert(
            "Envelope".into(),
            json!({"type": "object", "required": ["header", "data"], "properties": {"header": {"$ref": "#/definitions/EnvelopeHeader"}, "data": {"description": "depends"}}}),
        );
        d.insert("Status".into(), json!({"type": "object", "properties": {"speed": {"type": "number"}}}));
        d.insert(
            "StatusPayload".into(),
            json!({"allOf": [{"$ref": "#/definitions/Envelope"}, {"type": "object", "properties": {
                "header": {"type": "object", "required": ["channel"], "properties": {"channel": {"const": "vehicle/status"}}},
                "data": {"$ref": "#/definitions/Status"}}}]}),
        );
        d
    }

    #[test]
    fn finds_a_nested_tag_through_refs_and_all_of() {
        let tags = tags(&defs(), "StatusPayload");
        assert_eq!(
            tags.get(&vec!["header".to_owned(), "channel".to_owned()]).map(String::as_str),
            Some("vehicle/status")
        );
    }

    #[test]
    fn properties_that_would_share_a_field_move_to_the_map() {
        let mut d = IndexMap::new();
        d.insert(
            "A".into(),
            json!({"type": "object", "required": ["Self"], "properties": {"self": {"type": "string"}, "Self": {"type": "integer"}}}),
        );
        let (n, moved) = normalize(&d);
        assert_eq!(moved, vec![("A".to_owned(), vec!["Self".to_owned()])]);
        assert!(n["A"]["properties"].get("Self").is_none());
        assert_eq!(n["A"]["additionalProperties"], json!({}));
        assert_eq!(n["A"]["required"], json!([]));
    }

    #[test]
    fn a_default_its_own_schema_rejects_is_dropped() {
        let d = IndexMap::from([(
            "T".to_owned(),
            json!({"type": "object", "properties": {
                "low": {"type": "integer", "minimum": 5, "default": 1},
                "list": {"type": "array", "items": {"type": "integer"}, "default": ["a"]},
                "fine": {"type": "integer", "minimum": 5, "default": 7}}}),
        )]);
        let n = normalize(&d).0;
        assert!(n["T"]["properties"]["low"].get("default").is_none());
        assert!(n["T"]["properties"]["list"].get("default").is_none());
        assert_eq!(n["T"]["properties"]["fine"]["default"], 7);
    }

    #[test]
    fn open_tuples_become_arrays_of_values() {
        let d = IndexMap::from([(
            "T".to_owned(),
            json!({"type": "array", "items": [{"type": "string"}, {"type": "number"}]}),
        )]);
        assert_eq!(normalize(&d).0["T"]["items"], json!({}));
        let fixed = json!({"type": "array", "items": [{"type": "string"}], "minItems": 1, "maxItems": 1});
        let d = IndexMap::from([("T".to_owned(), fixed.clone())]);
        assert_eq!(normalize(&d).0["T"], fixed);
    }

    #[test]
    fn inline_string_enums_get_their_own_definitions() {
        let mut d = IndexMap::from([(
            "Order".to_owned(),
            json!({"type": "object", "properties": {
                "side": {"type": "string", "enum": ["buy", "sell"], "description": "Side."},
                "reason": {"type": ["string", "null"], "enum": ["a", "b", null]},
                "kind": {"enum": ["only"]}}}),
        )]);
        let open = hoist_open_enums(&mut d);
        assert_eq!(open.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["OrderSide", "OrderReason"]);
        assert_eq!(d["Order"]["properties"]["side"], json!({"$ref": "#/definitions/OrderSide"}));
        assert_eq!(d["Order"]["properties"]["reason"]["oneOf"][1], json!({"type": "null"}));
        assert_eq!(d["OrderSide"], json!({"description": "Side.", "type": "string", "enum": ["buy", "sell"]}));
        assert_eq!(d["Order"]["properties"]["kind"], json!({"enum": ["only"]}));
    }

    #[test]
    fn the_unknown_fields_policy_respects_what_the_document_says() {
        let mut d = IndexMap::from([
            ("Open".to_owned(), json!({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}})),
            ("Closed".to_owned(), json!({"type": "object", "properties": {}, "additionalProperties": false})),
            ("Map".to_owned(), json!({"type": "object", "additionalProperties": {"type": "string"}})),
        ]);
        apply_unknown_fields(&mut d, crate::ir::UnknownFields::Deny);
        assert_eq!(d["Open"]["additionalProperties"], json!(false));
        assert_eq!(d["Open"]["properties"]["a"]["additionalProperties"], json!(false));
        assert_eq!(d["Map"]["additionalProperties"], json!({"type": "string"}));
        apply_unknown_fields(&mut d, crate::ir::UnknownFields::Capture);
        assert_eq!(d["Closed"]["additionalProperties"], json!(false), "an explicit false stays");
    }

    #[test]
    fn optional_constants_are_not_tags() {
        let mut d = IndexMap::new();
        d.insert("A".into(), json!({"type": "object", "properties": {"kind": {"const": "a"}}}));
        assert!(tags(&d, "A").is_empty());
    }

    #[test]
    fn a_pinned_envelope_flattens_into_a_header_that_keeps_its_constant() {
        let (n, _) = normalize(&defs());
        let payload = &n["StatusPayload"];
        let header = &payload["properties"]["header"];
        assert_eq!(header["type"], "object");
        assert_eq!(header["required"], json!(["channel"]));
        assert_eq!(header["properties"]["channel"], json!({"type": "string", "enum": ["vehicle/status"]}));
        assert_eq!(header["properties"]["uri"], json!({"type": "string"}));
        assert_eq!(payload["properties"]["data"], json!({"$ref": "#/definitions/Status"}));
        assert_eq!(payload["required"], json!(["header", "data"]));
    }
}
