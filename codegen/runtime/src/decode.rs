//! Typed decode errors that say where a frame is wrong, the frame kept for messages the document
//! does not describe, and the one-pass typed decode of a routed frame.

use std::fmt;

use serde::de::IgnoredAny;

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame is not JSON (or is cut short).
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the JSON parser said.
        reason: String,
    },
    /// The frame has no routing tag at `path`, so it cannot be told which message it is.
    MissingTag {
        /// The dotted property path of the tag, such as `header.channel`.
        path: &'static str,
    },
    /// The frame is routed to `message`, but its content does not match that message's schema.
    Payload {
        /// The message's name in the AsyncAPI document.
        message: &'static str,
        /// Where in the frame, as a path such as `data.speed` (`.` for the whole frame).
        path: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// The message's headers (MQTT 5 user properties, NATS headers) do not match their schema.
    Headers {
        /// What is wrong: a missing header, a value that is not the header's type.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Syntax { line, column, reason } => {
                write!(f, "frame is not valid JSON at line {line}, column {column}: {reason}")
            }
            DecodeError::MissingTag { path } => write!(f, "frame has no `{path}` to route it by"),
            DecodeError::Payload { message, path, reason } => {
                write!(f, "frame for message `{message}` does not match its schema at `{path}`: {reason}")
            }
            DecodeError::Headers { reason } => write!(f, "the message's headers do not match their schema: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    pub(crate) fn syntax(e: &serde_json::Error) -> Self {
        DecodeError::Syntax { line: e.line(), column: e.column(), reason: reason_of(e) }
    }
}

/// The parser's message without its " at line N column M" suffix (the position is kept apart).
fn reason_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// A well-formed frame that matches no message of this API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFrame {
    /// The routing tag the frame carried, if any (for an envelope API: its channel).
    pub tag: Option<String>,
    /// The frame as received.
    pub raw: String,
}

impl UnknownFrame {
    /// Keeps `raw`, routed by `tag`.
    pub fn new(tag: Option<&str>, raw: &str) -> Self {
        UnknownFrame { tag: tag.map(str::to_owned), raw: raw.to_owned() }
    }
}

/// Checks that `frame` is one JSON value.
pub fn check_json(frame: &str) -> Result<(), DecodeError> {
    serde_json::from_str::<IgnoredAny>(frame).map(|_| ()).map_err(|e| DecodeError::syntax(&e))
}

/// Decodes the whole frame as `T`, the payload of `message`.
pub fn parse<'a, T: serde::Deserialize<'a>>(frame: &'a str, message: &'static str) -> Result<T, DecodeError> {
    match serde_json::from_str(frame) {
        Ok(value) => Ok(value),
        Err(e) if e.is_syntax() || e.is_eof() => Err(DecodeError::syntax(&e)),
        Err(e) => {
            // Only for a frame that is already wrong: where the parser stopped says where.
            let path = crate::path::error_path(frame, &e);
            Err(DecodeError::Payload { message, path, reason: reason_of(&e) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_errors_name_the_path() {
        #[derive(serde::Deserialize, Debug)]
        struct Frame {
            #[allow(dead_code)]
            data: Data,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Data {
            #[allow(dead_code)]
            speed: f64,
        }
        let err = parse::<Frame>(r#"{"data": {"speed": "fast"}}"#, "status").expect_err("wrong type");
        match err {
            DecodeError::Payload { message, path, .. } => {
                assert_eq!(message, "status");
                assert_eq!(path, "data.speed");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
