//! `servers.rs`: the document's servers and message examples as constants, for the runtime
//! client (default URL, handshake headers) and the mock broker (what to push).

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
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
        let message = ident(&m.ident);
        m.examples.iter().map(move |e| {
            let name = &e.name;
            let json = serde_json::to_string(&e.payload).unwrap_or_default();
            quote! { Example { message: crate::MessageKind::#message, name: #name, received: #received, json: #json } }
        })
    });
    quote! {
        pub use ::asyncapi_runtime::Server;

        /// One message example from the document.
        pub type Example = ::asyncapi_runtime::Example<crate::MessageKind>;

        /// Every server, in document order.
        pub const SERVERS: &[Server] = &[#(#servers),*];

        /// Every message example, in document order.
        pub const EXAMPLES: &[Example] = &[#(#examples),*];
    }
}
