//! Reads what the `relay` example put into JetStream, as a durable pull consumer, and prints a
//! line per vehicle status and notification.
//!
//! ```text
//! cargo run -p generated-client --example fleet_consumer
//! cargo run -p generated-client --example fleet_consumer -- --vehicle veh_01k5b7qz3hx8m2c4d6f8g0j2kn
//! cargo run -p generated-client --example fleet_consumer -- --nats nats://127.0.0.1:4222 --stream CTECH --durable dashboards
//! ```
//!
//! The consumer is durable (`--durable`, default `fleet`): stopped and started again it goes on
//! after the last message it acknowledged, and several processes with the same name share the
//! stream's messages between them, which is how consumers scale out. `--vehicle` reads one
//! vehicle only (a subject filter, `<prefix>.*.*.<vehicle>`; a consumer's filter is fixed when it
//! is created, so give a new `--durable` name with it). Each message is decoded with the crate's
//! types, so a frame the crate does not know prints as unknown.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

mod common;

use std::process::ExitCode;

use async_nats::jetstream::consumer::{PullConsumer, pull};
use ctechnology_rt::{decode, dispatch};
use futures_util::StreamExt as _;

const USAGE: &str = "usage: fleet_consumer [--nats <nats://...>] [--stream <name>] [--prefix <subject prefix>] [--durable <name>] [--vehicle <vehicle_id>]\n       (or NATS_URL)";

struct Args {
    nats: String,
    stream: String,
    prefix: String,
    durable: String,
    vehicle: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        nats: std::env::var("NATS_URL").ok().filter(|v| !v.trim().is_empty()).unwrap_or("nats://127.0.0.1:4222".into()),
        stream: "CTECH".to_owned(),
        prefix: "ctech.rt".to_owned(),
        durable: "fleet".to_owned(),
        vehicle: None,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value =
            |name: &str| given.next().filter(|v| !v.trim().is_empty()).ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--nats" => args.nats = value("--nats")?,
            "--stream" => args.stream = value("--stream")?,
            "--prefix" => args.prefix = value("--prefix")?,
            "--durable" => args.durable = value("--durable")?,
            "--vehicle" => args.vehicle = Some(value("--vehicle")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

async fn run(args: Args) -> Result<(), String> {
    let client = async_nats::connect(args.nats.as_str()).await.map_err(|e| format!("{}: {e}", args.nats))?;
    let js = async_nats::jetstream::new(client);
    let stream = js
        .get_stream(&args.stream)
        .await
        .map_err(|e| format!("stream `{}`: {e} (start the relay example first)", args.stream))?;
    let filter_subject = args.vehicle.as_ref().map(|v| format!("{}.*.*.{v}", args.prefix)).unwrap_or_default();
    let config = pull::Config { durable_name: Some(args.durable.clone()), filter_subject, ..Default::default() };
    let consumer: PullConsumer =
        stream.get_or_create_consumer(&args.durable, config).await.map_err(|e| format!("consumer: {e}"))?;
    eprintln!("reading stream `{}` as `{}` (Ctrl-C to stop)", args.stream, args.durable);
    let mut messages = consumer.messages().await.map_err(|e| format!("consumer: {e}"))?;
    let mut printer = common::Printer;
    loop {
        let next = tokio::select! {
            next = messages.next() => next,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                eprintln!("consumer: {e}");
                continue;
            }
            None => return Ok(()),
        };
        match std::str::from_utf8(&message.payload)
            .map_err(|e| e.to_string())
            .and_then(|text| decode(text).map_err(|e| e.to_string()))
        {
            Ok(decoded) => dispatch(&mut printer, decoded),
            Err(error) => println!("{:<13} {} ({error})", "undecodable", message.subject),
        }
        message.ack().await.map_err(|e| format!("ack: {e}"))?;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
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
