//! Receives c.technology webhooks (beta) and hands them to the same handler as the real-time
//! client.
//!
//! ```text
//! cargo run -p generated-client --example webhook -- [--listen 127.0.0.1:8080]
//! curl -X POST --data-binary @frame.json http://127.0.0.1:8080/webhook
//! ```
//!
//! The endpoint answers as soon as the body is decoded: `200 OK` when the event is queued,
//! `400 Bad Request` for a body that is not a frame, `503 Service Unavailable` when the queue is
//! full (the sender retries later). A separate task takes events from the bounded queue and
//! calls the [`Handler`](ctechnology_rt::Handler), so a slow handler never delays an answer.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

mod common;

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use ctechnology_rt::webhook::decode_webhook;
use ctechnology_rt::{Incoming, dispatch};
use tokio::sync::mpsc;
use tracing_subscriber::filter::LevelFilter;

/// Events that may wait for the handler before the endpoint answers 503.
const QUEUE: usize = 1024;

async fn receive(State(queue): State<mpsc::Sender<Incoming>>, body: Bytes) -> StatusCode {
    match decode_webhook(&body) {
        Ok(message) => match queue.try_send(message) {
            Ok(()) => StatusCode::OK,
            Err(_) => StatusCode::SERVICE_UNAVAILABLE,
        },
        Err(e) => {
            eprintln!("rejected a webhook body: {e}");
            StatusCode::BAD_REQUEST
        }
    }
}

fn listen_addr() -> Result<SocketAddr, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:8080".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => addr = args.next().ok_or("--listen needs an address")?,
            other => return Err(format!("unexpected argument `{other}`; usage: webhook [--listen <addr:port>]")),
        }
    }
    addr.parse().map_err(|e| format!("invalid address `{addr}`: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(LevelFilter::INFO)
        .init();
    let addr = match listen_addr() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let (queue, mut events) = mpsc::channel(QUEUE);
    let handler = tokio::spawn(async move {
        let mut printer = common::Printer;
        while let Some(message) = events.recv().await {
            dispatch(&mut printer, message);
        }
    });
    let app = Router::new().route("/webhook", post(receive)).with_state(queue);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("could not listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("listening for webhooks on http://{addr}/webhook (Ctrl-C to stop)");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    // The router (and with it the queue's sender) is gone: the handler drains and ends.
    let _ = handler.await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
