//! `Deserialize` of the plain structs through the runtime's `__deserialize_struct!` macro instead
//! of serde's derive. The derive is most of what rustc spends on a generated crate, and much of
//! what it writes per struct (a field visitor by name, bytes and index, a `visit_seq` for arrays)
//! is never used for a JSON object. Measured on the 100-channel synthetic document generated as
//! the side that receives (`-Z time-passes` totals of a clean build of the crate alone,
//! 2026-12-06): 32.7 s with the derive, 22.7 s with the macro, 11.2 s with no `Deserialize` at
//! all. Decoding is as fast as with the derive (the decode benchmark's `payload` against
//! `limit`). `Serialize` stays derived; it reads the `rename` and `skip_serializing_if`
//! attributes that the struct keeps.
//!
//! A struct is rewritten only when every serde attribute on it is one the macro reproduces
//! (`rename`, `default`, `default = "path"`, `skip_serializing_if`, the two `deserialize_with`
//! helpers the types stage writes, and `deny_unknown_fields`); anything else (`flatten`,
//! `transparent`, generics) keeps the derive.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

const PRESENT: &str = "::asyncapi_runtime::__private::present";
const REQUIRED_NULLABLE: &str = "::std::option::Option::deserialize";

/// What an absent member gives.
enum Absent {
    Error,
    Default,
    /// `Option<Option<T>>`: absent is `None`, `null` is `Some(None)`.
    Present,
    Call(syn::ExprPath),
}

struct Member {
    ident: Ident,
    wire: String,
    absent: Absent,
}

/// Rewrites every eligible struct of `file`: `Deserialize` leaves its derive, the attributes only
/// it read leave the members, and a `__deserialize_struct!` call follows the struct.
pub fn lean_deserialize(file: &mut syn::File) {
    let items = std::mem::take(&mut file.items);
    file.items.reserve(items.len());
    for mut item in items {
        let call = match &mut item {
            syn::Item::Struct(s) => rewrite(s),
            _ => None,
        };
        file.items.push(item);
        file.items.extend(call);
    }
}

/// The macro call for `s`, after taking `Deserialize` off it; `None` (and `s` untouched) when the
/// macro cannot reproduce what the derive does.
fn rewrite(s: &mut syn::ItemStruct) -> Option<syn::Item> {
    if !s.generics.params.is_empty() || !derives_deserialize(&s.attrs) {
        return None;
    }
    let deny = container_denies_unknown(&s.attrs)?;
    let syn::Fields::Named(fields) = &s.fields else { return None };
    if fields.named.is_empty() {
        return None;
    }
    let members: Vec<Member> = fields.named.iter().map(member).collect::<Option<_>>()?;
    let call = syn::parse2(macro_call(&s.ident, deny, &members)).ok()?;
    remove_deserialize(&mut s.attrs);
    for field in s.fields.iter_mut() {
        keep_serialize_attrs(&mut field.attrs);
    }
    Some(call)
}

/// `__deserialize_struct!(Type, ["wire" => member kind, ...]);`
fn macro_call(ty: &Ident, deny: bool, members: &[Member]) -> TokenStream {
    let entries = members.iter().map(|m| {
        let (ident, wire) = (&m.ident, &m.wire);
        let kind = match &m.absent {
            Absent::Error => quote!(required),
            Absent::Default => quote!(optional),
            Absent::Present => quote!(present),
            Absent::Call(path) => quote!(or_else(#path)),
        };
        quote!(#wire => #ident #kind)
    });
    let deny = deny.then(|| quote!(deny_unknown,));
    quote! {
        ::asyncapi_runtime::__deserialize_struct!(#ty, #deny [#(#entries),*]);
    }
}

fn derive_paths(attr: &syn::Attribute) -> Option<syn::punctuated::Punctuated<syn::Path, syn::Token![,]>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(syn::punctuated::Punctuated::parse_terminated).ok()
}

fn is_deserialize(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| s.ident == "Deserialize")
}

fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter_map(derive_paths).any(|paths| paths.iter().any(is_deserialize))
}

fn remove_deserialize(attrs: &mut [syn::Attribute]) {
    for attr in attrs {
        if let Some(paths) = derive_paths(attr) {
            let kept = paths.into_iter().filter(|p| !is_deserialize(p));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
        }
    }
}

/// `Some(deny)` when the struct's own serde attributes are at most `deny_unknown_fields`.
fn container_denies_unknown(attrs: &[syn::Attribute]) -> Option<bool> {
    let mut deny = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("deny_unknown_fields") {
                deny = true;
                Ok(())
            } else {
                Err(meta.error("not reproduced"))
            }
        })
        .ok()?;
    }
    Some(deny)
}

/// How the macro reads `field`, or `None` if one of its serde attributes is beyond it.
fn member(field: &syn::Field) -> Option<Member> {
    let ident = field.ident.clone()?;
    let (mut rename, mut default, mut call, mut with) = (None, false, None, None);
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let text = || -> syn::Result<String> { Ok(meta.value()?.parse::<syn::LitStr>()?.value()) };
            if meta.path.is_ident("rename") {
                rename = Some(text()?);
            } else if meta.path.is_ident("skip_serializing_if") {
                text()?;
            } else if meta.path.is_ident("deserialize_with") {
                with = Some(text()?.replace(' ', ""));
            } else if meta.path.is_ident("default") {
                if meta.input.peek(syn::Token![=]) {
                    call = Some(syn::parse_str::<syn::ExprPath>(&text()?)?);
                } else {
                    default = true;
                }
            } else {
                return Err(meta.error("not reproduced"));
            }
            Ok(())
        })
        .ok()?;
    }
    let absent = match (with.as_deref(), call, default) {
        (Some(PRESENT), None, true) => Absent::Present,
        (Some(REQUIRED_NULLABLE), None, false) => Absent::Error,
        (Some(_), _, _) => return None,
        (None, Some(path), _) => Absent::Call(path),
        (None, None, true) => Absent::Default,
        // serde reads an absent `Option` member as `None` even without `default`.
        (None, None, false) if super::is_option(&field.ty) => Absent::Default,
        (None, None, false) => Absent::Error,
    };
    let wire = rename.unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
    Some(Member { ident, wire, absent })
}

/// Keeps of a member's serde attributes what `Serialize` reads: `rename` and `skip_serializing_if`.
fn keep_serialize_attrs(attrs: &mut Vec<syn::Attribute>) {
    let mut kept: Vec<TokenStream> = Vec::new();
    attrs.retain(|attr| {
        if !attr.path().is_ident("serde") {
            return true;
        }
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") || meta.path.is_ident("skip_serializing_if") {
                let path = meta.path.clone();
                let value: syn::LitStr = meta.value()?.parse()?;
                kept.push(quote!(#path = #value));
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
        false
    });
    if !kept.is_empty() {
        attrs.push(syn::parse_quote!(#[serde(#(#kept),*)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: &str) -> String {
        let mut file: syn::File = syn::parse_str(source).expect("test source parses");
        lean_deserialize(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn a_plain_struct_gets_the_macro_and_keeps_what_serialize_reads() {
        let text = rewritten(
            r#"
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(deny_unknown_fields)]
            pub struct S {
                pub id: String,
                #[serde(rename = "type", skip_serializing_if = "::std::option::Option::is_none")]
                pub type_: Option<String>,
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub tags: Vec<String>,
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none", deserialize_with = "::asyncapi_runtime::__private::present")]
                pub comment: Option<Option<String>>,
                #[serde(deserialize_with = "::std::option::Option::deserialize")]
                pub nullable: Option<i64>,
                #[serde(default = "defaults::level")]
                pub level: u64,
            }
            "#,
        );
        assert!(text.contains("#[derive(::serde::Serialize, Clone, Debug)]"), "{text}");
        assert!(text.contains("#[serde(deny_unknown_fields)]"), "{text}");
        assert!(text.contains(r#"#[serde(rename = "type", skip_serializing_if = "::std::option::Option::is_none")]"#));
        let (strukt, call) = text.split_once("__deserialize_struct!").expect("the macro call follows");
        assert!(!strukt.contains("deserialize_with") && !strukt.contains("default"), "{strukt}");
        let call: String = call.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(call.contains(r#"S, deny_unknown, ["id" => id required, "type" => type_ optional, "tags" => tags optional, "comment" => comment present, "nullable" => nullable required, "level" => level or_else(defaults::level)]"#), "{call}");
    }

    #[test]
    fn what_the_macro_cannot_reproduce_keeps_the_derive() {
        for source in [
            "#[derive(::serde::Deserialize)] pub struct S { #[serde(flatten)] pub extra: ::std::collections::BTreeMap<String, i64> }",
            "#[derive(::serde::Deserialize)] #[serde(transparent)] pub struct S { pub inner: String }",
            "#[derive(::serde::Deserialize)] pub struct S<T> { pub inner: T }",
            "#[derive(::serde::Deserialize)] pub struct S(pub String);",
            "#[derive(::serde::Deserialize)] pub struct S {}",
            "#[derive(::serde::Deserialize)] pub struct S { #[serde(deserialize_with = \"other\")] pub a: String }",
        ] {
            let text = rewritten(source);
            assert!(text.contains("::serde::Deserialize") && !text.contains("__deserialize_struct"), "{text}");
        }
    }
}
