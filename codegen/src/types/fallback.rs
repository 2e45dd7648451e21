//! Graceful degradation: a definition that typify cannot turn into a Rust type is typed as a
//! JSON value (`serde_json::Value`, which accepts every valid value) instead of sinking the whole
//! document; the rest of the crate stays typed. The caller reports each one with a located
//! warning.
//!
//! A definition falls back when a merge in it would never end ([`crate::schema::unmergeable`]:
//! typify would overflow its stack, which cannot be caught), or when typify rejects or panics on
//! it and the definitions it reaches (tried one definition at a time, dependencies first, once
//! the whole set has failed). Run in a child process, "fails on" includes crashing it.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::run::{Request, Runner, Typified, run};
use crate::error::Result;

/// Definition name → why it is typed as a JSON value.
pub type Fallbacks = BTreeMap<String, String>;

/// Makes `defs[name]` accept any value, keeping its documentation.
pub fn replace(defs: &mut IndexMap<String, Value>, name: &str) {
    let Some(schema) = defs.get_mut(name) else { return };
    let mut any = Map::new();
    for key in ["title", "description"] {
        if let Some(text) = schema.get(key).filter(|v| v.is_string()) {
            any.insert(key.into(), text.clone());
        }
    }
    *schema = Value::Object(any);
}

/// Runs typify (with `runner`) on `defs`, degrading definitions it fails on; `check` turns the
/// definitions into typify's input first, and its errors are the document's and stop the run.
/// Returns the types, or typify's message when even the degraded set fails.
pub fn typify(
    runner: &Runner,
    generated: (&[String], &[String]),
    defs: &mut IndexMap<String, Value>,
    fallbacks: &mut Fallbacks,
    check: impl Fn(&IndexMap<String, Value>) -> Result<()>,
) -> Result<std::result::Result<Typified, String>> {
    for name in fallbacks.keys() {
        replace(defs, name);
    }
    check(defs)?;
    let request = |defs: &IndexMap<String, Value>| Request {
        defs: defs.iter().map(|(n, v)| (n.clone(), v.clone())).collect(),
        open_enums: generated.0.to_vec(),
        bases: generated.1.to_vec(),
    };
    let first = match run(runner, &request(defs)) {
        Ok(done) => return Ok(Ok(done)),
        Err(e) => e,
    };
    for name in dependencies_first(defs) {
        if fallbacks.contains_key(&name) {
            continue;
        }
        let reached = crate::schema::reachable(defs, &name);
        let subset: IndexMap<String, Value> =
            defs.iter().filter(|(n, _)| reached.contains(n.as_str())).map(|(n, v)| (n.clone(), v.clone())).collect();
        if let Err(e) = run(runner, &request(&subset)) {
            fallbacks.insert(name.clone(), format!("typify cannot type it ({e})"));
            replace(defs, &name);
        }
    }
    Ok(run(runner, &request(defs)).map_err(|e| if fallbacks.is_empty() { first } else { e }))
}

/// Every definition after the ones it refers to (cycles broken where they are met), so that a
/// definition is tried only once those it needs have been tried.
fn dependencies_first(defs: &IndexMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for start in defs.keys() {
        // Depth-first, iteratively: (name, whether its references were pushed already).
        let mut stack = vec![(start.as_str(), false)];
        while let Some((name, expanded)) = stack.pop() {
            if expanded {
                out.push(name.to_owned());
                continue;
            }
            let Some((key, schema)) = defs.get_key_value(name) else { continue };
            if !seen.insert(key.as_str()) {
                continue;
            }
            stack.push((key.as_str(), true));
            for r in crate::schema::references(schema) {
                if !seen.contains(r) {
                    stack.push((r, false));
                }
            }
        }
    }
    out
}
