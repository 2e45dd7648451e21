//! `servers.rs`: the document's servers and message examples as constants, for the runtime
//! client (default URL, handshake headers) and the mock broker (what to push).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{Api, Direction};

pub(super) fn emit(api: &Api) -> TokenStream {
    let servers = api.servers.iter().map(|s| {
        let (name, url, protocol) = (&s.name, &s.url, &s.protocol);
        let headers = s.headers.iter().map(|(k, v)| {
            let v = v.clone().unwrap_or_default();
            quote! { (#k, #v) }
        });
        quote! { Server { name: #name, url: #url, protocol: #protocol, headers: &[#(#headers),*] } }
    });
    let examples = api.messages.iter().flat_map(|m| {
        let received = m.direction == Direction::Receive;
        m.examples.iter().map(move |e| {
            let (message, name) = (&m.key, &e.name);
            let json = serde_json::to_string(&e.payload).unwrap_or_default();
            quote! { Example { message: #message, name: #name, received: #received, json: #json } }
        })
    });
    quote! {
        /// A server of the API.
        #[derive(::std::clone::Clone, ::std::marker::Copy, ::std::fmt::Debug, ::std::cmp::PartialEq, ::std::cmp::Eq)]
        pub struct Server {
            /// The key in the document's `servers`.
            pub name: &'static str,
            /// Scheme, host and path, such as `wss://example.com/ws`.
            pub url: &'static str,
            /// The document's `protocol`.
            pub protocol: &'static str,
            /// Handshake headers the server requires, with the document's value (may be empty).
            pub headers: &'static [(&'static str, &'static str)],
        }

        /// Every server, in document order.
        pub const SERVERS: &[Server] = &[#(#servers),*];

        /// One message example from the document.
        #[derive(::std::clone::Clone, ::std::marker::Copy, ::std::fmt::Debug, ::std::cmp::PartialEq, ::std::cmp::Eq)]
        pub struct Example {
            /// The message's name in the document.
            pub message: &'static str,
            /// The example's name.
            pub name: &'static str,
            /// Whether the client receives this message (else it sends it).
            pub received: bool,
            /// The payload as one JSON text frame.
            pub json: &'static str,
        }

        /// Every message example, in document order.
        pub const EXAMPLES: &[Example] = &[#(#examples),*];
    }
}
