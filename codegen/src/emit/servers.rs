//! `servers.rs`: the document's servers and message examples as constants, for the runtime
//! client (default URL, handshake headers) and the mock broker (what to push).

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::{Api, Direction, ServerBindings};

/// A server's bindings as the runtime reads them.
fn server_bindings(b: &ServerBindings) -> TokenStream {
    if b.mqtt_client_id.is_none()
        && b.mqtt_clean_session.is_none()
        && b.mqtt_keep_alive.is_none()
        && b.mqtt_version.is_none()
    {
        return quote! { ::asyncapi_runtime::ServerBindings::NONE };
    }
    let some = |t: Option<TokenStream>| t.map_or_else(|| quote!(None), |t| quote!(Some(#t)));
    let id = some(b.mqtt_client_id.as_ref().map(|id| quote!(#id)));
    let clean = some(b.mqtt_clean_session.map(|c| quote!(#c)));
    let keep_alive = some(b.mqtt_keep_alive.map(|k| quote!(#k)));
    let version = some(b.mqtt_version.map(|v| quote!(#v)));
    quote! {
        ::asyncapi_runtime::ServerBindings {
            mqtt_client_id: #id, mqtt_clean_session: #clean, mqtt_keep_alive: #keep_alive, mqtt_version: #version
        }
    }
}

pub(super) fn emit(api: &Api) -> TokenStream {
    let servers = api.servers.iter().map(|s| {
        let (name, url, protocol) = (&s.name, &s.url, &s.protocol);
        let headers = s.headers.iter().map(|(k, v)| {
            let v = v.clone().unwrap_or_default();
            quote! { (#k, #v) }
        });
        let bindings = server_bindings(&s.bindings);
        quote! { Server { name: #name, url: #url, protocol: #protocol, headers: &[#(#headers),*], bindings: #bindings } }
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
