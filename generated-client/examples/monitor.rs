//! Prints the real-time events of a c.technology account, one line each.
//!
//! ```text
//! cargo run -p generated-client --example monitor
//! cargo run -p generated-client --example monitor -- --token <token>
//! cargo run -p generated-client --example monitor -- --email <email> --password <password>
//! cargo run -p generated-client --example monitor -- --url wss://api.ctechnology.io/api/v2.2/ws/ws-main --token <token>
//! cargo run -p generated-client --example monitor -- --resync
//! cargo run -p generated-client --example monitor -- --resync-every 300 --email <email> --password <password>
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
//! With `--resync` it re-reads the latest status of every vehicle it has seen over REST (at
//! `--api`, with the same token or login) after every reconnect, and with `--resync-every
//! <secs>` also periodically (`ctechnology_rest::resync`); re-read statuses print as `re-read`,
//! and one no newer than a status already shown is dropped. Against the mock broker it starts the
//! crate's local REST stand-in too (`ctechnology_rest::standin`), and the broker drops each
//! connection after six frames, so the re-sync after every reconnect can be watched.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

mod common;
#[path = "common/service.rs"]
mod service;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use ctechnology_rest::login::Login;
use ctechnology_rest::resync::{Policy, Resync};
use ctechnology_rest::standin::StandIn;
use ctechnology_rest::{Credentials, Rest, Token};
use ctechnology_rt::MessageKind;
use ctechnology_rt::client::{Client, ClientConfig};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;
use tracing_subscriber::filter::LevelFilter;

const USAGE: &str = "usage: monitor [--url <wss://...>] [--token <token> | --email <email> --password <password>] [--api <https://...>] [--resync] [--resync-every <secs>]\n       (or CTECH_URL, CTECH_TOKEN, CTECH_EMAIL, CTECH_PASSWORD, CTECH_API)";

/// How many frames the mock broker sends on a connection before it drops it, with `--resync`.
const MOCK_DROP_AFTER: usize = 6;

/// The REST API the login and the re-reads go to by default.
const API: &str = "https://api.ctechnology.io";

struct Args {
    url: Option<String>,
    token: Option<String>,
    email: Option<String>,
    password: Option<String>,
    api: String,
    resync: bool,
    resync_every: Option<Duration>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: service::env("CTECH_URL"),
        token: service::env("CTECH_TOKEN"),
        email: service::env("CTECH_EMAIL"),
        password: service::env("CTECH_PASSWORD"),
        api: service::env("CTECH_API").unwrap_or_else(|| API.to_owned()),
        resync: false,
        resync_every: None,
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
            "--resync" => args.resync = true,
            "--resync-every" => {
                let secs = value("--resync-every")?;
                let secs = secs.parse::<u64>().ok().filter(|s| *s > 0);
                let Some(secs) = secs else {
                    return Err(format!("--resync-every needs a whole number of seconds above 0\n{USAGE}"));
                };
                args.resync = true;
                args.resync_every = Some(Duration::from_secs(secs));
            }
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
    // The mock broker and the REST stand-in live as long as `main`, when they are used.
    let mut broker = None;
    let mut standin = None;
    let setup = match (args.token, args.email.zip(args.password), args.url) {
        (Some(token), _, url) => service::config(url, USAGE).and_then(|config| {
            let rest = rest(args.resync, &args.api, Token::new(&token))?;
            Ok((config.with_on_connect(service::auth(&token)), rest))
        }),
        (None, Some((email, password)), url) => Login::new(&args.api, &email, &password).and_then(|login| {
            let rest = rest(args.resync, &args.api, login.clone())?;
            let config = service::config(url, USAGE)?.with_on_connect_fn(move |why| {
                let login = login.clone();
                async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
            });
            Ok((config, rest))
        }),
        (None, None, Some(_)) => {
            Err(format!("--url needs credentials: pass --token or --email and --password\n{USAGE}"))
        }
        (None, None, None) => {
            let mut builder = MockBroker::builder().interval(Duration::from_millis(500)).repeat(true);
            if args.resync {
                builder = builder.drop_after(MOCK_DROP_AFTER);
            }
            let mock = match builder.start().await {
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
            let rest = if args.resync {
                match start_standin().await {
                    Ok((server, rest)) => {
                        standin = Some(server);
                        Some(rest)
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                None
            };
            Ok((config, rest))
        }
    };
    let (config, rest) = match setup {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let client = match Client::connect(config) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut printer = common::Printer;
    let outcome = match rest {
        Some(rest) => {
            let mut policy = Policy::after_reconnect();
            if let Some(every) = args.resync_every {
                policy = policy.every(every);
            }
            let mut events = Resync::new(client, rest, policy);
            let outcome = tokio::select! {
                outcome = events.run(&mut printer) => outcome,
                _ = tokio::signal::ctrl_c() => Ok(()),
            };
            let stats = events.stats();
            eprintln!(
                "re-sync: {} round(s), {} read(s), {} delivered, {} dropped as stale, {} failed",
                stats.rounds, stats.reads, stats.delivered, stats.stale, stats.failed
            );
            events.shutdown().await;
            outcome
        }
        None => {
            let mut client = client;
            let outcome = tokio::select! {
                outcome = client.run(&mut printer) => outcome,
                _ = tokio::signal::ctrl_c() => Ok(()),
            };
            client.shutdown().await;
            outcome
        }
    };
    if let Some(broker) = broker {
        broker.shutdown().await;
    }
    if let Some(standin) = standin {
        standin.shutdown().await;
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The REST companion for the re-sync, when it is asked for.
fn rest(resync: bool, api: &str, credentials: impl Into<Credentials>) -> Result<Option<Rest>, String> {
    if !resync {
        return Ok(None);
    }
    Rest::new(api, credentials).map(Some).map_err(|e| format!("--api: {e}"))
}

/// The local REST stand-in and a REST companion that reads from it with the token it accepts.
async fn start_standin() -> Result<(StandIn, Rest), String> {
    let server = StandIn::start().await.map_err(|e| format!("could not start the REST stand-in: {e}"))?;
    let token = StandIn::token().ok_or("the document has no authRequest example with a token")?;
    let rest = Rest::new(&server.url(), Token::new(&token)).map_err(|e| e.to_string())?;
    eprintln!("re-sync on: re-reading statuses from the local REST stand-in at {}", server.url());
    Ok((server, rest))
}
