//! Finding the subtypes of every bundled schema with a `discriminator`, and bundling them.
//!
//! AsyncAPI's meaning: the schemas that `allOf` the base are its subtypes, and the property's
//! value is the subtype's schema name. Documents also write the OpenAPI form (`propertyName`
//! with a `mapping` from tag to schema) and list the subtypes in the base's `oneOf`. All three
//! are read; a subtype that pins the property to a constant is known by that constant. Subtypes
//! are looked for next to the base (the same `components.schemas` or file), in the root
//! document's `components.schemas`, and among the schemas already bundled (inline payloads).

use serde_json::Value;

use super::SchemaBundle;
use crate::error::Result;
use crate::resolve::{Model, Ptr, ref_of};
use crate::schema::discriminator::{self, Hierarchy};

impl SchemaBundle {
    /// Adds the subtypes of every base with a `discriminator` (and theirs, in turn), records the
    /// hierarchies, and rewrites the definitions so that none refers back through one.
    pub fn add_hierarchies(&mut self, model: &Model) -> Result<()> {
        let mut i = 0;
        while i < self.defs.len() {
            let name = self.defs.get_index(i).map(|(n, _)| n.clone()).unwrap_or_default();
            i += 1;
            let Some(origin) = self.origins.get(&name).cloned() else { continue };
            let Some(property) = model.get(&origin).and_then(discriminator::property).map(str::to_owned) else {
                continue;
            };
            let mut variants = Vec::new();
            let bundled: Vec<Ptr> = self.origins.values().cloned().collect();
            for (tag, ptr) in subtypes(model, &origin, &property, &bundled) {
                let subtype = self.name_for(model, &ptr, None);
                if subtype != name && !variants.iter().any(|(t, _): &(String, String)| *t == tag) {
                    variants.push((tag, subtype));
                }
            }
            self.drain(model)?;
            if !variants.is_empty() {
                self.hierarchies.push(Hierarchy { base: name, property, variants });
            }
        }
        discriminator::rewrite(&mut self.defs, &self.hierarchies);
        Ok(())
    }
}

/// The subtypes of the base at `base` (tag, where the subtype is), in document order: the
/// `mapping`, the base's `oneOf`/`anyOf`, then the schemas that `allOf` it (next to it, in the
/// root's `components.schemas`, or among the `bundled` schemas, such as inline payloads).
fn subtypes(model: &Model, base: &Ptr, property: &str, bundled: &[Ptr]) -> Vec<(String, Ptr)> {
    let mut out: Vec<(Option<String>, Ptr)> = Vec::new();
    let push = |tag: Option<String>, ptr: Ptr, out: &mut Vec<(Option<String>, Ptr)>| {
        if !out.iter().any(|(_, p)| *p == ptr) {
            out.push((tag, ptr));
        }
    };
    if let Some(mapping) = model.get(&base.child("discriminator").child("mapping")).and_then(Value::as_object) {
        for (tag, target) in mapping {
            let Some(target) = target.as_str() else { continue };
            // A bare name is a schema next to the base.
            let found = if target.contains(['#', '/']) {
                model.lookup(base, target)
            } else {
                Some(base.parent().child(target))
            };
            if let Some(ptr) = found.filter(|p| model.get(p).is_some())
                && let Ok(target) = model.deref(&ptr)
            {
                push(Some(tag.clone()), target, &mut out);
            }
        }
    }
    for key in ["oneOf", "anyOf"] {
        let count = model.get(&base.child(key)).and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..count {
            let item = base.child(key).child(&i.to_string());
            if model.get(&item).and_then(ref_of).is_some()
                && let Ok(target) = model.deref(&item)
            {
                push(None, target, &mut out);
            }
        }
    }
    let mut places = vec![base.parent()];
    let components = model.root().child("components").child("schemas");
    if !places.contains(&components) {
        places.push(components);
    }
    for place in places {
        let Some(entries) = model.object(&place) else { continue };
        for key in entries.keys() {
            // A reference that does not resolve was reported by validation; it names no subtype.
            let Ok(candidate) = model.deref(&place.child(key)) else { continue };
            if candidate != *base && all_of_names(model, &candidate, base) {
                push(None, candidate, &mut out);
            }
        }
    }
    for candidate in bundled {
        if candidate != base && all_of_names(model, candidate, base) {
            push(None, candidate.clone(), &mut out);
        }
    }
    out.into_iter().map(|(tag, ptr)| (tag.unwrap_or_else(|| tag_of(model, &ptr, property)), ptr)).collect()
}

/// Whether the schema at `schema` lists the base in its `allOf`.
fn all_of_names(model: &Model, schema: &Ptr, base: &Ptr) -> bool {
    let count = model.get(&schema.child("allOf")).and_then(Value::as_array).map_or(0, Vec::len);
    (0..count).any(|i| {
        let part = schema.child("allOf").child(&i.to_string());
        model.get(&part).and_then(ref_of).is_some() && model.deref(&part).is_ok_and(|p| p == *base)
    })
}

/// The tag of a subtype: the constant it pins the property to (in its own properties or an
/// inline `allOf` part), else its schema name.
fn tag_of(model: &Model, subtype: &Ptr, property: &str) -> String {
    let pinned = |schema: &Ptr| {
        let p = model.get(&schema.child("properties").child(property))?;
        match (p.get("const"), p.get("enum").and_then(Value::as_array).map(Vec::as_slice)) {
            (Some(Value::String(c)), _) => Some(c.clone()),
            (_, Some([Value::String(one)])) => Some(one.clone()),
            _ => None,
        }
    };
    let parts = model.get(&subtype.child("allOf")).and_then(Value::as_array).map_or(0, Vec::len);
    pinned(subtype)
        .or_else(|| (0..parts).find_map(|i| pinned(&subtype.child("allOf").child(&i.to_string()))))
        .or_else(|| subtype.last_segment())
        .unwrap_or_default()
}
