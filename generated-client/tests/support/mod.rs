//! What the client tests share: the credentials the mock broker accepts, and waiting on events.
//!
//! This file is hand-written; `cargo xtask regen` does not touch it.

use std::time::Duration;

use ctechnology_rt::client::{Client, ClientConfig, Error, Event};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;

/// The longest any single step may take before the test fails (never reached when it passes).
pub const WAIT: Duration = Duration::from_secs(10);
pub const GOOD: &str = r#"{"Authorization": "Token good-3f9a7c"}"#;
pub const BAD: &str = r#"{"Authorization": "Token wrong-51be0d"}"#;

pub fn credentials(frame: &str) -> AuthRequest {
    serde_json::from_str(frame).expect("the test's credential frames are valid")
}

pub fn config(broker: &MockBroker, frame: &str) -> ClientConfig {
    ClientConfig::new(broker.url())
        .with_on_connect(credentials(frame))
        .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
        .with_ping_interval(Duration::from_millis(100))
}

/// The frames of the document's examples of received messages.
pub fn received_examples() -> Vec<&'static str> {
    EXAMPLES.iter().filter(|e| e.received).map(|e| e.json).collect()
}

/// A broker that accepts `GOOD` and pushes `frames` as fast as the socket takes them.
pub async fn broker_with(frames: &[&str]) -> MockBroker {
    MockBroker::builder()
        .accept_frame(GOOD)
        .frames(frames.iter().copied())
        .interval(Duration::ZERO)
        .start()
        .await
        .expect("the mock broker starts")
}

pub async fn next(client: &mut Client) -> Result<Event, Error> {
    tokio::time::timeout(WAIT, client.recv())
        .await
        .expect("an event arrives in time")
        .expect("the client is still running")
}
