//! A small hand-written API for the runtime's own tests: the items a generated crate provides,
//! for a document with three messages routed by a `kind` member.

use crate::__private::peek_tag;
use crate::{Api, DecodeError, Example, Message, MessageKind, Server, UnknownFrame};

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
    const SERVERS: &'static [Server] = &[Server {
        name: "local",
        url: "ws://127.0.0.1:9/",
        protocol: "ws",
        headers: &[("Origin", "http://localhost")],
    }];
    const EXAMPLES: &'static [Example<Kind>] = &[
        Example { message: Kind::Auth, name: "good", received: false, json: r#"{"kind":"auth","token":"good"}"# },
        Example { message: Kind::Ping, name: "ping", received: true, json: r#"{"kind":"ping"}"# },
        Example { message: Kind::Pong, name: "pong", received: true, json: r#"{"kind":"pong"}"# },
    ];
}
