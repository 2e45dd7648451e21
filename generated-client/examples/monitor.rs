//! Prints the real-time events of a c.technology account, one line each.
//!
//! ```text
//! cargo run -p generated-client --example monitor
//! cargo run -p generated-client --example monitor -- --token <token>
//! cargo run -p generated-client --example monitor -- --url wss://api.ctechnology.io/api/v2.2/ws/ws-main --token <token>
//! ```
//!
//! Without a token it starts the crate's mock broker in-process, which pushes the document's
//! examples every half second, and connects to it: no account needed. With `--token` (or the
//! `CTECH_TOKEN` environment variable) it connects to the real service, at `--url` (or
//! `CTECH_URL`, default: the document's first server). Stop it with Ctrl-C. Connection events
//! go to standard error.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

mod common;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use ctechnology_rt::MessageKind;
use ctechnology_rt::client::{Client, ClientConfig};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::{EXAMPLES, SERVERS};
use ctechnology_rt::types::AuthRequest;
use tracing_subscriber::filter::LevelFilter;

const USAGE: &str = "usage: monitor [--url <wss://...>] [--token <token>]   (or CTECH_URL / CTECH_TOKEN)";

struct Args {
    url: Option<String>,
    token: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { url: std::env::var("CTECH_URL").ok(), token: std::env::var("CTECH_TOKEN").ok() };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--url" => args.url = Some(given.next().ok_or("--url needs a value")?),
            "--token" => args.token = Some(given.next().ok_or("--token needs a value")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    args.token = args.token.filter(|t| !t.trim().is_empty());
    args.url = args.url.filter(|u| !u.trim().is_empty());
    Ok(args)
}

/// The auth frame for `token` (`Token ` is added unless the value already has it).
fn auth(token: &str) -> AuthRequest {
    let token = token.trim();
    let value = if token.starts_with("Token ") { token.to_owned() } else { format!("Token {token}") };
    AuthRequest { authorization: value }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(LevelFilter::INFO)
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // The mock broker lives as long as `main`, when it is used.
    let mut broker = None;
    let config = match (args.token, args.url) {
        (Some(token), url) => {
            let Some(url) = url.or_else(|| SERVERS.first().map(|s| s.url.to_owned())) else {
                eprintln!("no server URL: pass --url\n{USAGE}");
                return ExitCode::FAILURE;
            };
            // The service refuses a handshake without the headers its document names (`Origin`),
            // also on a URL other than the document's, such as a staging server.
            let headers = SERVERS.first().map(|s| s.headers).unwrap_or_default();
            headers
                .iter()
                .fold(ClientConfig::new(url), |config, (name, value)| config.with_header(*name, *value))
                .with_on_connect(auth(&token))
        }
        (None, Some(_)) => {
            eprintln!("--url needs a token: pass --token or set CTECH_TOKEN\n{USAGE}");
            return ExitCode::FAILURE;
        }
        (None, None) => {
            let started = MockBroker::builder().interval(Duration::from_millis(500)).repeat(true).start().await;
            let mock = match started {
                Ok(mock) => mock,
                Err(e) => {
                    eprintln!("could not start the mock broker: {e}");
                    return ExitCode::FAILURE;
                }
            };
            // The mock accepts the document's example credentials.
            let example = EXAMPLES.iter().find(|e| e.message == MessageKind::AuthRequest).map(|e| e.json);
            let Some(credentials) = example.and_then(|json| serde_json::from_str::<AuthRequest>(json).ok()) else {
                eprintln!("the document has no usable authRequest example");
                return ExitCode::FAILURE;
            };
            eprintln!("no token given: using the in-process mock broker at {} (Ctrl-C to stop)", mock.url());
            let config = ClientConfig::new(mock.url()).with_on_connect(credentials);
            broker = Some(mock);
            config
        }
    };
    let mut client = match Client::connect(config) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut printer = common::Printer;
    let outcome = tokio::select! {
        outcome = client.run(&mut printer) => outcome,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    client.shutdown().await;
    if let Some(broker) = broker {
        broker.shutdown().await;
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
