//! `Serialize` and `Deserialize` of the plain structs through the runtime's `__serde_struct!`
//! macro instead of serde's derives. The derives are most of what rustc spends on a generated
//! crate, and much of what `Deserialize`'s writes per struct (a field visitor by name, bytes and
//! index, a `visit_seq` for arrays) is never used for a JSON object. Measured on the 100-channel
//! synthetic document generated as the side that receives (`-Z time-passes` totals of a clean
//! build of the crate alone, 2026-12-06): 32.7 s with the derives, 22.7 s with the macro writing
//! `Deserialize` only, 11.2 s with no `Deserialize` at all. Decoding is as fast as with the derive
//! (the decode benchmark's `payload` against `limit`), and what is written is the derive's, byte
//! for byte. The struct keeps its members, docs and other derives, and no serde attribute.
//!
//! A struct is rewritten only when every serde attribute on it is one the macro reproduces
//! (`rename`, `default`, `default = "path"`, `skip_serializing_if`, the two `deserialize_with`
//! helpers the types stage writes, and `deny_unknown_fields`) and it derives both traits;
//! anything else (`flatten`, `transparent`, generics) keeps the derives.

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
    /// `skip_serializing_if`.
    skip_if: Option<syn::ExprPath>,
}

/// Rewrites every eligible struct of `file`: `Serialize` and `Deserialize` leave its derive, the
/// serde attributes leave it, and a `__serde_struct!` call follows the struct.
pub fn serde_by_macro(file: &mut syn::File) {
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

/// The macro call for `s`, after taking the serde derives off it; `None` (and `s` untouched)
/// when the macro cannot reproduce what the derives do.
fn rewrite(s: &mut syn::ItemStruct) -> Option<syn::Item> {
    let derives = |name| super::derives(&s.attrs, name);
    if !s.generics.params.is_empty() || !derives("Deserialize") || !derives("Serialize") {
        return None;
    }
    let deny = container_denies_unknown(&s.attrs)?;
    let syn::Fields::Named(fields) = &s.fields else { return None };
    if fields.named.is_empty() {
        return None;
    }
    let members: Vec<Member> = fields.named.iter().map(member).collect::<Option<_>>()?;
    let call = syn::parse2(macro_call(&s.ident, deny, &members)).ok()?;
    super::remove_derive(&mut s.attrs, "Deserialize");
    super::remove_derive(&mut s.attrs, "Serialize");
    s.attrs.retain(|a| !a.path().is_ident("serde"));
    for field in s.fields.iter_mut() {
        field.attrs.retain(|a| !a.path().is_ident("serde"));
    }
    Some(call)
}

/// `__serde_struct!(Type, ["wire" => member kind skip_if(path), ...]);`
fn macro_call(ty: &Ident, deny: bool, members: &[Member]) -> TokenStream {
    let entries = members.iter().map(|m| {
        let (ident, wire) = (&m.ident, &m.wire);
        let kind = match &m.absent {
            Absent::Error => quote!(required),
            Absent::Default => quote!(optional),
            Absent::Present => quote!(present),
            Absent::Call(path) => quote!(or_else(#path)),
        };
        let skip = m.skip_if.as_ref().map(|path| quote!(skip_if(#path)));
        quote!(#wire => #ident #kind #skip)
    });
    let deny = deny.then(|| quote!(deny_unknown,));
    quote! {
        ::asyncapi_runtime::__serde_struct!(#ty, #deny [#(#entries),*]);
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
    let (mut rename, mut default, mut call, mut with, mut skip_if) = (None, false, None, None, None);
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            let text = || -> syn::Result<String> { Ok(meta.value()?.parse::<syn::LitStr>()?.value()) };
            if meta.path.is_ident("rename") {
                rename = Some(text()?);
            } else if meta.path.is_ident("skip_serializing_if") {
                skip_if = Some(syn::parse_str::<syn::ExprPath>(&text()?)?);
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
    Some(Member { ident, wire, absent, skip_if })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(source: &str) -> String {
        let mut file: syn::File = syn::parse_str(source).expect("test source parses");
        serde_by_macro(&mut file);
        prettyplease::unparse(&file)
    }

    #[test]
    fn a_plain_struct_gets_the_macro_and_loses_its_serde_attributes() {
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
        let (strukt, call) = text.split_once("__serde_struct!").expect("the macro call follows");
        assert!(strukt.contains("#[derive(Clone, Debug)]"), "{strukt}");
        assert!(!strukt.contains("serde"), "no serde attribute is left: {strukt}");
        let call: String = call.split_whitespace().collect::<Vec<_>>().join(" ");
        let expected = [
            r#"S, deny_unknown, ["id" => id required,"#,
            r#""type" => type_ optional skip_if(::std::option::Option::is_none),"#,
            r#""tags" => tags optional skip_if(::std::vec::Vec::is_empty),"#,
            r#""comment" => comment present skip_if(::std::option::Option::is_none),"#,
            r#""nullable" => nullable required, "level" => level or_else(defaults::level)]"#,
        ]
        .join(" ");
        assert!(call.contains(&expected), "{call}");
    }

    #[test]
    fn what_the_macro_cannot_reproduce_keeps_the_derive() {
        let both = "#[derive(::serde::Deserialize, ::serde::Serialize)]";
        for source in [
            format!("{both} pub struct S {{ #[serde(flatten)] pub extra: ::std::collections::BTreeMap<String, i64> }}"),
            format!("{both} #[serde(transparent)] pub struct S {{ pub inner: String }}"),
            format!("{both} pub struct S<T> {{ pub inner: T }}"),
            format!("{both} pub struct S(pub String);"),
            format!("{both} pub struct S {{}}"),
            format!("{both} pub struct S {{ #[serde(deserialize_with = \"other\")] pub a: String }}"),
            format!("{both} pub struct S {{ #[serde(serialize_with = \"other\")] pub a: String }}"),
            "#[derive(::serde::Deserialize)] pub struct S { pub a: String }".to_owned(),
        ] {
            let text = rewritten(&source);
            assert!(text.contains("::serde::Deserialize") && !text.contains("__serde_struct"), "{text}");
        }
    }
}
