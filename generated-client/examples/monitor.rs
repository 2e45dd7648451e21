//! Prints the real-time events of a c.technology account, one line each.
//!
//! ```text
//! cargo run -p generated-client --example monitor
//! cargo run -p generated-client --example monitor -- --token <token>
//! cargo run -p generated-client --example monitor -- --email <email> --password <password>
//! cargo run -p generated-client --example monitor -- --url wss://api.ctechnology.io/api/v2.2/ws/ws-main --token <token>
//! ```
//!
//! Without credentials it starts the crate's mock broker in-process, which pushes the
//! document's examples every half second, and connects to it: no account needed. With `--token`
//! (or `CTECH_TOKEN`) it connects to the real service with that token. With `--email` and
//! `--password` (or `CTECH_EMAIL` and `CTECH_PASSWORD`) it logs in over REST (at `--api`, default
//! `https://api.ctechnology.io`) before every connection that needs a token, renews the token
//! before it expires and after the broker rejects it, so it keeps running past the token's
//! lifetime. The broker is `--url` (or `CTECH_URL`, default: the document's first server). Stop
//! it with Ctrl-C. Connection events go to standard error.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

mod common;
#[path = "common/login.rs"]
mod login;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use ctechnology_rt::MessageKind;
use ctechnology_rt::client::{Client, ClientConfig};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::{EXAMPLES, SERVERS};
use ctechnology_rt::types::AuthRequest;
use tracing_subscriber::filter::LevelFilter;

const USAGE: &str = "usage: monitor [--url <wss://...>] [--token <token> | --email <email> --password <password> [--api <https://...>]]\n       (or CTECH_URL, CTECH_TOKEN, CTECH_EMAIL, CTECH_PASSWORD, CTECH_API)";

/// The REST API the login goes to by default.
const API: &str = "https://api.ctechnology.io";

struct Args {
    url: Option<String>,
    token: Option<String>,
    email: Option<String>,
    password: Option<String>,
    api: String,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: env("CTECH_URL"),
        token: env("CTECH_TOKEN"),
        email: env("CTECH_EMAIL"),
        password: env("CTECH_PASSWORD"),
        api: env("CTECH_API").unwrap_or_else(|| API.to_owned()),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value =
            |name: &str| given.next().filter(|v| !v.trim().is_empty()).ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--url" => args.url = Some(value("--url")?),
            "--token" => args.token = Some(value("--token")?),
            "--email" => args.email = Some(value("--email")?),
            "--password" => args.password = Some(value("--password")?),
            "--api" => args.api = value("--api")?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    if args.email.is_some() != args.password.is_some() {
        return Err(format!("--email and --password go together\n{USAGE}"));
    }
    Ok(args)
}

/// The client of the real service at `url` (or the document's first server).
fn service_config(url: Option<String>) -> Result<ClientConfig, String> {
    let url = url
        .or_else(|| SERVERS.first().map(|s| s.url.to_owned()))
        .ok_or(format!("no server URL: pass --url\n{USAGE}"))?;
    // The service refuses a handshake without the headers its document names (`Origin`), also
    // on a URL other than the document's, such as a staging server.
    let headers = SERVERS.first().map(|s| s.headers).unwrap_or_default();
    Ok(headers.iter().fold(ClientConfig::new(url), |config, (name, value)| config.with_header(*name, *value)))
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
    let config = match (args.token, args.email.zip(args.password), args.url) {
        (Some(token), _, url) => service_config(url).map(|config| config.with_on_connect(auth(&token))),
        (None, Some((email, password)), url) => match login::Login::new(&args.api, &email, &password) {
            Ok(login) => service_config(url).map(|config| {
                config.with_on_connect_fn(move |why| {
                    let login = login.clone();
                    async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
                })
            }),
            Err(e) => Err(e),
        },
        (None, None, Some(_)) => {
            Err(format!("--url needs credentials: pass --token or --email and --password\n{USAGE}"))
        }
        (None, None, None) => {
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
            eprintln!("no credentials given: using the in-process mock broker at {} (Ctrl-C to stop)", mock.url());
            let config = ClientConfig::new(mock.url()).with_on_connect(credentials);
            broker = Some(mock);
            Ok(config)
        }
    };
    let config = match config {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
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
