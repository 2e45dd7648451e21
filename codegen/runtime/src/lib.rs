//! The runtime of the crates that `asyncapi-codegen` generates.
//!
//! A generated crate holds what is particular to one AsyncAPI document: its payload types, its
//! channels, its `Incoming` and `Outgoing` message enums and how a frame is routed to one of them.
//! Everything that is the same for every document lives here, written and tested once: decoding
//! support with located errors, constant members and best-fit unions, the WebSocket [`client`]
//! and [`server`], the local [`mock`] broker (a handler of the server) and [`webhook`] decoding.
//!
//! The two meet through a few traits the generated code implements: [`Api`] (the document: its
//! messages, servers, examples and on-connect messages), [`Message`] (one direction's message
//! enum: decode a frame, encode one), [`MessageKind`] (the `Copy` identity of a message) and
//! [`Dispatch`] (hand a message to the generated `Handler`). The generated crate then names the
//! generic types for its document (`pub type Client = asyncapi_runtime::client::Client<Api>;`),
//! so that its users never need to name this crate.
//!
//! Features: `client` (default), `server`, `mock` (which needs `server`), `mqtt` (the
//! [`mqtt`] client, over `rumqttc`), `nats` (the [`nats`] client, over `async-nats`) and
//! `jetstream` (the `jetstream` module: the relay of a client's messages into NATS JetStream). Items in `__private` are for generated code only and
//! are not part of the stable API.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod address;
#[cfg(any(feature = "mqtt", feature = "nats"))]
mod broker;
mod constant;
mod decode;
mod fields;
mod headers;
mod path;
mod record;
mod tag;
mod testing;
#[cfg(feature = "client")]
mod tls;
mod union;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "jetstream")]
pub mod jetstream;
#[cfg(feature = "mock")]
pub mod mock;
#[cfg(feature = "mqtt")]
pub mod mqtt;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "server")]
pub mod server;
pub mod webhook;

#[cfg(test)]
mod test_api;

use std::fmt::Debug;
use std::hash::Hash;

pub use decode::{DecodeError, UnknownFrame};
pub use headers::NoHeaders;
/// The TLS library of the clients, for `with_tls_config` (the same version the runtime uses).
#[cfg(feature = "client")]
pub use rustls;

/// The version of this crate. A generated crate requires at least the version it was generated
/// for (a caret requirement in its `Cargo.toml`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The identity of one message of a document: a `Copy` enum with a variant per message, in both
/// directions.
pub trait MessageKind: Copy + Eq + Hash + Debug + Send + Sync + 'static {
    /// The message's name in the AsyncAPI document (its `name`, `messageId` or key).
    fn name(self) -> &'static str;

    /// Whether the generated side receives this message (else it sends it).
    fn is_received(self) -> bool;

    /// The address of the message's channel as the document writes it, parameters in braces
    /// (`vehicles/{vehicle_id}/status`); for a channel without an address, its key. Broker
    /// transports publish and subscribe on it: the topic or subject.
    fn address(self) -> &'static str;

    /// What the document's protocol bindings say about sending or receiving this message.
    fn bindings(self) -> Bindings;
}

/// The run-time part of an operation's protocol bindings (`bindings.mqtt`, `bindings.nats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bindings {
    /// MQTT `qos` (0, 1 or 2); the transport's default when `None`.
    pub mqtt_qos: Option<u8>,
    /// MQTT `retain`: whether the broker keeps the last message for new subscribers.
    pub mqtt_retain: bool,
    /// NATS `queue`: the queue group a subscriber joins.
    pub nats_queue: Option<&'static str>,
}

impl Bindings {
    /// No bindings.
    pub const NONE: Bindings = Bindings { mqtt_qos: None, mqtt_retain: false, nats_queue: None };
}

/// The messages of one direction (the generated `Incoming` or `Outgoing`): how a text frame
/// becomes one and how one becomes a text frame again.
pub trait Message: Sized + Clone + Debug + Send + Sync + 'static {
    /// The document's message kinds.
    type Kind: MessageKind;

    /// Decodes one text frame. A well-formed frame that matches no message of this direction is
    /// kept whole as the enum's `Unknown` variant, not an error.
    fn decode(frame: &str) -> Result<Self, DecodeError>;

    /// Decodes one message that arrived on `address` (a broker's topic or subject): the address
    /// picks the channel, then the frame's tag the message among that channel's. A frame on an
    /// address no channel of this direction matches is kept whole as `Unknown`.
    fn decode_at(address: &str, frame: &str) -> Result<Self, DecodeError>;

    /// The message as one JSON text frame (an unknown frame exactly as it was received).
    fn to_frame(&self) -> Result<String, serde_json::Error>;

    /// The typed headers of this direction's messages: the generated `IncomingHeaders` or
    /// `OutgoingHeaders` (a variant per message that declares headers), or [`NoHeaders`] where
    /// no message of the direction declares any.
    type Headers: Clone + Debug + PartialEq + Send + Sync + 'static;

    /// This message's headers, typed by its `headers` schema, from the name/value pairs a
    /// transport carried (MQTT 5 user properties, NATS headers): the first value of each name
    /// counts, numbers and booleans are read from their text. `None` for a message that
    /// declares no headers and for an unknown frame, whatever the pairs (they stay in the
    /// transport's `Received::headers`).
    fn headers(&self, pairs: &[(String, String)]) -> Result<Option<Self::Headers>, DecodeError>;

    /// Which message this is; `None` for a frame the document does not describe.
    fn kind(&self) -> Option<Self::Kind>;

    /// The correlation id the message carries (the document's `correlationId`), which pairs a
    /// reply with its request.
    fn correlation_id(&self) -> Option<String>;
}

/// One AsyncAPI document, from the side the crate was generated for.
pub trait Api: Send + Sync + 'static {
    /// The kinds of its messages.
    type Kind: MessageKind;
    /// What the generated side receives.
    type Incoming: Message<Kind = Self::Kind>;
    /// What the generated side sends.
    type Outgoing: Message<Kind = Self::Kind>;

    /// The messages the generated side sends first on every new connection (usually the
    /// credentials), in order.
    const ON_CONNECT: &'static [Self::Kind];
    /// Every message of the document, both directions, in document order.
    const KINDS: &'static [Self::Kind];
    /// The document's servers, in document order.
    const SERVERS: &'static [Server];
    /// The document's message examples, in document order.
    const EXAMPLES: &'static [Example<Self::Kind>];
}

/// Hands a received message to a handler: the generated crate implements it for its `Incoming`
/// and every implementation of its `Handler` trait.
pub trait Dispatch<H: ?Sized>: Sized {
    /// Calls the handler method for this message.
    fn dispatch(self, handler: &mut H);
}

/// A server of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Server {
    /// The key in the document's `servers`.
    pub name: &'static str,
    /// Scheme, host and path, such as `wss://example.com/ws`.
    pub url: &'static str,
    /// The document's `protocol`.
    pub protocol: &'static str,
    /// Handshake headers the server requires, with the document's value (may be empty).
    pub headers: &'static [(&'static str, &'static str)],
    /// What the server's protocol bindings say about a connection to it.
    pub bindings: ServerBindings,
}

/// The run-time part of a server's protocol bindings (`bindings.mqtt`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ServerBindings {
    /// MQTT `clientId`.
    pub mqtt_client_id: Option<&'static str>,
    /// MQTT `cleanSession`.
    pub mqtt_clean_session: Option<bool>,
    /// MQTT `keepAlive`, in seconds.
    pub mqtt_keep_alive: Option<u16>,
    /// The MQTT protocol level of the server's `protocolVersion` (or of the `mqtt5` protocol):
    /// 4 for 3.1.1, 5 for 5.
    pub mqtt_version: Option<u8>,
}

impl ServerBindings {
    /// No bindings.
    pub const NONE: ServerBindings =
        ServerBindings { mqtt_client_id: None, mqtt_clean_session: None, mqtt_keep_alive: None, mqtt_version: None };
}

/// One message example of the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example<K: 'static> {
    /// The message it is an example of.
    pub message: K,
    /// The example's name.
    pub name: &'static str,
    /// Whether the generated side receives this message (else it sends it).
    pub received: bool,
    /// The payload as one JSON text frame.
    pub json: &'static str,
}

/// Support for generated code. Not part of the stable API: it changes whenever the generator
/// needs it to, with the generator's own version.
#[doc(hidden)]
pub mod __private {
    pub use crate::address::{fill_template, match_template, matches_address};
    pub use crate::constant::{Constant, deserialize_constant, serialize_constant};
    pub use crate::decode::{check_json, parse};
    pub use crate::fields::{correlation_of, deserialize_open, present};
    pub use crate::headers::message_headers;
    pub use crate::record::{MemberSeed, Members, member, missing_member, serialize_member, skip_member};
    pub use crate::tag::peek_tag;
    pub use crate::testing::assert_same_json;
    pub use crate::union::{Alternative, deserialize_union, ranking};
    pub use serde;
}
