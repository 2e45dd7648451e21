//! The fleet relay end to end: mock broker → relay → NATS JetStream (a real `nats-server -js`) →
//! a durable pull consumer, with 10,000 vehicle statuses of 50 vehicles, plus frames of an
//! unknown channel and frames that are not JSON.
//!
//! Two relays read the same feed (two mock brokers with the same frames, as two connections to
//! one account get the same pushes). In the middle one relay is stopped and started again, and
//! later `nats-server` is restarted on the same store. The consumer must see every frame exactly
//! once, identified by its message id, and each vehicle's statuses in the order they were sent.
//!
//! No crate embeds a NATS server, so this test is `#[ignore]`d in `cargo test --workspace` and run
//! by `cargo xtask integration relay` (`cargo test -p generated-client --test relay --
//! --ignored`), which CI runs with Debian's `nats-server` installed.
//!
//! This file is hand-written; `cargo xtask regen` does not touch it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::relay::{Relay, RelayConfig, RelayStats, Source, SourceConfig};
use ctechnology_rt::servers::EXAMPLES;
use futures_util::StreamExt as _;
use serde_json::Value;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

#[path = "../../tests/support/nats_server.rs"]
mod nats_server;
use nats_server::NatsServer;

// The credentials the mock broker accepts; the rest of the client tests' support is not needed.
#[allow(dead_code)]
mod support;
use support::{GOOD, credentials};

const VEHICLES: usize = 50;
const STATUSES: usize = 10_000;
const ODD: usize = 10;
const STREAM: &str = "CTECH";
const PREFIX: &str = "ctech.rt";
const WAIT: Duration = Duration::from_secs(60);

/// The feed: `STATUSES` statuses round-robin over `VEHICLES` vehicles, each numbered per vehicle
/// in `data.total_odometer`, and `ODD` frames of an unknown channel and `ODD` that are not JSON.
fn feed() -> Vec<String> {
    let example = EXAMPLES.iter().find(|e| e.received && e.json.contains("vehicle/status")).expect("a status example");
    let template: Value = serde_json::from_str(example.json).expect("examples are JSON");
    let mut frames = Vec::new();
    for i in 0..STATUSES {
        let (vehicle, seq) = (i % VEHICLES, i / VEHICLES);
        let mut status = template.clone();
        status["data"]["vehicle_id"] = format!("veh_{vehicle:02}").into();
        status["data"]["total_odometer"] = seq.into();
        status["data"]["timestamp"] =
            format!("2026-12-03T10:{:02}:{:02}.{:03}Z", seq / 60 % 60, seq % 60, vehicle).into();
        frames.push(status.to_string());
        if i % (STATUSES / ODD) == 7 {
            frames.push(format!(
                r#"{{"header":{{"channel":"vehicle/unheard-of"}},"data":{{"vehicle_id":"veh_{vehicle:02}","n":{i}}}}}"#
            ));
            frames.push(format!("not json {i}"));
        }
    }
    frames
}

async fn mock(frames: &[String]) -> MockBroker {
    MockBroker::builder()
        .accept_frame(GOOD)
        .frames(frames.iter().cloned())
        .interval(Duration::ZERO)
        .start()
        .await
        .expect("the mock broker starts")
}

/// One relay process: a source on `broker`, relaying into `nats` until `stop` fires.
struct Running {
    stop: oneshot::Sender<()>,
    stats: watch::Receiver<RelayStats>,
    task: JoinHandle<RelayStats>,
}

async fn start_relay(broker: &MockBroker, nats: &str) -> Running {
    let config = SourceConfig::new(broker.url())
        .with_on_connect(credentials(GOOD))
        .with_backoff(Duration::from_millis(10), Duration::from_millis(100));
    let mut source = Source::connect(config).expect("a valid source configuration");
    let relay_config = RelayConfig::new(nats, STREAM, PREFIX)
        .with_key("/data/vehicle_id")
        .with_max_in_flight(256)
        .with_ack_timeout(Duration::from_millis(500))
        .with_backoff(Duration::from_millis(50), Duration::from_millis(500));
    let mut relay = Relay::connect(relay_config).await.expect("the relay connects");
    let stats = relay.watch_stats();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .run(&mut source, async {
                let _ = stopped.await;
            })
            .await
            .expect("the relay runs until stopped");
        relay.stats()
    });
    Running { stop, stats, task }
}

impl Running {
    async fn until(&mut self, what: &str, done: impl Fn(&RelayStats) -> bool) {
        let reached = tokio::time::timeout(WAIT, self.stats.wait_for(|s| done(s))).await.map(|r| r.is_ok());
        assert_eq!(reached, Ok(true), "the relay did not get to {what}: {:?}", *self.stats.borrow());
    }

    async fn stop(self) -> RelayStats {
        let _ = self.stop.send(());
        tokio::time::timeout(WAIT, self.task).await.expect("the relay stops in time").expect("the relay task")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration relay"]
async fn every_frame_reaches_jetstream_once_in_vehicle_order_across_restarts_and_two_relays() {
    let mut nats = NatsServer::start(&["-js"]);
    let frames = feed();
    let total = frames.len();
    let (first, second) = (mock(&frames).await, mock(&frames).await);

    let mut a = start_relay(&first, &nats.url()).await;
    let mut b = start_relay(&second, &nats.url()).await;

    // Relay A stops in the middle of its feed and starts again where its broker is.
    a.until("3,000 frames", |s| s.received >= 3_000).await;
    let before = a.stop().await;
    assert_eq!(before.acknowledged(), before.received, "a stopped relay has every frame it took acknowledged");
    let mut a = start_relay(&first, &nats.url()).await;

    // The server goes away for longer than the relays wait for an acknowledgement, then comes
    // back on the same store: the messages in flight are published again.
    b.until("6,000 frames", |s| s.received >= 6_000).await;
    nats.stop();
    b.until("a retry", |s| s.retries > 0).await;
    nats.restart();

    b.until("the whole feed", |s| s.received as usize == total).await;
    a.until("the rest of the feed", |s| before.received as usize + s.received as usize >= total).await;
    let (a_after, b_stats) = (a.stop().await, b.stop().await);
    assert_eq!(first.sent(), total, "relay A's broker sent its whole feed");
    assert_eq!(second.sent(), total, "relay B's broker sent its whole feed");
    assert_eq!(before.received + a_after.received, total as u64, "relay A lost nothing across its restart");
    for stats in [before, a_after, b_stats] {
        assert_eq!(stats.acknowledged(), stats.received, "{stats:?}");
    }
    eprintln!("relay A: {before:?}, after its restart {a_after:?}; relay B: {b_stats:?}");
    // A message stored while its acknowledgement was lost is acknowledged as a duplicate when
    // published again, so "published" counts at most what was stored; the stream and the
    // consumer below count exactly.
    let stored = before.published + a_after.published + b_stats.published;
    let duplicates = before.duplicates + a_after.duplicates + b_stats.duplicates;
    assert!(stored <= total as u64, "{before:?} {a_after:?} {b_stats:?}");
    assert_eq!(stored + duplicates, 2 * total as u64, "each relay had each frame acknowledged once");
    assert!(b_stats.retries > 0, "relay B published again what the server did not acknowledge");
    assert_eq!(b_stats.unknown, ODD as u64);
    assert_eq!(b_stats.undecodable, ODD as u64);

    // A durable consumer reads the stream: every message id once, each vehicle in order.
    let client = async_nats::connect(nats.url()).await.expect("the consumer connects");
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(STREAM).await.expect("the stream exists");
    let info = stream.info().await.expect("the stream's state");
    assert_eq!(info.state.messages, total as u64, "JetStream holds each frame once");
    let consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            "fleet",
            async_nats::jetstream::consumer::pull::Config { durable_name: Some("fleet".into()), ..Default::default() },
        )
        .await
        .expect("a durable consumer");
    let mut messages = consumer.messages().await.expect("a message stream");
    let mut ids = BTreeSet::new();
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    let mut odd = BTreeMap::<String, usize>::new();
    while ids.len() < total {
        let message = tokio::time::timeout(WAIT, messages.next())
            .await
            .unwrap_or_else(|_| panic!("the consumer waited for message {} of {total}", ids.len() + 1))
            .expect("the stream goes on")
            .expect("a message");
        let id = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.to_string());
        let id = id.expect("every message carries its id");
        assert!(ids.insert(id.clone()), "message {id} was delivered twice");
        let subject = message.subject.to_string();
        let tokens: Vec<&str> = subject.split('.').collect();
        match tokens.get(2..) {
            Some(["vehicle", "status", vehicle]) => {
                let frame: Value = serde_json::from_slice(&message.payload).expect("statuses are relayed as sent");
                let seq = frame["data"]["total_odometer"].as_i64().expect("numbered");
                assert_eq!(frame["data"]["vehicle_id"], *vehicle, "the subject ends with the frame's vehicle");
                let previous = last.insert((*vehicle).to_owned(), seq).unwrap_or(-1);
                assert_eq!(seq, previous + 1, "vehicle {vehicle}: status {seq} after {previous}");
            }
            Some([kind @ ("_unknown" | "_undecodable"), ..]) => *odd.entry((*kind).to_owned()).or_default() += 1,
            _ => panic!("a message on an unexpected subject: {subject}"),
        }
        message.ack().await.expect("acked");
    }
    assert_eq!(last.len(), VEHICLES);
    assert!(last.values().all(|&seq| seq as usize == STATUSES / VEHICLES - 1), "{last:?}");
    assert_eq!((odd.get("_unknown"), odd.get("_undecodable")), (Some(&ODD), Some(&ODD)), "{odd:?}");
    let extra = tokio::time::timeout(Duration::from_millis(500), messages.next()).await;
    assert!(extra.is_err(), "nothing after the feed: {extra:?}");
}
