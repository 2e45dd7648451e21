//! Webhooks: a server may also POST the same payloads to an HTTPS endpoint of the client. A
//! webhook body is one frame, so it decodes into the same message enum as a WebSocket frame, and
//! the same handler can serve both. Answer the POST (`200 OK`) before handling the event, so a
//! slow handler does not make the sender time out and retry.

use crate::{DecodeError, Message};

/// Decodes the body of one webhook POST into the message it carries.
///
/// A body that is not UTF-8 is a [`DecodeError::Syntax`] at the first invalid byte; otherwise
/// this is [`Message::decode`]: a well-formed body for a message the document does not describe
/// is the enum's `Unknown` variant.
pub fn decode<M: Message>(body: &[u8]) -> Result<M, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(text) => M::decode(text),
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
    use crate::test_api::Frame;

    #[test]
    fn a_body_that_is_not_utf8_says_where() {
        let err = decode::<Frame>(b"{\n  \"a\": \"\xff\"}").expect_err("not UTF-8");
        assert!(matches!(err, DecodeError::Syntax { line: 2, column: 9, .. }), "{err:?}");
    }

    #[test]
    fn a_utf8_body_decodes_like_a_frame() {
        let frame = decode::<Frame>(br#"{"kind": "ping"}"#).expect("a frame");
        assert_eq!(frame, Frame::Ping);
        assert!(matches!(decode::<Frame>(b"{\"kind\": \"other\"}"), Ok(Frame::Unknown(_))));
    }
}
