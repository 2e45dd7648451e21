//! Untagged unions decoded by best fit. typify writes a `oneOf` whose alternatives no constant
//! tells apart as a `#[serde(untagged)]` enum, which decodes as the first alternative that parses:
//! `{"key2": "v"}` becomes the alternative that declares only `key`, and `key2` is lost. Here the
//! derived `Deserialize` of every such enum is replaced by one that hands the runtime's
//! `deserialize_union` each alternative's declared and required members (read from the structs
//! typify wrote), so that the alternative that fits best is tried first (the rule is the
//! runtime's, `asyncapi_runtime::__private::ranking`). `Serialize` stays derived: an untagged
//! enum writes its alternative as it is.
//!
//! Two alternatives that declare the same members, where the later requires no fewer, can never
//! be told apart by the members present; unless a member pinned to different constants tells
//! them apart, the later one is reached only when the earlier fails on a value, and a warning
//! says so.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

/// A warning about one union: the enum's name and the text.
pub type UnionWarning = (String, String);

/// What decoding needs to know about an object type: its members' wire names, which are
/// required, and the constant each pinned member has.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shape {
    declared: Vec<String>,
    required: Vec<String>,
    constants: BTreeMap<String, Value>,
}

/// One member of a struct as serde sees it.
struct Member {
    wire: String,
    required: bool,
    flatten: bool,
    type_name: Option<String>,
}

/// Rewrites every untagged enum of `file` to decode by best fit; `constants` are the constant
/// types (name → value). Returns the warnings about alternatives that cannot be told apart.
pub fn best_fit(file: &mut syn::File, constants: &BTreeMap<String, Value>) -> Vec<UnionWarning> {
    let structs: BTreeMap<String, syn::ItemStruct> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some((s.ident.to_string(), s.clone())),
            _ => None,
        })
        .collect();
    let mut warnings = Vec::new();
    let mut impls = Vec::new();
    for item in &mut file.items {
        let syn::Item::Enum(e) = item else { continue };
        if !is_untagged(&e.attrs) || !e.generics.params.is_empty() {
            continue;
        }
        let deny_unknown = has_serde_word(&e.attrs, "deny_unknown_fields");
        let shapes: Vec<Option<Shape>> = e.variants.iter().map(|v| variant_shape(v, &structs, constants)).collect();
        let alternatives: Vec<TokenStream> = e
            .variants
            .iter()
            .zip(&shapes)
            .map(|(v, shape)| alternative(&e.ident, v, shape.as_ref(), deny_unknown))
            .collect();
        super::remove_derive(&mut e.attrs, "Deserialize");
        let ident = &e.ident;
        let union = ident.to_string();
        impls.push(quote! {
            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    ::asyncapi_runtime::__private::deserialize_union(deserializer, #union, &[#(#alternatives),*])
                }
            }
        });
        warnings.extend(shadowed(&union, e, &shapes));
    }
    for tokens in impls {
        if let Ok(item) = syn::parse2::<syn::Item>(tokens) {
            file.items.push(item);
        }
    }
    warnings
}

fn is_untagged(attrs: &[syn::Attribute]) -> bool {
    has_serde_word(attrs, "untagged")
}

/// Whether a `#[serde(...)]` attribute lists the bare word `word`.
fn has_serde_word(attrs: &[syn::Attribute], word: &str) -> bool {
    let mut found = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(word) {
                found = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// The members of struct `name`, those of flattened structs included (bounded: typify never
/// flattens a struct into itself, but a document could make it try).
fn struct_shape(
    name: &str,
    structs: &BTreeMap<String, syn::ItemStruct>,
    constants: &BTreeMap<String, Value>,
    depth: usize,
) -> Option<Shape> {
    let item = structs.get(name)?;
    let syn::Fields::Named(fields) = &item.fields else { return None };
    Some(fields_shape(fields.named.iter(), structs, constants, depth))
}

fn fields_shape<'a>(
    fields: impl Iterator<Item = &'a syn::Field>,
    structs: &BTreeMap<String, syn::ItemStruct>,
    constants: &BTreeMap<String, Value>,
    depth: usize,
) -> Shape {
    let mut shape = Shape::default();
    for member in fields.filter_map(member) {
        if member.flatten {
            let inner = member.type_name.as_deref().filter(|_| depth < 8);
            if let Some(inner) = inner.and_then(|t| struct_shape(t, structs, constants, depth + 1)) {
                shape.declared.extend(inner.declared);
                shape.required.extend(inner.required);
                shape.constants.extend(inner.constants);
            }
            continue;
        }
        if let Some(value) = member.type_name.as_ref().and_then(|t| constants.get(t)) {
            shape.constants.insert(member.wire.clone(), value.clone());
        }
        if member.required {
            shape.required.push(member.wire.clone());
        }
        shape.declared.push(member.wire);
    }
    shape
}

/// A field's wire name, whether serde requires it, whether it is flattened, and its type's last
/// path segment (through a `Box`).
fn member(field: &syn::Field) -> Option<Member> {
    let mut wire = field.ident.as_ref().map(|i| i.to_string().trim_start_matches("r#").to_owned())?;
    let (mut default, mut flatten) = (false, false);
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                wire = meta.value()?.parse::<syn::LitStr>()?.value();
            } else if meta.path.is_ident("default") {
                default = true;
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
            } else if meta.path.is_ident("flatten") {
                flatten = true;
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    let type_name = last_segment(&field.ty);
    let optional = type_name.as_deref() == Some("Option");
    Some(Member { wire, required: !default && !optional && !flatten, flatten, type_name })
}

/// The last path segment of a type, looking through `Box<..>`.
fn last_segment(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident == "Box"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return last_segment(inner);
    }
    Some(last.ident.to_string())
}

/// The object shape of a variant: a struct variant's own fields, or the struct a one-field tuple
/// variant holds; `None` for anything that is not an object of known members.
fn variant_shape(
    variant: &syn::Variant,
    structs: &BTreeMap<String, syn::ItemStruct>,
    constants: &BTreeMap<String, Value>,
) -> Option<Shape> {
    match &variant.fields {
        syn::Fields::Named(fields) => Some(fields_shape(fields.named.iter(), structs, constants, 0)),
        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            let ty = last_segment(&fields.unnamed[0].ty)?;
            struct_shape(&ty, structs, constants, 0)
        }
        _ => None,
    }
}

/// Whether a one-field tuple variant holds a JSON value, which takes anything.
fn takes_anything(variant: &syn::Variant) -> bool {
    match &variant.fields {
        syn::Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            let syn::Type::Path(path) = &fields.unnamed[0].ty else { return false };
            let names: Vec<String> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
            names == ["serde_json", "Value"]
        }
        _ => false,
    }
}

/// The runtime's description of one variant, with the function that decodes it.
fn alternative(union: &Ident, variant: &syn::Variant, shape: Option<&Shape>, deny_unknown: bool) -> TokenStream {
    let name = variant.ident.to_string();
    let v = &variant.ident;
    let empty = Shape::default();
    let shape = shape.unwrap_or(&empty);
    let declared = &shape.declared;
    let required = &shape.required;
    let fallback = takes_anything(variant);
    let decode = match &variant.fields {
        syn::Fields::Unit => quote!(|v| <() as ::serde::Deserialize>::deserialize(v).map(|()| #union::#v)),
        syn::Fields::Unnamed(fields) => {
            let types: Vec<&syn::Type> = fields.unnamed.iter().map(|f| &f.ty).collect();
            let bindings: Vec<Ident> = (0..types.len()).map(|i| format_ident!("f{i}")).collect();
            if let [one] = types.as_slice() {
                quote!(|v| <#one as ::serde::Deserialize>::deserialize(v).map(#union::#v))
            } else {
                quote!(|v| <(#(#types,)*) as ::serde::Deserialize>::deserialize(v).map(|(#(#bindings,)*)| #union::#v(#(#bindings),*)))
            }
        }
        syn::Fields::Named(fields) => {
            // The variant's fields, attributes and all, as a struct serde can derive for.
            let members: Vec<TokenStream> = fields
                .named
                .iter()
                .map(|f| {
                    let attrs = f.attrs.iter().filter(|a| a.path().is_ident("serde"));
                    let (ident, ty) = (&f.ident, &f.ty);
                    quote!(#(#attrs)* #ident: #ty)
                })
                .collect();
            let idents: Vec<&Option<Ident>> = fields.named.iter().map(|f| &f.ident).collect();
            let deny = deny_unknown.then(|| quote!(#[serde(deny_unknown_fields)]));
            let helper = Ident::new("__Alternative", Span::call_site());
            quote!(|v| {
                #[derive(::serde::Deserialize)]
                #deny
                struct #helper { #(#members),* }
                <#helper as ::serde::Deserialize>::deserialize(v).map(|h| #union::#v { #(#idents: h.#idents),* })
            })
        }
    };
    quote! {
        ::asyncapi_runtime::__private::Alternative {
            name: #name,
            declared: &[#(#declared),*],
            required: &[#(#required),*],
            fallback: #fallback,
            decode: #decode,
        }
    }
}

/// Warnings for alternatives that a previous one always outranks.
fn shadowed(union: &str, e: &syn::ItemEnum, shapes: &[Option<Shape>]) -> Vec<UnionWarning> {
    let mut out = Vec::new();
    let names: Vec<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
    for (j, later) in shapes.iter().enumerate() {
        let Some(later) = later else { continue };
        let shadow = shapes[..j].iter().enumerate().find_map(|(i, earlier)| {
            let earlier = earlier.as_ref()?;
            let same: bool = earlier.declared.iter().collect::<BTreeSet<_>>() == later.declared.iter().collect();
            let no_more_required = earlier.required.iter().all(|r| later.required.contains(r));
            let told_apart = earlier.constants.iter().any(|(k, v)| later.constants.get(k).is_some_and(|w| w != v));
            (same && no_more_required && !told_apart).then_some(i)
        });
        if let Some(i) = shadow {
            out.push((
                union.to_owned(),
                format!(
                    "in `{union}`, the alternatives `{}` and `{}` declare the same members and no constant tells them apart; an object that fits both decodes as `{}`, the earlier",
                    names[i], names[j], names[i]
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(source: &str) -> (String, Vec<UnionWarning>) {
        let mut file: syn::File = syn::parse_str(source).expect("valid Rust");
        let constants =
            BTreeMap::from([("AKind".to_owned(), Value::from("a")), ("BKind".to_owned(), Value::from("b"))]);
        let warnings = best_fit(&mut file, &constants);
        (quote!(#file).to_string(), warnings)
    }

    #[test]
    fn untagged_enums_get_the_members_of_their_alternatives() {
        let (out, warnings) = run(r#"
            pub struct WithKey { pub key: Option<String> }
            pub struct WithKey2 { #[serde(rename = "key-2")] pub key2: Option<String>, pub id: i64 }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone)]
            #[serde(untagged)]
            pub enum U { WithKey(WithKey), WithKey2(Box<WithKey2>), Any(::serde_json::Value) }
            "#);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(out.contains("# [derive (:: serde :: Serialize , Clone)]"), "{out}");
        assert!(out.contains("declared : & [\"key\"] , required : & [] , fallback : false"), "{out}");
        assert!(out.contains("declared : & [\"key-2\" , \"id\"] , required : & [\"id\"]"), "{out}");
        assert!(out.contains("declared : & [] , required : & [] , fallback : true"), "{out}");
    }

    #[test]
    fn alternatives_with_the_same_members_warn_unless_a_constant_tells_them_apart() {
        let (_, warnings) = run(r#"
            pub struct A { pub x: i64, pub kind: AKind }
            pub struct B { pub x: i64, pub kind: BKind }
            pub struct C { pub x: i64, pub kind: AKind }
            #[serde(untagged)]
            pub enum U { A(A), B(B), C(C), Inline { x: i64, kind: AKind } }
            "#);
        let texts: Vec<&str> = warnings.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].contains("`A` and `C`"), "{texts:?}");
        assert!(texts[1].contains("`A` and `Inline`"), "{texts:?}");
    }
}
