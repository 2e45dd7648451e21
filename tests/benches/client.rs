//! End-to-end benchmark of the generated real-time client over loopback, against the limit of
//! the transport: a bare `tokio-tungstenite` read loop doing the same `decode` + `dispatch` to a
//! no-op handler, reading from the same server.
//!
//! - Throughput: a loopback push server sends the spec's received examples in a loop (Nagle off,
//!   a flush every 32 frames, so that the server is not what limits) to one connection; N
//!   messages reach the handler, first through `ctechnology_rt::client::Client`, then through the
//!   bare loop. Resident memory is read at 10 % and at 100 % of each run, to show whether it
//!   grows per message.
//! - Latency: the same server sends the complete `vehicle/status` example once per millisecond
//!   and records each send time; the handler records each arrival. Both ends run in this process,
//!   so the monotonic clock is shared and `arrival − send` is the one-way latency (TCP keeps the
//!   order, so the i-th arrival is the i-th send).
//! - The same bare loop on `tokio-websockets`, to evaluate it as the client's transport.
//! - Mock broker: the generated `MockBroker` (feed of the examples, `interval(0)`, repeated) →
//!   client, a smaller count: its pace, not the client's, limits that figure.
//!
//! Usage: `cargo bench -p snapshot-tests --bench client -- [--messages N] [--latency-messages L]
//! [--mock-messages M]`; `--test` runs a tiny smoke version (as CI does). The last line,
//! `RESULT {json}`, is read by `cargo xtask bench`. Nothing here asserts a timing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ctechnology_rt::client::{Client, ClientConfig, Event};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::types::{AuthRequest, VehicleStatusPayload};
use ctechnology_rt::{Handler, decode, dispatch};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

/// Counts messages; optionally records the arrival time of each `vehicle/status` message.
#[derive(Default)]
struct Counter {
    messages: usize,
    arrivals: Option<Vec<Instant>>,
}

impl Handler for Counter {
    fn on_vehicle_status(&mut self, message: VehicleStatusPayload) {
        if let Some(arrivals) = &mut self.arrivals {
            arrivals.push(Instant::now());
        }
        self.messages += 1;
        drop(message);
    }
    fn on_notification(&mut self, _: ctechnology_rt::types::NotificationPayload) {
        self.messages += 1;
    }
    fn on_vehicle_profile(&mut self, _: ctechnology_rt::types::VehicleProfilePayload) {
        self.messages += 1;
    }
    fn on_vehicle_action(&mut self, _: ctechnology_rt::types::VehicleActionPayload) {
        self.messages += 1;
    }
    fn on_unknown(&mut self, _: ctechnology_rt::UnknownFrame) {
        self.messages += 1;
    }
}

fn example(message: &str, name: &str) -> &'static str {
    ctechnology_rt::servers::EXAMPLES
        .iter()
        .find(|e| e.message.name() == message && e.name == name)
        .map(|e| e.json)
        .expect("the spec of record has this example")
}

fn credentials() -> &'static str {
    example("authRequest", "personalAccessToken")
}

fn client_config(url: String) -> ClientConfig {
    let auth: AuthRequest = serde_json::from_str(credentials()).expect("the auth example is an AuthRequest");
    ClientConfig::new(url).with_on_connect(auth)
}

/// Resident memory of this process in KiB (0 where `/proc` is missing).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

struct Throughput {
    per_second: f64,
    rss_10pct_kib: u64,
    rss_end_kib: u64,
}

/// Receives `n` messages through the generated client; the clock starts at `Connected`.
async fn client_throughput(url: String, n: usize) -> Throughput {
    let mut client = Client::connect(client_config(url)).expect("the configuration is valid");
    let mut handler = Counter::default();
    let mut started = Instant::now();
    let mut rss_10pct_kib = 0;
    while handler.messages < n {
        match client.recv().await {
            Some(Ok(Event::Message(message))) => {
                dispatch(&mut handler, message);
                if handler.messages == n / 10 {
                    rss_10pct_kib = rss_kib();
                }
            }
            Some(Ok(Event::Connected)) => started = Instant::now(),
            Some(Ok(other)) => panic!("the mock broker connection failed: {other:?}"),
            Some(Err(e)) => panic!("client error: {e}"),
            None => panic!("the client stopped after {} messages", handler.messages),
        }
    }
    let elapsed = started.elapsed();
    let rss_end_kib = rss_kib();
    client.shutdown().await;
    Throughput { per_second: n as f64 / elapsed.as_secs_f64(), rss_10pct_kib, rss_end_kib }
}

/// Receives `n` messages with a bare tokio-tungstenite loop; the clock starts after the
/// handshake and the credentials, as for the client.
async fn bare_throughput(url: String, n: usize) -> Throughput {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("the mock broker accepts the handshake");
    ws.send(WsMessage::text(credentials())).await.expect("the credentials are sent");
    let mut handler = Counter::default();
    let started = Instant::now();
    let mut rss_10pct_kib = 0;
    while handler.messages < n {
        match ws.next().await {
            Some(Ok(WsMessage::Text(text))) => {
                if let Ok(message) = decode(text.as_str()) {
                    dispatch(&mut handler, message);
                }
                if handler.messages == n / 10 {
                    rss_10pct_kib = rss_kib();
                }
            }
            Some(Ok(_)) => {}
            other => panic!("the bare loop stopped after {} messages: {other:?}", handler.messages),
        }
    }
    let elapsed = started.elapsed();
    let rss_end_kib = rss_kib();
    let _ = ws.close(None).await;
    Throughput { per_second: n as f64 / elapsed.as_secs_f64(), rss_10pct_kib, rss_end_kib }
}

/// The same bare loop on `tokio-websockets` instead of tokio-tungstenite: the evaluation of the
/// other library as the client's transport, on the same server and payloads.
async fn tokio_websockets_throughput(url: String, n: usize) -> Throughput {
    let builder = tokio_websockets::ClientBuilder::new().uri(&url).expect("a valid URI");
    let (mut ws, _) = builder.connect().await.expect("the push server accepts the handshake");
    ws.send(tokio_websockets::Message::text(credentials())).await.expect("the credentials are sent");
    let mut handler = Counter::default();
    let started = Instant::now();
    let mut rss_10pct_kib = 0;
    while handler.messages < n {
        match ws.next().await {
            Some(Ok(message)) => {
                if let Some(text) = message.as_text()
                    && let Ok(message) = decode(text)
                {
                    dispatch(&mut handler, message);
                }
                if handler.messages == n / 10 {
                    rss_10pct_kib = rss_kib();
                }
            }
            other => panic!("the tokio-websockets loop stopped after {} messages: {other:?}", handler.messages),
        }
    }
    let elapsed = started.elapsed();
    let rss_end_kib = rss_kib();
    let _ = ws.close().await;
    Throughput { per_second: n as f64 / elapsed.as_secs_f64(), rss_10pct_kib, rss_end_kib }
}

async fn mock_broker() -> MockBroker {
    MockBroker::builder().interval(Duration::ZERO).repeat(true).start().await.expect("the mock broker starts")
}

/// The frames the push server cycles through: the spec's received examples, as the mock sends.
fn feed() -> Vec<Utf8Bytes> {
    ctechnology_rt::servers::EXAMPLES.iter().filter(|e| e.received).map(|e| Utf8Bytes::from_static(e.json)).collect()
}

/// A loopback server for one connection: waits for the credentials, then sends `n` frames taken
/// in turn from `frames`. `paced`: one frame per millisecond, each flushed at once, with its send
/// time recorded (returned); otherwise as fast as the socket takes them.
async fn push_server(
    n: usize,
    frames: Vec<Utf8Bytes>,
    paced: bool,
) -> (SocketAddr, tokio::task::JoinHandle<Vec<Instant>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("a bound listener has an address");
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("one client connects");
        stream.set_nodelay(true).expect("loopback sockets take TCP_NODELAY");
        let mut ws = tokio_tungstenite::accept_async(stream).await.expect("the handshake succeeds");
        let _credentials = ws.next().await;
        let mut sent = Vec::with_capacity(if paced { n } else { 0 });
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        for (i, frame) in frames.iter().cycle().take(n).enumerate() {
            if paced {
                tick.tick().await;
                sent.push(Instant::now());
                ws.send(WsMessage::Text(frame.clone())).await.expect("the client keeps the socket open");
            } else {
                ws.feed(WsMessage::Text(frame.clone())).await.expect("the client keeps the socket open");
                if i % 32 == 31 {
                    ws.flush().await.expect("the client keeps the socket open");
                }
            }
        }
        let _ = ws.flush().await;
        // Keep the socket open until the client closes it, so nothing is cut short.
        while let Some(Ok(_)) = ws.next().await {}
        sent
    });
    (addr, task)
}

/// One-way latencies in microseconds, sorted.
fn latencies(sent: &[Instant], arrived: &[Instant]) -> Vec<f64> {
    let mut us: Vec<f64> =
        sent.iter().zip(arrived).map(|(s, a)| a.saturating_duration_since(*s).as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    us
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn client_latency(n: usize) -> Vec<f64> {
    let (addr, server) =
        push_server(n, vec![Utf8Bytes::from_static(example("vehicleStatus", "boatComplete"))], true).await;
    let mut client = Client::connect(client_config(format!("ws://{addr}/"))).expect("the configuration is valid");
    let mut handler = Counter { messages: 0, arrivals: Some(Vec::with_capacity(n)) };
    while handler.messages < n {
        match client.recv().await {
            Some(Ok(Event::Message(message))) => dispatch(&mut handler, message),
            Some(Ok(Event::Connected)) => {}
            other => panic!("latency run: unexpected {other:?}"),
        }
    }
    client.shutdown().await;
    let sent = server.await.expect("the server task ends");
    latencies(&sent, handler.arrivals.as_deref().unwrap_or_default())
}

async fn bare_latency(n: usize) -> Vec<f64> {
    let (addr, server) =
        push_server(n, vec![Utf8Bytes::from_static(example("vehicleStatus", "boatComplete"))], true).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/")).await.expect("handshake");
    ws.send(WsMessage::text(credentials())).await.expect("the credentials are sent");
    let mut handler = Counter { messages: 0, arrivals: Some(Vec::with_capacity(n)) };
    while handler.messages < n {
        match ws.next().await {
            Some(Ok(WsMessage::Text(text))) => {
                if let Ok(message) = decode(text.as_str()) {
                    dispatch(&mut handler, message);
                }
            }
            Some(Ok(_)) => {}
            other => panic!("latency run: unexpected {other:?}"),
        }
    }
    let _ = ws.close(None).await;
    while let Some(Ok(_)) = ws.next().await {}
    let sent = server.await.expect("the server task ends");
    latencies(&sent, handler.arrivals.as_deref().unwrap_or_default())
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.replace('_', "").parse().ok()
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    if std::env::args().any(|a| a == "--list") {
        println!("client: bench");
        return;
    }
    let n = arg("--messages").unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let l = arg("--latency-messages").unwrap_or(if smoke { 50 } else { 5_000 });
    let m = arg("--mock-messages").unwrap_or(if smoke { 50 } else { 5_000 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(async {
        let (addr, server) = push_server(n, feed(), false).await;
        let client = client_throughput(format!("ws://{addr}/"), n).await;
        let _ = server.await;
        let (addr, server) = push_server(n, feed(), false).await;
        let bare = bare_throughput(format!("ws://{addr}/"), n).await;
        let _ = server.await;
        let (addr, server) = push_server(n, feed(), false).await;
        let tws = tokio_websockets_throughput(format!("ws://{addr}/"), n).await;
        let _ = server.await;
        let broker = mock_broker().await;
        let mock = client_throughput(broker.url(), m).await;
        broker.shutdown().await;
        let client_lat = client_latency(l).await;
        let bare_lat = bare_latency(l).await;
        let (cp50, cp99, bp50, bp99) = (
            percentile(&client_lat, 0.5),
            percentile(&client_lat, 0.99),
            percentile(&bare_lat, 0.5),
            percentile(&bare_lat, 0.99),
        );
        println!("end to end over loopback: {n} messages (throughput), {l} paced messages (latency)");
        println!("| path | messages/s | p50 latency | p99 latency | RSS at 10% → 100% |");
        println!("|---|---:|---:|---:|---:|");
        for (path, t, p50, p99) in
            [("generated client", &client, cp50, cp99), ("bare tokio-tungstenite", &bare, bp50, bp99)]
        {
            println!(
                "| {path} | {:.0} | {p50:.0} µs | {p99:.0} µs | {} → {} KiB |",
                t.per_second, t.rss_10pct_kib, t.rss_end_kib
            );
        }
        println!("bare/client throughput ratio: {:.2}x", bare.per_second / client.per_second);
        println!(
            "bare tokio-websockets loop, same decode + dispatch: {:.0} messages/s, {:.2}x the tokio-tungstenite loop",
            tws.per_second,
            tws.per_second / bare.per_second
        );
        println!("mock broker → client, {m} messages: {:.0} messages/s", mock.per_second);
        println!(
            "RESULT {}",
            serde_json::json!({
                "messages": n,
                "latency_messages": l,
                "client_mps": client.per_second,
                "bare_mps": bare.per_second,
                "tokio_websockets_mps": tws.per_second,
                "client_p50_us": cp50,
                "client_p99_us": cp99,
                "bare_p50_us": bp50,
                "bare_p99_us": bp99,
                "client_rss_10pct_kib": client.rss_10pct_kib,
                "client_rss_end_kib": client.rss_end_kib,
                "bare_rss_10pct_kib": bare.rss_10pct_kib,
                "bare_rss_end_kib": bare.rss_end_kib,
                "mock_messages": m,
                "mock_mps": mock.per_second,
            })
        );
    });
}
