//! Which definitions typify cannot merge without recursing forever.
//!
//! typify merges the parts of an `allOf`, and an object's own keywords into each `oneOf`/`anyOf`
//! alternative, following `$ref`s as it goes; when the parts lead back to a merge it has already
//! started (a subtype that `allOf`s a base that lists it in `oneOf`; two parts whose common
//! property refers to the other), it recurses until the stack overflows, which aborts the
//! process and cannot be caught. This module replays those merges on the normalised definitions,
//! by definition identity and with a step budget, and names the definitions where a merge comes
//! back to itself (or the budget runs out); the `types` stage types those as JSON values.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Merge steps replayed per definition before it is called unmergeable.
const BUDGET: usize = 20_000;
/// Nesting of inline schemas looked into.
const MAX_DEPTH: usize = 64;

/// The definitions of `defs` that contain a merge typify would not finish, in order.
pub fn unmergeable(defs: &IndexMap<String, Value>) -> Vec<String> {
    defs.iter()
        .filter(|(name, schema)| {
            let mut sites = Vec::new();
            merge_sites(schema, 0, &mut sites);
            sites.into_iter().any(|site| {
                let mut replay = Replay { defs, budget: BUDGET, stack: Vec::new() };
                replay.recurses(vec![site.clone()], Some(name.as_str()))
            })
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The nodes of a schema (not through references) where typify merges.
fn merge_sites<'a>(schema: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > MAX_DEPTH {
        return;
    }
    match schema {
        Value::Object(map) => {
            if is_merge_site(map) {
                out.push(schema);
            }
            for (key, child) in map {
                if !super::DATA_KEYWORDS.contains(&key.as_str()) {
                    merge_sites(child, depth + 1, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| merge_sites(i, depth + 1, out)),
        _ => {}
    }
}

fn is_merge_site(map: &Map<String, Value>) -> bool {
    map.get("allOf").and_then(Value::as_array).is_some_and(|a| !a.is_empty())
        || (alternatives(map).is_some() && constrains(map))
}

fn alternatives(map: &Map<String, Value>) -> Option<&Vec<Value>> {
    map.get("oneOf").or_else(|| map.get("anyOf")).and_then(Value::as_array)
}

/// Whether an object schema says more than its alternatives (typify then merges it into each).
fn constrains(map: &Map<String, Value>) -> bool {
    ["properties", "required", "type", "additionalProperties", "allOf", "patternProperties"]
        .iter()
        .any(|k| map.contains_key(*k))
}

struct Replay<'a> {
    defs: &'a IndexMap<String, Value>,
    budget: usize,
    /// The definitions each merge on the current path went through.
    stack: Vec<BTreeSet<&'a str>>,
}

impl<'a> Replay<'a> {
    /// Whether merging `parts` comes back to a merge of the same definitions; `within` is the
    /// definition the merge site is written in, when the merge is a site's own.
    fn recurses(&mut self, parts: Vec<Value>, within: Option<&'a str>) -> bool {
        let mut here: BTreeSet<&'a str> = within.into_iter().collect();
        if self.budget == 0 {
            return true;
        }
        self.budget -= 1;
        let mut flat = Vec::new();
        for part in &parts {
            if self.expand(part, &mut flat, &mut here, &mut within.into_iter().collect()) {
                return true;
            }
        }
        if self.stack.contains(&here) {
            return true;
        }
        self.stack.push(here);
        let found = self.shared_properties(&flat) || self.distributed(&flat);
        self.stack.pop();
        found
    }

    /// Adds the parts of `schema` to `flat`: references followed, `allOf` members spread out.
    /// A definition that is its own `allOf` member (on the `active` chain) is a merge of itself;
    /// one reached twice side by side is merged once.
    fn expand(
        &mut self,
        schema: &Value,
        flat: &mut Vec<Value>,
        here: &mut BTreeSet<&'a str>,
        active: &mut Vec<&'a str>,
    ) -> bool {
        if active.len() > MAX_DEPTH {
            return true;
        }
        let Some(map) = schema.as_object() else { return false };
        if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
            let Some((key, target)) = self.defs.get_key_value(name) else { return false };
            if active.contains(&key.as_str()) {
                return true;
            }
            if !here.insert(key.as_str()) {
                return false;
            }
            active.push(key.as_str());
            let found = self.expand(target, flat, here, active);
            active.pop();
            return found;
        }
        match map.get("allOf").and_then(Value::as_array) {
            Some(members) => {
                let mut own = map.clone();
                own.remove("allOf");
                flat.push(Value::Object(own));
                members.iter().any(|m| self.expand(m, flat, here, active))
            }
            None => {
                flat.push(schema.clone());
                false
            }
        }
    }

    /// Properties that two or more parts declare are merged in turn.
    fn shared_properties(&mut self, flat: &[Value]) -> bool {
        let mut props: IndexMap<&str, Vec<Value>> = IndexMap::new();
        for part in flat {
            if let Some(p) = part.get("properties").and_then(Value::as_object) {
                for (k, v) in p {
                    props.entry(k.as_str()).or_default().push(v.clone());
                }
            }
        }
        props.into_values().filter(|parts| parts.len() >= 2).any(|parts| self.recurses(parts, None))
    }

    /// An object merged with alternatives is merged into each alternative.
    fn distributed(&mut self, flat: &[Value]) -> bool {
        for (i, part) in flat.iter().enumerate() {
            let Some(map) = part.as_object() else { continue };
            let Some(alts) = alternatives(map) else { continue };
            if flat.len() == 1 && !constrains(map) {
                continue;
            }
            let mut base: Vec<Value> =
                flat.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| p.clone()).collect();
            let mut own = map.clone();
            own.remove("oneOf");
            own.remove("anyOf");
            base.push(Value::Object(own));
            for alt in alts {
                let mut parts = base.clone();
                parts.push(alt.clone());
                if self.recurses(parts, None) {
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs(pairs: &[(&str, Value)]) -> IndexMap<String, Value> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect()
    }

    fn r(name: &str) -> Value {
        json!({"$ref": format!("#/definitions/{name}")})
    }

    #[test]
    fn a_subtype_of_a_base_that_lists_it_cannot_be_merged() {
        let d = defs(&[
            ("Pet", json!({"type": "object", "properties": {"t": {"type": "string"}}, "oneOf": [r("Cat")]})),
            ("Cat", json!({"allOf": [r("Pet"), {"type": "object", "properties": {"c": {"type": "boolean"}}}]})),
        ]);
        assert_eq!(unmergeable(&d), ["Pet", "Cat"]);
    }

    #[test]
    fn parts_whose_shared_property_refers_to_the_other_cannot_be_merged() {
        let d = defs(&[
            ("A", json!({"allOf": [r("B"), r("C"), {"minProperties": 1}]})),
            ("B", json!({"type": "object", "properties": {"x": r("C")}})),
            ("C", json!({"type": "object", "properties": {"x": r("B"), "y": {"type": "string"}}})),
        ]);
        assert_eq!(unmergeable(&d), ["A"]);
    }

    #[test]
    fn ordinary_recursion_and_merges_are_fine() {
        let d = defs(&[
            ("Tree", json!({"type": "object", "properties": {"children": {"type": "array", "items": r("Tree")}}})),
            ("Named", json!({"allOf": [r("Tree"), {"type": "object", "properties": {"name": {"type": "string"}}}]})),
            ("Either", json!({"oneOf": [r("Either"), {"type": "string"}]})),
        ]);
        assert!(unmergeable(&d).is_empty());
    }
}
