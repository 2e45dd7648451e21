//! Members pinned to one value are types that hold it (`spec/fixtures/constants.yaml`): another
//! value is refused at its JSON path, and a message built in Rust writes the constants by itself,
//! the routing tags included.
//!
//! This file is hand-written; the snapshot harness does not touch it.

use fixture_constants::types::{
    PingPayload, PingPayloadEvent, PingPayloadLive, PingPayloadRatio, PingPayloadVersion, Source, Status,
    StatusPayload, StatusPayloadHeader, StatusPayloadHeaderChannel, TradePayload,
};
use fixture_constants::{DecodeError, Incoming, Outgoing};
use serde_json::{Value, json};

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[test]
fn another_value_of_a_constant_is_refused_at_its_path() {
    let cases = [
        (r#"{"event": "pong", "version": 2}"#, "event", r#"expected the constant "ping""#),
        (r#"{"event": "ping", "version": 3}"#, "version", "expected the constant 2"),
        (r#"{"event": "ping", "version": 2, "live": false}"#, "live", "expected the constant true"),
        (r#"{"event": "ping", "version": 2, "ratio": 1}"#, "ratio", "expected the constant 0.5"),
        (r#"{"event": "ping", "version": 2, "source": "server"}"#, "source", r#"expected the constant "client""#),
    ];
    for (frame, at, expected) in cases {
        match Outgoing::decode(frame) {
            Err(DecodeError::Payload { message, path, reason }) => {
                assert_eq!((message, path.as_str()), ("ping", at), "{frame}");
                assert!(reason.contains(expected), "{frame}: {reason}");
            }
            other => panic!("{frame}: expected a payload error, got {other:?}"),
        }
    }
    // The same value written as another JSON number is the same constant.
    assert!(Outgoing::decode(r#"{"event": "ping", "version": 2.0}"#).is_ok());
}

#[test]
fn a_message_built_in_rust_writes_its_constants_by_itself() {
    let ping = PingPayload { reqid: Some(7), ..Default::default() };
    let frame = Outgoing::from(ping.clone()).to_frame().expect("encodes");
    assert_eq!(json(&frame), json!({"event": "ping", "version": 2, "reqid": 7}));
    let all = PingPayload { live: Some(PingPayloadLive), ratio: Some(PingPayloadRatio), source: Some(Source), ..ping };
    let frame = Outgoing::from(all).to_frame().expect("encodes");
    let expected = json!({"event": "ping", "version": 2, "live": true, "ratio": 0.5, "reqid": 7, "source": "client"});
    assert_eq!(json(&frame), expected);
    assert_eq!((PingPayloadEvent::VALUE, PingPayloadVersion::VALUE), ("ping", 2));
    assert_eq!((PingPayloadEvent.to_string(), PingPayloadRatio.to_string()), ("ping".to_owned(), "0.5".to_owned()));
}

#[test]
fn each_message_has_a_header_whose_channel_it_writes() {
    let status = StatusPayload { header: StatusPayloadHeader::default(), data: Status { state: "online".into() } };
    let frame = Incoming::from(status.clone()).to_frame().expect("encodes");
    assert_eq!(json(&frame), json!({"header": {"channel": "system/status"}, "data": {"state": "online"}}));
    assert_eq!(Incoming::decode(&frame).expect("decodes"), Incoming::Status(Box::new(status)));
    assert_eq!(StatusPayloadHeaderChannel::VALUE, "system/status");
    // A status header is not a trade header: the payload types refuse each other's channel.
    let trade_data = r#"{"header": {"channel": "system/status"}, "data": {"price": 1.5}}"#;
    let err = serde_json::from_str::<TradePayload>(trade_data).expect_err("another channel");
    assert!(err.to_string().contains(r#"expected the constant "market/trade""#), "{err}");
}
