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
                    assert_same_json(FRAME, &encoded, #what);
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

        /// Compares two JSON texts as values: the same members, a `null` where there was one, and
        /// numbers equal as numbers (`1.0` and `1`).
        fn assert_same_json(expected: &str, actual: &str, what: &str) {
            let expected: ::serde_json::Value = ::serde_json::from_str(expected).expect("example is JSON");
            let actual: ::serde_json::Value = ::serde_json::from_str(actual).expect("encoded message is JSON");
            if let Some(path) = first_difference(&expected, &actual, &mut String::new()) {
                panic!("{what}: re-encoded message differs at `{path}`\nexpected: {expected}\nactual:   {actual}");
            }
        }

        fn first_difference(a: &::serde_json::Value, b: &::serde_json::Value, path: &mut String) -> Option<String> {
            use ::serde_json::Value;
            match (a, b) {
                (Value::Object(x), Value::Object(y)) => {
                    let keys: ::std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                    for key in keys {
                        let len = path.len();
                        path.push('/');
                        path.push_str(key);
                        let found = match (x.get(key), y.get(key)) {
                            (Some(l), Some(r)) => first_difference(l, r, path),
                            _ => Some(path.clone()),
                        };
                        if found.is_some() {
                            return found;
                        }
                        path.truncate(len);
                    }
                    None
                }
                (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                    for (i, (l, r)) in x.iter().zip(y).enumerate() {
                        let len = path.len();
                        path.push_str(&format!("/{i}"));
                        if let Some(p) = first_difference(l, r, path) {
                            return Some(p);
                        }
                        path.truncate(len);
                    }
                    None
                }
                (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
                _ if a == b => None,
                _ => Some(if path.is_empty() { "/".into() } else { path.clone() }),
            }
        }

        #(#tests)*
    })
}
