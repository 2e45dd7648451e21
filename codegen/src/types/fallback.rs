//! Graceful degradation: a definition that typify cannot turn into a Rust type is typed as a
//! JSON value (`serde_json::Value`, which accepts every valid value) instead of sinking the whole
//! document; the rest of the crate stays typed. The caller reports each one with a located
//! warning.
//!
//! A definition falls back when a merge in it would never end ([`crate::schema::unmergeable`]:
//! typify would overflow its stack, which cannot be caught), or when typify rejects or panics on
//! it and the definitions it reaches (tried one definition at a time, dependencies first, once
//! the whole set has failed).

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use indexmap::IndexMap;
use proc_macro2::TokenStream;
use serde_json::{Map, Value};
use typify::{TypeSpace, TypeSpaceSettings};

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

/// Runs typify on `defs`, degrading definitions it fails on; `schemas` turns definitions into
/// typify's input (its errors are the document's and stop the run). Returns the type space and
/// its tokens, or typify's message when even the degraded set fails.
pub fn typify(
    settings: &TypeSpaceSettings,
    defs: &mut IndexMap<String, Value>,
    fallbacks: &mut Fallbacks,
    schemas: impl Fn(&IndexMap<String, Value>) -> Result<Vec<(String, schemars::schema::Schema)>>,
) -> Result<std::result::Result<(TypeSpace, TokenStream), String>> {
    for name in fallbacks.keys() {
        replace(defs, name);
    }
    let first = match attempt(settings, schemas(defs)?) {
        Ok(done) => return Ok(Ok(done)),
        Err(e) => e,
    };
    for name in dependencies_first(defs) {
        if fallbacks.contains_key(&name) {
            continue;
        }
        let reached = reachable(defs, &name);
        let subset: IndexMap<String, Value> =
            defs.iter().filter(|(n, _)| reached.contains(n.as_str())).map(|(n, v)| (n.clone(), v.clone())).collect();
        if let Err(e) = attempt(settings, schemas(&subset)?) {
            fallbacks.insert(name.clone(), format!("typify rejects it ({e})"));
            replace(defs, &name);
        }
    }
    Ok(attempt(settings, schemas(defs)?).map_err(|e| if fallbacks.is_empty() { first } else { e }))
}

/// One typify run with its panics contained.
fn attempt(
    settings: &TypeSpaceSettings,
    schemas: Vec<(String, schemars::schema::Schema)>,
) -> std::result::Result<(TypeSpace, TokenStream), String> {
    let mut space = TypeSpace::new(settings);
    match super::quietly(|| catch_unwind(AssertUnwindSafe(|| space.add_ref_types(schemas)))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("typify panicked on these schemas".into()),
    }
    let tokens = super::quietly(|| catch_unwind(AssertUnwindSafe(|| space.to_stream())))
        .map_err(|_| "typify panicked while writing the types".to_owned())?;
    Ok((space, tokens))
}

/// The definitions that `name` reaches through references, itself included.
fn reachable<'a>(defs: &'a IndexMap<String, Value>, name: &'a str) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name];
    while let Some(n) = stack.pop() {
        let Some((key, schema)) = defs.get_key_value(n) else { continue };
        if out.insert(key.as_str()) {
            stack.extend(crate::schema::references(schema));
        }
    }
    out
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
