//! Stage 5, emit: builds the generated crate's Rust modules from the IR and the typify types,
//! one small function per generated item, each returning a `TokenStream`.
//!
//! Generated code names everything by full path (`::std::string::String`, `crate::types::X`) so
//! that a schema called `String` or `Result` cannot change its meaning.

mod channels;
mod examples;
mod incoming;
mod outgoing;
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
    /// `src/messages.rs`: incoming and outgoing messages, decoding, the handler trait.
    pub messages: TokenStream,
    /// `src/servers.rs`: servers and message examples as constants.
    pub servers: TokenStream,
    /// `tests/examples.rs`: one test per example in the spec.
    pub example_tests: Option<TokenStream>,
}

/// Emits every module for `api`.
pub fn emit(api: &Api, types: &Types, crate_ident: &str, runtime: &[RuntimeModule]) -> Modules {
    let messages = [incoming::emit(api, types), outgoing::emit(api, types)];
    Modules {
        lib: lib_rs(api, runtime),
        servers: servers::emit(api),
        channels: channels::emit(api),
        messages: quote! {
            use crate::channels::Channel;
            #(#messages)*
        },
        example_tests: examples::emit(api, crate_ident),
    }
}

/// A hand-written module copied verbatim into every generated crate.
pub struct RuntimeModule {
    /// Module name (the file is `src/<name>.rs`).
    pub name: &'static str,
    /// The cargo feature that enables it, if it is optional.
    pub feature: Option<&'static str>,
    /// The source.
    pub source: &'static str,
}

fn lib_rs(api: &Api, runtime: &[RuntimeModule]) -> TokenStream {
    let runtime_mods = runtime.iter().map(|m| {
        let name = ident(m.name);
        let cfg = m.feature.map(|f| quote! { #[cfg(feature = #f)] });
        quote! { #cfg #[rustfmt::skip] pub mod #name; }
    });
    let title = format!(" {} (version {}): typed messages and client.", api.title, api.version);
    let description = api.description.as_deref().map(doc_lines).unwrap_or_default();
    quote! {
        #![doc = #title]
        #![doc = ""]
        #(#![doc = #description])*
        #![forbid(unsafe_code)]
        #![allow(clippy::all, clippy::pedantic, unused_qualifications, missing_docs)]

        #[rustfmt::skip]
        pub mod types;
        #[rustfmt::skip]
        pub mod channels;
        #[rustfmt::skip]
        pub mod messages;
        #[rustfmt::skip]
        pub mod servers;
        #(#runtime_mods)*

        pub use channels::Channel;
        pub use messages::*;
        pub use support::DecodeError;
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
