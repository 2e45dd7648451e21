//! Both sides of one NATS document through a real `nats-server` on 127.0.0.1: the depot gateway
//! generated with `--role app` (`fixture-nats-app`) and a dashboard generated with `--role peer`
//! (this crate), which shares the gateway's payload types (`--types-from`).
//!
//! No crate embeds a NATS server, so these tests start Debian's `nats-server` (package
//! `nats-server`) themselves, each on a free port with its own store, and are `#[ignore]`d in
//! `cargo test --workspace`, which must pass on a machine without it: `cargo xtask integration
//! nats` runs them (`cargo test -p fixture-nats-peer --test nats -- --ignored`), and CI installs
//! the package first.
//!
//! What a user would notice: a message arrives on the subject its channel's address makes, with
//! the parameter read back typed; two messages on one channel are told apart by their tag; a
//! malformed payload is reported with its bytes; wrong subjects are refused before anything is
//! sent; the members of a queue group share its messages while every other subscriber gets them
//! all; after the server restarts, both sides report it and talk again; wrong credentials are
//! refused and an unreachable server is given up on as configured.
//!
//! This file is hand-written; the snapshot harness does not touch it.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

use asyncapi_runtime::Api;
use asyncapi_runtime::nats::{Error, Event, NatsClient, NatsConfig, Received};
use fixture_nats_app as gateway;
use fixture_nats_peer as dashboard;
use fixture_nats_peer::types;

#[path = "../../../support/nats_server.rs"]
mod nats_server;
use nats_server::NatsServer;
#[path = "../../../support/test_ca.rs"]
mod test_ca;
use test_ca::TestCa;

const WAIT: Duration = Duration::from_secs(10);

async fn connect<A: Api>(config: NatsConfig<A>) -> NatsClient<A> {
    let mut client =
        tokio::time::timeout(WAIT, NatsClient::connect(config)).await.expect("connected in time").expect("connected");
    let first = tokio::time::timeout(WAIT, client.recv()).await.expect("an event").expect("the client runs");
    assert!(matches!(first, Ok(Event::Connected)), "{first:?}");
    client
}

/// The next event that is not a lifecycle event; a client error fails the test.
async fn next<A: Api>(client: &mut NatsClient<A>) -> Event<A::Incoming> {
    loop {
        let event =
            tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time").expect("the client runs");
        match event.expect("no client error") {
            Event::Connected | Event::Disconnected { .. } | Event::Reconnecting { .. } => continue,
            other => return other,
        }
    }
}

/// The message of a `Message` event, with its subject.
fn message<M: std::fmt::Debug>(event: Event<M>) -> (String, M) {
    match event {
        Event::Message(Received { subject, message, .. }) => (subject, message),
        other => panic!("expected a message, got {other:?}"),
    }
}

fn position(lat: f64) -> types::PositionPayload {
    types::PositionPayload { lat, lon: 13.405, speed: Some(12.5) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn both_sides_talk_through_nats_routed_by_subject() {
    let server = NatsServer::start(&[]);
    let mut board = connect(dashboard::nats::NatsConfig::new(&server.url()).with_name("dashboard")).await;
    let mut gate = connect(gateway::nats::NatsConfig::new(&server.url()).with_name("gateway")).await;

    // The gateway publishes on the vehicle's own subject; the dashboard reads the id back out.
    let here = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: "v7".into() };
    gate.send_to(&here.address(), gateway::Outgoing::Position(Box::new(position(52.52)))).await.expect("sent");
    let (subject, received) = message(next(&mut board).await);
    assert_eq!(subject, "fleet.v7.position");
    let params = dashboard::channels::FleetVehicleIdPositionParams::parse(&subject).expect("on the channel");
    assert_eq!(params.vehicle_id, "v7");
    assert_eq!(received, dashboard::Incoming::Position(Box::new(position(52.52))));

    // Two messages on one channel are told apart by their tag.
    let alerts = gateway::channels::FleetVehicleIdAlertsParams { vehicle_id: "v7".into() }.address();
    let raised = types::AlertRaisedPayload {
        code: "E12".into(),
        kind: Default::default(),
        severity: Some(types::AlertRaisedPayloadSeverity::Critical),
    };
    let cleared = types::AlertClearedPayload { code: "E12".into(), kind: Default::default() };
    gate.send_to(&alerts, gateway::Outgoing::AlertRaised(Box::new(raised.clone()))).await.expect("sent");
    gate.send_to(&alerts, gateway::Outgoing::AlertCleared(Box::new(cleared.clone()))).await.expect("sent");
    assert_eq!(message(next(&mut board).await), (alerts.clone(), dashboard::Incoming::AlertRaised(Box::new(raised))));
    assert_eq!(message(next(&mut board).await), (alerts, dashboard::Incoming::AlertCleared(Box::new(cleared))));

    // The dashboard commands a vehicle; the gateway gets it on that vehicle's subject.
    let command = types::CommandPayload { action: types::CommandPayloadAction::Honk };
    let to = dashboard::channels::FleetVehicleIdCommandParams { vehicle_id: "v9".into() }.address();
    board.send_to(&to, dashboard::Outgoing::Command(Box::new(command.clone()))).await.expect("sent");
    assert_eq!(
        message(next(&mut gate).await),
        ("fleet.v9.command".into(), gateway::Incoming::Command(Box::new(command)))
    );

    // A payload that is not the message's is kept, with where it came from.
    let bad = r#"{"lat": "north", "lon": 0}"#;
    gate.send_to("fleet.v8.position", gateway::Outgoing::Unknown(asyncapi_runtime::UnknownFrame::new(None, bad)))
        .await
        .expect("sent");
    match next(&mut board).await {
        Event::Undecodable { subject, payload, error } => {
            assert_eq!((subject.as_str(), payload.as_slice()), ("fleet.v8.position", bad.as_bytes()));
            assert!(error.to_string().contains("lat"), "{error}");
        }
        other => panic!("expected an undecodable message, got {other:?}"),
    }

    // Wrong subjects and missing parameters are refused before anything is sent.
    let refused = board.send(dashboard::Outgoing::Command(Box::new(types::CommandPayload {
        action: types::CommandPayloadAction::Lock,
    })));
    let refused = refused.await.expect_err("the channel has a parameter");
    assert!(refused.to_string().contains("fleet.{vehicleId}.command"), "{refused}");
    let lock =
        || dashboard::Outgoing::Command(Box::new(types::CommandPayload { action: types::CommandPayloadAction::Lock }));
    let refused = board.send_to("fleet.v9.position", lock()).await.expect_err("not the command channel");
    assert!(refused.to_string().contains("not on the channel of `command`"), "{refused}");
    let refused = board.send_to("fleet.*.command", lock()).await.expect_err("a wildcard");
    assert!(refused.to_string().contains("wildcard"), "{refused}");

    gate.shutdown().await;
    board.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn a_queue_group_shares_its_channel_and_other_channels_reach_everyone() {
    let server = NatsServer::start(&[]);
    let mut boards = Vec::new();
    for name in ["board-1", "board-2"] {
        boards.push(connect(dashboard::nats::NatsConfig::new(&server.url()).with_name(name)).await);
    }
    let gate = connect(gateway::nats::NatsConfig::new(&server.url())).await;
    const N: usize = 40;
    for i in 0..N {
        let at = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: format!("v{i}") }.address();
        gate.send_to(&at, gateway::Outgoing::Position(Box::new(position(i as f64)))).await.expect("sent");
    }
    // `reportPosition` has the queue binding `dashboards`: each position reaches one dashboard.
    // `reportAlert` has none: the alert sent last reaches both, after their share of positions.
    let alert = types::AlertClearedPayload { code: "E1".into(), kind: Default::default() };
    gate.send_to("fleet.v1.alerts", gateway::Outgoing::AlertCleared(Box::new(alert.clone()))).await.expect("sent");
    let mut seen = BTreeSet::new();
    let mut shares = Vec::new();
    for board in &mut boards {
        // One client's subscriptions are read side by side: the alert can come before positions
        // sent earlier. All of them are in the client once the alert is, so the positions still
        // to come arrive at once.
        let (mut share, mut alerted) = (0, false);
        while !alerted || share < N {
            let wait = if alerted { Duration::from_millis(300) } else { WAIT };
            let Ok(event) = tokio::time::timeout(wait, next(board)).await else { break };
            match message(event) {
                (subject, dashboard::Incoming::Position(p)) => {
                    assert!(seen.insert(subject.clone()), "{subject} reached two members of the queue group");
                    assert_eq!(subject, format!("fleet.v{}.position", p.lat as usize));
                    share += 1;
                }
                (_, dashboard::Incoming::AlertCleared(a)) => {
                    assert_eq!(*a, alert);
                    alerted = true;
                }
                (_, other) => panic!("unexpected {other:?}"),
            }
        }
        assert!(alerted, "the alert reached every dashboard");
        shares.push(share);
    }
    assert_eq!(seen.len(), N, "every position reached a dashboard (shares {shares:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn both_sides_come_back_after_the_server_restarts() {
    let mut server = NatsServer::start(&[]);
    let (min, max) = (Duration::from_millis(20), Duration::from_millis(200));
    let mut board = connect(dashboard::nats::NatsConfig::new(&server.url()).with_backoff(min, max)).await;
    let mut gate = connect(gateway::nats::NatsConfig::new(&server.url()).with_backoff(min, max)).await;

    server.stop();
    let mut lifecycle = Vec::new();
    // Each side reports the loss; then the server comes back on the same port and both
    // reconnect and subscribe again.
    let event = tokio::time::timeout(WAIT, board.recv()).await.expect("an event").expect("runs").expect("no error");
    assert!(matches!(event, Event::Disconnected { .. }), "{event:?}");
    lifecycle.push("disconnected");
    server.restart();
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "the dashboard did not reconnect: {lifecycle:?}");
        let event = tokio::time::timeout(WAIT, board.recv()).await.expect("an event").expect("runs").expect("no error");
        match event {
            Event::Reconnecting { attempt, .. } => {
                lifecycle.push(if attempt == 1 { "reconnecting" } else { "retrying" })
            }
            Event::Connected => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(lifecycle.contains(&"reconnecting"), "{lifecycle:?}");
    // The gateway reconnects too; a position sent after both are back arrives.
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "the gateway did not reconnect");
        let event = tokio::time::timeout(WAIT, gate.recv()).await.expect("an event").expect("runs").expect("no error");
        if matches!(event, Event::Connected) {
            break;
        }
    }
    let at = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: "v3".into() }.address();
    gate.send_to(&at, gateway::Outgoing::Position(Box::new(position(3.0)))).await.expect("sent");
    assert_eq!(message(next(&mut board).await), (at, dashboard::Incoming::Position(Box::new(position(3.0)))));
}

#[tokio::test]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn wrong_credentials_are_refused_and_stay_out_of_debug() {
    let server = NatsServer::start(&["--user", "board", "--pass", "right"]);
    let config = dashboard::nats::NatsConfig::new(&server.url()).with_credentials("board", "wrong-password");
    assert!(!format!("{config:?}").contains("wrong-password"));
    match tokio::time::timeout(WAIT, dashboard::nats::NatsClient::connect(config)).await.expect("an answer in time") {
        Err(Error::Rejected { reason, .. }) => assert!(!reason.contains("wrong-password"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    connect(dashboard::nats::NatsConfig::new(&server.url()).with_credentials("board", "right")).await;
}

#[tokio::test]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn an_unreachable_server_is_given_up_on() {
    // A port nothing listens on.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).expect("a free port").port();
    let config = dashboard::nats::NatsConfig::new(&format!("nats://127.0.0.1:{port}"))
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .with_max_reconnects(Some(2));
    match tokio::time::timeout(WAIT, dashboard::nats::NatsClient::connect(config)).await.expect("an answer in time") {
        Err(Error::GaveUp { attempts: 3, last }) => assert!(last.contains("onnect"), "{last}"),
        other => panic!("expected to give up after three attempts, got {other:?}"),
    }
}

/// The test CA's certificate and key for 127.0.0.1, written where nats-server reads them:
/// (CA PEM, certificate file, key file, the folder holding them).
fn server_certificate() -> (String, String, String, tempfile::TempDir) {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().expect("a folder for the certificate");
    let (cert_file, key_file) = (dir.path().join("server.pem"), dir.path().join("server-key.pem"));
    std::fs::write(&cert_file, &ca.cert_pem).expect("the certificate is written");
    std::fs::write(&key_file, &ca.key_pem).expect("the key is written");
    let path = |p: std::path::PathBuf| p.to_str().expect("a UTF-8 temporary path").to_owned();
    (ca.ca_pem, path(cert_file), path(key_file), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn tls_is_required_and_the_servers_certificate_checked_against_the_configured_ca() {
    let (ca_pem, cert, key, _dir) = server_certificate();
    let server = NatsServer::start(&["--tls", "--tlscert", &cert, "--tlskey", &key]);
    let tls_url = server.url().replace("nats://", "tls://");
    let mut board = connect(dashboard::nats::NatsConfig::new(&tls_url).with_ca_certificates(&ca_pem)).await;
    // A `nats://` URL upgrades when the server asks for TLS, with the same trust.
    let gate = connect(gateway::nats::NatsConfig::new(&server.url()).with_ca_certificates(&ca_pem)).await;
    let here = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: "v3".into() };
    gate.send_to(&here.address(), gateway::Outgoing::Position(Box::new(position(48.1)))).await.expect("sent");
    let (subject, received) = message(next(&mut board).await);
    assert_eq!(subject, "fleet.v3.position");
    assert_eq!(received, dashboard::Incoming::Position(Box::new(position(48.1))));
    gate.shutdown().await;
    board.shutdown().await;

    // The public CAs do not vouch for the test CA's certificate: no connection.
    let untrusting = dashboard::nats::NatsConfig::new(&tls_url)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .with_max_reconnects(Some(1));
    match tokio::time::timeout(WAIT, dashboard::nats::NatsClient::connect(untrusting)).await.expect("an answer") {
        Err(Error::GaveUp { last, .. }) => assert!(last.contains("certificate"), "{last}"),
        other => panic!("expected no connection to a server the client does not trust, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn headers_travel_typed() {
    let server = NatsServer::start(&[]);
    let mut board = connect(dashboard::nats::NatsConfig::new(&server.url())).await;
    let gate = connect(gateway::nats::NatsConfig::new(&server.url())).await;
    let here = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: "v5".into() };
    let sent = dashboard::types::PositionHeaders { x_trace_id: "t-81".into(), x_hop: Some(2) };
    let traced = gateway::Outgoing::Position(Box::new(position(50.1)));
    gate.send_to_with_headers(&here.address(), traced, &sent).await.expect("sent");
    let Event::Message(received) = next(&mut board).await else { panic!("expected a message") };
    // async-nats keeps headers in a hash map: their order across names is not kept.
    let mut raw = received.headers.clone();
    raw.sort();
    assert_eq!(raw, [("X-Hop".to_owned(), "2".to_owned()), ("X-Trace-Id".to_owned(), "t-81".to_owned())]);
    assert_eq!(received.headers_as::<dashboard::types::PositionHeaders>(), Ok(sent.clone()));
    // Or typed by the message itself.
    assert_eq!(received.typed_headers(), Ok(Some(dashboard::IncomingHeaders::Position(sent))));
    // A message without the required header says which one is missing.
    let bare = gateway::Outgoing::Position(Box::new(position(50.2)));
    gate.send_to(&here.address(), bare).await.expect("sent");
    let Event::Message(received) = next(&mut board).await else { panic!("expected a message") };
    let missing = received.typed_headers().expect_err("no trace id");
    assert!(missing.to_string().contains("`position`: missing field `X-Trace-Id`"), "{missing}");
}

/// How many events the client's buffer holds, from its `Debug` output (`buffered: N`).
fn buffered<A: Api>(client: &NatsClient<A>) -> usize {
    let shown = format!("{client:?}");
    let count = shown.split("buffered: ").nth(1).and_then(|rest| rest.split([',', ' ', '}']).next());
    count.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no buffered count in {shown}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server: cargo xtask integration nats"]
async fn a_slow_consumer_is_held_at_the_buffers_capacity_and_loses_nothing() {
    let server = NatsServer::start(&[]);
    let mut board = connect(dashboard::nats::NatsConfig::new(&server.url()).with_buffer(4)).await;
    let gate = connect(gateway::nats::NatsConfig::new(&server.url())).await;
    let here = gateway::channels::FleetVehicleIdPositionParams { vehicle_id: "v3".into() };
    let sent = 300;
    for i in 0..sent {
        let report = gateway::Outgoing::Position(Box::new(position(f64::from(i) / 10.0)));
        gate.send_to(&here.address(), report).await.expect("sent");
    }
    // The consumer reads nothing yet: the client's buffer fills and holds no more than its
    // capacity; the rest waits in the subscription (nothing is reported dropped).
    let deadline = std::time::Instant::now() + WAIT;
    while buffered(&board) < 4 {
        assert!(std::time::Instant::now() < deadline, "the buffer did not fill: {board:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(buffered(&board), 4, "the client took more than its buffer holds");
    for i in 0..sent {
        match next(&mut board).await {
            Event::Message(Received { message: dashboard::Incoming::Position(p), .. }) => {
                assert_eq!(p.lat, f64::from(i) / 10.0);
            }
            other => panic!("expected position {i}, got {other:?}"),
        }
    }
}
