//! What the client receives: the `Incoming` enum, `decode` (one text frame → one message), the
//! `Handler` trait and `dispatch`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::ir::{Api, Direction, Dispatch, Message};
use crate::types::Types;

/// The Rust type of a message's payload.
pub(super) fn payload_type(types: &Types, m: &Message) -> TokenStream {
    match m.payload.as_ref().and_then(|p| types.paths.get(p)) {
        Some(path) => quote!(crate::types::#path),
        None => quote!(::serde_json::Value),
    }
}

/// A doc line naming the message's header type, for a message that declares headers.
pub(super) fn headers_doc(types: &Types, m: &Message) -> TokenStream {
    match m.headers.as_ref().and_then(|h| types.paths.get(h)) {
        Some(path) => {
            let line = format!(" Headers (carried by the transport, not the frame): [`crate::types::{path}`].");
            quote! { #[doc = ""] #[doc = #line] }
        }
        None => quote! {},
    }
}

fn received(api: &Api) -> impl Iterator<Item = &Message> {
    api.messages.iter().filter(|m| m.direction == Direction::Receive)
}

pub(super) fn emit(api: &Api, types: &Types) -> TokenStream {
    let items =
        [incoming_enum(api, types), incoming_impl(api), decode_fn(api), handler_trait(api, types), dispatch_fn(api)];
    quote! { #(#items)* }
}

fn incoming_enum(api: &Api, types: &Types) -> TokenStream {
    let variants = received(api).map(|m| {
        let doc = docs(&m.docs);
        let v = ident(&m.ident);
        let ty = payload_type(types, m);
        let line = format!(
            " Received on `{}`.",
            api.channels[m.channel].address.as_deref().unwrap_or(&api.channels[m.channel].key)
        );
        let headers = headers_doc(types, m);
        quote! { #doc #[doc = ""] #[doc = #line] #headers #v(#ty) }
    });
    quote! {
        /// A message the client receives, decoded from one frame.
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        pub enum Incoming {
            #(#variants,)*
            /// A frame that is valid JSON but matches no message of this API version (a newer
            /// server, a channel the document does not describe). Kept whole, never dropped.
            Unknown(crate::support::UnknownFrame),
        }
    }
}

fn incoming_impl(api: &Api) -> TokenStream {
    let arms_channel = received(api).map(|m| {
        let v = ident(&m.ident);
        let c = ident(&api.channels[m.channel].ident);
        quote! { Incoming::#v(_) => ::std::option::Option::Some(Channel::#c) }
    });
    let arms_name = received(api).map(|m| {
        let v = ident(&m.ident);
        let key = &m.key;
        quote! { Incoming::#v(_) => #key }
    });
    let arms_json = received(api).map(|m| {
        let v = ident(&m.ident);
        quote! { Incoming::#v(payload) => ::serde_json::to_string(payload) }
    });
    let arms_correlation = received(api).filter_map(|m| {
        let v = ident(&m.ident);
        let pointer = m.correlation.as_ref()?;
        Some(quote! { Incoming::#v(payload) => crate::support::correlation_of(payload, #pointer) })
    });
    quote! {
        impl Incoming {
            /// The correlation id the message carries (`correlationId` in the document), which
            /// pairs a reply with its request.
            pub fn correlation_id(&self) -> ::std::option::Option<::std::string::String> {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms_correlation,)*
                    _ => ::std::option::Option::None,
                }
            }

            /// The channel the message belongs to (`None` for an unknown frame).
            pub fn channel(&self) -> ::std::option::Option<Channel> {
                match self {
                    #(#arms_channel,)*
                    Incoming::Unknown(_) => ::std::option::Option::None,
                }
            }

            /// The message's name in the AsyncAPI document (`"unknown"` for an unknown frame).
            pub fn name(&self) -> &'static str {
                match self {
                    #(#arms_name,)*
                    Incoming::Unknown(_) => "unknown",
                }
            }

            /// The message as a JSON text frame again (an unknown frame is returned as received).
            pub fn to_json(&self) -> ::std::result::Result<::std::string::String, ::serde_json::Error> {
                match self {
                    #(#arms_json,)*
                    Incoming::Unknown(frame) => ::std::result::Result::Ok(frame.raw.clone()),
                }
            }
        }
    }
}

fn decode_arm(m: &Message) -> TokenStream {
    let v = ident(&m.ident);
    let key = &m.key;
    quote! { crate::support::parse(frame, #key).map(Incoming::#v) }
}

fn fallback_tries(api: &Api, order: &[usize]) -> TokenStream {
    let tries = order.iter().map(|&i| {
        let v = ident(&api.messages[i].ident);
        quote! {
            if let ::std::result::Result::Ok(payload) = ::serde_json::from_str(frame) {
                return ::std::result::Result::Ok(Incoming::#v(payload));
            }
        }
    });
    quote! { #(#tries)* }
}

fn decode_fn(api: &Api) -> TokenStream {
    let body = match &api.dispatch {
        Dispatch::None => quote! {
            crate::support::check_json(frame)?;
            ::std::result::Result::Ok(Incoming::Unknown(crate::support::UnknownFrame::new(::std::option::Option::None, frame)))
        },
        Dispatch::Single(i) => decode_arm(&api.messages[*i]),
        Dispatch::Tagged { path, cases, fallback } => {
            let path_str = path.join(".");
            let values = cases.iter().map(|(v, _)| v);
            let arms = cases.iter().map(|(_, i)| decode_arm(&api.messages[*i]));
            let tries = fallback_tries(api, fallback);
            let missing = quote! {
                ::std::option::Option::None => ::std::result::Result::Err(crate::support::DecodeError::MissingTag { path: #path_str })
            };
            quote! {
                let tag = crate::support::peek_tag(frame, &[#(#path),*])?;
                match tag.as_deref() {
                    #(::std::option::Option::Some(#values) => #arms,)*
                    tag => {
                        #tries
                        match tag {
                            ::std::option::Option::Some(tag) => ::std::result::Result::Ok(Incoming::Unknown(
                                crate::support::UnknownFrame::new(::std::option::Option::Some(tag), frame),
                            )),
                            #missing,
                        }
                    }
                }
            }
        }
        Dispatch::Ordered(order) => {
            let tries = fallback_tries(api, order);
            quote! {
                #tries
                crate::support::check_json(frame)?;
                ::std::result::Result::Ok(Incoming::Unknown(crate::support::UnknownFrame::new(::std::option::Option::None, frame)))
            }
        }
    };
    let doc = dispatch_doc(api);
    quote! {
        /// Decodes one text frame into the message it carries.
        ///
        #(#[doc = #doc])*
        ///
        /// A frame that is not JSON, or whose payload does not match its message's schema, is a
        /// [`DecodeError`](crate::support::DecodeError) that says where; a well-formed frame for a
        /// message this API version does not know is [`Incoming::Unknown`].
        pub fn decode(frame: &str) -> ::std::result::Result<Incoming, crate::support::DecodeError> {
            #body
        }
    }
}

fn dispatch_doc(api: &Api) -> Vec<String> {
    match &api.dispatch {
        Dispatch::None => vec![" The API declares no received message: every frame is unknown.".into()],
        Dispatch::Single(i) => vec![format!(" Every frame is decoded as `{}`.", api.messages[*i].key)],
        Dispatch::Tagged { path, fallback, .. } => {
            let mut doc = vec![format!(
                " Routing: the string at `{}` picks the message; the frame is then decoded in one typed pass (the tag is found by a scan that stops as soon as it has read it).",
                path.join(".")
            )];
            if !fallback.is_empty() {
                doc.push(" Frames without a known tag are tried against the untagged messages in document order.".into());
            }
            doc
        }
        Dispatch::Ordered(_) => vec![
            " Routing: no property tells the received messages apart, so a frame is tried against each in document order and the first that decodes wins.".into(),
        ],
    }
}

fn handler_trait(api: &Api, types: &Types) -> TokenStream {
    let methods = received(api).map(|m| {
        let doc = docs(&m.docs);
        let name = ident(&format!("on_{}", m.method));
        let ty = payload_type(types, m);
        quote! {
            #doc
            fn #name(&mut self, message: #ty) {
                let _ = message;
            }
        }
    });
    quote! {
        /// Receives every message, typed. Implement the methods you need; the others ignore their
        /// message.
        pub trait Handler {
            #(#methods)*

            /// A frame for a message this API version does not describe.
            fn on_unknown(&mut self, frame: crate::support::UnknownFrame) {
                let _ = frame;
            }
        }
    }
}

fn dispatch_fn(api: &Api) -> TokenStream {
    let arms = received(api).map(|m| {
        let v = ident(&m.ident);
        let name = ident(&format!("on_{}", m.method));
        quote! { Incoming::#v(message) => handler.#name(message) }
    });
    quote! {
        /// Hands `message` to the matching method of `handler`.
        pub fn dispatch<H: Handler + ?::std::marker::Sized>(handler: &mut H, message: Incoming) {
            match message {
                #(#arms,)*
                Incoming::Unknown(frame) => handler.on_unknown(frame),
            }
        }
    }
}
