//! A small hand-written API for the runtime's own tests: the items a generated crate provides,
//! for a document with three messages routed by a `kind` member.

use crate::__private::peek_tag;
use crate::{Api, Bindings, DecodeError, Example, Message, MessageKind, Server, ServerBindings, UnknownFrame};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Ping,
    Pong,
    Auth,
}

impl MessageKind for Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ping => "ping",
            Kind::Pong => "pong",
            Kind::Auth => "auth",
        }
    }

    fn is_received(self) -> bool {
        self != Kind::Auth
    }

    fn address(self) -> &'static str {
        match self {
            Kind::Ping => "test/{room}/ping",
            Kind::Pong => "test/pong",
            Kind::Auth => "test/auth",
        }
    }

    fn bindings(self) -> Bindings {
        match self {
            Kind::Ping => Bindings { mqtt_qos: Some(1), nats_queue: Some("pingers"), ..Bindings::NONE },
            Kind::Pong | Kind::Auth => Bindings::NONE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Ping,
    Pong,
    Auth(String),
    Unknown(UnknownFrame),
}

impl Message for Frame {
    type Kind = Kind;

    fn decode(frame: &str) -> Result<Self, DecodeError> {
        let tag = peek_tag(frame, &["kind"])?;
        Ok(match tag.as_deref() {
            Some("ping") => Frame::Ping,
            Some("pong") => Frame::Pong,
            Some("auth") => {
                let value: serde_json::Value = crate::__private::parse(frame, "auth")?;
                Frame::Auth(value["token"].as_str().unwrap_or_default().to_owned())
            }
            Some(other) => Frame::Unknown(UnknownFrame::new(Some(other), frame)),
            None => return Err(DecodeError::MissingTag { path: "kind" }),
        })
    }

    fn decode_at(address: &str, frame: &str) -> Result<Self, DecodeError> {
        let known = [Kind::Ping, Kind::Pong, Kind::Auth]
            .iter()
            .any(|k| crate::__private::matches_address(k.address(), address));
        if known { Frame::decode(frame) } else { Ok(Frame::Unknown(UnknownFrame::new(None, frame))) }
    }

    type Headers = crate::NoHeaders;

    fn headers(&self, _pairs: &[(String, String)]) -> Result<Option<crate::NoHeaders>, DecodeError> {
        Ok(None)
    }

    fn to_frame(&self) -> Result<String, serde_json::Error> {
        Ok(match self {
            Frame::Ping => r#"{"kind":"ping"}"#.to_owned(),
            Frame::Pong => r#"{"kind":"pong"}"#.to_owned(),
            Frame::Auth(token) => serde_json::json!({"kind": "auth", "token": token}).to_string(),
            Frame::Unknown(frame) => frame.raw.clone(),
        })
    }

    fn kind(&self) -> Option<Kind> {
        match self {
            Frame::Ping => Some(Kind::Ping),
            Frame::Pong => Some(Kind::Pong),
            Frame::Auth(_) => Some(Kind::Auth),
            Frame::Unknown(_) => None,
        }
    }

    fn correlation_id(&self) -> Option<String> {
        None
    }
}

/// Both sides speak the same frames; the client authenticates first.
pub enum TestApi {}

impl Api for TestApi {
    type Kind = Kind;
    type Incoming = Frame;
    type Outgoing = Frame;

    const ON_CONNECT: &'static [Kind] = &[Kind::Auth];
    const KINDS: &'static [Kind] = &[Kind::Ping, Kind::Pong, Kind::Auth];
    const SERVERS: &'static [Server] = &[Server {
        name: "local",
        url: "ws://127.0.0.1:9/",
        protocol: "ws",
        headers: &[("Origin", "http://localhost")],
        bindings: ServerBindings::NONE,
    }];
    const EXAMPLES: &'static [Example<Kind>] = &[
        Example { message: Kind::Auth, name: "good", received: false, json: r#"{"kind":"auth","token":"good"}"# },
        Example { message: Kind::Ping, name: "ping", received: true, json: r#"{"kind":"ping"}"# },
        Example { message: Kind::Pong, name: "pong", received: true, json: r#"{"kind":"pong"}"# },
    ];
}
