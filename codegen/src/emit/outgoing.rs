//! What the client sends: the `Outgoing` enum with its frames and typed constructors.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::incoming::payload_type;
use super::{docs, ident};
use crate::ir::{Api, Direction, Message};
use crate::types::Types;

fn sent(api: &Api) -> impl Iterator<Item = &Message> {
    api.messages.iter().filter(|m| m.direction == Direction::Send)
}

pub(super) fn emit(api: &Api, types: &Types) -> TokenStream {
    let items = [outgoing_enum(api, types), outgoing_impl(api), from_impls(api, types)];
    quote! { #(#items)* }
}

fn outgoing_enum(api: &Api, types: &Types) -> TokenStream {
    let variants = sent(api).map(|m| {
        let doc = docs(&m.docs);
        let v = ident(&m.ident);
        let ty = payload_type(types, m);
        let line = format!(
            " Sent on `{}`.",
            api.channels[m.channel].address.as_deref().unwrap_or(&api.channels[m.channel].key)
        );
        let first =
            m.on_connect.then(|| quote! { #[doc = ""] #[doc = " Sent as the first frame on every new connection."] });
        let headers = super::incoming::headers_doc(types, m);
        quote! { #doc #[doc = ""] #[doc = #line] #first #headers #v(#ty) }
    });
    quote! {
        /// A message the client sends.
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub enum Outgoing {
            #(#variants,)*
        }
    }
}

fn outgoing_impl(api: &Api) -> TokenStream {
    let match_all = |arm: &dyn Fn(&Message) -> TokenStream| -> TokenStream {
        let arms: Vec<_> = sent(api).map(arm).collect();
        if arms.is_empty() {
            quote! { match *self {} }
        } else {
            quote! { match self { #(#arms,)* } }
        }
    };
    let channel = match_all(&|m| {
        let v = ident(&m.ident);
        let c = ident(&api.channels[m.channel].ident);
        quote! { Outgoing::#v(_) => Channel::#c }
    });
    let name = match_all(&|m| {
        let v = ident(&m.ident);
        let key = &m.key;
        quote! { Outgoing::#v(_) => #key }
    });
    let frame = match_all(&|m| {
        let v = ident(&m.ident);
        quote! { Outgoing::#v(payload) => ::serde_json::to_string(payload) }
    });
    let first: Vec<_> = sent(api).filter(|m| m.on_connect).map(|m| m.key.clone()).collect();
    quote! {
        impl Outgoing {
            /// Names of the messages the client must send first on every new connection, in order.
            pub const ON_CONNECT: &'static [&'static str] = &[#(#first),*];

            /// The channel the message is sent on.
            pub fn channel(&self) -> Channel {
                #channel
            }

            /// The message's name in the AsyncAPI document.
            pub fn name(&self) -> &'static str {
                #name
            }

            /// The message as one JSON text frame.
            pub fn to_frame(&self) -> ::std::result::Result<::std::string::String, ::serde_json::Error> {
                #frame
            }
        }
    }
}

/// `From<Payload> for Outgoing` where a payload type belongs to exactly one sent message.
fn from_impls(api: &Api, types: &Types) -> TokenStream {
    let mut by_type: BTreeMap<String, Vec<&Message>> = BTreeMap::new();
    for m in sent(api) {
        if m.payload.is_some() {
            by_type.entry(payload_type(types, m).to_string()).or_default().push(m);
        }
    }
    let impls = by_type.values().filter(|ms| ms.len() == 1).map(|ms| {
        let m = ms[0];
        let v = ident(&m.ident);
        let ty = payload_type(types, m);
        quote! {
            impl ::std::convert::From<#ty> for Outgoing {
                fn from(payload: #ty) -> Self {
                    Outgoing::#v(payload)
                }
            }
        }
    });
    quote! { #(#impls)* }
}
