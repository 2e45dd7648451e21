//! The modules that name the runtime's generic items for this document: `client.rs` (the
//! WebSocket client, with typed `request_<message>` methods), `server.rs` (the WebSocket
//! server), `mock.rs` (the mock broker), `relay.rs` (the JetStream relay), `mqtt.rs` and `nats.rs` (the broker clients) and `webhook.rs`. They hold type aliases and one-line wrappers only; the behaviour is in
//! `asyncapi-runtime`.

use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use super::messages::payload_type;
use crate::ir::{Api, Direction, Message};
use crate::types::Types;

pub(super) fn client(api: &Api, types: &Types) -> TokenStream {
    let requests = requests(api, types);
    quote! {
        //! The WebSocket client of this API: the runtime's client, typed for [`Api`](crate::Api).

        pub use ::asyncapi_runtime::client::{Connect, Error, ProvideError};

        /// A running connection to a server of the API: a stream of [`Event`]s, or a source for
        /// [`Client::run`](::asyncapi_runtime::client::Client::run) with a
        /// [`Handler`](crate::Handler).
        pub type Client = ::asyncapi_runtime::client::Client<crate::Api>;

        /// How to reach the server and behave on the connection.
        pub type ClientConfig = ::asyncapi_runtime::client::ClientConfig<crate::Api>;

        /// What the client reports: connection events and [`Incoming`](crate::Incoming) messages.
        pub type Event = ::asyncapi_runtime::client::Event<crate::Incoming>;

        #requests
    }
}

/// The `Requests` trait: for each sent message with a correlation id and declared replies, a
/// request that resolves to the reply: its payload type when there is one reply, else an enum
/// `<Message>Reply` over the declared replies (defined here).
fn requests(api: &Api, types: &Types) -> TokenStream {
    let requests: Vec<(&Message, Vec<&Message>)> = api
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Send && m.correlation.is_some() && !m.replies.is_empty())
        .map(|m| (m, m.replies.iter().map(|&r| &api.messages[r]).collect()))
        .collect();
    if requests.is_empty() {
        return quote! {};
    }
    let reply_enums = requests.iter().filter(|(_, replies)| replies.len() > 1).map(|(m, replies)| {
        let name = ident(&format!("{}Reply", m.ident));
        let doc = format!(" The replies the document declares to `{}`.", m.key);
        let variants = replies.iter().map(|r| {
            let (v, ty) = (ident(&r.ident), payload_type(types, r));
            let doc = format!(" `{}`.", r.key);
            quote! { #[doc = #doc] #v(#ty) }
        });
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, PartialEq)]
            pub enum #name { #(#variants,)* }
        }
    });
    let signatures: Vec<_> = requests
        .iter()
        .map(|(m, replies)| {
            let name = ident(&format!("request_{}", m.method));
            let ty = payload_type(types, m);
            let reply_ty = match replies.as_slice() {
                [reply] => payload_type(types, reply),
                _ => {
                    let name = ident(&format!("{}Reply", m.ident));
                    quote!(#name)
                }
            };
            let doc = format!(
                " Sends `{}` and waits for its reply {} (matched by correlation id).",
                m.key,
                quoted_names(replies)
            );
            quote! {
                #[doc = #doc]
                fn #name(&self, payload: #ty) -> impl ::std::future::Future<Output = Result<#reply_ty, Error>> + Send
            }
        })
        .collect();
    let bodies = requests.iter().map(|(m, replies)| {
        let v = ident(&m.ident);
        let expected = quoted_names(replies);
        let arms = replies.iter().map(|r| {
            let rv = ident(&r.ident);
            if replies.len() == 1 {
                quote! { crate::Incoming::#rv(reply) => Ok(*reply), }
            } else {
                let name = ident(&format!("{}Reply", m.ident));
                quote! { crate::Incoming::#rv(reply) => Ok(#name::#rv(*reply)), }
            }
        });
        quote! {
            self.request_reply(crate::Outgoing::#v(Box::new(payload)), #expected, |reply| match reply {
                #(#arms)*
                other => Err(other),
            })
        }
    });
    quote! {
        #(#reply_enums)*

        /// Typed requests: each sends a message and resolves to its declared reply. Bring the trait
        /// into scope (`use <crate>::client::Requests as _;`) to call them on a [`Client`].
        pub trait Requests {
            #(#signatures;)*
        }

        impl Requests for Client {
            #(#signatures { #bodies })*
        }
    }
}

/// `` `a` ``, `` `a` or `b` ``, `` `a`, `b` or `c` ``.
fn quoted_names(messages: &[&Message]) -> String {
    let names: Vec<String> = messages.iter().map(|m| format!("`{}`", m.key)).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

pub(super) fn mock() -> TokenStream {
    quote! {
        //! The local mock broker of this API: the runtime's mock broker, typed for
        //! [`Api`](crate::Api). It pushes the document's examples of received messages and
        //! accepts the examples of the on-connect messages.

        pub use ::asyncapi_runtime::mock::REJECTED;

        /// A running mock broker.
        pub type MockBroker = ::asyncapi_runtime::mock::MockBroker<crate::Api>;

        /// Settings for a [`MockBroker`].
        pub type MockBrokerBuilder = ::asyncapi_runtime::mock::MockBrokerBuilder<crate::Api>;
    }
}

pub(super) fn mqtt() -> TokenStream {
    quote! {
        //! The MQTT client of this API: the runtime's MQTT client, typed for
        //! [`Api`](crate::Api). It subscribes to the topic of every channel this side receives
        //! (parameters as `+` wildcards) and decodes each message by the topic it arrived on;
        //! the channel's `<Channel>Params::parse` reads the parameters back out of
        //! [`Received::topic`]. It speaks MQTT 3.1.1, or 5 ([`MqttVersion`]), where a message's
        //! headers are its user properties ([`Received::headers_as`]).

        pub use ::asyncapi_runtime::mqtt::{Error, MqttVersion, Received};

        /// A running MQTT session.
        pub type MqttClient = ::asyncapi_runtime::mqtt::MqttClient<crate::Api>;

        /// How to reach the broker and behave on the session.
        pub type MqttConfig = ::asyncapi_runtime::mqtt::MqttConfig<crate::Api>;

        /// What the MQTT client reports: session events and received messages.
        pub type Event = ::asyncapi_runtime::mqtt::Event<crate::Incoming>;
    }
}

pub(super) fn relay() -> TokenStream {
    quote! {
        //! The fleet relay of this API (feature `jetstream`): every message the client receives,
        //! published to a NATS JetStream stream at least once, in order per key, with a message
        //! id that lets JetStream drop the copies of replays and of overlapping relays. See
        //! `asyncapi_runtime::jetstream` for the subjects and guarantees.

        pub use ::asyncapi_runtime::jetstream::{RelayConfig, RelayError, RelayStats};

        /// The relay, for this API's received messages.
        pub type Relay = ::asyncapi_runtime::jetstream::Relay<crate::Api>;

        /// A received frame as it arrived, with the message it decodes to.
        pub type Frame = ::asyncapi_runtime::jetstream::Frame<crate::Api>;

        /// The client a relay reads: the WebSocket client, every message kept as its frame.
        pub type Source = ::asyncapi_runtime::client::Client<::asyncapi_runtime::jetstream::Relayed<crate::Api>>;

        /// What the source reports: connection events and received frames.
        pub type SourceEvent = ::asyncapi_runtime::client::Event<Frame>;

        /// How the source connects (the same settings as [`crate::client::ClientConfig`]).
        pub type SourceConfig =
            ::asyncapi_runtime::client::ClientConfig<::asyncapi_runtime::jetstream::Relayed<crate::Api>>;
    }
}

pub(super) fn nats() -> TokenStream {
    quote! {
        //! The NATS client of this API: the runtime's NATS client, typed for
        //! [`Api`](crate::Api). It subscribes to the subject of every channel this side receives
        //! (parameters as `*` wildcards, in the queue group of the operation's `queue` binding)
        //! and decodes each message by the subject it arrived on; the channel's
        //! `<Channel>Params::parse` reads the parameters back out of [`Received::subject`].

        pub use ::asyncapi_runtime::nats::{Error, Received};

        /// A connection to a NATS server.
        pub type NatsClient = ::asyncapi_runtime::nats::NatsClient<crate::Api>;

        /// How to reach the server and behave on the connection.
        pub type NatsConfig = ::asyncapi_runtime::nats::NatsConfig<crate::Api>;

        /// What the NATS client reports: connection events and received messages.
        pub type Event = ::asyncapi_runtime::nats::Event<crate::Incoming>;
    }
}

pub(super) fn server() -> TokenStream {
    quote! {
        //! The WebSocket server of this API: the runtime's server, typed for this side's messages.
        //! It accepts connections, decodes what clients send into [`Incoming`](crate::Incoming),
        //! and gives each connection to a handler that answers with
        //! [`Outgoing`](crate::Outgoing) messages.

        pub use ::asyncapi_runtime::server::{Received, SendError};

        /// A running server.
        pub type Server = ::asyncapi_runtime::server::Server<crate::Incoming, crate::Outgoing>;

        /// Settings for a [`Server`]; `Server::builder().serve(addr, |conn| async move { .. })`.
        pub type ServerBuilder = ::asyncapi_runtime::server::ServerBuilder<crate::Incoming, crate::Outgoing>;

        /// One client's connection: `recv` what it sends, `send` or `reply` to it.
        pub type Connection = ::asyncapi_runtime::server::Connection<crate::Incoming, crate::Outgoing>;

        /// Sends on one connection from another task.
        pub type Sender = ::asyncapi_runtime::server::Sender<crate::Outgoing>;
    }
}

pub(super) fn webhook() -> TokenStream {
    quote! {
        //! Webhooks: a webhook body is one frame, so it decodes into the same
        //! [`Incoming`](crate::Incoming) as a WebSocket frame and the same
        //! [`Handler`](crate::Handler) can serve both. Answer the POST before handling the event,
        //! so a slow handler does not make the sender time out and retry.

        /// Decodes the body of one webhook POST into the message it carries (a body that is not
        /// UTF-8 is a syntax error at its first invalid byte).
        pub fn decode_webhook(body: &[u8]) -> Result<crate::Incoming, ::asyncapi_runtime::DecodeError> {
            ::asyncapi_runtime::webhook::decode(body)
        }
    }
}
