//! The intermediate representation: what the generated crate needs to know about an AsyncAPI
//! document, independent of the AsyncAPI version it came from and of `typify`.
//!
//! Payload schemas are referred to by their name in the [`crate::lower::SchemaBundle`]; the
//! `types` stage turns those names into Rust types.

use serde::Serialize;
use serde_json::Value;

/// One API, as the generated client sees it.
#[derive(Debug, Serialize)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The `asyncapi` field of the document.
    pub asyncapi: String,
    /// Where the document's facts come from: its `externalDocs`, then the entries of
    /// `info.x-sources` (a code such as `D1`, which descriptions cite, mapped to an address).
    pub sources: Vec<Source>,
    /// Servers, in document order.
    pub servers: Vec<Server>,
    /// Channels, in document order.
    pub channels: Vec<Channel>,
    /// Messages used by an operation, in document order of first use.
    pub messages: Vec<Message>,
    /// How a frame is routed to one of the messages of its direction.
    pub routing: Routing,
    /// What the types do with object members their schema does not declare.
    pub unknown_fields: UnknownFields,
    /// Which side of the document the crate is.
    pub role: Role,
    /// Whether the role was chosen (by `--role` or the document), rather than defaulted.
    pub role_chosen: bool,
}

impl Api {
    /// Whether a server of the document speaks MQTT: the crate then has the `mqtt` client.
    pub fn uses_mqtt(&self) -> bool {
        self.servers.iter().any(|s| is_mqtt(&s.protocol))
    }

    /// Whether a server of the document speaks NATS: the crate then has the `nats` client.
    pub fn uses_nats(&self) -> bool {
        self.servers.iter().any(|s| s.protocol == "nats")
    }
}

/// Which application a generated crate is. A document describes one application: what it sends
/// and receives (3.0 `send`/`receive`, 2.x `subscribe`/`publish`, the same reading for both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The application that talks to the described one: a client of a described server, a
    /// consumer of a described producer. It receives what the described application sends.
    #[default]
    Peer,
    /// The described application itself.
    App,
}

impl Role {
    /// The role named `peer` or `app`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "peer" => Some(Role::Peer),
            "app" => Some(Role::App),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Peer => "peer",
            Role::App => "app",
        }
    }

    /// The other role.
    pub fn other(self) -> Role {
        match self {
            Role::Peer => Role::App,
            Role::App => Role::Peer,
        }
    }
}

/// What generated types do with object members their schema does not declare (and does not
/// forbid with `additionalProperties: false`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownFields {
    /// Accept and drop them: the fastest decoding, and a server that adds fields breaks nothing.
    #[default]
    Ignore,
    /// Keep them in a map on each object, so that a decoded message encodes back whole (for
    /// relays); decoding is slower.
    Capture,
    /// Reject them: a frame with an undeclared member is a decode error (for strict tests).
    Deny,
}

impl UnknownFields {
    /// The policy named `ignore`, `capture` or `deny`.
    pub fn parse(name: &str) -> Option<UnknownFields> {
        match name {
            "ignore" => Some(UnknownFields::Ignore),
            "capture" => Some(UnknownFields::Capture),
            "deny" => Some(UnknownFields::Deny),
            _ => None,
        }
    }
}

/// A document the API's description cites.
#[derive(Debug, Serialize)]
pub struct Source {
    /// The code descriptions use for it (`D1`), or `externalDocs`.
    pub id: String,
    /// Its address.
    pub url: String,
    /// What it is.
    pub description: Option<String>,
}

/// A server the client can connect to.
#[derive(Debug, Serialize)]
pub struct Server {
    /// The key in `servers`.
    pub name: String,
    /// `ws://…` or `wss://…` (or another scheme for other protocols), host and path.
    pub url: String,
    /// `protocol`.
    pub protocol: String,
    /// `description`.
    pub description: Option<String>,
    /// Handshake headers from the `ws` binding, with their example or default value.
    pub headers: Vec<(String, Option<String>)>,
    /// The run-time part of its `mqtt` binding.
    pub bindings: ServerBindings,
}

/// What a server's protocol bindings say about a connection to it (`bindings.mqtt`).
#[derive(Debug, Default, Serialize)]
pub struct ServerBindings {
    /// `clientId`.
    pub mqtt_client_id: Option<String>,
    /// `cleanSession`.
    pub mqtt_clean_session: Option<bool>,
    /// `keepAlive`, in seconds.
    pub mqtt_keep_alive: Option<u16>,
    /// The MQTT protocol level of the server's `protocolVersion` (4: 3.1.1, 5: 5), or 5 for the
    /// `mqtt5` protocol.
    pub mqtt_version: Option<u8>,
}

/// What an operation's protocol bindings say about sending or receiving its messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bindings {
    /// `bindings.mqtt.qos`.
    pub mqtt_qos: Option<u8>,
    /// `bindings.mqtt.retain`.
    pub mqtt_retain: bool,
    /// `bindings.nats.queue`.
    pub nats_queue: Option<String>,
}

/// Whether `protocol` (a server's `protocol`) is a broker's, where a message's channel is the
/// topic or subject it travels on rather than something in the frame.
pub fn is_broker(protocol: &str) -> bool {
    matches!(
        protocol,
        "mqtt"
            | "mqtts"
            | "secure-mqtt"
            | "mqtt5"
            | "nats"
            | "kafka"
            | "kafka-secure"
            | "amqp"
            | "amqps"
            | "jms"
            | "sns"
            | "sqs"
            | "stomp"
            | "stomps"
            | "redis"
            | "pulsar"
            | "solace"
            | "googlepubsub"
            | "ibmmq"
            | "anypointmq"
    )
}

/// What the generated crate cannot do with a server of `protocol`, for a warning; `None` where
/// the runtime has a client for it (`ws`, `wss`, `mqtt` and `mqtts`, `nats`) or it is HTTP
/// (webhooks).
pub fn transport_gap(protocol: &str) -> Option<&'static str> {
    match protocol {
        "ws" | "wss" | "mqtt" | "mqtts" | "secure-mqtt" | "mqtt5" | "nats" | "http" | "https" => None,
        _ => Some(
            "the runtime has no transport for it, so the crate has its types and decoding but no client for this server",
        ),
    }
}

/// Whether `protocol` is MQTT's, which the runtime's `mqtt` client speaks.
pub fn is_mqtt(protocol: &str) -> bool {
    matches!(protocol, "mqtt" | "mqtts" | "secure-mqtt" | "mqtt5")
}

/// A channel.
#[derive(Debug, Serialize)]
pub struct Channel {
    /// The channel key (3.0) or address (2.x).
    pub key: String,
    /// The Rust variant name.
    pub ident: String,
    /// The address, if the channel has one.
    pub address: Option<String>,
    /// Documentation lines: title, summary, description.
    pub docs: Vec<String>,
    /// The `{name}` parameters of the address, in address order.
    pub parameters: Vec<Parameter>,
    /// Query parameters of the WebSocket handshake (`bindings.ws.query`), with their defaults.
    pub query: Vec<(String, Option<String>)>,
    /// The channel's protocol bindings as written.
    pub bindings: Value,
}

/// A parameter of a channel address (`{vehicle_id}` in `vehicle/{vehicle_id}/status`).
#[derive(Debug, Serialize)]
pub struct Parameter {
    /// The name between the braces.
    pub name: String,
    /// The Rust field name.
    pub field: String,
    /// Its description, if the document declares it.
    pub docs: Vec<String>,
}

/// Which way a message goes, seen from the generated side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    /// The generated side receives it.
    Receive,
    /// The generated side sends it.
    Send,
}

impl Direction {
    /// The other way.
    pub fn flip(self) -> Direction {
        match self {
            Direction::Receive => Direction::Send,
            Direction::Send => Direction::Receive,
        }
    }
}

/// A message on a channel, in one direction.
#[derive(Debug, Serialize)]
pub struct Message {
    /// The name in the spec that the identifier was made from.
    pub key: String,
    /// The Rust variant name (`VehicleStatus`).
    pub ident: String,
    /// The handler method / constructor stem (`vehicle_status`).
    pub method: String,
    /// Index into [`Api::channels`].
    pub channel: usize,
    /// Which way it goes.
    pub direction: Direction,
    /// The payload's definition name in the schema bundle, if the message has a JSON payload.
    pub payload: Option<String>,
    /// The definition name of the message's `headers` schema, if it has one.
    pub headers: Option<String>,
    /// Documentation lines: title, summary, description.
    pub docs: Vec<String>,
    /// The spec's examples of the payload, with their names.
    pub examples: Vec<Example>,
    /// Whether the connecting side sends this message first on every new connection
    /// (`x-on-connect` on its operation): the credentials, usually.
    pub on_connect: bool,
    /// Where in the payload the message carries its correlation id (a JSON pointer).
    pub correlation: Option<String>,
    /// The messages (indices into [`Api::messages`]) that answer this one (3.0 `reply`).
    pub replies: Vec<usize>,
    /// Its operation's protocol bindings.
    pub bindings: Bindings,
}

/// One example payload.
#[derive(Debug, Serialize)]
pub struct Example {
    /// The example's `name`, or its index.
    pub name: String,
    /// The payload.
    pub payload: Value,
}

/// How frames of each direction are routed to their messages: the generated side decodes what it
/// receives, and (to play or test the other side) what it sends.
#[derive(Debug, Serialize)]
pub struct Routing {
    /// Frames the generated side receives.
    pub received: Dispatch,
    /// Frames the generated side sends.
    pub sent: Dispatch,
    /// For each channel (by index into [`Api::channels`]): how a frame that arrived on its
    /// address is routed among its own messages, received then sent (broker transports, where
    /// the address is the topic or subject).
    pub by_channel: Vec<[Dispatch; 2]>,
}

impl Routing {
    /// The routing of `direction`.
    pub fn of(&self, direction: Direction) -> &Dispatch {
        match direction {
            Direction::Receive => &self.received,
            Direction::Send => &self.sent,
        }
    }

    /// The routing of `direction` among the messages of channel `channel`.
    pub fn of_channel(&self, channel: usize, direction: Direction) -> &Dispatch {
        &self.by_channel[channel][usize::from(direction == Direction::Send)]
    }
}

/// How a frame of one direction is routed to a message.
#[derive(Debug, Serialize)]
pub enum Dispatch {
    /// No message goes this way.
    None,
    /// Exactly one message can arrive: every frame is decoded as it.
    Single(usize),
    /// A string at `path` tells the messages apart; messages without a tag are tried in order
    /// when the tag is missing.
    Tagged {
        /// Property names from the payload root to the tag.
        path: Vec<String>,
        /// Tag value → index into [`Api::messages`].
        cases: Vec<(String, usize)>,
        /// Messages that carry no provable tag, tried in this order.
        fallback: Vec<usize>,
    },
    /// No tag could be proven: the messages are tried in this order and the first that decodes
    /// wins.
    Ordered(Vec<usize>),
}
