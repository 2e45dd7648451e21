//! The type of a member pinned to one value (see `schema::constants`): a zero-sized struct with
//! the value as `VALUE`, whose `Display` and serde impls are one call of the runtime's
//! `__constant!` macro. It derives `Default`, so a message built in Rust gets the value without
//! anyone writing it, and decoding another value is an error at the member's path; `Display`
//! writes the value as text.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

/// The items for the constant definition `name`, whose value is `value`; `description` is the
/// member's, if it had one.
pub fn constant_type(name: &str, value: &Value, description: Option<&str>) -> Option<TokenStream> {
    let ident = Ident::new(name, Span::call_site());
    let (ty, literal, variant) = match value {
        Value::String(s) => (quote!(&'static str), quote!(#s), quote!(Str)),
        Value::Bool(b) => (quote!(bool), quote!(#b), quote!(Bool)),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => (quote!(i64), quote!(#i), quote!(Int)),
            (None, Some(u), _) => (quote!(u64), quote!(#u), quote!(Uint)),
            (None, None, Some(f)) if f.is_finite() => (quote!(f64), quote!(#f), quote!(Float)),
            _ => return None,
        },
        _ => return None,
    };
    let shown = value.to_string();
    let mut docs: Vec<String> = description.map(crate::doc_text::doc_lines).unwrap_or_default();
    if !docs.is_empty() {
        docs.push(String::new());
    }
    docs.push(format!(" Always `{shown}`: the type holds no data, writes the value by itself and accepts no other."));
    let value_doc = format!(" `{shown}`, the value the document pins this member to.");
    Some(quote! {
        #(#[doc = #docs])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct #ident;

        impl #ident {
            #[doc = #value_doc]
            pub const VALUE: #ty = #literal;
        }

        ::asyncapi_runtime::__constant!(#ident, #variant);
    })
}

/// Adds `Default` to every struct whose members all have an obvious default (`None`, or a
/// constant type's one value), so that a message made only of those is built with
/// `..Default::default()`, constants included; typify derives it only when no member is required.
pub fn derive_default(file: &mut syn::File, constants: &std::collections::BTreeSet<String>) {
    let implemented: std::collections::BTreeSet<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Impl(imp) if imp.trait_.as_ref().is_some_and(|t| super::is_named(&t.0, "Default")) => {
                match &*imp.self_ty {
                    syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect();
    for item in &mut file.items {
        let syn::Item::Struct(s) = item else { continue };
        let syn::Fields::Named(fields) = &s.fields else { continue };
        let obvious = fields.named.iter().all(|f| match &f.ty {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|seg| {
                let name = seg.ident.to_string();
                name == "Option" || constants.contains(&name)
            }),
            _ => false,
        });
        if obvious && !super::derives(&s.attrs, "Default") && !implemented.contains(&s.ident.to_string()) {
            add_derive(&mut s.attrs);
        }
    }
}

/// Adds `Default` to the item's first `#[derive(...)]` list (or a list of its own).
fn add_derive(attrs: &mut Vec<syn::Attribute>) {
    let first = attrs.iter().position(|a| super::derive_paths(a).is_some());
    match first {
        Some(i) => {
            let mut paths = super::derive_paths(&attrs[i]).unwrap_or_default();
            paths.push(syn::parse_quote!(Default));
            attrs[i] = syn::parse_quote!(#[derive(#paths)]);
        }
        None => attrs.push(syn::parse_quote!(#[derive(Default)])),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_scalar_kind_gets_its_value_type() {
        let text = |v: Value| constant_type("C", &v, Some("Doc.")).map(|t| t.to_string()).unwrap_or_default();
        assert!(text(json!("ping")).contains("pub const VALUE : & 'static str = \"ping\""));
        assert!(text(json!(true)).contains("pub const VALUE : bool = true"));
        assert!(text(json!(-3)).contains("pub const VALUE : i64 = - 3i64"));
        assert!(text(json!(u64::MAX)).contains("u64"));
        assert!(text(json!(0.5)).contains("pub const VALUE : f64 = 0.5f64"));
        assert!(constant_type("C", &json!(null), None).is_none());
        assert!(constant_type("C", &json!([1]), None).is_none());
    }

    #[test]
    fn structs_of_options_and_constants_derive_default() {
        let mut file: syn::File = syn::parse_quote! {
            #[derive(Clone)]
            pub struct Ping { pub event: PingEvent, pub reqid: ::std::option::Option<i64> }
            #[derive(Clone)]
            pub struct Trade { pub event: PingEvent, pub price: f64 }
            #[derive(Clone, Default)]
            pub struct Empty {}
        };
        derive_default(&mut file, &std::collections::BTreeSet::from(["PingEvent".to_owned()]));
        let text = quote!(#file).to_string();
        assert!(text.contains("# [derive (Clone , Default)] pub struct Ping"), "{text}");
        assert!(text.contains("# [derive (Clone)] pub struct Trade"), "{text}");
        assert!(text.contains("# [derive (Clone , Default)] pub struct Empty"), "{text}");
    }
}
