//! Webhooks (beta): the server can also POST the same payloads to an HTTPS endpoint of the
//! client. A webhook body is one frame, so it decodes with [`decode`](crate::decode) into the
//! same [`Incoming`] as a WebSocket frame, and the same [`Handler`](crate::Handler) can serve
//! both.
//!
//! This file is copied verbatim into each generated crate by `asyncapi-codegen`; it needs no
//! dependency beyond the generated crate's own. Answer the POST (`200 OK`) before handling the
//! event, so a slow handler does not make the sender time out and retry.

use crate::Incoming;
use crate::support::DecodeError;

/// Decodes the body of one webhook POST into the message it carries.
///
/// A body that is not UTF-8 is a [`DecodeError::Syntax`] at the first invalid byte; otherwise
/// this is [`decode`](crate::decode): a well-formed body for a message the document does not
/// describe is [`Incoming::Unknown`].
pub fn decode_webhook(body: &[u8]) -> Result<Incoming, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(text) => crate::decode(text),
        Err(e) => {
            let before = body.get(..e.valid_up_to()).unwrap_or_default();
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            Err(DecodeError::Syntax { line, column, reason: "the body is not UTF-8 text".to_owned() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_not_utf8_says_where() {
        let err = decode_webhook(b"{\n  \"a\": \"\xff\"}").expect_err("not UTF-8");
        assert!(matches!(err, DecodeError::Syntax { line: 2, column: 9, .. }), "{err:?}");
    }

    #[test]
    fn every_received_example_decodes_as_a_webhook_body() {
        for example in crate::servers::EXAMPLES.iter().filter(|e| e.received) {
            let message = decode_webhook(example.json.as_bytes()).expect("the document's examples are valid");
            assert_eq!(message.name(), example.message, "{}", example.name);
        }
    }
}
