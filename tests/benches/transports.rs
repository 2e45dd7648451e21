//! Receive throughput of the runtime's three clients on the same payloads: the c.technology
//! document's received examples (vehicle status, notification, profile, action frames), decoded
//! into the same generated types, through
//!
//! - the WebSocket client (`client::Client`) from a loopback push server;
//! - the NATS client (`nats::NatsClient`) from a real `nats-server`, each frame published raw on
//!   its channel's address (the subject) by an `async-nats` publisher in the same process;
//! - the MQTT client (`mqtt::MqttClient`), speaking 3.1.1 and then 5, from a real `mosquitto`,
//!   each frame published raw at QoS 0 on its channel's address (the topic) by a `rumqttc`
//!   publisher in the same process.
//!
//! The broker publishers keep at most `WINDOW` messages ahead of what the client decoded, so no
//! broker drops a message for a slow consumer and every run counts all N. Brokers that are not
//! on PATH are skipped with a line saying so. Usage: `cargo bench -p snapshot-tests --bench
//! transports -- [--messages N]`; `--test` runs a small smoke version. Nothing here asserts a
//! timing.

use std::net::{Ipv4Addr, TcpListener as StdListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use asyncapi_runtime::MessageKind as _;
use ctechnology_rt::client::{Client, ClientConfig, Event};
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

#[path = "../support/nats_server.rs"]
mod nats_server;

/// How far a broker publisher may run ahead of the client.
const WINDOW: usize = 10_000;

/// How long a client may receive nothing before the run is reported as stalled.
const STALL: Duration = Duration::from_secs(10);

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The received examples, each with its channel's address.
fn frames() -> Vec<(&'static str, &'static str)> {
    EXAMPLES.iter().filter(|e| e.received).map(|e| (e.message.address(), e.json)).collect()
}

async fn websocket(n: usize) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("an address");
    let frames: Vec<Utf8Bytes> = frames().into_iter().map(|(_, json)| Utf8Bytes::from_static(json)).collect();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("one client");
        stream.set_nodelay(true).expect("nodelay");
        let mut ws = tokio_tungstenite::accept_async(stream).await.expect("the handshake");
        let _credentials = ws.next().await;
        for (i, frame) in frames.iter().cycle().take(n).enumerate() {
            ws.feed(WsMessage::Text(frame.clone())).await.expect("open");
            if i % 32 == 31 {
                ws.flush().await.expect("open");
            }
        }
        let _ = ws.flush().await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    let auth = AuthRequest { authorization: "Token bench".into() };
    let mut client = Client::connect(ClientConfig::new(format!("ws://{addr}/")).with_on_connect(auth)).expect("valid");
    let mut started = None;
    let mut seen = 0;
    while seen < n {
        if let Event::Message(_) = client.recv().await.expect("runs").expect("no error") {
            started.get_or_insert_with(Instant::now);
            seen += 1;
        }
    }
    let rate = (n - 1) as f64 / started.expect("messages").elapsed().as_secs_f64();
    client.shutdown().await;
    let _ = server.await;
    rate
}

/// Waits while the publisher is `WINDOW` ahead of the client.
async fn keep_window(published: usize, received: &AtomicUsize) {
    while published >= received.load(Ordering::Relaxed) + WINDOW {
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

async fn nats(url: &str, n: usize) -> Result<f64, String> {
    use asyncapi_runtime::nats::{Event, NatsClient, NatsConfig};
    let config = NatsConfig::<ctechnology_rt::Api>::new(url).with_subscription_capacity(4 * WINDOW);
    let mut client = NatsClient::connect(config).await.expect("connects");
    let received = Arc::new(AtomicUsize::new(0));
    let publisher = async_nats::connect(url).await.expect("the publisher connects");
    let counter = received.clone();
    let publishing = tokio::spawn(async move {
        for (i, (subject, json)) in frames().into_iter().cycle().take(n).enumerate() {
            keep_window(i, &counter).await;
            publisher.publish(subject, json.into()).await.expect("published");
        }
        publisher.flush().await.expect("flushed");
    });
    let mut started = None;
    let mut seen = 0;
    while seen < n {
        let Ok(next) = tokio::time::timeout(STALL, client.recv()).await else {
            return Err(format!("nothing for {STALL:?} after {seen} of {n} messages"));
        };
        match next.expect("runs").expect("no error") {
            Event::Message(_) => {
                started.get_or_insert_with(Instant::now);
                seen += 1;
                received.store(seen, Ordering::Relaxed);
            }
            Event::SlowConsumer { reason } => return Err(format!("lost messages after {seen}: {reason}")),
            _ => {}
        }
    }
    let rate = (n - 1) as f64 / started.expect("messages").elapsed().as_secs_f64();
    publishing.await.expect("the publisher");
    client.shutdown().await;
    Ok(rate)
}

/// A mosquitto on a free port, killed when dropped (its configuration in a temporary folder).
struct Mosquitto {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Mosquitto {
        let port = StdListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a port").port();
        let dir = tempfile::tempdir().expect("a temporary folder");
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nqueue_qos0_messages true\n"
            ),
        )
        .expect("writable");
        let child = std::process::Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mosquitto runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Mosquitto { child, port, _dir: dir }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn mqtt(port: u16, n: usize, version: asyncapi_runtime::mqtt::MqttVersion) -> Result<f64, String> {
    use asyncapi_runtime::mqtt::{Event, MqttClient, MqttConfig};
    let config = MqttConfig::<ctechnology_rt::Api>::new(&format!("mqtt://127.0.0.1:{port}"))
        .with_client_id("bench")
        .with_version(version);
    let mut client = MqttClient::connect(config).expect("valid");
    loop {
        if let Event::Connected = client.recv().await.expect("runs").expect("no error") {
            break;
        }
    }
    let received = Arc::new(AtomicUsize::new(0));
    let options = rumqttc::MqttOptions::new("bench-publisher", "127.0.0.1", port);
    let (publisher, mut eventloop) = rumqttc::AsyncClient::new(options, 1024);
    let driving = tokio::spawn(async move {
        loop {
            if let Err(e) = eventloop.poll().await {
                eprintln!("the MQTT publisher's connection failed: {e}");
                return;
            }
        }
    });
    let counter = received.clone();
    let publishing = tokio::spawn(async move {
        for (i, (topic, json)) in frames().into_iter().cycle().take(n).enumerate() {
            keep_window(i, &counter).await;
            publisher.publish(topic, rumqttc::QoS::AtMostOnce, false, json).await.expect("queued");
        }
        publisher
    });
    let mut started = None;
    let mut seen = 0;
    while seen < n {
        let Ok(next) = tokio::time::timeout(STALL, client.recv()).await else {
            publishing.abort();
            driving.abort();
            return Err(format!("nothing for {STALL:?} after {seen} of {n} messages (QoS 0: the broker may drop)"));
        };
        if let Event::Message(_) = next.expect("runs").expect("no error") {
            started.get_or_insert_with(Instant::now);
            seen += 1;
            received.store(seen, Ordering::Relaxed);
        }
    }
    let rate = (n - 1) as f64 / started.expect("messages").elapsed().as_secs_f64();
    let publisher = publishing.await.expect("the publisher");
    let _ = publisher.disconnect().await;
    driving.abort();
    client.shutdown().await;
    Ok(rate)
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    if std::env::args().any(|a| a == "--list") {
        println!("transports: bench");
        return;
    }
    let n = arg("--messages").unwrap_or(if smoke { 2_000 } else { 200_000 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(async {
        let ws = websocket(n).await;
        println!(
            "receive throughput on the same payloads (the document's {} received examples in turn), {n} messages",
            frames().len()
        );
        println!("| client | broker | messages/s | vs WebSocket |");
        println!("|---|---|---:|---:|");
        println!("| WebSocket (`client::Client`) | loopback push server | {ws:.0} | 1.00× |");
        let mut result = serde_json::json!({"messages": n, "websocket_per_s": ws});
        if on_path("nats-server") {
            let server = nats_server::NatsServer::start(&[]);
            match nats(&server.url(), n).await {
                Ok(rate) => {
                    println!("| NATS (`nats::NatsClient`) | nats-server | {rate:.0} | {:.2}× |", rate / ws);
                    result["nats_per_s"] = rate.into();
                }
                Err(why) => println!("| NATS (`nats::NatsClient`) | nats-server | {why} | |"),
            }
        } else {
            println!("NATS skipped: nats-server is not on PATH");
        }
        if on_path("mosquitto") {
            use asyncapi_runtime::mqtt::MqttVersion;
            let broker = Mosquitto::start();
            for (version, name, key) in
                [(MqttVersion::V3_1_1, "3.1.1", "mqtt_per_s"), (MqttVersion::V5, "5", "mqtt5_per_s")]
            {
                let client = format!("MQTT {name} QoS 0 (`mqtt::MqttClient`)");
                match mqtt(broker.port, n, version).await {
                    Ok(rate) => {
                        println!("| {client} | mosquitto | {rate:.0} | {:.2}× |", rate / ws);
                        result[key] = rate.into();
                    }
                    Err(why) => println!("| {client} | mosquitto | {why} | |"),
                }
            }
        } else {
            println!("MQTT skipped: mosquitto is not on PATH");
        }
        println!("RESULT {result}");
    });
}
