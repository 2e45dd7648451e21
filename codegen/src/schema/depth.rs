//! Nesting that Rust cannot compile: rustc checks auto traits (`Send`, `Sync`), drops and
//! layout by walking a type's fields, and gives up past its recursion limit (128), so a chain of
//! a few hundred object schemas makes a crate that does not build, in the crate or in any crate
//! that uses it. This module estimates, per definition, how deep that walk goes (each struct or
//! enum, `Option`, `Vec`, map and `Box` costs what it costs rustc) and picks definitions to type
//! as JSON values, as few as it can, until every estimate is within a budget well under the
//! limit.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::Value;

/// The estimated walk rustc may take, with room to spare below its limit of 128.
const BUDGET: usize = 96;
/// What each level costs the walk: a struct or enum, `Option`, `Vec`, a map.
const TYPE: usize = 1;
const OPTION: usize = 1;
const VEC: usize = 3;
const MAP: usize = 4;
/// Inline nesting looked into (the loader bounds it anyway).
const MAX_DEPTH: usize = 64;

/// Definitions to type as JSON values, each with the definition whose nesting made it
/// necessary, in the order they were chosen. The longest chain is followed from its top, and
/// the definition where it leaves the budget is cut, so that as many levels as fit stay typed.
pub fn too_deep(defs: &IndexMap<String, Value>) -> Vec<(String, String)> {
    let mut cut: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    // Each round cuts one definition; there are at most as many rounds as definitions.
    for _ in 0..defs.len() {
        let heights = Heights::of(defs, &cut);
        let Some((top, _)) =
            heights.iter().filter(|(_, h)| **h > BUDGET).max_by_key(|(n, h)| (**h, std::cmp::Reverse(**n)))
        else {
            break;
        };
        let Some(found) = cut_below(defs, &heights, &cut, top) else { break };
        cut.insert(found.0.clone());
        out.push(found);
    }
    out
}

/// Walks down the longest chain from `top` and names the first definition that starts beyond
/// the budget, with the one that holds it.
fn cut_below(
    defs: &IndexMap<String, Value>,
    heights: &BTreeMap<&str, usize>,
    cut: &BTreeSet<String>,
    top: &str,
) -> Option<(String, String)> {
    let mut current = top;
    let mut spent = 0;
    for _ in 0..defs.len() {
        let mut children = Vec::new();
        child_offsets(defs.get(current)?, 0, 0, &mut children);
        let (child, offset) = children
            .into_iter()
            .filter(|(name, _)| !cut.contains(*name) && defs.contains_key(*name) && *name != current)
            .max_by_key(|(name, offset)| offset + heights.get(*name).copied().unwrap_or(0))?;
        if spent + offset + TYPE > BUDGET {
            return Some((child.to_owned(), current.to_owned()));
        }
        spent += offset;
        current = child;
    }
    None
}

struct Heights<'a> {
    defs: &'a IndexMap<String, Value>,
    cut: &'a BTreeSet<String>,
    memo: BTreeMap<&'a str, usize>,
    active: BTreeSet<&'a str>,
}

impl<'a> Heights<'a> {
    fn of(defs: &'a IndexMap<String, Value>, cut: &'a BTreeSet<String>) -> BTreeMap<&'a str, usize> {
        let mut h = Heights { defs, cut, memo: BTreeMap::new(), active: BTreeSet::new() };
        for name in defs.keys() {
            h.definition(name);
        }
        h.memo
    }

    fn definition(&mut self, name: &'a str) -> usize {
        if let Some(h) = self.memo.get(name) {
            return *h;
        }
        let Some((key, schema)) = self.defs.get_key_value(name) else { return 0 };
        // A definition typed as JSON holds nothing; one met again on the way down is recursive,
        // which rustc walks once.
        if self.cut.contains(name) || !self.active.insert(key.as_str()) {
            return 0;
        }
        let h = self.schema(schema, 0);
        self.active.remove(key.as_str());
        self.memo.insert(key.as_str(), h);
        h
    }

    fn schema(&mut self, schema: &'a Value, depth: usize) -> usize {
        let Some(map) = schema.as_object() else { return 0 };
        if depth > MAX_DEPTH {
            return 0;
        }
        if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
            return self.definition(name);
        }
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut deepest = 0;
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (key, prop) in props {
                let option = if required.contains(&key.as_str()) { 0 } else { OPTION };
                deepest = deepest.max(TYPE + option + self.schema(prop, depth + 1));
            }
        }
        for (key, cost) in [("items", VEC), ("additionalProperties", MAP)] {
            match map.get(key) {
                Some(Value::Array(items)) => {
                    for item in items {
                        deepest = deepest.max(cost + self.schema(item, depth + 1));
                    }
                }
                Some(item) => deepest = deepest.max(cost + self.schema(item, depth + 1)),
                None => {}
            }
        }
        if let Some(patterns) = map.get("patternProperties").and_then(Value::as_object) {
            for item in patterns.values() {
                deepest = deepest.max(MAP + self.schema(item, depth + 1));
            }
        }
        for (key, cost) in [("oneOf", TYPE), ("anyOf", TYPE), ("allOf", 0)] {
            for alt in map.get(key).and_then(Value::as_array).into_iter().flatten() {
                deepest = deepest.max(cost + self.schema(alt, depth + 1));
            }
        }
        deepest
    }
}

/// The definitions a schema refers to, each with the estimated walk down to it.
fn child_offsets<'a>(schema: &'a Value, offset: usize, depth: usize, out: &mut Vec<(&'a str, usize)>) {
    let Some(map) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
        out.push((name, offset));
        return;
    }
    for (key, child) in map {
        let cost = match key.as_str() {
            "properties" | "patternProperties" => {
                let per = if key == "properties" { TYPE + OPTION } else { MAP };
                for prop in child.as_object().into_iter().flat_map(|m| m.values()) {
                    child_offsets(prop, offset + per, depth + 1, out);
                }
                continue;
            }
            "items" => VEC,
            "additionalProperties" => MAP,
            "oneOf" | "anyOf" => TYPE,
            "allOf" => 0,
            _ => continue,
        };
        match child {
            Value::Array(items) => items.iter().for_each(|i| child_offsets(i, offset + cost, depth + 1, out)),
            other => child_offsets(other, offset + cost, depth + 1, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chain(n: usize) -> IndexMap<String, Value> {
        (0..n)
            .map(|i| {
                let next = if i + 1 < n {
                    json!({"$ref": format!("#/definitions/S{}", i + 1)})
                } else {
                    json!({"type": "string"})
                };
                (format!("S{i}"), json!({"type": "object", "properties": {"next": next}}))
            })
            .collect()
    }

    #[test]
    fn a_long_chain_is_cut_every_so_often_and_a_short_one_not_at_all() {
        assert!(too_deep(&chain(30)).is_empty());
        let cuts = too_deep(&chain(300));
        assert!(!cuts.is_empty() && cuts.len() < 20, "{cuts:?}");
        let mut defs = chain(300);
        for (name, _) in &cuts {
            defs.insert(name.clone(), json!({}));
        }
        let cut: BTreeSet<String> = cuts.into_iter().map(|(n, _)| n).collect();
        assert!(Heights::of(&defs, &cut).values().all(|h| *h <= BUDGET));
    }

    #[test]
    fn recursion_is_walked_once() {
        let defs: IndexMap<String, Value> = IndexMap::from([(
            "Tree".to_owned(),
            json!({"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/Tree"}}}}),
        )]);
        assert!(too_deep(&defs).is_empty());
    }
}
