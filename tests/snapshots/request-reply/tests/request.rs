//! Request/reply over a real WebSocket on 127.0.0.1: a reply is matched to its request by
//! correlation id and returned from the request, while other pushes keep reaching the stream.

use std::time::Duration;

use fixture_request_reply::client::{Client, ClientConfig, Error, Event, Requests as _};
use fixture_request_reply::types::{PingPayload, PongPayload};
use fixture_request_reply::{Incoming, Outgoing};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

/// A server that answers every `ping` with a `tick` push first and then the `pong` echoing the
/// ping's `id`; a ping whose id starts with `silent` gets no answer.
async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/rpc", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else { return };
                let mut n = 0;
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let ping: serde_json::Value = serde_json::from_str(text.as_str()).expect("json");
                    let id = ping["id"].as_str().unwrap_or_default().to_owned();
                    if id.starts_with("silent") {
                        continue;
                    }
                    n += 1;
                    let tick = serde_json::json!({"type": "tick", "n": n}).to_string();
                    let pong = serde_json::json!({"type": "pong", "id": id, "latency_ms": 1.5}).to_string();
                    if ws.send(Message::text(tick)).await.is_err() || ws.send(Message::text(pong)).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn ping(id: &str) -> PingPayload {
    serde_json::from_value(serde_json::json!({"type": "ping", "id": id})).expect("valid ping")
}

async fn connected(client: &mut Client) {
    loop {
        match tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time") {
            Some(Ok(Event::Connected)) => return,
            Some(Ok(_)) => continue,
            other => panic!("expected Connected, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_typed_request_resolves_to_its_reply_and_pushes_still_stream() {
    let url = echo_server().await;
    let mut client = Client::connect(ClientConfig::new(url)).expect("valid config");
    connected(&mut client).await;

    let reply: PongPayload =
        tokio::time::timeout(WAIT, client.request_ping(ping("r-1"))).await.expect("in time").expect("a reply");
    assert_eq!(reply.id, "r-1");
    assert_eq!(reply.latency_ms, Some(1.5));

    // The push sent before the reply is on the stream; the reply is not.
    match tokio::time::timeout(WAIT, client.recv()).await.expect("in time") {
        Some(Ok(Event::Message(Incoming::Tick(tick)))) => assert_eq!(tick.n, 1),
        other => panic!("expected the tick, got {other:?}"),
    }
    let untyped = client.request(Outgoing::from(ping("r-2"))).await.expect("a reply");
    assert_eq!(untyped.correlation_id().as_deref(), Some("r-2"));
    client.shutdown().await;
}

#[tokio::test]
async fn a_request_without_an_answer_times_out_and_the_client_goes_on() {
    let url = echo_server().await;
    let mut client =
        Client::connect(ClientConfig::new(url).with_request_timeout(Duration::from_millis(200))).expect("valid config");
    connected(&mut client).await;
    match client.request_ping(ping("silent-1")).await {
        Err(Error::ReplyTimeout { message, .. }) => assert_eq!(message, "ping"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    // A later request on the same connection still works.
    let reply = tokio::time::timeout(WAIT, client.request_ping(ping("r-3"))).await.expect("in time").expect("a reply");
    assert_eq!(reply.id, "r-3");
    client.shutdown().await;
}

#[tokio::test]
async fn sending_on_a_stopped_client_is_an_error_not_a_hang() {
    // Nothing listens on this port, and the client may not retry: it stops at once.
    let unused = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/rpc", unused.local_addr().expect("addr"));
    drop(unused);
    let mut client = Client::connect(ClientConfig::new(url).with_max_reconnects(Some(0))).expect("valid config");
    loop {
        match tokio::time::timeout(WAIT, client.recv()).await.expect("in time") {
            Some(Err(e)) if e.is_fatal() => break,
            None => break,
            Some(_) => continue,
        }
    }
    let sent = tokio::time::timeout(WAIT, client.send(Outgoing::from(ping("late")))).await.expect("no hang");
    assert!(matches!(sent, Err(Error::Stopped)), "{sent:?}");
}
