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

/// The definitions of `defs` that typify cannot type, in order, each with the reason: a merge
/// it would not finish, or a definition that is nothing but itself (`oneOf: [{$ref: self}]`, no
/// value can be built, and typify writes a type that does not compile).
pub fn unmergeable(defs: &IndexMap<String, Value>) -> Vec<(String, &'static str)> {
    let cyclic = inlining_cycles(defs);
    let merges = defs.iter().filter(|(name, schema)| {
        if cyclic.contains(name.as_str()) {
            return true;
        }
        let mut sites = Vec::new();
        merge_sites(schema, 0, &mut sites);
        sites.into_iter().any(|site| {
            let mut replay = Replay { defs, budget: BUDGET, stack: Vec::new() };
            replay.recurses(vec![site.clone()], Some(name.as_str()))
        })
    });
    let mut out: Vec<(String, &'static str)> = merges
        .map(|(name, _)| (name.clone(), "its `allOf`/`oneOf` parts lead back to it, which typify cannot merge"))
        .collect();
    for name in defs.keys() {
        if is_only_itself(defs, name) && !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), "it is nothing but a reference to itself, so no value of it exists"));
        }
    }
    out
}

/// Whether the definition `name` is, through single-member `allOf`/`anyOf`/`oneOf` and
/// references alone, itself.
fn is_only_itself(defs: &IndexMap<String, Value>, name: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut current = defs.get(name);
    while let Some(schema) = current {
        let Some(map) = schema.as_object() else { return false };
        if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
            if target == name {
                return true;
            }
            if !seen.insert(target) {
                return false;
            }
            current = defs.get(target);
            continue;
        }
        let single = ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_array))
            .collect::<Vec<_>>();
        let constrained = map.keys().any(|k| {
            !matches!(k.as_str(), "allOf" | "anyOf" | "oneOf" | "title" | "description" | "examples" | "$comment")
        });
        match single.as_slice() {
            [members] if members.len() == 1 && !constrained => current = members.first(),
            _ => return false,
        }
    }
    false
}

/// The definitions on a cycle of inlining: a merge copies the definitions its parts name into
/// one new inline schema, whose own merges copy theirs, and so on; when that comes back to the
/// first definition, typify makes inline schemas without end. The graph has an edge from a
/// definition to each one that a merge in it copies (its parts' references, through nested
/// `allOf`/`oneOf`/`anyOf`); definitions on a cycle are returned.
fn inlining_cycles(defs: &IndexMap<String, Value>) -> BTreeSet<&str> {
    let edges: IndexMap<&str, BTreeSet<&str>> = defs
        .iter()
        .map(|(name, schema)| {
            let mut sites = Vec::new();
            merge_sites(schema, 0, &mut sites);
            let mut copied = BTreeSet::new();
            for site in sites {
                if let Some(map) = site.as_object() {
                    for key in ["allOf", "oneOf", "anyOf"] {
                        for member in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                            copied_definitions(defs, member, 0, &mut copied);
                        }
                    }
                }
            }
            (name.as_str(), copied)
        })
        .collect();
    let mut cyclic = BTreeSet::new();
    for start in edges.keys() {
        // Whether `start` reaches itself.
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = edges.get(start).into_iter().flatten().copied().collect();
        while let Some(next) = stack.pop() {
            if next == *start {
                cyclic.insert(*start);
                break;
            }
            if seen.insert(next) {
                stack.extend(edges.get(next).into_iter().flatten().copied());
            }
        }
    }
    cyclic
}

/// The definitions a merge part copies: the one it names, or those its nested combinators name.
fn copied_definitions<'a>(defs: &'a IndexMap<String, Value>, part: &Value, depth: usize, out: &mut BTreeSet<&'a str>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(map) = part.as_object() else { return };
    if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
        if let Some((key, _)) = defs.get_key_value(name) {
            out.insert(key.as_str());
        }
        return;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for member in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            copied_definitions(defs, member, depth + 1, out);
        }
    }
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

    fn names(d: &IndexMap<String, Value>) -> Vec<String> {
        unmergeable(d).into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn a_definition_that_is_only_itself_is_found() {
        let d = defs(&[
            ("Loop", json!({"anyOf": [{"oneOf": [r("Alias")]}], "description": "d"})),
            ("Alias", json!({"allOf": [r("Loop")]})),
            ("Fine", json!({"oneOf": [r("Fine"), {"type": "string"}]})),
        ]);
        let mut found = names(&d);
        found.sort();
        assert_eq!(found, ["Alias", "Loop"]);
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
        assert_eq!(names(&d), ["Pet", "Cat"]);
    }

    #[test]
    fn parts_whose_shared_property_refers_to_the_other_cannot_be_merged() {
        let d = defs(&[
            ("A", json!({"allOf": [r("B"), r("C"), {"minProperties": 1}]})),
            ("B", json!({"type": "object", "properties": {"x": r("C")}})),
            ("C", json!({"type": "object", "properties": {"x": r("B"), "y": {"type": "string"}}})),
        ]);
        assert_eq!(names(&d), ["A"]);
    }

    #[test]
    fn a_merge_that_copies_a_definition_whose_merges_copy_it_back_cannot_be_merged() {
        // `Outer.p` merges `Inner` into a copy; `Inner.q` merges its alternatives into the
        // copy, and one of them names `Outer`, whose `p` merges `Inner` again.
        let d = defs(&[
            ("Outer", json!({"type": "object", "additionalProperties": {"allOf": [{"const": "a"}, r("Inner")]}})),
            (
                "Inner",
                json!({"type": "object", "properties": {"q": {"type": "object", "required": ["k"], "oneOf": [{"oneOf": [r("Outer")]}]}}}),
            ),
        ]);
        assert_eq!(names(&d), ["Outer", "Inner"]);
    }

    #[test]
    fn ordinary_recursion_and_merges_are_fine() {
        let d = defs(&[
            ("Tree", json!({"type": "object", "properties": {"children": {"type": "array", "items": r("Tree")}}})),
            ("Named", json!({"allOf": [r("Tree"), {"type": "object", "properties": {"name": {"type": "string"}}}]})),
            ("Either", json!({"oneOf": [r("Either"), {"type": "string"}]})),
            (
                "Node",
                json!({"type": "object", "properties": {"id": {"type": "string"}}, "oneOf": [r("Leaf"), r("Branch")]}),
            ),
            ("Leaf", json!({"type": "object", "properties": {"value": {"type": "string"}}})),
            ("Branch", json!({"type": "object", "properties": {"children": {"type": "array", "items": r("Node")}}})),
        ]);
        assert!(unmergeable(&d).is_empty());
    }
}
