//! Both sides of one document over a real socket on 127.0.0.1: the server generated with
//! `--role app` (this crate) and the client generated with `--role peer` (`fixture-roles-3-peer`),
//! whose payload types this crate re-exports (`--types-from`): a quote the server builds is
//! compared as it is with the one the client receives.
//!
//! The client logs in on every connection, receives pushes, a message the document does not
//! describe and a malformed frame, makes typed requests that the server answers by correlation
//! id (one with a single declared reply, one with two), and reconnects after the server drops it.
//!
//! This file is hand-written; the snapshot harness does not touch it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fixture_roles_3_app::server::{Connection, Server};
use fixture_roles_3_app::{Incoming as ServerIncoming, types as server_types};
use fixture_roles_3_peer::client::{Client, ClientConfig, Error, Event, Requests as _, SubscribeReply};
use fixture_roles_3_peer::{Incoming, MessageKind, types};

const WAIT: Duration = Duration::from_secs(10);

/// One session on the server: the login first (the document's on-connect message), then a
/// quote, a frame the document does not describe, a malformed frame, another quote; then a pong
/// for every ping, and for every subscription `subscribed` (BTC-EUR) or `refused` (anything else).
async fn session(mut conn: Connection, logins: Arc<AtomicUsize>) {
    assert_eq!(ServerIncoming::ON_CONNECT, [fixture_roles_3_app::MessageKind::Login]);
    match conn.recv().await {
        Some(Ok(ServerIncoming::Login(login))) if login.token == "good-token" => {
            logins.fetch_add(1, Ordering::SeqCst);
        }
        _ => return conn.close(4001, "log in first").await,
    }
    let sender = conn.sender();
    let pushed = async {
        sender.send(quote(1.0)).await?;
        sender.send_text(r#"{"type": "news", "text": "not in the document"}"#).await?;
        sender.send_text(r#"{"type": "quote", "symbol": "#).await?;
        sender.send(quote(2.0)).await
    };
    if pushed.await.is_err() {
        return;
    }
    while let Some(Ok(request)) = conn.recv().await {
        let answered = match &request {
            ServerIncoming::Ping(ping) => {
                let pong =
                    server_types::PongPayload { type_: server_types::PongPayloadType, id: ping.id.clone(), time: None };
                conn.reply(&request, pong).await
            }
            ServerIncoming::Subscribe(s) if s.symbol == "BTC-EUR" => {
                let ok = server_types::SubscribedPayload {
                    type_: server_types::SubscribedPayloadType,
                    id: s.id.clone(),
                    symbol: s.symbol.clone(),
                };
                conn.reply(&request, ok).await
            }
            ServerIncoming::Subscribe(s) => {
                let no = server_types::RefusedPayload {
                    type_: server_types::RefusedPayloadType,
                    id: s.id.clone(),
                    reason: format!("unknown symbol {}", s.symbol),
                };
                conn.reply(&request, no).await
            }
            _ => Ok(()),
        };
        answered.expect("the reply carries the request's id");
    }
}

/// The next event or frame error; panics when the client has stopped.
async fn next(client: &mut Client) -> Result<Event, Error> {
    match tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time") {
        Some(item) => item,
        None => panic!("the client stopped"),
    }
}

/// A quote as the server builds it: with the server crate's type, which is the client crate's
/// too (the server crate was generated with `--types-from` the client's).
fn quote(price: f64) -> server_types::QuotePayload {
    server_types::QuotePayload { type_: server_types::QuotePayloadType, symbol: "BTC-EUR".into(), price }
}

/// The next quote, skipping lifecycle events.
async fn next_quote(client: &mut Client) -> types::QuotePayload {
    loop {
        if let Ok(Event::Message(Incoming::Quote(quote))) = next(client).await {
            return *quote;
        }
    }
}

fn subscribe(id: &str, symbol: &str) -> types::SubscribePayload {
    types::SubscribePayload { type_: types::SubscribePayloadType, id: id.into(), symbol: symbol.into() }
}

#[tokio::test]
async fn a_generated_client_and_server_talk() {
    let logins = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&logins);
    let server = Server::builder()
        .serve(([127, 0, 0, 1], 0).into(), move |conn| session(conn, Arc::clone(&counted)))
        .await
        .expect("the server starts");
    let login = types::LoginPayload { type_: types::LoginPayloadType, token: "good-token".into() };
    let config = ClientConfig::new(server.url())
        .with_on_connect(login)
        .with_backoff(Duration::from_millis(10), Duration::from_millis(50));
    let mut client = Client::connect(config).expect("valid configuration");

    assert!(matches!(next(&mut client).await, Ok(Event::Connected)));
    assert_eq!(next_quote(&mut client).await, quote(1.0));
    match next(&mut client).await {
        Ok(Event::Message(Incoming::Unknown(frame))) => assert_eq!(frame.tag.as_deref(), Some("news")),
        other => panic!("expected the undescribed frame, got {other:?}"),
    }
    match next(&mut client).await {
        Err(e) => assert!(!e.is_fatal(), "a malformed frame does not stop the client: {e}"),
        other => panic!("expected the malformed frame's error, got {other:?}"),
    }
    assert_eq!(next_quote(&mut client).await, quote(2.0));

    let ping = types::PingPayload { type_: types::PingPayloadType, id: "r-7".into() };
    let pong = tokio::time::timeout(WAIT, client.request_ping(ping)).await.expect("in time").expect("a pong");
    assert_eq!(pong.id, "r-7");
    assert_eq!(MessageKind::Pong.name(), "pong");

    let yes = tokio::time::timeout(WAIT, client.request_subscribe(subscribe("s-1", "BTC-EUR"))).await.expect("in time");
    assert!(matches!(yes, Ok(SubscribeReply::Subscribed(ref s)) if s.symbol == "BTC-EUR"), "{yes:?}");
    let no = tokio::time::timeout(WAIT, client.request_subscribe(subscribe("s-2", "XYZ"))).await.expect("in time");
    assert!(matches!(no, Ok(SubscribeReply::Refused(ref r)) if r.reason == "unknown symbol XYZ"), "{no:?}");

    server.drop_connections();
    let mut reconnected = Vec::new();
    loop {
        match next(&mut client).await {
            Ok(Event::Connected) => break,
            event => reconnected.push(format!("{event:?}")),
        }
    }
    assert!(reconnected.iter().any(|e| e.starts_with("Ok(Disconnected")), "{reconnected:?}");
    assert_eq!(next_quote(&mut client).await, quote(1.0), "a new session starts over");
    assert_eq!(logins.load(Ordering::SeqCst), 2, "the client logs in again on the new connection");
    client.shutdown().await;
    server.shutdown().await;
}
