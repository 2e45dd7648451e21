//! What can go wrong on a connection, and which errors stop the client.

use std::fmt;
use std::time::Duration;

use crate::DecodeError;

/// What can go wrong. After [`Error::Rejected`], [`Error::GaveUp`], [`Error::Config`],
/// [`Error::Credentials`] and [`Error::Encode`] the client has stopped (see
/// [`Error::is_fatal`]); the others concern one frame or one call, and the stream goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A text frame could not be decoded; the connection stays open.
    Decode(DecodeError),
    /// A binary frame that is not UTF-8 text; the connection stays open.
    Binary {
        /// Its length in bytes.
        len: usize,
    },
    /// The server refused the connection's credentials: it answered the handshake with 401 or
    /// 403, closed with a policy-violation or application (4000-4999) code, or closed the socket
    /// right after the on-connect messages. The client does not retry (with an on-connect
    /// provider: not after fresh credentials were refused too).
    Rejected {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// What the server said or did.
        reason: String,
    },
    /// The on-connect provider failed for good.
    Credentials(String),
    /// The client gave up after the configured number of reconnect attempts.
    GaveUp {
        /// How many attempts failed.
        attempts: usize,
        /// Why the last one failed, for people.
        last: String,
    },
    /// The configuration is unusable.
    Config(String),
    /// An on-connect message could not be serialised.
    Encode(serde_json::Error),
    /// [`Client::send`](super::Client::send) or [`Client::request`](super::Client::request)
    /// after the client stopped.
    Stopped,
    /// The socket failed while [`Client::send`](super::Client::send) wrote the message; it was
    /// not sent (the client reconnects as usual).
    Send(String),
    /// [`Client::request`](super::Client::request) of a message that carries no correlation id
    /// to match a reply with.
    NoCorrelationId {
        /// The message's name in the document.
        message: &'static str,
    },
    /// The reply to a typed request is another message than the ones the document declares.
    UnexpectedReply {
        /// The declared replies, quoted: `` `pong` ``, or `` `subscriptionStatus` or `currencyInfo` ``.
        expected: &'static str,
        /// What arrived with the request's correlation id (`unknown` for a frame the document
        /// does not describe).
        got: &'static str,
    },
    /// No reply to [`Client::request`](super::Client::request) arrived in time.
    ReplyTimeout {
        /// The request's name in the document.
        message: &'static str,
        /// How long the client waited.
        after: Duration,
    },
}

impl Error {
    /// Whether the client stopped after this error.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Error::Decode(_)
                | Error::Binary { .. }
                | Error::Send(_)
                | Error::NoCorrelationId { .. }
                | Error::UnexpectedReply { .. }
                | Error::ReplyTimeout { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "could not decode a frame: {e}"),
            Error::Binary { len } => write!(f, "received a binary frame of {len} bytes that is not UTF-8 text"),
            Error::Rejected { code: Some(code), reason } => {
                write!(f, "the server rejected the credentials (close code {code}): {reason}; check the token")
            }
            Error::Rejected { code: None, reason } => {
                write!(f, "the server rejected the credentials: {reason}; check the token")
            }
            Error::Credentials(reason) => write!(f, "could not get the on-connect messages: {reason}"),
            Error::GaveUp { attempts, last } => {
                write!(f, "gave up after {attempts} failed reconnect attempts; the last: {last}")
            }
            Error::Config(what) => write!(f, "invalid client configuration: {what}"),
            Error::Encode(e) => write!(f, "could not serialise a message: {e}"),
            Error::Stopped => write!(f, "the client has stopped"),
            Error::Send(e) => write!(f, "could not send the message: {e}"),
            Error::NoCorrelationId { message } => {
                write!(f, "message `{message}` carries no correlation id, so a reply cannot be matched to it")
            }
            Error::UnexpectedReply { expected, got } => write!(f, "expected the reply {expected}, got `{got}`"),
            Error::ReplyTimeout { message, after } => write!(f, "no reply to `{message}` within {after:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(e),
            Error::Encode(e) => Some(e),
            _ => None,
        }
    }
}
