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

use crate::doc_text::doc_lines;
use crate::ir::Api;
use crate::templates::TypesFrom;
use crate::types::Types;

/// The Rust modules of a generated crate, before formatting.
pub struct Modules {
    /// `src/lib.rs`: the crate's docs, the module declarations and [`Modules::exports`].
    pub lib: TokenStream,
    /// The modules besides `types` (typify's), in [`MODULES`] order: `channels`, `messages`
    /// (both message enums, decoding, the handler trait, the `Api` type), `servers` (servers and
    /// examples as constants), `webhook`, `client`, `server`, `mock`, `relay`, `mqtt` and `nats`
    /// (the runtime's client, server, mock broker, JetStream relay and broker clients, typed for
    /// the document).
    pub files: Vec<(&'static str, TokenStream)>,
    /// The crate root's re-exports of the items users name most.
    pub exports: TokenStream,
    /// `tests/examples.rs`: one test per example in the spec.
    pub example_tests: Option<TokenStream>,
}

/// The generated modules, in `lib.rs` order: name, and the cargo feature that enables it
/// (`mqtt` and `nats` only for a document with a server of that protocol, see [`has_module`]).
pub const MODULES: &[(&str, Option<&str>)] = &[
    ("types", None),
    ("channels", None),
    ("messages", None),
    ("servers", None),
    ("webhook", None),
    ("client", Some("client")),
    ("server", Some("server")),
    ("mock", Some("mock")),
    ("relay", Some("jetstream")),
    ("mqtt", Some("mqtt")),
    ("nats", Some("nats")),
];

/// Whether the crate generated for `api` has the module `name`: the broker clients only where a
/// server speaks their protocol.
pub fn has_module(api: &Api, name: &str) -> bool {
    match name {
        "mqtt" => api.uses_mqtt(),
        "nats" => api.uses_nats(),
        _ => true,
    }
}

/// The lints relaxed for generated modules only: hand-written modules a user adds to the crate
/// keep the crate's own lints.
pub fn module_allows() -> TokenStream {
    quote! { #[allow(clippy::all, clippy::pedantic, missing_docs, unused_qualifications)] }
}

/// Emits every module for `api`.
pub fn emit(api: &Api, types: &Types, crate_ident: &str) -> Modules {
    let exports = exports(api, types);
    let mut files = vec![
        ("channels", channels::emit(api)),
        ("messages", messages::emit(api, types)),
        ("servers", servers::emit(api)),
        ("webhook", runtime::webhook()),
        ("client", runtime::client(api, types)),
        ("server", runtime::server()),
        ("mock", runtime::mock()),
        ("relay", runtime::relay()),
    ];
    if api.uses_mqtt() {
        files.push(("mqtt", runtime::mqtt()));
    }
    if api.uses_nats() {
        files.push(("nats", runtime::nats()));
    }
    Modules { lib: lib_rs(api, &exports), files, exports, example_tests: examples::emit(api, crate_ident) }
}

/// The `types` module of a crate whose payload types come from `from` (`--types-from`): a
/// re-export, and a compile-time check that they are still the types of this document.
pub fn shared_types(from: &TypesFrom, fingerprint: u64) -> TokenStream {
    let lib = syn::Ident::new(&from.lib, proc_macro2::Span::call_site());
    let value = proc_macro2::Literal::u64_suffixed(fingerprint);
    let doc = [
        format!(" The payload types, re-exported from `{}`, which was generated from the same", from.package),
        " document: a value of one crate is a value of the other.".to_owned(),
    ];
    let mismatch = format!(
        "the payload types of `{}` are not the ones this crate was generated for: regenerate both from the same document",
        from.package
    );
    quote! {
        #(#![doc = #doc])*

        pub use ::#lib::types::*;

        const _: () = ::core::assert!(::#lib::types::__TYPES_FINGERPRINT == #value, #mismatch);
    }
}

fn exports(api: &Api, types: &Types) -> TokenStream {
    // In the order rustfmt sorts them, so that formatting the crate changes nothing.
    let headers = messages::headers_enums(api, types);
    quote! {
        pub use ::asyncapi_runtime::{DecodeError, UnknownFrame};
        pub use channels::Channel;
        #(pub use messages::#headers;)*
        pub use messages::{Api, Handler, Incoming, MessageKind, Outgoing, decode, dispatch};
    }
}

fn lib_rs(api: &Api, exports: &TokenStream) -> TokenStream {
    let allows = module_allows();
    let mods = MODULES.iter().filter(|(name, _)| has_module(api, name)).map(|(name, feature)| {
        let name = ident(name);
        let cfg = feature.map(|f| quote! { #[cfg(feature = #f)] });
        quote! {
            #cfg
            #[rustfmt::skip]
            #allows
            pub mod #name;
        }
    });
    let title = format!(" {} (version {}): typed messages and client.", api.title, api.version);
    let description = api.description.as_deref().map(doc_lines).unwrap_or_default();
    let sources = sources_doc(api);
    let side: &[&str] = match api.role {
        crate::ir::Role::Peer => &[
            " This crate is the side that talks to the application the document describes (`--role",
            " peer`): it receives what that application sends and sends what it receives.",
        ],
        crate::ir::Role::App => &[
            " This crate is the application the document describes (`--role app`): it sends and",
            " receives what the document's operations say.",
        ],
    };
    quote! {
        #![doc = #title]
        #![doc = ""]
        #(#![doc = #description])*
        #![doc = ""]
        #(#![doc = #side])*
        #(#![doc = #sources])*
        #![forbid(unsafe_code)]

        #(#mods)*

        #exports
    }
}

/// A "Sources" section for the crate docs, so that the codes descriptions cite (`D1`) resolve.
fn sources_doc(api: &Api) -> Vec<String> {
    if api.sources.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![String::new(), " # Sources".to_owned(), String::new()];
    for s in &api.sources {
        let what = s.description.as_deref().map(|d| format!(": {}", d.trim())).unwrap_or_default();
        lines.extend(doc_lines(&format!("- **{}** <{}>{what}", s.id, s.url)));
    }
    lines
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
