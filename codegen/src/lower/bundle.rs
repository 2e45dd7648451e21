//! The payload schemas of the lowered API, bundled: every JSON Schema the messages reach (across
//! files), under a unique, stable name, with every `$ref` rewritten to `#/definitions/<Name>`.
//!
//! Invariants: a schema handed to the `types` stage contains no `$ref` except
//! `#/definitions/<Name>` where `<Name>` is a key of [`SchemaBundle::defs`]; the names depend only
//! on the documents (discovery order is document order), never on hash order.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Result, Warning};
use crate::naming;
use crate::resolve::{DATA_KEYWORDS, Model, Ptr};

/// The JSON Schemas reached from the messages, with their final names.
#[derive(Debug, Default)]
pub struct SchemaBundle {
    /// Name → schema; every `$ref` inside is `#/definitions/<Name>`.
    pub defs: IndexMap<String, Value>,
    /// Name → where the schema came from.
    pub origins: IndexMap<String, Ptr>,
    names: HashMap<Ptr, String>,
    taken: naming::Namespace,
    queue: Vec<(String, Ptr)>,
    /// Naming decisions worth telling the user about.
    pub warnings: Vec<Warning>,
    /// Bases with a `discriminator` and their subtypes.
    pub hierarchies: Vec<crate::schema::discriminator::Hierarchy>,
}

impl SchemaBundle {
    /// Adds the schema at `ptr` as a named definition and returns its name. A schema reached
    /// twice gets one name.
    pub fn add(&mut self, model: &Model, ptr: &Ptr, hint: &str) -> Result<String> {
        let target = model.deref(ptr)?;
        let name = self.name_for(model, &target, Some(hint));
        self.drain(model)?;
        Ok(name)
    }

    /// Orders the definitions by file and pointer, so that their order does not depend on the
    /// order in which the messages reached them. Call once, after the last [`SchemaBundle::add`].
    pub fn finish(&mut self) {
        let origins = &self.origins;
        self.defs.sort_by(|a, _, b, _| origins.get(a).cmp(&origins.get(b)));
    }

    /// The definition `name` and every definition it reaches through `$ref`s.
    pub fn reachable(&self, name: &str) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        let mut stack = vec![name.to_owned()];
        while let Some(n) = stack.pop() {
            let Some(schema) = self.defs.get(&n) else { continue };
            if out.contains_key(&n) {
                continue;
            }
            stack.extend(crate::schema::references(schema).into_iter().map(str::to_owned));
            out.insert(n, schema.clone());
        }
        out
    }

    pub(super) fn name_for(&mut self, model: &Model, target: &Ptr, hint: Option<&str>) -> String {
        if let Some(name) = self.names.get(target) {
            return name.clone();
        }
        let is_component = target.pointer.starts_with("/components/schemas/")
            || target.pointer.starts_with("/definitions/")
            || target.pointer.starts_with("/$defs/");
        let base = match (is_component, target.last_segment(), hint) {
            (true, Some(seg), _) => seg,
            (false, _, Some(hint)) => hint.to_owned(),
            (false, Some(seg), None) => seg,
            (_, _, _) => {
                model.source(target.file).path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
            }
        };
        let wanted = naming::type_name(&base);
        let (name, renamed) = self.taken.claim(&wanted);
        if renamed {
            self.warnings.push(Warning {
                location: model.location(target),
                message: format!("schema name `{wanted}` is already taken; this schema is named `{name}`"),
            });
        }
        self.names.insert(target.clone(), name.clone());
        self.queue.push((name.clone(), target.clone()));
        name
    }

    pub(super) fn drain(&mut self, model: &Model) -> Result<()> {
        while let Some((name, ptr)) = self.queue.pop() {
            let value = model.get(&ptr).cloned().unwrap_or(Value::Null);
            let rewritten = self.rewrite(model, &ptr, value)?;
            self.defs.insert(name.clone(), rewritten);
            self.origins.insert(name, ptr);
        }
        Ok(())
    }

    fn rewrite(&mut self, model: &Model, at: &Ptr, value: Value) -> Result<Value> {
        match value {
            Value::Object(map) => {
                if map.get("$ref").and_then(Value::as_str).is_some() {
                    let target = model.resolve_ref(&at.child("$ref"))?;
                    let target = model.deref(&target)?;
                    let name = self.name_for(model, &target, None);
                    let mut out = Map::new();
                    out.insert("$ref".into(), Value::String(format!("#/definitions/{name}")));
                    return Ok(Value::Object(out));
                }
                let mut out = Map::new();
                for (key, child) in map {
                    let child = if DATA_KEYWORDS.contains(&key.as_str()) || key.starts_with("x-") {
                        child
                    } else {
                        self.rewrite(model, &at.child(&key), child)?
                    };
                    out.insert(key, child);
                }
                openapi_nullable(&mut out);
                prefix_items(&mut out);
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| self.rewrite(model, &at.child(&i.to_string()), item))
                .collect::<Result<Vec<_>>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }
}

/// The OpenAPI 3.0 Schema Object's `nullable: true` (payloads with an OpenAPI `schemaFormat`, and
/// AsyncAPI schemas written by habit) in JSON Schema terms: `null` joins the `type` (and the
/// `enum`), so that the types and the example checks allow it alike.
fn openapi_nullable(schema: &mut Map<String, Value>) {
    if schema.get("nullable") != Some(&Value::Bool(true)) {
        return;
    }
    schema.remove("nullable");
    let null = Value::String("null".into());
    match schema.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = Value::String(std::mem::take(t));
            schema.insert("type".into(), Value::Array(vec![t, null]));
        }
        Some(Value::Array(types)) if !types.contains(&null) => types.push(null),
        _ => {}
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

/// JSON Schema 2020-12's tuples (`prefixItems`, with `items` for the members after them) in the
/// draft-07 terms the later stages read (`items` as a list, `additionalItems`).
fn prefix_items(schema: &mut Map<String, Value>) {
    let Some(prefix) = schema.remove("prefixItems") else { return };
    if let Some(rest) = schema.remove("items") {
        schema.insert("additionalItems".into(), rest);
    }
    schema.insert("items".into(), prefix);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rewritten(f: fn(&mut Map<String, Value>), schema: Value) -> Value {
        let Value::Object(mut map) = schema else { panic!("a mapping") };
        f(&mut map);
        Value::Object(map)
    }

    #[test]
    fn openapi_nullable_joins_null_to_the_type_and_the_enum() {
        assert_eq!(
            rewritten(openapi_nullable, json!({"type": "string", "enum": ["a"], "nullable": true})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            rewritten(openapi_nullable, json!({"type": "integer", "nullable": false})),
            json!({"type": "integer", "nullable": false})
        );
    }

    #[test]
    fn prefix_items_become_a_draft_07_tuple() {
        assert_eq!(
            rewritten(prefix_items, json!({"type": "array", "prefixItems": [{"type": "number"}], "items": false})),
            json!({"type": "array", "items": [{"type": "number"}], "additionalItems": false})
        );
        assert_eq!(rewritten(prefix_items, json!({"items": {"type": "string"}})), json!({"items": {"type": "string"}}));
    }
}
