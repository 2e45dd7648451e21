//! `tests/examples.rs` of the generated crate: every example in the spec becomes a test that
//! decodes it into its typed message and encodes it again without losing data.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::ir::{Api, Direction, Dispatch};
use crate::naming::{self, Namespace};

pub(super) fn emit(api: &Api, crate_ident: &str) -> Option<TokenStream> {
    let krate = ident(crate_ident);
    let mut names = Namespace::default();
    let mut tests = Vec::new();
    for (index, m) in api.messages.iter().enumerate() {
        for (n, example) in m.examples.iter().enumerate() {
            let json = serde_json::to_string_pretty(&example.payload).unwrap_or_default();
            let (fn_name, _) = names.claim(&naming::snake_name(&format!("{}_{}_{}", m.method, n + 1, example.name)));
            let fn_name = ident(&fn_name);
            let what = format!("example `{}` of message `{}`", example.name, m.key);
            let v = ident(&m.ident);
            let routed = match api.routing.of(m.direction) {
                Dispatch::Tagged { cases, .. } => cases.iter().any(|(_, i)| *i == index),
                Dispatch::Single(i) => *i == index,
                Dispatch::None | Dispatch::Ordered(_) => false,
            };
            let side = ident(if m.direction == Direction::Receive { "Incoming" } else { "Outgoing" });
            let typed = if routed {
                // A message the dispatcher can identify must also be routed to its own variant.
                quote! {
                    let decoded = #krate::#side::decode(FRAME).unwrap_or_else(|e| panic!("{}: {}", #what, e));
                    let #krate::#side::#v(_) = &decoded else {
                        panic!("{} decoded as {:?}", #what, decoded.kind());
                    };
                    let encoded = decoded.to_frame().expect("a decoded message encodes");
                }
            } else {
                // One it cannot (the generator warned about it) is checked against its own type.
                quote! {
                    let payload = ::serde_json::from_str(FRAME).unwrap_or_else(|e| panic!("{}: {}", #what, e));
                    let encoded = #krate::#side::#v(payload).to_frame().expect("a message encodes");
                }
            };
            tests.push(quote! {
                #[test]
                fn #fn_name() {
                    const FRAME: &str = #json;
                    #typed
                    ::asyncapi_runtime::__private::assert_same_json(FRAME, &encoded, #what);
                }
            });
        }
    }
    if tests.is_empty() {
        return None;
    }
    Some(quote! {
        //! One test per example in the AsyncAPI document: the example decodes into its typed
        //! message, and encoding that message gives the same JSON back.
        #![allow(clippy::all)]

        #(#tests)*
    })
}
