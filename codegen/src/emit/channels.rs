//! The `Channel` enum: one variant per channel, with its address both ways.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::ir::Api;

pub(super) fn emit(api: &Api) -> TokenStream {
    let variants = api.channels.iter().map(|c| {
        let doc = docs(&c.docs);
        let v = ident(&c.ident);
        let address = c.address.as_deref().unwrap_or(&c.key);
        let line = format!(" Address `{address}`.");
        quote! { #doc #[doc = ""] #[doc = #line] #v }
    });
    let idents: Vec<_> = api.channels.iter().map(|c| ident(&c.ident)).collect();
    let addresses: Vec<_> = api.channels.iter().map(|c| c.address.clone().unwrap_or_else(|| c.key.clone())).collect();
    let keys: Vec<_> = api.channels.iter().map(|c| c.key.clone()).collect();
    let body = if idents.is_empty() {
        quote! { match self {} }
    } else {
        quote! { match self { #(Channel::#idents => #addresses,)* } }
    };
    let key_body = if idents.is_empty() {
        quote! { match self {} }
    } else {
        quote! { match self { #(Channel::#idents => #keys,)* } }
    };
    quote! {
        /// Every channel of the API.
        #[derive(::std::clone::Clone, ::std::marker::Copy, ::std::fmt::Debug, ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash)]
        pub enum Channel {
            #(#variants,)*
        }

        impl Channel {
            /// All channels, in document order.
            pub const ALL: &'static [Channel] = &[#(Channel::#idents),*];

            /// The channel's address (for a channel without one, its key in the document).
            pub fn address(self) -> &'static str {
                #body
            }

            /// The channel's key in the AsyncAPI document.
            pub fn key(self) -> &'static str {
                #key_body
            }

            /// The channel with this address, if there is one.
            pub fn from_address(address: &str) -> ::std::option::Option<Channel> {
                Channel::ALL.iter().copied().find(|c| c.address() == address)
            }
        }

        impl ::std::fmt::Display for Channel {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.address())
            }
        }
    }
}
