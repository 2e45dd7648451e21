//! The real-time client against the in-process mock broker, over real sockets on 127.0.0.1.
//!
//! Every test waits on the event it needs, with a timeout; none sleeps to synchronise and none
//! asserts how long anything took. Backoff and ping intervals are short to keep them fast.
//!
//! This file is hand-written; `cargo xtask regen` does not touch it.

use std::time::Duration;

use ctechnology_rt::client::{Client, ClientConfig, Error, Event};
use ctechnology_rt::mock::{MockBroker, REJECTED};
use ctechnology_rt::servers::{EXAMPLES, SERVERS};
use ctechnology_rt::{DecodeError, Incoming, decode};

mod support;
use support::{BAD, GOOD, WAIT, broker_with, config, credentials, next, received_examples};
#[path = "../../tests/support/test_ca.rs"]
mod test_ca;
#[path = "../../tests/support/tls_front.rs"]
mod tls_front;

/// The next message, skipping lifecycle events.
async fn next_message(client: &mut Client) -> Incoming {
    loop {
        match next(client).await {
            Ok(Event::Message(message)) => return message,
            Ok(Event::Connected | Event::Disconnected { .. } | Event::Reconnecting { .. }) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// The JSON a frame decodes to, to compare messages that do not implement `PartialEq`.
fn json_of(message: &Incoming) -> serde_json::Value {
    let text = message.to_frame().expect("messages serialise");
    serde_json::from_str(&text).expect("messages serialise to JSON")
}

fn expected(frame: &str) -> serde_json::Value {
    json_of(&decode(frame).expect("the document's examples decode"))
}

#[tokio::test]
async fn accepted_credentials_receive_messages() {
    let examples = received_examples();
    let broker = broker_with(&examples).await;
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    let first = next_message(&mut client).await;
    assert_eq!(json_of(&first), expected(examples[0]));
    assert_eq!(broker.accepted(), 1);
    assert_eq!(broker.rejected(), 0);
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_delivers_every_frame_the_broker_sent_and_does_not_reconnect() {
    // A long feed at full speed with a small buffer: when `close` is called, frames are in the
    // buffer, in the socket and on their way.
    let examples = received_examples();
    let feed: Vec<&str> = examples.iter().copied().cycle().take(5_000).collect();
    let broker = broker_with(&feed).await;
    let mut client = Client::connect(config(&broker, GOOD).with_buffer(8)).expect("valid configuration");
    let mut received = 0;
    while received < 100 {
        if let Ok(Event::Message(_)) = next(&mut client).await {
            received += 1;
        }
    }
    client.close();
    loop {
        match tokio::time::timeout(WAIT, client.recv()).await.expect("the stream ends in time") {
            Some(Ok(Event::Message(_))) => received += 1,
            Some(Ok(Event::Connected)) => {}
            Some(other) => panic!("expected messages and the end of the stream, got {other:?}"),
            None => break,
        }
    }
    assert!(broker.sent() < feed.len(), "the broker was still sending when the client closed");
    assert_eq!(received, broker.sent(), "every frame the broker sent was delivered");
    assert_eq!(broker.connections(), 1, "a closed client does not reconnect");
    broker.shutdown().await;
}

#[tokio::test]
async fn rejected_credentials_stop_the_client_without_retrying() {
    let broker = broker_with(&received_examples()).await;
    let mut client = Client::connect(config(&broker, BAD)).expect("valid configuration");
    let error = loop {
        match next(&mut client).await {
            Ok(Event::Connected) => {}
            Err(error) => break error,
            Ok(other) => panic!("expected the rejection, got {other:?}"),
        }
    };
    assert!(matches!(error, Error::Rejected { code: Some(REJECTED), .. }), "{error:?}");
    assert!(error.is_fatal());
    assert!(error.to_string().contains("rejected the credentials"), "{error}");
    // The stream ends: no reconnect follows.
    let end = tokio::time::timeout(WAIT, client.recv()).await.expect("the stream ends in time");
    assert!(end.is_none(), "expected the end of the stream, got {end:?}");
    assert_eq!(broker.connections(), 1, "the client must not retry rejected credentials");
    assert_eq!(broker.rejected(), 1);
    broker.shutdown().await;
}

#[tokio::test]
async fn every_example_arrives_typed_and_in_order() {
    // The broker's default feed is the document's examples, and its default accepted
    // credentials are the document's examples of the on-connect message.
    let broker = MockBroker::builder().interval(Duration::ZERO).start().await.expect("the mock broker starts");
    let auth = EXAMPLES.iter().find(|e| !e.received).expect("the document has an auth example");
    let mut client = Client::connect(config(&broker, auth.json)).expect("valid configuration");
    for example in EXAMPLES.iter().filter(|e| e.received) {
        let message = next_message(&mut client).await;
        assert_eq!(message.kind(), Some(example.message), "example {}", example.name);
        assert!(!matches!(message, Incoming::Unknown(_)), "example {} decoded as unknown", example.name);
        assert_eq!(json_of(&message), expected(example.json), "example {}", example.name);
    }
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_reconnects_reauthenticates_and_continues() {
    let examples = received_examples();
    let broker = MockBroker::builder()
        .accept_frame(GOOD)
        .frames(examples.iter().copied())
        .interval(Duration::ZERO)
        .drop_after(2)
        .start()
        .await
        .expect("the mock broker starts");
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    let (mut connected, mut disconnected, mut reconnecting) = (0, 0, 0);
    let mut messages = Vec::new();
    while messages.len() < examples.len() {
        match next(&mut client).await {
            Ok(Event::Connected) => connected += 1,
            Ok(Event::Disconnected { .. }) => disconnected += 1,
            Ok(Event::Reconnecting { attempt, .. }) => {
                assert!(attempt >= 1);
                reconnecting += 1;
            }
            Ok(Event::Message(message)) => messages.push(json_of(&message)),
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(error) => panic!("unexpected error {error}"),
        }
    }
    let want: Vec<_> = examples.iter().map(|f| expected(f)).collect();
    assert_eq!(messages, want, "the feed continues in order across reconnects");
    let drops = examples.len().div_ceil(2);
    assert!(connected >= drops && disconnected >= drops - 1 && reconnecting >= drops - 1);
    assert!(broker.accepted() >= drops, "every new socket authenticates again");
    assert_eq!(broker.rejected(), 0);
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_connection_dropped_on_command_comes_back() {
    let examples = received_examples();
    let broker = broker_with(&examples[..1]).await;
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    next_message(&mut client).await;
    broker.drop_connections();
    let mut seen: Vec<&str> = Vec::new();
    while seen.last() != Some(&"connected") {
        match next(&mut client).await {
            Ok(Event::Disconnected { .. }) => seen.push("disconnected"),
            Ok(Event::Reconnecting { .. }) => seen.push("reconnecting"),
            Ok(Event::Connected) => seen.push("connected"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["disconnected", "reconnecting", "connected"]);
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_is_an_error_item_and_the_stream_goes_on() {
    let examples = received_examples();
    let broker = broker_with(&["{\"header\": {\"channel\": ", examples[0], examples[1]]).await;
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    let error = next(&mut client).await.expect_err("the malformed frame is an error item");
    assert!(matches!(error, Error::Decode(DecodeError::Syntax { .. })), "{error:?}");
    assert!(!error.is_fatal());
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[0]));
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[1]));
    assert_eq!(broker.connections(), 1, "a bad frame does not cost the connection");
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn an_unknown_channel_is_an_unknown_item() {
    let examples = received_examples();
    let unknown = r#"{"header": {"channel": "fleet/teleport"}, "data": {"to": "moon"}}"#;
    let broker = broker_with(&[unknown, examples[0]]).await;
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    match next_message(&mut client).await {
        Incoming::Unknown(frame) => {
            assert_eq!(frame.tag.as_deref(), Some("fleet/teleport"));
            assert_eq!(frame.raw, unknown);
        }
        other => panic!("expected an unknown frame, got {other:?}"),
    }
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[0]));
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_slow_consumer_holds_the_reader_and_loses_nothing() {
    const CAPACITY: usize = 4;
    let examples = received_examples();
    let feed: Vec<&str> = examples.iter().copied().cycle().take(200).collect();
    let broker = broker_with(&feed).await;
    let mut client = Client::connect(config(&broker, GOOD).with_buffer(CAPACITY)).expect("valid configuration");
    // Take nothing until the buffer is full: the reader must stop there, not grow the buffer.
    tokio::time::timeout(WAIT, async {
        while client.buffered() < CAPACITY {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the buffer fills up");
    for _ in 0..100 {
        tokio::task::yield_now().await;
        assert!(client.buffered() <= CAPACITY, "the buffer grew past its capacity");
    }
    // Then every frame arrives, in order, none dropped.
    for (i, frame) in feed.iter().enumerate() {
        assert!(client.buffered() <= CAPACITY);
        assert_eq!(json_of(&next_message(&mut client).await), expected(frame), "frame {i}");
    }
    assert_eq!(broker.connections(), 1);
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_the_socket_and_ends_the_task() {
    let broker = MockBroker::builder()
        .accept_frame(GOOD)
        .interval(Duration::from_millis(10))
        .repeat(true)
        .start()
        .await
        .expect("the mock broker starts");
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    next_message(&mut client).await;
    tokio::time::timeout(WAIT, client.shutdown()).await.expect("shutdown finishes");
    // The broker waits for its connections to close; it finishes because the client closed.
    tokio::time::timeout(WAIT, broker.shutdown()).await.expect("the broker shuts down");
}

#[tokio::test]
async fn missing_on_connect_messages_are_a_configuration_error() {
    let error = Client::connect(ClientConfig::new("ws://127.0.0.1:9/")).expect_err("no credentials");
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(error.to_string().contains("authRequest"), "{error}");
}

#[test]
fn credentials_never_appear_in_debug_output() {
    let secret = "Token s3cr3t-do-not-print";
    let frame = format!(r#"{{"Authorization": "{secret}"}}"#);
    let config =
        ClientConfig::new("wss://example.invalid/ws?access_token=q-s3cr3t").with_on_connect(credentials(&frame));
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("authRequest"), "the message name is shown: {shown}");
}

#[test]
fn a_server_of_the_document_brings_its_handshake_headers() {
    let Some(server) = SERVERS.first() else { return };
    let shown = format!("{:?}", ClientConfig::from_server(server));
    for (name, _) in server.headers {
        assert!(shown.contains(name), "{shown}");
    }
    assert_eq!(format!("{:?}", ClientConfig::new(server.url)), shown);
}

#[tokio::test]
async fn a_silent_peer_is_detected_by_the_pong_timeout_and_replaced() {
    let broker =
        MockBroker::builder().accept_frame(GOOD).unresponsive(true).start().await.expect("the mock broker starts");
    let config = config(&broker, GOOD)
        .with_ping_interval(Duration::from_millis(10))
        .with_pong_timeout(Duration::from_millis(50))
        // The peer will not answer the close frame either.
        .with_close_timeout(Duration::from_millis(50));
    let mut client = Client::connect(config).expect("valid configuration");
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    match next(&mut client).await {
        Ok(Event::Disconnected { reason }) => assert!(reason.contains("pong"), "{reason}"),
        other => panic!("expected a disconnection, got {other:?}"),
    }
    assert!(matches!(next(&mut client).await, Ok(Event::Reconnecting { attempt: 1, .. })));
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    client.shutdown().await;
    broker.shutdown().await;
}

#[derive(Default)]
struct Recorder {
    seen: Vec<&'static str>,
}

impl ctechnology_rt::Handler for Recorder {
    fn on_vehicle_status(&mut self, _: ctechnology_rt::types::VehicleStatusPayload) {
        self.seen.push("vehicleStatus");
    }
    fn on_notification(&mut self, _: ctechnology_rt::types::NotificationPayload) {
        self.seen.push("notification");
    }
    fn on_vehicle_profile(&mut self, _: ctechnology_rt::types::VehicleProfilePayload) {
        self.seen.push("vehicleProfile");
    }
    fn on_vehicle_action(&mut self, _: ctechnology_rt::types::VehicleActionPayload) {
        self.seen.push("vehicleAction");
    }
}

#[tokio::test]
async fn run_hands_every_message_to_the_handler_and_skips_bad_frames() {
    let examples = received_examples();
    let mut feed = vec!["not a frame"];
    feed.extend(&examples);
    let broker = MockBroker::builder()
        .accept_frame(GOOD)
        .frames(feed.iter().copied())
        .interval(Duration::ZERO)
        .drop_after(feed.len())
        .start()
        .await
        .expect("the mock broker starts");
    // No reconnect allowed, so the drop after the feed ends the run.
    let config = config(&broker, GOOD).with_max_reconnects(Some(0));
    let mut client = Client::connect(config).expect("valid configuration");
    let mut recorder = Recorder::default();
    let outcome = tokio::time::timeout(WAIT, client.run(&mut recorder)).await.expect("the run ends in time");
    assert!(matches!(outcome, Err(Error::GaveUp { attempts: 0, .. })), "{outcome:?}");
    let want: Vec<_> = EXAMPLES.iter().filter(|e| e.received).map(|e| e.message.name()).collect();
    assert_eq!(recorder.seen, want);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_recorded_stream_is_replayed_in_order() {
    let examples = received_examples();
    let path = std::env::temp_dir().join(format!("mock-recording-{}.jsonl", std::process::id()));
    std::fs::write(&path, format!("{}\n\n{}\n", examples[1], examples[0])).expect("the temp dir is writable");
    let builder = MockBroker::builder().accept_frame(GOOD).without_examples().recording(&path);
    let _ = std::fs::remove_file(&path);
    let broker = builder
        .expect("the recording is readable")
        .interval(Duration::ZERO)
        .start()
        .await
        .expect("the mock broker starts");
    let mut client = Client::connect(config(&broker, GOOD)).expect("valid configuration");
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[1]));
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[0]));
    client.shutdown().await;
    broker.shutdown().await;
}

/// A log sink the test can read back.
#[tokio::test]
async fn a_server_that_never_answers_the_handshake_times_out_and_is_retried() {
    // Accepts TCP connections and then says nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("ws://{}/", listener.local_addr().expect("bound"));
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            sockets.push(socket);
        }
    });
    let config = ClientConfig::new(url)
        .with_on_connect(credentials(GOOD))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .with_connect_timeout(Duration::from_millis(50));
    let mut client = Client::connect(config).expect("valid configuration");
    match next(&mut client).await {
        Ok(Event::Disconnected { reason }) => assert!(reason.contains("could not connect within"), "{reason}"),
        other => panic!("expected a failed attempt, got {other:?}"),
    }
    assert!(matches!(next(&mut client).await, Ok(Event::Reconnecting { attempt: 1, .. })));
    client.shutdown().await;
    held.abort();
}

#[tokio::test]
async fn the_client_gives_up_after_the_configured_reconnects() {
    // A port nobody listens on any more: every attempt is refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("ws://{}/", listener.local_addr().expect("bound"));
    drop(listener);
    let config = ClientConfig::new(url)
        .with_on_connect(credentials(GOOD))
        .with_backoff(Duration::from_millis(1), Duration::from_millis(4))
        .with_max_reconnects(Some(2));
    let mut client = Client::connect(config).expect("valid configuration");
    let mut attempts = Vec::new();
    let error = loop {
        match next(&mut client).await {
            Ok(Event::Disconnected { .. }) => {}
            Ok(Event::Reconnecting { attempt, delay }) => {
                assert!(delay <= Duration::from_millis(4), "the delay is capped at the maximum: {delay:?}");
                attempts.push(attempt);
            }
            Err(error) => break error,
            Ok(other) => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(attempts, [1, 2]);
    assert!(matches!(error, Error::GaveUp { attempts: 2, .. }), "{error:?}");
    // The last word says why: the connection was refused.
    assert!(error.to_string().contains("could not connect"), "{error}");
    let end = tokio::time::timeout(WAIT, client.recv()).await.expect("the stream ends in time");
    assert!(end.is_none());
}

#[tokio::test]
async fn an_error_frame_then_a_close_counts_as_a_rejection() {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    // A server that answers the credentials with an error frame and a normal close, the way an
    // API without close codes may reject a token.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let url = format!("ws://{}/", listener.local_addr().expect("bound"));
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.expect("the client connects");
        let mut ws = tokio_tungstenite::accept_async(socket).await.expect("a WebSocket handshake");
        let _credentials = ws.next().await;
        ws.send(Message::text(r#"{"error": "invalid token"}"#)).await.expect("the client reads");
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    let config = ClientConfig::new(url).with_on_connect(credentials(BAD));
    let mut client = Client::connect(config).expect("valid configuration");
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    assert!(matches!(next(&mut client).await, Err(Error::Decode(_))));
    let error = next(&mut client).await.expect_err("the rejection");
    assert!(matches!(error, Error::Rejected { .. }), "{error:?}");
    let end = tokio::time::timeout(WAIT, client.recv()).await.expect("the stream ends in time");
    assert!(end.is_none());
    server.await.expect("the server task ends");
}

#[tokio::test]
async fn the_broker_answers_pings_so_keep_alive_spares_a_healthy_connection() {
    let examples = received_examples();
    let feed: Vec<&str> = examples.iter().copied().cycle().take(8).collect();
    // The feed lasts longer than the pong timeout, with pings far more often than that.
    let broker = MockBroker::builder()
        .accept_frame(GOOD)
        .frames(feed.iter().copied())
        .interval(Duration::from_millis(100))
        .start()
        .await
        .expect("the mock broker starts");
    let config = config(&broker, GOOD)
        .with_ping_interval(Duration::from_millis(5))
        .with_pong_timeout(Duration::from_millis(300));
    let mut client = Client::connect(config).expect("valid configuration");
    let mut received = 0;
    while received < feed.len() {
        match next(&mut client).await {
            Ok(Event::Connected) => {}
            Ok(Event::Message(_)) => received += 1,
            other => panic!("the connection must stay up, got {other:?}"),
        }
    }
    assert_eq!(broker.connections(), 1);
    client.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_wss_the_servers_certificate_is_checked_against_the_configured_ca() {
    let ca = test_ca::TestCa::new();
    let examples = received_examples();
    let broker = broker_with(&examples).await;
    let plain = broker.url();
    let (host, path) = plain.trim_start_matches("ws://").split_once('/').expect("a URL with a path");
    let front = tls_front::tls_front(host, tls_front::server_config(&ca.cert_der, &ca.key_der)).await;
    let url = format!("wss://{front}/{path}");
    let wss = |config: ClientConfig| {
        config.with_on_connect(credentials(GOOD)).with_backoff(Duration::from_millis(5), Duration::from_millis(20))
    };

    let trusting = wss(ClientConfig::new(url.clone())).with_ca_certificates(&ca.ca_pem);
    assert!(format!("{trusting:?}").contains("the configured CAs"), "{trusting:?}");
    let mut client = Client::connect(trusting).expect("valid configuration");
    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    assert_eq!(json_of(&next_message(&mut client).await), expected(examples[0]));
    client.shutdown().await;

    // The public CAs do not vouch for the test CA: no connection, and every reason says why.
    let mut untrusting =
        Client::connect(wss(ClientConfig::new(url.clone())).with_max_reconnects(Some(1))).expect("valid configuration");
    let mut reasons = Vec::new();
    let error = loop {
        match next(&mut untrusting).await {
            Ok(Event::Disconnected { reason, .. }) => reasons.push(reason),
            Ok(Event::Reconnecting { .. }) => {}
            Err(error) => break error,
            Ok(other) => panic!("a connection to a server the client does not trust: {other:?}"),
        }
    };
    assert!(!reasons.is_empty() && reasons.iter().all(|r| r.contains("certificate")), "{reasons:?}");
    assert!(matches!(error, Error::GaveUp { .. }) && error.to_string().contains("certificate"), "{error}");
    assert_eq!(broker.accepted(), 1, "only the trusting client reached the broker");

    // Certificates that cannot be read are refused before anything connects.
    let unreadable = wss(ClientConfig::new(url)).with_ca_certificates("not a certificate");
    let refused = Client::connect(unreadable).expect_err("no certificate in the PEM");
    assert!(matches!(refused, Error::Config(_)) && refused.to_string().contains("BEGIN CERTIFICATE"), "{refused}");
    broker.shutdown().await;
}
