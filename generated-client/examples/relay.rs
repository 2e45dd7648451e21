//! Relays the real-time events of a c.technology account into NATS JetStream.
//!
//! ```text
//! nats-server -js &                                    # Debian package `nats-server`
//! cargo run -p generated-client --example relay
//! cargo run -p generated-client --example relay -- --token <token> [--url wss://...]
//! cargo run -p generated-client --example relay -- --nats nats://127.0.0.1:4222 --stream CTECH --prefix ctech.rt
//! ```
//!
//! Without a token it starts the crate's mock broker in-process, which pushes the document's
//! examples every half second, so the relay can be tried without an account. With `--token` (or
//! `CTECH_TOKEN`) it reads the real service (`--url` or `CTECH_URL`, default: the document's
//! first server). Every frame goes to the stream `--stream` (default `CTECH`, created when
//! missing) on `<prefix>.<channel>.<vehicle_id>`, e.g. `ctech.rt.vehicle.status.veh_01...`;
//! frames of an unknown channel go to `<prefix>._unknown.<vehicle_id>`, frames that do not decode
//! to `<prefix>._undecodable`. Counters go to standard error every five seconds.
//!
//! Ctrl-C stops it without losing anything it was sent: the connection is closed, what the
//! service sent until then is relayed, and the relay waits for JetStream's acknowledgements.
//! Run two relays on the same account for no gap while one restarts: JetStream drops the copies
//! (`Nats-Msg-Id` is derived from each frame).
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

#[path = "common/service.rs"]
mod service;

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use ctechnology_rt::MessageKind;
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::relay::{Relay, RelayConfig, Source, SourceConfig};
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;
use tracing_subscriber::filter::LevelFilter;

const USAGE: &str = "usage: relay [--url <wss://...>] [--token <token>] [--nats <nats://...>] [--stream <name>] [--prefix <subject prefix>]\n       (or CTECH_URL, CTECH_TOKEN, NATS_URL)";

struct Args {
    url: Option<String>,
    token: Option<String>,
    nats: String,
    stream: String,
    prefix: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        url: service::env("CTECH_URL"),
        token: service::env("CTECH_TOKEN"),
        nats: service::env("NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned()),
        stream: "CTECH".to_owned(),
        prefix: "ctech.rt".to_owned(),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value =
            |name: &str| given.next().filter(|v| !v.trim().is_empty()).ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--url" => args.url = Some(value("--url")?),
            "--token" => args.token = Some(value("--token")?),
            "--nats" => args.nats = value("--nats")?,
            "--stream" => args.stream = value("--stream")?,
            "--prefix" => args.prefix = value("--prefix")?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    if args.url.is_some() && args.token.is_none() {
        return Err(format!("--url needs a token: pass --token\n{USAGE}"));
    }
    Ok(args)
}

/// The source: the real service with the token, else a mock broker (returned too, to keep it
/// running).
async fn source_config(args: &Args) -> Result<(SourceConfig, Option<MockBroker>), String> {
    if let Some(token) = &args.token {
        let config = service::source_config(args.url.clone(), USAGE)?.with_on_connect(service::auth(token));
        return Ok((config, None));
    }
    let mock = MockBroker::builder()
        .interval(Duration::from_millis(500))
        .repeat(true)
        .start()
        .await
        .map_err(|e| format!("could not start the mock broker: {e}"))?;
    // The mock accepts the document's example credentials.
    let example = EXAMPLES.iter().find(|e| e.message == MessageKind::AuthRequest).map(|e| e.json);
    let credentials = example
        .and_then(|json| serde_json::from_str::<AuthRequest>(json).ok())
        .ok_or("the document has no usable authRequest example")?;
    eprintln!("no token given: relaying the in-process mock broker at {} (Ctrl-C to stop)", mock.url());
    Ok((SourceConfig::new(mock.url()).with_on_connect(credentials), Some(mock)))
}

async fn run(args: Args) -> Result<(), String> {
    let (config, _mock) = source_config(&args).await?;
    let relay_config = RelayConfig::new(&args.nats, &args.stream, &args.prefix).with_key("/data/vehicle_id");
    let mut relay = Relay::connect(relay_config).await.map_err(|e| e.to_string())?;
    let mut source = Source::connect(config).map_err(|e| e.to_string())?;
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a signal handler the relay runs until its source stops.
            std::future::pending::<()>().await;
        }
    };
    relay.run(&mut source, stop).await.map_err(|e| e.to_string())?;
    let stats = relay.stats();
    eprintln!(
        "relayed {} frames: {} stored, {} duplicates, {} unknown, {} undecodable, {} retries",
        stats.received, stats.published, stats.duplicates, stats.unknown, stats.undecodable, stats.retries
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_max_level(LevelFilter::INFO)
        .init();
    let outcome = match parse_args() {
        Ok(args) => run(args).await,
        Err(message) => Err(message),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
