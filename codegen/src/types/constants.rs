//! The type of a member pinned to one value (see `schema::constants`): a zero-sized struct with
//! the value as `VALUE`, whose serde impls are the runtime's (`asyncapi_runtime::__private::
//! {serialize_constant, deserialize_constant}`). It derives `Default`, so a message built in Rust
//! gets the value without anyone writing it, and decoding another value is an error at the
//! member's path.

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

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                ::asyncapi_runtime::__private::serialize_constant(
                    ::asyncapi_runtime::__private::Constant::#variant(#ident::VALUE),
                    serializer,
                )
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                ::asyncapi_runtime::__private::deserialize_constant(
                    deserializer,
                    ::asyncapi_runtime::__private::Constant::#variant(#ident::VALUE),
                )
                .map(|()| #ident)
            }
        }
    })
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
}
