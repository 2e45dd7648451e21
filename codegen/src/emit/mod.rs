//! Stage 5, emit: builds the generated crate's Rust modules from the IR and the typify types,
//! one small function per generated item, each returning a `TokenStream`.
//!
//! Names from the document become items only in the `types` module (and as variants of the
//! generated enums, which never shadow anything): every other module refers to them by path
//! (`crate::types::X`), so the prelude's `Option`, `Result`, `String` and `Box` keep their
//! meaning there and are written plainly, as are derive macros, which live in a namespace no
//! schema name reaches. The `types` module itself uses full paths (`::std::string::String`), as
//! typify does. Everything
//! that is the same for every document is in `asyncapi-runtime`, which generated code reaches as
//! `::asyncapi_runtime`.

mod channels;
mod examples;
mod messages;
mod runtime;
mod servers;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::Api;
use crate::types::Types;

/// The Rust modules of a generated crate, before formatting.
pub struct Modules {
    /// `src/lib.rs`.
    pub lib: TokenStream,
    /// `src/channels.rs`.
    pub channels: TokenStream,
    /// `src/messages.rs`: both message enums, decoding, the handler trait, the `Api` type.
    pub messages: TokenStream,
    /// `src/servers.rs`: servers and message examples as constants.
    pub servers: TokenStream,
    /// `src/client.rs`: the runtime's WebSocket client, typed for the document.
    pub client: TokenStream,
    /// `src/mock.rs`: the runtime's mock broker, typed for the document.
    pub mock: TokenStream,
    /// `src/webhook.rs`.
    pub webhook: TokenStream,
    /// `tests/examples.rs`: one test per example in the spec.
    pub example_tests: Option<TokenStream>,
}

/// The generated modules, in `lib.rs` order: name, and the cargo feature that enables it.
pub const MODULES: &[(&str, Option<&str>)] = &[
    ("types", None),
    ("channels", None),
    ("messages", None),
    ("servers", None),
    ("webhook", None),
    ("client", Some("client")),
    ("mock", Some("mock")),
];

/// Emits every module for `api`.
pub fn emit(api: &Api, types: &Types, crate_ident: &str) -> Modules {
    Modules {
        lib: lib_rs(api),
        servers: servers::emit(api),
        channels: channels::emit(api),
        messages: messages::emit(api, types),
        client: runtime::client(api, types),
        mock: runtime::mock(),
        webhook: runtime::webhook(),
        example_tests: examples::emit(api, crate_ident),
    }
}

fn lib_rs(api: &Api) -> TokenStream {
    let mods = MODULES.iter().map(|(name, feature)| {
        let name = ident(name);
        let cfg = feature.map(|f| quote! { #[cfg(feature = #f)] });
        // Lints are relaxed for the generated modules only: hand-written modules a user adds to
        // the crate keep the crate's own lints.
        quote! {
            #cfg
            #[rustfmt::skip]
            #[allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)]
            pub mod #name;
        }
    });
    let title = format!(" {} (version {}): typed messages and client.", api.title, api.version);
    let description = api.description.as_deref().map(doc_lines).unwrap_or_default();
    quote! {
        #![doc = #title]
        #![doc = ""]
        #(#![doc = #description])*
        #![forbid(unsafe_code)]

        #(#mods)*

        pub use ::asyncapi_runtime::{DecodeError, UnknownFrame};
        pub use channels::Channel;
        pub use messages::{Api, Handler, Incoming, MessageKind, Outgoing, decode, dispatch};
    }
}

/// Doc-comment lines for free text from the spec. Each line becomes its own `#[doc]` string,
/// which cannot end the comment or inject an item whatever the text contains.
pub(crate) fn doc_lines(text: &str) -> Vec<String> {
    text.trim_end()
        .lines()
        .map(|l| {
            let clean: String = l.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
            format!(" {}", clean.trim_end())
        })
        .collect()
}

/// `#[doc]` attributes for a list of paragraphs (title, summary, description).
pub(crate) fn docs(paragraphs: &[String]) -> TokenStream {
    let mut lines = Vec::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        lines.extend(doc_lines(p));
    }
    quote! { #(#[doc = #lines])* }
}

pub(crate) fn ident(name: &str) -> proc_macro2::Ident {
    format_ident!("{}", name)
}
