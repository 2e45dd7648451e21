//! The crate's mock broker as a process that a script drives: it listens on 127.0.0.1, pushes the
//! document's examples (or a recording), and takes commands on standard input.
//!
//! ```text
//! cargo run -p generated-client --example mock_broker -- [--interval <ms>] [--repeat] [--replay <frames.jsonl>]
//! cargo run -p generated-client --example mock_broker -- --print-feed
//! ```
//!
//! Once it listens it prints two lines on standard output: `mock broker listening on
//! ws://127.0.0.1:<port>/` and `credentials <json>`, a first frame it accepts (the document's
//! example credentials). Commands, one per line:
//!
//! | command | effect |
//! |---|---|
//! | `drop` | drops every open connection (close code 1001); clients reconnect |
//! | `push <frame>` | sends the raw frame (valid or not) now, ahead of the feed |
//! | `stats` | prints `stats {"connections":..,"accepted":..,"rejected":..,"sent":..}` |
//!
//! End of input stops it. `--print-feed` prints the frames it would push, one per line, and
//! exits, so that a test can compute what a client should show from the same frames.
//! `cargo xtask integration` drives it this way to test the dashboard example in a browser.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use ctechnology_rt::MessageKind;
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::EXAMPLES;
use tokio::io::{AsyncBufReadExt as _, BufReader};

const USAGE: &str = "usage: mock_broker [--interval <ms>] [--repeat] [--replay <frames.jsonl>] [--print-feed]";

struct Args {
    interval: Duration,
    repeat: bool,
    replay: Option<String>,
    print_feed: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { interval: Duration::from_millis(500), repeat: false, replay: None, print_feed: false };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = |name: &str| given.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--interval" => {
                let text = value("--interval")?;
                let ms = text.parse().map_err(|e| format!("--interval `{text}`: {e} (expected milliseconds)"))?;
                args.interval = Duration::from_millis(ms);
            }
            "--repeat" => args.repeat = true,
            "--replay" => args.replay = Some(value("--replay")?),
            "--print-feed" => args.print_feed = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

/// The frames the broker pushes: the recording's lines, or the document's examples of received
/// messages (what `MockBroker` pushes by default).
fn feed(replay: Option<&str>) -> Result<Vec<String>, String> {
    match replay {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read --replay {path}: {e}"))?;
            Ok(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect())
        }
        None => Ok(EXAMPLES.iter().filter(|e| e.received).map(|e| e.json.to_owned()).collect()),
    }
}

async fn run(args: Args) -> Result<(), String> {
    let frames = feed(args.replay.as_deref())?;
    if args.print_feed {
        let mut out = std::io::stdout().lock();
        for frame in &frames {
            writeln!(out, "{frame}").map_err(|e| format!("cannot write the feed: {e}"))?;
        }
        return Ok(());
    }
    let credentials = EXAMPLES
        .iter()
        .find(|e| e.message == MessageKind::AuthRequest)
        .map(|e| e.json)
        .ok_or("the document has no authRequest example")?;
    let broker = MockBroker::builder()
        .frames(frames)
        .interval(args.interval)
        .repeat(args.repeat)
        .start()
        .await
        .map_err(|e| format!("could not start the mock broker: {e}"))?;
    println!("mock broker listening on {}", broker.url());
    println!("credentials {credentials}");
    let _ = std::io::stdout().flush();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => return Err(format!("cannot read a command: {e}")),
        };
        let (command, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match command.trim() {
            "drop" => broker.drop_connections(),
            "push" => broker.push(rest),
            "stats" => {
                let stats = serde_json::json!({
                    "connections": broker.connections(),
                    "accepted": broker.accepted(),
                    "rejected": broker.rejected(),
                    "sent": broker.sent(),
                });
                println!("stats {stats}");
            }
            "" => {}
            other => eprintln!("unknown command `{other}`: expected drop, push <frame> or stats"),
        }
        let _ = std::io::stdout().flush();
    }
    broker.shutdown().await;
    Ok(())
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
