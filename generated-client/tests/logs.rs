//! The client's logs, captured from every task of one single-threaded runtime, never show the
//! credentials.
//!
//! This is the only test of its binary on purpose: `tracing` caches per call site whether anyone
//! listens, and a test on another thread that hits a call site first, while no subscriber is
//! installed there, can leave it cached as silent for the thread-local subscriber this test
//! installs. Alone in its process, the test sees every event it should.
//!
//! This file is hand-written; `cargo xtask regen` does not touch it.

use ctechnology_rt::client::{Client, Error, Event};

mod support;
use support::{BAD, GOOD, broker_with, config, next, received_examples};

#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn credentials_never_appear_in_logs() {
    let sink = Captured::default();
    let writer = sink.clone();
    // The runtime has one thread, so the client's and the broker's tasks log here too. The
    // subscriber is set with `tracing`'s own `set_default`, which does not also bridge the `log`
    // crate (tracing-subscriber's does when some crate of the build enables its `tracing-log`
    // feature): what is checked is what this crate and the runtime log. tungstenite logs every
    // frame's payload at TRACE through `log`, which no client can prevent (the README says so).
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let examples = received_examples();
    let broker = broker_with(&examples[..1]).await;
    for frame in [GOOD, BAD] {
        let mut client = Client::connect(config(&broker, frame)).expect("valid configuration");
        loop {
            match next(&mut client).await {
                Ok(Event::Message(_)) | Err(Error::Rejected { .. }) => break,
                Ok(_) => {}
                Err(error) => panic!("unexpected {error}"),
            }
        }
        client.shutdown().await;
    }
    broker.shutdown().await;
    let logs = String::from_utf8_lossy(&sink.0.lock().expect("not poisoned")).into_owned();
    assert!(logs.contains("connected"), "the test captured the client's logs: {logs}");
    assert!(!logs.contains("good-3f9a7c") && !logs.contains("wrong-51be0d"), "{logs}");
}
