//! The re-sync policy end to end: the mock broker pushes the document's vehicle statuses and
//! drops the connection mid-stream; after the reconnect every known vehicle's status is re-read
//! over REST (a scripted server on 127.0.0.1) once, delivered once and marked, never older than
//! a push already delivered; a rejected token costs one fresh login shared by every read; failed
//! reads are events and the pushed stream goes on.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use common::{Reply, Server, push, vehicle};
use ctechnology_rest::login::Login;
use ctechnology_rest::resync::{Event, Origin, Policy, Resync};
use ctechnology_rest::{Credentials, Error, Rest, Token};
use ctechnology_rt::client::{self, Client, ClientConfig};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::types::VehicleStatusPayload;
use ctechnology_rt::{Handler, Incoming};
use futures_util::StreamExt as _;

const WAIT: Duration = Duration::from_secs(10);

fn accept(token: &str) -> String {
    format!(r#"{{"Authorization": "Token {token}"}}"#)
}

/// A client of `broker` with short reconnect delays; `login` provides its credentials, else the
/// token `t1`.
fn client(broker: &MockBroker, login: Option<Login>) -> Client {
    let config = ClientConfig::new(broker.url()).with_backoff(Duration::from_millis(10), Duration::from_millis(50));
    let config = match login {
        Some(login) => config.with_on_connect_fn(move |why| {
            let login = login.clone();
            async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
        }),
        None => config.with_on_connect(ctechnology_rt::types::AuthRequest { authorization: "Token t1".into() }),
    };
    Client::connect(config).expect("valid configuration")
}

/// The next item, within `WAIT`.
async fn next(events: &mut Resync) -> Result<Event, client::Error> {
    tokio::time::timeout(WAIT, events.next()).await.expect("an event in time").expect("the client runs")
}

/// What the consumer saw: every message with its origin, connection events, failures.
#[derive(Default)]
struct Seen {
    /// (vehicle, timestamp, origin) of every vehicle status, in order.
    statuses: Vec<(String, String, Origin)>,
    connected: usize,
    disconnected: usize,
    failures: Vec<(String, Error)>,
    /// How many times every re-read so far had finished.
    settled: usize,
}

impl Seen {
    fn take(&mut self, event: Event) {
        match event {
            Event::Message { message: Incoming::VehicleStatus(status), origin } => {
                self.statuses.push((status.data.vehicle_id.clone(), status.data.timestamp.clone(), origin));
            }
            Event::Message { .. } => {}
            Event::Connection(client::Event::Connected) => self.connected += 1,
            Event::Connection(client::Event::Disconnected { .. }) => self.disconnected += 1,
            Event::Connection(_) => {}
            Event::Failed { vehicle_id, error } => self.failures.push((vehicle_id, error)),
            Event::Settled(_) => self.settled += 1,
            _ => {}
        }
    }

    fn resynced(&self) -> Vec<&(String, String, Origin)> {
        self.statuses.iter().filter(|s| s.2 == Origin::Resynced).collect()
    }
}

#[tokio::test]
async fn after_a_reconnect_every_known_vehicle_is_reread_once_and_never_older_than_a_push() {
    let (a, b, c) = (vehicle(0), vehicle(1), vehicle(2));
    // REST answers: `a` is newer than its push; `b` older (a REST answer may lag a push); `c` is
    // rate limited once, then newer.
    let scripts = [
        (a.as_str(), vec![Reply::Status("2026-12-01T10:00:00.000Z")]),
        (b.as_str(), vec![Reply::Status("2026-08-11T02:26:45Z")]),
        (c.as_str(), vec![Reply::RateLimited("0"), Reply::Status("2026-12-01T10:00:00+0000")]),
    ];
    // The REST API no longer takes the first token; the broker takes both.
    let server = Server::start(&scripts, &["t2"]).await;
    let login = Login::new(&server.url, "driver@example.com", "secret-pw").expect("valid");
    let frames =
        [push(0, "2025-09-17T12:21:49.566Z"), push(1, "2026-08-11T02:26:46Z"), push(2, "2025-09-21T18:06:08+0000")];
    let broker = MockBroker::builder()
        .frames(frames)
        .accept_frame(&accept("t1"))
        .accept_frame(&accept("t2"))
        .interval(Duration::from_millis(1))
        .drop_after(3)
        .start()
        .await
        .expect("the mock broker starts");
    let rest = Rest::new(&server.url, Credentials::Login(login.clone())).expect("valid").with_rate_limit(
        3,
        Duration::from_millis(1),
        Duration::from_secs(5),
    );
    let mut events = Resync::new(client(&broker, Some(login)), rest, Policy::after_reconnect().concurrency(2));

    let mut seen = Seen::default();
    while seen.settled == 0 {
        let event = next(&mut events).await.expect("no client error");
        seen.take(event);
    }

    assert_eq!((seen.connected, seen.disconnected), (2, 1), "the broker dropped the connection once");
    let stats = events.stats();
    assert_eq!((stats.rounds, stats.reads), (1, 3), "one round after the reconnect, none after the first connect");
    assert_eq!((stats.delivered, stats.stale, stats.failed), (2, 1, 0), "{stats:?}");
    assert!(seen.failures.is_empty());
    // Two reads at a time, in id order (`c`, `a`, then `b`): the first two are refused with the
    // first token and share one fresh login; `b` starts later with the renewed token.
    assert_eq!(server.requests(&a), 2, "refused once, then read");
    assert_eq!(server.requests(&c), 3, "refused, rate limited, read");
    assert_eq!(server.requests(&b), 1, "read with the renewed token");
    assert_eq!(server.logins(), 2, "one login for the broker, one fresh login for the refused reads");
    assert!(server.max_in_flight() <= 2, "at most the policy's concurrency at once");

    // Each vehicle re-read is delivered once, marked, and later than its pushes.
    let resynced = seen.resynced();
    let delivered: BTreeSet<&str> = resynced.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(resynced.len(), 2);
    assert_eq!(delivered, BTreeSet::from([a.as_str(), c.as_str()]), "{resynced:?}");
    let mut newest: BTreeMap<&str, jiff::Timestamp> = BTreeMap::new();
    for (id, timestamp, origin) in &seen.statuses {
        let at = timestamp
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|_| jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%z", timestamp).expect("a timestamp"));
        if *origin == Origin::Resynced {
            assert!(newest.get(id.as_str()).is_none_or(|n| at > *n), "{id}: a re-read older than a push");
        }
        newest.entry(id.as_str()).and_modify(|n| *n = (*n).max(at)).or_insert(at);
    }
    assert_eq!(events.vehicles().collect::<Vec<_>>().len(), 3);
    events.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn failed_rereads_are_events_and_the_pushed_stream_goes_on() {
    let (a, b, c) = (vehicle(0), vehicle(1), vehicle(2));
    let scripts = [
        (a.as_str(), vec![Reply::NotFound(Some("Vehicle not found."))]),
        (b.as_str(), vec![Reply::NotFound(None)]),
        (c.as_str(), vec![Reply::Slow(Duration::from_secs(5), "2030-01-01T00:00:00Z")]),
    ];
    let server = Server::start(&scripts, &[]).await;
    // After the reconnect, one more push of `a`.
    let frames = [
        push(0, "2025-09-17T12:21:49.566Z"),
        push(1, "2026-08-11T02:26:46Z"),
        push(2, "2025-09-21T18:06:08+0000"),
        push(0, "2025-09-17T12:30:00.000Z"),
    ];
    let broker = MockBroker::builder()
        .frames(frames)
        .accept_frame(&accept("t1"))
        .interval(Duration::from_millis(1))
        .drop_after(3)
        .start()
        .await
        .expect("the mock broker starts");
    let rest = Rest::new(&server.url, Token::new("t1")).expect("valid").with_timeout(Duration::from_millis(200));
    let mut events = Resync::new(client(&broker, None), rest, Policy::after_reconnect());

    let mut seen = Seen::default();
    while !(seen.settled == 1 && seen.statuses.len() == 4) {
        let event = next(&mut events).await.expect("no client error");
        seen.take(event);
    }
    let failures: BTreeMap<&str, &Error> = seen.failures.iter().map(|(id, e)| (id.as_str(), e)).collect();
    assert_eq!(failures.len(), 3, "{failures:?}");
    let header = |id: &str| failures[id].header().map(|h| (h.status.clone(), h.message.clone()));
    assert_eq!(failures[a.as_str()].status(), Some(404));
    assert_eq!(header(&a), Some((Some("ERROR".into()), Some("Vehicle not found.".into()))));
    assert_eq!(header(&b), Some((Some("ERROR".into()), None)), "a `null` message");
    assert!(matches!(failures[c.as_str()], Error::Timeout { .. }), "{:?}", failures[c.as_str()]);
    assert_eq!(seen.statuses.last().map(|s| (s.0.as_str(), s.2)), Some((a.as_str(), Origin::Pushed)), "pushes go on");
    assert_eq!(events.stats().failed, 3);
    events.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn periodic_rounds_drop_an_answer_no_newer_than_the_last_one_delivered() {
    let a = vehicle(0);
    let server = Server::start(&[(a.as_str(), vec![Reply::Status("2026-12-01T10:00:00Z")])], &[]).await;
    let broker = MockBroker::builder()
        .frames([push(0, "2025-09-17T12:21:49.566Z")])
        .accept_frame(&accept("t1"))
        .interval(Duration::from_millis(1))
        .start()
        .await
        .expect("the mock broker starts");
    let rest = Rest::new(&server.url, Token::new("t1")).expect("valid");
    let policy = Policy::after_reconnect().every(Duration::from_millis(100));
    let mut events = Resync::new(client(&broker, None), rest, policy);
    let mut seen = Seen::default();
    while seen.settled < 2 {
        seen.take(next(&mut events).await.expect("no client error"));
    }
    let stats = events.stats();
    assert_eq!(seen.connected, 1, "no reconnect: the rounds are the period's");
    assert_eq!((stats.delivered, stats.stale), (1, 1), "the same answer twice is delivered once: {stats:?}");
    assert_eq!(seen.resynced().len(), 1);
    events.shutdown().await;
    broker.shutdown().await;
}

/// Counts pushed and re-read statuses, and says when a re-read arrived.
struct Counter {
    pushed: usize,
    resynced: usize,
    done: Arc<tokio::sync::Notify>,
}

impl Handler for Counter {
    fn on_vehicle_status(&mut self, _: VehicleStatusPayload) {
        self.pushed += 1;
    }
}

impl ctechnology_rest::resync::Handler for Counter {
    fn on_resynced(&mut self, _: VehicleStatusPayload) {
        self.resynced += 1;
        self.done.notify_one();
    }
}

#[tokio::test]
async fn run_hands_rereads_to_on_resynced_and_pushes_to_the_generated_handler() {
    let a = vehicle(0);
    let server = Server::start(&[(a.as_str(), vec![Reply::Status("2026-12-01T10:00:00Z")])], &[]).await;
    let broker = MockBroker::builder()
        .frames([push(0, "2025-09-17T12:21:49.566Z")])
        .accept_frame(&accept("t1"))
        .interval(Duration::from_millis(1))
        .drop_after(1)
        .start()
        .await
        .expect("the mock broker starts");
    let rest = Rest::new(&server.url, Token::new("t1")).expect("valid");
    let mut events = Resync::new(client(&broker, None), rest, Policy::after_reconnect());
    let done = Arc::new(tokio::sync::Notify::new());
    let mut counter = Counter { pushed: 0, resynced: 0, done: Arc::clone(&done) };
    tokio::select! {
        outcome = events.run(&mut counter) => panic!("the client stopped: {outcome:?}"),
        () = done.notified() => {}
        () = tokio::time::sleep(WAIT) => panic!("no re-read in time"),
    }
    assert_eq!((counter.pushed, counter.resynced), (1, 1));
    events.shutdown().await;
    broker.shutdown().await;
}
