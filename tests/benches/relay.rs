//! Throughput of the fleet relay into NATS JetStream, against the limit of the transport, in one
//! process and one `nats-server -js` (started here on a free port with a temporary store):
//!
//! - relay: the mock broker pushes N distinct vehicle statuses (of 50, then 1,000 vehicles: the
//!   relay keeps one message per vehicle in flight, so the fleet's size bounds it) at full speed →
//!   `relay::Source` → `relay::Relay` → JetStream, every message acknowledged; messages/s from
//!   the first frame to the last acknowledgement;
//! - bare JetStream: the same N frames published straight from memory with `async-nats`, the
//!   same subjects and message ids, with up to as many acknowledgements outstanding as the relay
//!   holds (1,024), but none of the relay's per-vehicle ordering: the limit the relay works under;
//! - source → bare publish: the relay's pipeline without the relay (the source's frames published
//!   as the bare loop does, as they arrive): what the relay's own work (ordering per vehicle,
//!   retries, subjects, counters) costs on top;
//! - source only: the same mock broker feed read through `relay::Source` and dropped, to show
//!   what the WebSocket side costs.
//!
//! Usage: `cargo bench -p snapshot-tests --bench relay -- [--messages N]`; `--test` runs a small
//! smoke version. Without `nats-server` on PATH it says so and exits 0 (it is a benchmark, and
//! `cargo xtask integration` is what requires the broker). Nothing here asserts a timing.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::relay::{Relay, RelayConfig, Source, SourceConfig, SourceEvent};
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;
use serde_json::Value;

#[path = "../support/nats_server.rs"]
mod nats_server;

const IN_FLIGHT: usize = 1024;
const GOOD: &str = r#"{"Authorization": "Token bench"}"#;

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

/// N distinct statuses, round-robin over `vehicles`.
fn frames(n: usize, vehicles: usize) -> Vec<String> {
    let example = EXAMPLES.iter().find(|e| e.received && e.json.contains("vehicle/status")).expect("a status example");
    let template: Value = serde_json::from_str(example.json).expect("examples are JSON");
    (0..n)
        .map(|i| {
            let mut status = template.clone();
            status["data"]["vehicle_id"] = format!("veh_{:04}", i % vehicles).into();
            status["data"]["total_odometer"] = i.into();
            status.to_string()
        })
        .collect()
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

fn source(broker: &MockBroker) -> Source {
    let auth: AuthRequest = serde_json::from_str(GOOD).expect("valid");
    Source::connect(SourceConfig::new(broker.url()).with_on_connect(auth)).expect("a valid configuration")
}

async fn relay_rate(nats: &str, frames: &[String], stream: &str) -> f64 {
    let broker = mock(frames).await;
    let config = RelayConfig::new(nats, stream, stream).with_key("/data/vehicle_id").with_max_in_flight(IN_FLIGHT);
    let mut relay = Relay::connect(config).await.expect("the relay connects");
    let mut stats = relay.watch_stats();
    let mut source = source(&broker);
    let n = frames.len() as u64;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(async move {
        relay.run(&mut source, async { drop(stopped.await) }).await.expect("the relay runs");
        relay.stats()
    });
    stats.wait_for(|s| s.acknowledged() >= n).await.expect("the relay runs to the end");
    let elapsed = started.elapsed();
    let _ = stop.send(());
    let done = task.await.expect("the relay task");
    assert_eq!(done.published, n, "a fresh stream stores every frame");
    n as f64 / elapsed.as_secs_f64()
}

/// A JetStream context on `nats` with the stream `stream` taking `<stream>.>`.
async fn jetstream(nats: &str, stream: &str) -> async_nats::jetstream::Context {
    let client = async_nats::connect(nats).await.expect("connects");
    let js = async_nats::jetstream::new(client);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: stream.to_owned(),
        subjects: vec![format!("{stream}.>")],
        ..Default::default()
    })
    .await
    .expect("a stream");
    js
}

async fn bare_rate(nats: &str, frames: &[String], stream: &str, vehicles: usize) -> f64 {
    let js = jetstream(nats, stream).await;
    let started = Instant::now();
    let mut pending = VecDeque::new();
    for (i, frame) in frames.iter().enumerate() {
        if pending.len() >= IN_FLIGHT {
            let ack: async_nats::jetstream::context::PublishAckFuture = pending.pop_front().expect("not empty");
            ack.await.expect("acknowledged");
        }
        let id = format!("{:032x}", xxh3(frame));
        let message = async_nats::jetstream::message::PublishMessage::build()
            .message_id(id)
            .payload(frame.clone().into_bytes().into());
        let subject = format!("{stream}.vehicle.status.veh_{:04}", i % vehicles);
        pending.push_back(js.send_publish(subject, message).await.expect("published"));
    }
    for ack in pending {
        ack.await.expect("acknowledged");
    }
    frames.len() as f64 / started.elapsed().as_secs_f64()
}

/// The relay's pipeline without the relay: the source's frames published as `bare_rate` does,
/// as they arrive (no per-vehicle ordering, no retries).
async fn source_bare_rate(nats: &str, frames: &[String], stream: &str, vehicles: usize) -> f64 {
    let js = jetstream(nats, stream).await;
    let broker = mock(frames).await;
    let mut source = source(&broker);
    let started = Instant::now();
    let mut pending = VecDeque::new();
    let mut seen = 0;
    while seen < frames.len() {
        let SourceEvent::Message(frame) = source.recv().await.expect("the source runs").expect("no error") else {
            continue;
        };
        if pending.len() >= IN_FLIGHT {
            let ack: async_nats::jetstream::context::PublishAckFuture = pending.pop_front().expect("not empty");
            ack.await.expect("acknowledged");
        }
        let id = format!("{:032x}", xxh3(&frame.text));
        let message = async_nats::jetstream::message::PublishMessage::build()
            .message_id(id)
            .payload(frame.text.into_bytes().into());
        let subject = format!("{stream}.vehicle.status.veh_{:04}", seen % vehicles);
        pending.push_back(js.send_publish(subject, message).await.expect("published"));
        seen += 1;
    }
    for ack in pending {
        ack.await.expect("acknowledged");
    }
    frames.len() as f64 / started.elapsed().as_secs_f64()
}

/// The relay's message id function, so the baseline does the same work per message.
fn xxh3(frame: &str) -> u128 {
    // The same well-known hash the relay uses (XXH3-128), from its own crate.
    xxhash_rust::xxh3::xxh3_128(frame.as_bytes())
}

async fn source_rate(frames: &[String]) -> f64 {
    let broker = mock(frames).await;
    let mut source = source(&broker);
    let started = Instant::now();
    let mut seen = 0;
    while seen < frames.len() {
        match source.recv().await.expect("the source runs").expect("no error") {
            SourceEvent::Message(_) => seen += 1,
            _ => continue,
        }
    }
    frames.len() as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    if std::env::args().any(|a| a == "--list") {
        println!("relay: bench");
        return;
    }
    if !std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nats-server").is_file()))
    {
        println!("relay benchmark skipped: nats-server is not on PATH (Debian package `nats-server`)");
        return;
    }
    let n = arg("--messages").unwrap_or(if smoke { 2_000 } else { 100_000 });
    let server = nats_server::NatsServer::start(&["-js"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(async {
        let mut results = Vec::new();
        println!("relay into JetStream over loopback: {n} distinct statuses, every one acknowledged");
        println!("| vehicles | path | messages/s | vs bare publish | vs source → bare publish |");
        println!("|---:|---|---:|---:|---:|");
        for vehicles in [50, 1_000] {
            let frames = frames(n, vehicles);
            let source = source_rate(&frames).await;
            let bare = bare_rate(&server.url(), &frames, &format!("BARE{vehicles}"), vehicles).await;
            let piped = source_bare_rate(&server.url(), &frames, &format!("PIPED{vehicles}"), vehicles).await;
            let relay = relay_rate(&server.url(), &frames, &format!("RELAY{vehicles}")).await;
            println!(
                "| {vehicles} | mock broker → relay → JetStream (acked, in order per vehicle) | {relay:.0} | {:.2}× | {:.2}× |",
                relay / bare,
                relay / piped
            );
            println!(
                "| {vehicles} | mock broker → source → bare publish (acked, {IN_FLIGHT} in flight, no order) | {piped:.0} | {:.2}× | 1.00× |",
                piped / bare
            );
            println!("| {vehicles} | bare async-nats publish from memory (acked, {IN_FLIGHT} in flight) | {bare:.0} | 1.00× | |");
            println!("| {vehicles} | mock broker → relay source only (no publish) | {source:.0} | {:.2}× | |", source / bare);
            results.push(serde_json::json!({
                "vehicles": vehicles, "relay_per_s": relay, "piped_per_s": piped, "bare_per_s": bare, "source_per_s": source
            }));
        }
        println!("RESULT {}", serde_json::json!({"messages": n, "runs": results}));
    });
}
