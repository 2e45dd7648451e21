//! The `Channel` enum: one variant per channel, with its address both ways; and, for each channel
//! whose address has `{parameters}`, a typed parameter struct that builds and parses addresses.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::ir::{Api, Channel, Direction};

pub(super) fn emit(api: &Api) -> TokenStream {
    let enum_ = channel_enum(api);
    let params = api.channels.iter().filter(|c| !c.parameters.is_empty()).map(parameters_struct);
    quote! {
        #enum_
        #(#params)*
    }
}

/// `<Channel>Params`: the values of a parameterised address, both ways.
fn parameters_struct(c: &Channel) -> TokenStream {
    let name = ident(&format!("{}Params", c.ident));
    let template = c.address.clone().unwrap_or_default();
    let doc = format!(" The parameters of channel `{}` (address `{template}`).", c.key);
    let fields: Vec<_> = c.parameters.iter().map(|p| ident(&p.field)).collect();
    let field_docs = c.parameters.iter().map(|p| {
        let d = docs(&p.docs);
        let line = format!(" `{{{}}}` in the address.", p.name);
        quote! { #d #[doc = #line] }
    });
    let indices = 0..fields.len();
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct #name {
            #(#field_docs pub #fields: String,)*
        }

        impl #name {
            /// The address template.
            pub const TEMPLATE: &'static str = #template;

            /// The address with these parameter values filled in.
            pub fn address(&self) -> String {
                ::asyncapi_runtime::__private::fill_template(Self::TEMPLATE, &[#(self.#fields.as_str()),*])
            }

            /// The parameter values of `address`, if it matches the template.
            pub fn parse(address: &str) -> Option<Self> {
                let values = ::asyncapi_runtime::__private::match_template(Self::TEMPLATE, address)?;
                Some(Self { #(#fields: values[#indices].to_owned(),)* })
            }
        }
    }
}

/// What this side does on channel `index`: " Sent here: `a`, `b`. Received here: `c`." (the
/// role decides it), or `None` for a channel without messages.
fn traffic(api: &Api, index: usize) -> Option<String> {
    let keys = |direction| {
        let keys: Vec<String> = api
            .messages
            .iter()
            .filter(|m| m.channel == index && m.direction == direction)
            .map(|m| format!("`{}`", m.key))
            .collect();
        (!keys.is_empty()).then(|| keys.join(", "))
    };
    let parts: Vec<String> = [(Direction::Send, "Sent"), (Direction::Receive, "Received")]
        .into_iter()
        .filter_map(|(direction, verb)| Some(format!(" {verb} here: {}.", keys(direction)?)))
        .collect();
    (!parts.is_empty()).then(|| parts.concat())
}

fn channel_enum(api: &Api) -> TokenStream {
    let variants = api.channels.iter().enumerate().map(|(index, c)| {
        let doc = docs(&c.docs);
        let traffic = traffic(api, index).map(|line| quote! { #[doc = ""] #[doc = #line] });
        let v = ident(&c.ident);
        let address = c.address.as_deref().unwrap_or(&c.key);
        let line = format!(" Address `{address}`.");
        let query = (!c.query.is_empty()).then(|| {
            let list: Vec<String> = c
                .query
                .iter()
                .map(|(name, default)| match default {
                    Some(d) => format!("`{name}` (default `{d}`)"),
                    None => format!("`{name}`"),
                })
                .collect();
            let line = format!(" WebSocket query parameters (`bindings.ws.query`): {}.", list.join(", "));
            quote! { #[doc = ""] #[doc = #line] }
        });
        quote! { #doc #[doc = ""] #[doc = #line] #traffic #query #v }
    });
    let idents: Vec<_> = api.channels.iter().map(|c| ident(&c.ident)).collect();
    let addresses: Vec<_> = api.channels.iter().map(|c| c.address.clone().unwrap_or_else(|| c.key.clone())).collect();
    let keys: Vec<_> = api.channels.iter().map(|c| c.key.clone()).collect();
    let body = if idents.is_empty() {
        quote! { match self {} }
    } else {
        quote! { match self { #(Channel::#idents => #addresses,)* } }
    };
    let key_body = if idents.is_empty() {
        quote! { match self {} }
    } else {
        quote! { match self { #(Channel::#idents => #keys,)* } }
    };
    quote! {
        /// Every channel of the API.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Channel {
            #(#variants,)*
        }

        impl Channel {
            /// All channels, in document order.
            pub const ALL: &'static [Channel] = &[#(Channel::#idents),*];

            /// The channel's address (for a channel without one, its key in the document).
            pub fn address(self) -> &'static str {
                #body
            }

            /// The channel's key in the AsyncAPI document.
            pub fn key(self) -> &'static str {
                #key_body
            }

            /// The channel with this address, if there is one. For a channel with parameters,
            /// `address()` is its template (`vehicle/{vehicle_id}/status`) and any address that
            /// fills it in (`vehicle/veh_1/status`) matches; exact addresses win over templates.
            pub fn from_address(address: &str) -> Option<Channel> {
                Channel::ALL.iter().copied().find(|c| c.address() == address).or_else(|| {
                    Channel::ALL
                        .iter()
                        .copied()
                        .find(|c| c.address().contains('{') && ::asyncapi_runtime::__private::match_template(c.address(), address).is_some())
                })
            }
        }

        impl ::std::fmt::Display for Channel {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.address())
            }
        }
    }
}
