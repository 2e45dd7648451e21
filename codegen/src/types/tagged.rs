//! The Rust type of a base schema with a `discriminator`: an enum with one variant per subtype,
//! chosen by the discriminating property, plus a variant that keeps an object whose tag the
//! document does not list, exactly as sent (so that a server adding a subtype breaks nothing and
//! the object encodes back unchanged).
//!
//! Each subtype's struct keeps the property as a field, as its schema says, so a subtype is
//! usable on its own too; decoding checks the tag, then decodes the whole object as that subtype.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::naming::{self, Namespace};
use crate::schema::discriminator::Hierarchy;

/// The enum for `hierarchy`; `paths` gives each subtype's Rust type, `boxed` which variants hold
/// it in a `Box` (those that contain the base again), `docs` the base's doc lines.
pub fn tagged_enum(
    hierarchy: &Hierarchy,
    paths: &BTreeMap<String, TokenStream>,
    boxed: &[bool],
    docs: &[String],
) -> TokenStream {
    let ident = Ident::new(&hierarchy.base, Span::call_site());
    let mut names = Namespace::reserving(&["Unlisted"]);
    let variants: Vec<Ident> = hierarchy
        .variants
        .iter()
        .map(|(tag, _)| Ident::new(&names.claim(&naming::type_name(tag)).0, Span::call_site()))
        .collect();
    let types: Vec<TokenStream> = hierarchy
        .variants
        .iter()
        .zip(boxed.iter().chain(std::iter::repeat(&false)))
        .map(|((_, subtype), boxed)| {
            let path = paths.get(subtype).cloned().unwrap_or_else(|| {
                let ident = Ident::new(subtype, Span::call_site());
                quote!(#ident)
            });
            if *boxed { quote!(::std::boxed::Box<#path>) } else { path }
        })
        .collect();
    let tags: Vec<&str> = hierarchy.variants.iter().map(|(tag, _)| tag.as_str()).collect();
    let property = hierarchy.property.as_str();
    let variant_docs = tags.iter().map(|t| format!(" `{property}: {t}`"));
    let unlisted_doc = format!(" An object whose `{property}` this version of the API does not list, kept as sent.");
    quote! {
        #(#[doc = #docs])*
        #[derive(Clone, Debug, PartialEq)]
        pub enum #ident {
            #(#[doc = #variant_docs] #variants(#types),)*
            #[doc = #unlisted_doc]
            Unlisted(::serde_json::Map<::std::string::String, ::serde_json::Value>),
        }

        impl #ident {
            /// The value of the discriminating property.
            pub fn tag(&self) -> ::std::option::Option<&str> {
                match self {
                    #(#ident::#variants(_) => ::std::option::Option::Some(#tags),)*
                    #ident::Unlisted(object) => object.get(#property).and_then(::serde_json::Value::as_str),
                }
            }
        }

        impl ::serde::Serialize for #ident {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                match self {
                    #(#ident::#variants(value) => ::serde::Serialize::serialize(value, serializer),)*
                    #ident::Unlisted(object) => ::serde::Serialize::serialize(object, serializer),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let object = <::serde_json::Map<::std::string::String, ::serde_json::Value> as ::serde::Deserialize>::deserialize(deserializer)?;
                let tag = match object.get(#property) {
                    ::std::option::Option::Some(::serde_json::Value::String(tag)) => tag.clone(),
                    _ => return ::std::result::Result::Err(<D::Error as ::serde::de::Error>::missing_field(#property)),
                };
                match tag.as_str() {
                    #(#tags => ::serde_json::from_value(::serde_json::Value::Object(object))
                        .map(#ident::#variants)
                        .map_err(<D::Error as ::serde::de::Error>::custom),)*
                    _ => ::std::result::Result::Ok(#ident::Unlisted(object)),
                }
            }
        }
    }
}
