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
    let items = [outgoing_enum(api, types), outgoing_impl(api), from_impls(api, types), typed_requests(api, types)];
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
    let arms_correlation: Vec<_> = sent(api)
        .filter_map(|m| {
            let v = ident(&m.ident);
            let pointer = m.correlation.as_ref()?;
            Some(quote! { Outgoing::#v(payload) => crate::support::correlation_of(payload, #pointer) })
        })
        .collect();
    let correlation = if arms_correlation.is_empty() {
        quote! { ::std::option::Option::None }
    } else {
        quote! {
            #[allow(unreachable_patterns)]
            match self {
                #(#arms_correlation,)*
                _ => ::std::option::Option::None,
            }
        }
    };
    let reply_arms: Vec<_> = sent(api)
        .filter(|m| !m.replies.is_empty())
        .map(|m| {
            let v = ident(&m.ident);
            let names = m.replies.iter().map(|&r| api.messages[r].key.clone());
            quote! { Outgoing::#v(_) => &[#(#names),*] }
        })
        .collect();
    let replies = if reply_arms.is_empty() {
        quote! { &[] }
    } else {
        quote! {
            #[allow(unreachable_patterns)]
            match self {
                #(#reply_arms,)*
                _ => &[],
            }
        }
    };
    quote! {
        impl Outgoing {
            /// The correlation id the message carries (`correlationId` in the document), which
            /// pairs a reply with its request.
            pub fn correlation_id(&self) -> ::std::option::Option<::std::string::String> {
                #correlation
            }

            /// Names of the messages that answer this one (the operation's `reply`); empty when no
            /// reply is declared.
            pub fn replies(&self) -> &'static [&'static str] {
                #replies
            }

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

/// `Client::request_<message>`: for a sent message with a correlation id and exactly one declared
/// reply, a request that resolves to the reply's payload type.
fn typed_requests(api: &Api, types: &Types) -> TokenStream {
    let methods: Vec<_> = sent(api)
        .filter(|m| m.correlation.is_some() && m.replies.len() == 1)
        .map(|m| {
            let reply = &api.messages[m.replies[0]];
            let name = ident(&format!("request_{}", m.method));
            let (v, rv) = (ident(&m.ident), ident(&reply.ident));
            let (ty, reply_ty) = (payload_type(types, m), payload_type(types, reply));
            let doc = format!(" Sends `{}` and waits for its reply `{}` (matched by correlation id).", m.key, reply.key);
            let expected = &reply.key;
            quote! {
                #[doc = #doc]
                pub async fn #name(&self, payload: #ty) -> ::std::result::Result<#reply_ty, crate::client::Error> {
                    match self.request(Outgoing::#v(payload)).await? {
                        crate::Incoming::#rv(reply) => ::std::result::Result::Ok(reply),
                        other => ::std::result::Result::Err(crate::client::Error::UnexpectedReply { expected: #expected, got: other.name() }),
                    }
                }
            }
        })
        .collect();
    if methods.is_empty() {
        return quote! {};
    }
    quote! {
        #[cfg(feature = "client")]
        impl crate::client::Client {
            #(#methods)*
        }
    }
}
