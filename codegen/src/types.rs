//! Stage 4, types: turns the bundled payload schemas into Rust types with `typify`.
//!
//! `typify` only ever sees `#/definitions/<Name>` references (the `resolve` stage guarantees it).
//! It panics on some schema shapes; those panics are contained here and reported as an error
//! that names the schemas involved, never passed on to the user as a crash.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::error::{Error, Result, Warning};
use crate::ir::Api;
use crate::lower::SchemaBundle;
use crate::naming::{self, Namespace};
use crate::resolve::Model;
use crate::schema;

mod constants;
mod fallback;
mod records;
pub mod run;
mod tagged;
mod unions;
mod usage;

/// The Rust types of one API.
pub struct Types {
    /// The `types` module (structs, enums, impls), already parsed: it is formatted as it is.
    pub file: syn::File,
    /// Definition name → the Rust type, as a path relative to the crate's `types` module.
    pub paths: BTreeMap<String, TokenStream>,
    /// Findings about the schemas that did not stop generation.
    pub warnings: Vec<Warning>,
    /// Whether the items use `uuid::Uuid`.
    pub uses_uuid: bool,
    /// Whether the items use `regress` (for `pattern`).
    pub uses_regress: bool,
    /// Whether the items use `chrono`.
    pub uses_chrono: bool,
    /// The definitions typed as `serde_json::Value` because typify could not type them.
    pub fallbacks: Vec<String>,
}

/// Converts every definition of `bundle` that `api` uses.
/// `runner` says where typify runs (see [`run::Runner`]).
pub fn build(api: &Api, bundle: &SchemaBundle, model: &Model, runner: &run::Runner) -> Result<Types> {
    let mut defs = bundle.defs.clone();
    // A discriminated base is an enum written here, not by typify; typify sees its own part.
    for hierarchy in &bundle.hierarchies {
        if let Some(base) = defs.get_mut(&hierarchy.base) {
            *base = schema::discriminator::rewritten_own_part(base);
        }
    }
    usage::document(&mut defs, api);
    let untyped = schema::untyped_keywords(&defs);
    let (mut defs, moved) = schema::normalize(&defs);
    schema::apply_unknown_fields(&mut defs, api.unknown_fields);
    schema::document_optional_defaults(&mut defs);
    schema::hoist_property_objects(&mut defs);
    let constants = schema::hoist_constants(&mut defs);
    let open_enums = schema::hoist_open_enums(&mut defs);
    let mut warnings: Vec<Warning> = moved
        .into_iter()
        .filter_map(|(name, props)| {
            Some(Warning {
                location: model.location(bundle.origins.get(&name)?),
                message: format!(
                    "in schema `{name}`, {} would get the same Rust field name as another property; kept in the type's map of additional properties",
                    props.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                ),
            })
        })
        .collect();
    for (name, keyword) in untyped {
        if let Some(origin) = bundle.origins.get(&name) {
            warnings.push(Warning {
                location: model.location(origin),
                message: format!("schema `{name}` uses `{keyword}`, which no Rust type expresses; it is ignored and the value is typed by the rest of its schema"),
            });
        }
    }
    let mut fallbacks: fallback::Fallbacks =
        schema::unmergeable(&defs).into_iter().map(|(name, why)| (name, why.to_owned())).collect();
    for (name, above) in schema::depth::too_deep(&defs) {
        let why = format!(
            "the types from `{above}` down to it would nest too deeply for rustc to compile (its recursion limit); from here down the value is kept as JSON"
        );
        fallbacks.entry(name).or_insert(why);
    }

    let open_names: Vec<String> = open_enums.iter().map(|(name, _)| name.clone()).collect();
    let mut bases: Vec<String> = bundle.hierarchies.iter().map(|h| h.base.clone()).collect();
    // Constant types are written here too; typify refers to them.
    bases.extend(constants.iter().map(|(name, _)| name.clone()));
    let check = |d: &IndexMap<String, Value>| to_schemars(d, bundle, model).map(drop);
    let typified = fallback::typify(runner, (&open_names, &bases), &mut defs, &mut fallbacks, check)?;
    let typified = typified.map_err(|e| typify_error(bundle, model, &defs, &e))?;
    warnings.extend(fallbacks.iter().map(|(name, why)| Warning {
        location: model.location(bundle.origins.get(name).unwrap_or(&model.root())),
        message: format!("schema `{name}` is typed as `serde_json::Value`: {why}"),
    }));
    let open = open_enums.iter().map(|(name, values)| open_enum(name, values, defs.get(name)));
    let mut file = preserve_presence(typified.tokens, &schema::optional_nullable(&defs))?;
    let constant_values: BTreeMap<String, Value> = constants.iter().cloned().collect();
    for (union, message) in unions::best_fit(&mut file, &constant_values) {
        let origin = origin_of(&union, bundle).cloned().unwrap_or_else(|| model.root());
        warnings.push(Warning { location: model.location(&origin), message });
    }
    constants::derive_default(&mut file, &constant_values.keys().cloned().collect());
    records::serde_by_macro(&mut file);
    for (name, value) in &constants {
        let description = defs.get(name).and_then(|s| s.get("description")).and_then(Value::as_str);
        file.items.extend(parse_items(constants::constant_type(name, value, description), "constant type")?);
    }
    for items in open {
        file.items.extend(parse_items(Some(items), "open enum")?);
    }
    let mut paths: BTreeMap<String, TokenStream> = typified.types.into_iter().collect();
    for name in defs.keys() {
        paths.entry(name.clone()).or_insert_with(|| {
            let ident = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            quote!(#ident)
        });
    }
    for hierarchy in &bundle.hierarchies {
        let description = bundle.defs.get(&hierarchy.base).and_then(|s| s.get("description")).and_then(Value::as_str);
        let docs = crate::doc_text::doc_lines(description.unwrap_or(&hierarchy.base));
        // A subtype that reaches its base again (through other types) is boxed, or the enum
        // would contain itself.
        let boxed: Vec<bool> = hierarchy
            .variants
            .iter()
            .map(|(_, subtype)| schema::reachable(&defs, subtype).contains(hierarchy.base.as_str()))
            .collect();
        let items = tagged::tagged_enum(hierarchy, &paths, &boxed, &docs);
        let parsed: syn::File =
            syn::parse2(items).map_err(|e| Error::Internal(format!("tagged enum is not a list of items: {e}")))?;
        file.items.extend(parsed.items);
    }
    Ok(Types {
        file,
        paths,
        warnings,
        uses_uuid: typified.uses.0,
        uses_regress: typified.uses.1,
        uses_chrono: typified.uses.2,
        fallbacks: fallbacks.into_keys().collect(),
    })
}

/// A hash of the code of the formatted `types` module, its comment lines (the banner and the
/// docs) left out: the same for every role of one document (whose docs differ), and different as
/// soon as a type, field or impl does. FNV-1a, so the value is the same on every platform and in
/// every run. It is taken from the text written anyway, so the module is formatted once.
pub fn fingerprint(formatted: &str) -> u64 {
    use std::hash::Hasher as _;
    let mut hasher = fnv::FnvHasher::default();
    for line in formatted.lines().filter(|l| !l.trim_start().starts_with("//")) {
        hasher.write(line.as_bytes());
        hasher.write_u8(b'\n');
    }
    hasher.finish()
}

/// The item a `types` module ends with, which records its [`fingerprint`]; a crate that
/// re-exports the module (`--types-from`) compares it with its own at compile time.
pub fn fingerprint_item(fingerprint: u64) -> TokenStream {
    let value = proc_macro2::Literal::u64_suffixed(fingerprint);
    quote! {
        /// What this module's code is, docs aside: a crate that re-exports these types
        /// (`--types-from`) checks at compile time that it was generated for the same ones.
        #[doc(hidden)]
        pub const __TYPES_FINGERPRINT: u64 = #value;
    }
}

/// The items of `tokens` (nothing for `None`), parsed; `what` names them in the internal error.
fn parse_items(tokens: Option<TokenStream>, what: &str) -> Result<Vec<syn::Item>> {
    let Some(tokens) = tokens else { return Ok(Vec::new()) };
    let parsed: syn::File =
        syn::parse2(tokens).map_err(|e| Error::Internal(format!("{what} is not a list of items: {e}")))?;
    Ok(parsed.items)
}

/// Where to point a warning about the type `name`: its definition, or else the definition whose
/// name is the longest prefix of it (typify names an inline type after its parent).
fn origin_of<'a>(name: &str, bundle: &'a SchemaBundle) -> Option<&'a crate::resolve::Ptr> {
    (1..=name.len()).rev().filter(|&i| name.is_char_boundary(i)).find_map(|i| bundle.origins.get(&name[..i]))
}

/// An open string enum: a variant per listed value, plus a fallback variant that keeps an
/// unlisted value as sent, so that a server adding a value does not make whole frames
/// undecodable.
fn open_enum(name: &str, values: &[String], schema: Option<&Value>) -> TokenStream {
    let ident = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
    let mut names = Namespace::default();
    let variants: Vec<_> = values
        .iter()
        .map(|v| proc_macro2::Ident::new(&names.claim(&naming::type_name(v)).0, proc_macro2::Span::call_site()))
        .collect();
    let value_docs = values.iter().map(|v| format!(" `{v}`"));
    let (other, _) = names.claim("Unlisted");
    let other = proc_macro2::Ident::new(&other, proc_macro2::Span::call_site());
    let description = schema.and_then(|s| s.get("description")).and_then(Value::as_str).unwrap_or(name);
    let docs = crate::doc_text::doc_lines(description);
    quote! {
        #(#[doc = #docs])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #ident {
            #(#[doc = #value_docs] #variants,)*
            /// A value this version of the API does not list, kept as sent.
            #other(::std::string::String),
        }

        ::asyncapi_runtime::__open_enum!(#ident, #other, [#(#values => #variants),*]);
    }
}

/// Keeps the presence of optional members, so that a decoded message encodes back to the same
/// JSON; typify's structs are rewritten here. An optional, nullable property of a named object
/// gets three states, `Option<Option<T>>`: absent (`None`), `null` (`Some(None)`) and a value
/// (`Some(Some(v))`), where typify gives one `Option<T>`. An optional array or map, which typify
/// makes a collection that is skipped when empty, becomes `Option<collection>`.
fn preserve_presence(
    tokens: TokenStream,
    fields: &BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Result<syn::File> {
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| Error::Internal(format!("typify's output is not valid Rust: {e}")))?;
    let none = std::collections::BTreeSet::new();
    for item in &mut file.items {
        let syn::Item::Struct(item) = item else { continue };
        let wanted = fields.get(&item.ident.to_string()).unwrap_or(&none);
        for field in item.fields.iter_mut() {
            let (rename, skip_if) = serde_rename_and_skip(&field.attrs);
            let wire = rename.clone().or_else(|| field.ident.as_ref().map(ToString::to_string)).unwrap_or_default();
            let deserialize_with = if wanted.contains(&wire) && is_option(&field.ty) {
                // Optional and nullable: `Option<Option<T>>`.
                Some("::asyncapi_runtime::__private::present")
            } else if skip_if.is_some_and(|s| s.ends_with("::is_empty")) {
                // typify makes an optional array or map a collection that defaults to empty and
                // is skipped when empty, so `[]` and absent became the same; `Option` keeps them
                // apart.
                None
            } else {
                continue;
            };
            let ty = &field.ty;
            field.ty = syn::parse_quote!(::std::option::Option<#ty>);
            field.attrs.retain(|a| !a.path().is_ident("serde"));
            if let Some(rename) = rename {
                field.attrs.push(syn::parse_quote!(#[serde(rename = #rename)]));
            }
            field.attrs.push(match deserialize_with {
                Some(with) => syn::parse_quote!(
                    #[serde(default, skip_serializing_if = "::std::option::Option::is_none", deserialize_with = #with)]
                ),
                None => syn::parse_quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            });
        }
    }
    Ok(file)
}

/// The paths of a `#[derive(...)]` attribute; `None` for any other attribute.
fn derive_paths(attr: &syn::Attribute) -> Option<syn::punctuated::Punctuated<syn::Path, syn::Token![,]>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(syn::punctuated::Punctuated::parse_terminated).ok()
}

/// Whether `path` names `name`, however qualified (`Default`, `::serde::Serialize`).
fn is_named(path: &syn::Path, name: &str) -> bool {
    path.segments.last().is_some_and(|s| s.ident == name)
}

/// Whether the item's `#[derive(...)]` lists hold `name`.
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().filter_map(derive_paths).any(|paths| paths.iter().any(|p| is_named(p, name)))
}

/// Drops `name` (however qualified) from the item's `#[derive(...)]` lists.
fn remove_derive(attrs: &mut [syn::Attribute], name: &str) {
    for attr in attrs {
        if let Some(paths) = derive_paths(attr) {
            let kept = paths.into_iter().filter(|p| !is_named(p, name));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The `rename = "..."` and `skip_serializing_if = "..."` of a field's `#[serde(...)]` attributes.
fn serde_rename_and_skip(attrs: &[syn::Attribute]) -> (Option<String>, Option<String>) {
    let (mut rename, mut skip) = (None, None);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.path.is_ident("skip_serializing_if") {
                skip = Some(meta.value()?.parse::<syn::LitStr>()?.value().replace(' ', ""));
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    (rename, skip)
}

/// Runs `f` with the panic message of a contained typify panic kept off stderr: the panic is
/// reported as a located error instead, and a printed "panicked at" would read as a crash.
pub(crate) fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(previous);
    out
}

fn to_schemars(
    defs: &IndexMap<String, Value>,
    bundle: &SchemaBundle,
    model: &Model,
) -> Result<Vec<(String, schemars::schema::Schema)>> {
    defs.iter()
        .map(|(name, value)| {
            serde_json::from_value::<schemars::schema::Schema>(value.clone()).map(|s| (name.clone(), s)).map_err(|e| {
                let location = bundle.origins.get(name).map(|p| model.location(p));
                match location {
                    Some(location) => {
                        Error::spec(location, format!("not a JSON Schema this generator understands: {e}"))
                    }
                    None => Error::Internal(format!("schema `{name}`: {e}")),
                }
            })
        })
        .collect()
}

fn typify_error(bundle: &SchemaBundle, model: &Model, defs: &IndexMap<String, Value>, what: &str) -> Error {
    // typify reports no position; name the first schema so the user knows where to look.
    let first = defs.keys().next().cloned().unwrap_or_default();
    let location = bundle.origins.get(&first).map(|p| model.location(p));
    let names: Vec<_> = defs.keys().take(8).map(String::as_str).collect();
    let message =
        format!("cannot turn the payload schemas into Rust types ({what}); schemas involved: {}", names.join(", "));
    match location {
        Some(location) => Error::spec(location, message),
        None => Error::Internal(message),
    }
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn the_fingerprint_ignores_comments_and_sees_code() {
        let base = fingerprint(
            "// banner\n\n/// Sent on `a`.\npub struct Quote {\n    /// The price.\n    pub price: f64,\n}\n",
        );
        let other_docs =
            fingerprint("// other banner\n\n/// Received on `a`.\npub struct Quote {\n    pub price: f64,\n}\n");
        let other_field = fingerprint("/// Sent on `a`.\npub struct Quote {\n    pub price: f32,\n}\n");
        assert_eq!(base, other_docs);
        assert_ne!(base, other_field);
    }
}
