//! Both sides of one MQTT document through a real broker on 127.0.0.1: the lamp generated with
//! `--role app` (`fixture-mqtt-app`) and the depot generated with `--role peer` (this crate),
//! which shares the lamp's payload types (`--types-from`). The broker is `rumqttd`, embedded, so
//! that `cargo test` needs nothing installed; `cargo xtask integration` runs a generated crate
//! against a real mosquitto.
//!
//! What a user would notice: a message arrives on the topic its channel's address makes, with
//! the parameter read back typed; two channels with one payload schema are told apart by topic
//! alone; two messages on one channel by their tag; a retained message reaches a late
//! subscriber; a malformed payload is reported with its bytes; wrong topics and missing
//! parameters are refused before anything is sent; wrong credentials give no session; an
//! unreachable broker gives reconnect events; over `mqtts://` the broker's certificate is
//! checked against the configured CA, and a broker the client does not trust gets no session;
//! on MQTT 5 a message's typed headers travel as user properties, and MQTT 3.1.1 refuses to send
//! headers it would lose.
//!
//! This file is hand-written; the snapshot harness does not touch it.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use asyncapi_runtime::Api;
use asyncapi_runtime::mqtt::{Event, MqttClient, Received};
use fixture_mqtt_app as lamp;
use fixture_mqtt_peer as depot;
use fixture_mqtt_peer::types;

#[path = "../../../support/test_ca.rs"]
mod test_ca;
use test_ca::TestCa;
#[path = "../../../support/tls_front.rs"]
mod tls_front;
use tls_front::{server_config, tls_front};

const WAIT: Duration = Duration::from_secs(10);

/// Starts an embedded MQTT 3.1.1 broker on a free port of 127.0.0.1 (with `users` as its only
/// accounts when given) and returns its URL once it accepts connections.
fn broker(users: Option<&[(&str, &str)]>) -> String {
    start_broker(false, users)
}

/// [`broker`], with an MQTT 5 listener when `v5`.
fn start_broker(v5: bool, users: Option<&[(&str, &str)]>) -> String {
    // rumqttd binds the address it is given and does not report a port it chose, so a free
    // port is taken from the system first.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let auth = users.map(|users| users.iter().map(|(u, p)| ((*u).to_owned(), (*p).to_owned())).collect());
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 5000,
        max_payload_size: 64 * 1024,
        max_inflight_count: 100,
        auth,
        external_auth: None,
        dynamic_filters: true,
    };
    let name = if v5 { "v5" } else { "v4" };
    let server =
        rumqttd::ServerSettings { name: name.to_owned(), listen, tls: None, next_connection_delay_ms: 1, connections };
    let listeners = Some(HashMap::from([(name.to_owned(), server)]));
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 64,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: if v5 { None } else { listeners.clone() },
        v5: if v5 { listeners } else { None },
        ..Default::default()
    };
    std::thread::spawn(move || {
        if let Err(e) = rumqttd::Broker::new(config).start() {
            eprintln!("embedded broker stopped: {e}");
        }
    });
    let deadline = std::time::Instant::now() + WAIT;
    while TcpStream::connect(listen).is_err() {
        assert!(std::time::Instant::now() < deadline, "the embedded broker did not start on {listen}");
        std::thread::sleep(Duration::from_millis(20));
    }
    format!("mqtt://{listen}")
}

/// The next event that is not `Connected`; a client error fails the test.
async fn next<A: Api>(client: &mut MqttClient<A>) -> Event<A::Incoming> {
    loop {
        let event =
            tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time").expect("the client runs");
        match event.expect("no client error") {
            Event::Connected => continue,
            other => return other,
        }
    }
}

/// Waits for the session to be up with its subscriptions made.
async fn connected<A: Api>(client: &mut MqttClient<A>) {
    let event = tokio::time::timeout(WAIT, client.recv()).await.expect("connected in time").expect("the client runs");
    assert!(matches!(event, Ok(Event::Connected)), "{event:?}");
}

/// The message of a `Message` event, with its topic.
fn message<M: std::fmt::Debug>(event: Event<M>) -> (String, M) {
    match event {
        Event::Message(Received { topic, message, .. }) => (topic, message),
        other => panic!("expected a message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_talk_through_a_broker_routed_by_topic() {
    let url = broker(None);
    let mut depot = depot::mqtt::MqttClient::connect(depot::mqtt::MqttConfig::new(&url).with_client_id("depot"))
        .expect("a valid config");
    connected(&mut depot).await;
    let mut lamp = lamp::mqtt::MqttClient::connect(lamp::mqtt::MqttConfig::new(&url).with_client_id("lamp-7"))
        .expect("a valid config");
    connected(&mut lamp).await;

    // The lamp reports on its own topic; the depot reads the lamp's id back out of it.
    let here = lamp::channels::LightLevelParams { lamp_id: "7".into() };
    let level = types::LightLevel { lux: 40, at: Some("2026-12-03T16:05:00Z".into()) };
    lamp.send_to(&here.address(), lamp::Outgoing::LightLevel(Box::new(level.clone()))).await.expect("sent");
    let (topic, received) = message(next(&mut depot).await);
    assert_eq!(topic, "yard/7/light");
    assert_eq!(depot::channels::LightLevelParams::parse(&topic).expect("on the channel").lamp_id, "7");
    assert_eq!(received, depot::Incoming::LightLevel(Box::new(level)));

    // `switch/on` and `switch/off` carry the same payload schema: only the topic tells them apart.
    let seven = depot::channels::SwitchOnParams { lamp_id: "7".into() };
    let dim = types::Switch { brightness: Some(30) };
    depot.send_to(&seven.address(), depot::Outgoing::SwitchOn(Box::new(dim.clone()))).await.expect("sent");
    let off = depot::channels::SwitchOffParams { lamp_id: "7".into() };
    depot.send_to(&off.address(), depot::Outgoing::SwitchOff(Box::default())).await.expect("sent");
    let (topic, on) = message(next(&mut lamp).await);
    assert_eq!((topic.as_str(), on), ("yard/7/switch/on", lamp::Incoming::SwitchOn(Box::new(dim))));
    let (topic, off) = message(next(&mut lamp).await);
    assert_eq!((topic.as_str(), off), ("yard/7/switch/off", lamp::Incoming::SwitchOff(Box::default())));

    // Two messages on one channel are told apart by their tag.
    let online = types::OnlinePayload { kind: Default::default(), lamp: "7".into() };
    lamp.send(lamp::Outgoing::Online(Box::new(online.clone()))).await.expect("sent");
    let offline = types::OfflinePayload { kind: Default::default(), lamp: "7".into(), reason: Some("power".into()) };
    lamp.send(lamp::Outgoing::Offline(Box::new(offline.clone()))).await.expect("sent");
    assert_eq!(message(next(&mut depot).await), ("yard/state".into(), depot::Incoming::Online(Box::new(online))));
    let (_, last) = message(next(&mut depot).await);
    assert_eq!(last, depot::Incoming::Offline(Box::new(offline.clone())));

    // `reportState` is retained: a depot that subscribes later still gets the last state.
    let mut late = depot::mqtt::MqttClient::connect(depot::mqtt::MqttConfig::new(&url).with_client_id("late"))
        .expect("a valid config");
    match next(&mut late).await {
        Event::Message(Received { topic, message, retained: true, .. }) => {
            assert_eq!((topic.as_str(), message), ("yard/state", depot::Incoming::Offline(Box::new(offline))));
        }
        other => panic!("expected the retained state, got {other:?}"),
    }

    // A payload that is not the message's is kept, with where it came from.
    lamp.send_to("yard/9/light", lamp::Outgoing::Unknown(asyncapi_runtime::UnknownFrame::new(None, r#"{"lux": -1}"#)))
        .await
        .expect("sent");
    match next(&mut depot).await {
        Event::Undecodable { topic, payload, error } => {
            assert_eq!((topic.as_str(), payload.as_slice()), ("yard/9/light", br#"{"lux": -1}"#.as_slice()));
            assert!(error.to_string().contains("lux"), "{error}");
        }
        other => panic!("expected an undecodable message, got {other:?}"),
    }

    // Wrong topics and missing parameters are refused before anything is sent.
    let refused = depot.send(depot::Outgoing::SwitchOn(Box::default())).await.expect_err("the channel has a parameter");
    assert!(refused.to_string().contains("yard/{lampId}/switch/on"), "{refused}");
    let refused = depot.send_to("yard/7/switch/off", depot::Outgoing::SwitchOn(Box::default())).await.expect_err("off");
    assert!(refused.to_string().contains("not on the channel of `switchOn`"), "{refused}");
    let refused = depot.send_to("yard/+/switch/on", depot::Outgoing::SwitchOn(Box::default())).await.expect_err("+");
    assert!(refused.to_string().contains("wildcard"), "{refused}");

    lamp.shutdown().await;
    depot.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_never_connect_and_stay_out_of_debug() {
    let url = broker(Some(&[("depot", "right")]));
    let config = depot::mqtt::MqttConfig::new(&url)
        .with_credentials("depot", "wrong-password")
        .with_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .with_max_reconnects(Some(1));
    assert!(!format!("{config:?}").contains("wrong-password"));
    let mut client = depot::mqtt::MqttClient::connect(config).expect("a valid config");
    // rumqttd closes the socket instead of answering CONNACK 5 (mosquitto answers, and the
    // client stops with `Error::Rejected`: `cargo xtask integration`); either way no session.
    while let Some(event) = tokio::time::timeout(WAIT, client.recv()).await.expect("events in time") {
        match event {
            Ok(Event::Connected) | Ok(Event::Message(_)) => panic!("connected with a wrong password"),
            Ok(_) => {}
            Err(e) => assert!(e.is_fatal(), "{e}"),
        }
    }
    let mut good =
        depot::mqtt::MqttClient::connect(depot::mqtt::MqttConfig::new(&url).with_credentials("depot", "right"))
            .expect("a valid config");
    connected(&mut good).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_brokers_certificate_is_checked_against_the_configured_ca() {
    let ca = TestCa::new();
    let ca_pem = &ca.ca_pem;
    let plain = broker(None);
    let front = tls_front(plain.trim_start_matches("mqtt://"), server_config(&ca.cert_der, &ca.key_der)).await;
    let url = format!("mqtts://{front}");
    let depot_config = depot::mqtt::MqttConfig::new(&url).with_client_id("depot-tls").with_ca_certificates(ca_pem);
    assert!(format!("{depot_config:?}").contains("configured CAs"), "{depot_config:?}");
    let mut depot = depot::mqtt::MqttClient::connect(depot_config).expect("a valid config");
    connected(&mut depot).await;
    let lamp_config = lamp::mqtt::MqttConfig::new(&url).with_client_id("lamp-tls").with_ca_certificates(ca_pem);
    let mut lamp = lamp::mqtt::MqttClient::connect(lamp_config).expect("a valid config");
    connected(&mut lamp).await;
    let here = lamp::channels::LightLevelParams { lamp_id: "9".into() };
    let level = types::LightLevel { lux: 12, at: None };
    lamp.send_to(&here.address(), lamp::Outgoing::LightLevel(Box::new(level.clone()))).await.expect("sent");
    let (topic, received) = message(next(&mut depot).await);
    assert_eq!(topic, "yard/9/light");
    assert_eq!(received, depot::Incoming::LightLevel(Box::new(level)));
    lamp.shutdown().await;
    depot.shutdown().await;

    // The public CAs do not vouch for the test CA's certificate: no session, and the reason says
    // why, attempt after attempt.
    let config = depot::mqtt::MqttConfig::new(&url)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .with_max_reconnects(Some(1));
    let mut untrusting = depot::mqtt::MqttClient::connect(config).expect("a valid config");
    let mut reasons = Vec::new();
    while let Some(event) = tokio::time::timeout(WAIT, untrusting.recv()).await.expect("events in time") {
        match event {
            Ok(Event::Connected | Event::Message(_)) => panic!("a session with a broker the client does not trust"),
            Ok(Event::Disconnected { reason }) => reasons.push(reason),
            Ok(_) => {}
            // The client's last word says why it stopped trying.
            Err(e) => assert!(e.is_fatal() && e.to_string().contains("certificate"), "{e}"),
        }
    }
    assert!(!reasons.is_empty() && reasons.iter().all(|r| r.contains("certificate")), "{reasons:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_mqtt_5_typed_headers_travel_as_user_properties() {
    // The document's `depot5` server declares `protocolVersion: '5.0'`.
    let from_document = depot::mqtt::MqttConfig::from_server(&depot::servers::SERVERS[1]);
    assert!(format!("{from_document:?}").contains("version: V5"), "{from_document:?}");

    let url = start_broker(true, None);
    let v5 = |config: depot::mqtt::MqttConfig| config.with_version(depot::mqtt::MqttVersion::V5);
    let mut depot = depot::mqtt::MqttClient::connect(v5(depot::mqtt::MqttConfig::new(&url).with_client_id("depot5")))
        .expect("a valid config");
    connected(&mut depot).await;
    let lamp_config =
        lamp::mqtt::MqttConfig::new(&url).with_client_id("lamp5").with_version(lamp::mqtt::MqttVersion::V5);
    let mut lamp = lamp::mqtt::MqttClient::connect(lamp_config).expect("a valid config");
    connected(&mut lamp).await;

    let here = lamp::channels::LightLevelParams { lamp_id: "5".into() };
    let level = types::LightLevel { lux: 7, at: None };
    let headers = types::LightLevelHeaders { sensor: "s-0042 &x=1".into(), seq: Some(12) };
    let report = || lamp::Outgoing::LightLevel(Box::new(level.clone()));
    lamp.send_to_with_headers(&here.address(), report(), &headers).await.expect("sent");
    // Messages without headers still go out as before.
    lamp.send_to(&here.address(), report()).await.expect("sent");
    match next(&mut depot).await {
        Event::Message(received) => {
            assert_eq!(
                (received.topic.as_str(), &received.message),
                ("yard/5/light", &depot::Incoming::LightLevel(Box::new(level.clone())))
            );
            let pairs: Vec<(&str, &str)> = received.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            assert_eq!(pairs, [("sensor", "s-0042 &x=1"), ("seq", "12")]);
            assert_eq!(received.headers_as::<types::LightLevelHeaders>(), Ok(headers.clone()));
            // Or typed by the message itself, without naming the type.
            assert_eq!(received.typed_headers(), Ok(Some(depot::IncomingHeaders::LightLevel(headers.clone()))));
        }
        other => panic!("expected a message, got {other:?}"),
    }
    match next(&mut depot).await {
        Event::Message(received) => {
            assert!(received.headers.is_empty(), "{:?}", received.headers);
            // `sensor` is required: its absence is a located header error, not a default.
            let missing = received.headers_as::<types::LightLevelHeaders>().expect_err("no sensor");
            assert!(missing.to_string().contains("sensor"), "{missing}");
            let missing = received.typed_headers().expect_err("no sensor");
            assert!(missing.to_string().contains("`lightLevel`: missing field `sensor`"), "{missing}");
        }
        other => panic!("expected a message, got {other:?}"),
    }
    lamp.shutdown().await;
    depot.shutdown().await;

    // MQTT 3.1.1 has no headers: sending some is refused, not sent without them.
    let old = lamp::mqtt::MqttClient::connect(lamp::mqtt::MqttConfig::new(&broker(None))).expect("a valid config");
    let refused = old.send_to_with_headers(&here.address(), report(), &headers).await.expect_err("3.1.1");
    assert!(refused.to_string().contains("MQTT 3.1.1 carries no headers"), "{refused}");
}

/// How many events the client's buffer holds, from its `Debug` output (`buffered: N`).
fn buffered<A: Api>(client: &MqttClient<A>) -> usize {
    let shown = format!("{client:?}");
    let count = shown.split("buffered: ").nth(1).and_then(|rest| rest.split([',', ' ', '}']).next());
    count.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no buffered count in {shown}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_holds_the_session_at_the_buffers_capacity_and_loses_nothing() {
    let url = broker(None);
    let config = depot::mqtt::MqttConfig::new(&url).with_client_id("slow-depot").with_buffer(4);
    let mut depot = depot::mqtt::MqttClient::connect(config).expect("a valid config");
    connected(&mut depot).await;
    let mut lamp = lamp::mqtt::MqttClient::connect(lamp::mqtt::MqttConfig::new(&url).with_client_id("lamp-fast"))
        .expect("a valid config");
    connected(&mut lamp).await;
    let here = lamp::channels::LightLevelParams { lamp_id: "3".into() };
    // `reportLightLevel` is QoS 1: the broker keeps for the session what the client does not read.
    let sent = 300;
    for lux in 0..sent {
        let level = types::LightLevel { lux, at: None };
        lamp.send_to(&here.address(), lamp::Outgoing::LightLevel(Box::new(level))).await.expect("sent");
    }
    // The consumer reads nothing yet: the client fills its buffer and stops reading there.
    let deadline = std::time::Instant::now() + WAIT;
    while buffered(&depot) < 4 {
        assert!(std::time::Instant::now() < deadline, "the buffer did not fill: {depot:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(buffered(&depot), 4, "the client read past its buffer");
    // Then every message arrives, in order.
    for lux in 0..sent {
        match message(next(&mut depot).await) {
            (_, depot::Incoming::LightLevel(level)) => assert_eq!(level.lux, lux),
            other => panic!("expected lightLevel {lux}, got {other:?}"),
        }
    }
    lamp.shutdown().await;
    depot.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_broker_gives_reconnect_events() {
    // A port nothing listens on.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
    let config = depot::mqtt::MqttConfig::new(&format!("mqtt://127.0.0.1:{port}"))
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_max_reconnects(Some(2));
    let mut client = depot::mqtt::MqttClient::connect(config).expect("a valid config");
    let mut seen = Vec::new();
    while let Some(event) = tokio::time::timeout(WAIT, client.recv()).await.expect("events in time") {
        seen.push(match event {
            Ok(Event::Disconnected { .. }) => "disconnected".to_owned(),
            Ok(Event::Reconnecting { attempt, .. }) => format!("reconnecting {attempt}"),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => {
                assert!(e.to_string().contains("gave up after 2"), "{e}");
                "gave up".to_owned()
            }
        });
    }
    assert_eq!(seen, ["disconnected", "reconnecting 1", "disconnected", "reconnecting 2", "disconnected", "gave up"]);
}

#[test]
fn a_config_error_is_reported_before_connecting() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let _guard = runtime.enter();
    let server = &depot::servers::SERVERS[0];
    assert_eq!(server.bindings.mqtt_client_id, Some("yard-lamp"));
    let error =
        depot::mqtt::MqttClient::connect(depot::mqtt::MqttConfig::new("mqtt://host:{port}")).expect_err("braces");
    assert!(error.to_string().contains("server variables"), "{error}");
}
