//! A live fleet dashboard: one web page with every vehicle the account may see, updated the
//! moment a frame arrives.
//!
//! ```text
//! cargo run -p generated-client --example dashboard                 # the mock broker; open the printed URL
//! cargo run -p generated-client --example dashboard -- --token <token>
//! cargo run -p generated-client --example dashboard -- --email <email> --password <password>
//! cargo run -p generated-client --example dashboard -- --replay fleet.jsonl --interval 0
//! ```
//!
//! It runs the generated client (against the in-process mock broker by default, which pushes the
//! document's examples, or a recording given with `--replay`: one frame per line; against the
//! real service with `--token`, or `--email`/`--password` and the REST login that renews the
//! token, and `--url`, as the monitor example does; the same `CTECH_*` variables), keeps the
//! latest state of each vehicle, and serves a page (HTML, plain JavaScript and CSS compiled into
//! the binary: no CDN, no build step) that receives the changes over Server-Sent Events.
//!
//! Once it listens it prints one line on standard output, `dashboard listening on
//! http://<addr>/`, so that a script can start it on `--listen 127.0.0.1:0` and find the port.
//!
//! Under load, each browser holds only a cursor into the board (`dashboard/board.rs`): it is
//! sent, at most four times a second, each changed vehicle's latest row once, in chunks of
//! [`CHUNK`] rows, and the next batch is made only when the previous one has been written to
//! its socket, so a slow browser gets the latest state, never a growing queue.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

#[path = "dashboard/board.rs"]
mod board;
#[path = "common/service.rs"]
mod service;

use std::convert::Infallible;
use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use board::{Board, Link};
use ctechnology_rest::login::Login;
use ctechnology_rt::MessageKind;
use ctechnology_rt::client::{Client, ClientConfig, Error, Event};
use ctechnology_rt::mock::MockBroker;
use ctechnology_rt::servers::EXAMPLES;
use ctechnology_rt::types::AuthRequest;
use futures_util::stream::Stream;
use tokio::sync::watch;
use tracing_subscriber::filter::LevelFilter;

const USAGE: &str = "usage: dashboard [--listen <addr:port>] [--stale <seconds>]
                 [--url <wss://...>] [--token <token> | --email <email> --password <password> [--api <https://...>]]
                 [--replay <frames.jsonl>] [--interval <ms>]
       (or CTECH_URL, CTECH_TOKEN, CTECH_EMAIL, CTECH_PASSWORD, CTECH_API)
  without credentials it serves the in-process mock broker's feed: the document's examples, or
  the recording given with --replay (one frame per line), repeated every --interval ms (default 500)";

/// The REST API the login goes to by default.
const API: &str = "https://api.ctechnology.io";
/// The most vehicle rows in one event to a browser.
const CHUNK: usize = 2000;
/// The least time between two events to a browser: changes within it are coalesced.
const THROTTLE: Duration = Duration::from_millis(250);

const INDEX_HTML: &str = include_str!("dashboard/index.html");
const APP_JS: &str = include_str!("dashboard/app.js");
const STYLE_CSS: &str = include_str!("dashboard/style.css");

struct Args {
    listen: SocketAddr,
    stale: u64,
    url: Option<String>,
    token: Option<String>,
    email: Option<String>,
    password: Option<String>,
    api: String,
    replay: Option<String>,
    interval: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        stale: 15 * 60,
        url: service::env("CTECH_URL"),
        token: service::env("CTECH_TOKEN"),
        email: service::env("CTECH_EMAIL"),
        password: service::env("CTECH_PASSWORD"),
        api: service::env("CTECH_API").unwrap_or_else(|| API.to_owned()),
        replay: None,
        interval: Duration::from_millis(500),
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value =
            |name: &str| given.next().filter(|v| !v.trim().is_empty()).ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--listen" => {
                let text = value("--listen")?;
                args.listen = text.parse().map_err(|e| format!("--listen `{text}`: {e} (expected addr:port)"))?;
            }
            "--stale" => {
                let text = value("--stale")?;
                args.stale = text.parse().map_err(|e| format!("--stale `{text}`: {e} (expected seconds)"))?;
            }
            "--interval" => {
                let text = value("--interval")?;
                let ms = text.parse().map_err(|e| format!("--interval `{text}`: {e} (expected milliseconds)"))?;
                args.interval = Duration::from_millis(ms);
            }
            "--url" => args.url = Some(value("--url")?),
            "--token" => args.token = Some(value("--token")?),
            "--email" => args.email = Some(value("--email")?),
            "--password" => args.password = Some(value("--password")?),
            "--api" => args.api = value("--api")?,
            "--replay" => args.replay = Some(value("--replay")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    if args.email.is_some() != args.password.is_some() {
        return Err(format!("--email and --password go together\n{USAGE}"));
    }
    let credentials = args.token.is_some() || args.email.is_some();
    if args.replay.is_some() && credentials {
        return Err(format!("--replay plays a recording through the mock broker: it takes no credentials\n{USAGE}"));
    }
    if args.url.is_some() && !credentials {
        return Err(format!("--url needs credentials: pass --token or --email and --password\n{USAGE}"));
    }
    Ok(args)
}

/// The in-process mock broker, pushing the document's examples or the recording at `replay`.
async fn start_mock(replay: Option<&str>, interval: Duration) -> Result<(MockBroker, ClientConfig), String> {
    let mut builder = MockBroker::builder().interval(interval).repeat(true);
    if let Some(path) = replay {
        builder =
            builder.without_examples().recording(path).map_err(|e| format!("cannot read --replay {path}: {e}"))?;
    }
    let mock = builder.start().await.map_err(|e| format!("could not start the mock broker: {e}"))?;
    // The mock accepts the document's example credentials.
    let example = EXAMPLES.iter().find(|e| e.message == MessageKind::AuthRequest).map(|e| e.json);
    let credentials = example
        .and_then(|json| serde_json::from_str::<AuthRequest>(json).ok())
        .ok_or("the document has no usable authRequest example")?;
    let config = ClientConfig::new(mock.url()).with_on_connect(credentials);
    Ok((mock, config))
}

/// The shared state: the board, and the number of its latest change for the browsers to wait on.
#[derive(Clone)]
struct App {
    board: Arc<Mutex<Board>>,
    changes: watch::Sender<u64>,
    /// Set on Ctrl-C: the event streams end, so the server's graceful shutdown can finish.
    stopping: watch::Sender<bool>,
}

impl App {
    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while holding the lock leaves a board that is still consistent enough to show.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn change(&self, apply: impl FnOnce(&mut Board)) {
        let seq = {
            let mut board = self.board();
            apply(&mut board);
            board.seq()
        };
        self.changes.send_replace(seq);
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Feeds the board from the client until the client stops.
async fn pump(mut client: Client, app: App) {
    while let Some(item) = client.recv().await {
        let now = now_ms();
        match item {
            Ok(Event::Message(message)) => app.change(|b| b.message(message, now)),
            Ok(Event::Connected) => app.change(|b| b.link(Link::Connected, String::new(), now)),
            Ok(Event::Disconnected { reason }) => app.change(|b| b.link(Link::Reconnecting, reason, now)),
            Ok(Event::Reconnecting { attempt, delay }) => {
                let detail = format!("attempt {attempt} in {:.1} s", delay.as_secs_f64());
                app.change(|b| b.link(Link::Reconnecting, detail, now));
            }
            Ok(other) => tracing::debug!(?other, "connection event"),
            Err(error @ Error::Rejected { .. }) => {
                app.change(|b| b.link(Link::Rejected, error.to_string(), now));
            }
            Err(error) if error.is_fatal() => app.change(|b| b.link(Link::Stopped, error.to_string(), now)),
            Err(error) => app.change(|b| b.undecodable(error.to_string())),
        }
    }
    client.shutdown().await;
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    // The page loads nothing but its own files.
    let policy = "default-src 'self'; img-src 'self' data:";
    ([(header::CONTENT_TYPE, content_type), (header::CONTENT_SECURITY_POLICY, policy)], body).into_response()
}

/// The Server-Sent Events stream of one browser: a snapshot, then what changed, batched.
async fn events(State(app): State<App>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let changes = app.changes.subscribe();
    // The cursor, and whether the board has more for it right now (a chunked snapshot).
    let start = (app, changes, 0_u64, true);
    let stream = futures_util::stream::unfold(start, |(app, mut changes, cursor, ready)| async move {
        let mut stopping = app.stopping.subscribe();
        if !ready {
            tokio::select! {
                changed = changes.wait_for(|seq| *seq > cursor) => { changed.ok()?; }
                _ = stopping.wait_for(|stop| *stop) => return None,
            }
            tokio::time::sleep(THROTTLE).await;
        }
        let update = app.board().since(cursor, CHUNK, now_ms());
        let (next, more) = (update.seq, update.more);
        let event = SseEvent::default().json_data(&update).unwrap_or_else(|e| {
            tracing::error!(error = %e, "an update did not serialise");
            SseEvent::default().comment("update lost")
        });
        Some((Ok(event), (app, changes, next, more)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn router(app: App) -> Router {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
        .route("/events", get(events))
        .with_state(app)
}

async fn run(args: Args) -> Result<(), String> {
    // The mock broker lives as long as `run`, when it is used.
    let mut broker = None;
    let config = match (args.token, args.email.zip(args.password)) {
        (Some(token), _) => service::config(args.url, USAGE)?.with_on_connect(service::auth(&token)),
        (None, Some((email, password))) => {
            let login = Login::new(&args.api, &email, &password)?;
            service::config(args.url, USAGE)?.with_on_connect_fn(move |why| {
                let login = login.clone();
                async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
            })
        }
        (None, None) => {
            let (mock, config) = start_mock(args.replay.as_deref(), args.interval).await?;
            eprintln!("no credentials given: using the in-process mock broker at {}", mock.url());
            broker = Some(mock);
            config
        }
    };
    let app = App {
        board: Arc::new(Mutex::new(Board::new(args.stale))),
        changes: watch::Sender::new(0),
        stopping: watch::Sender::new(false),
    };
    let client = Client::connect(config).map_err(|e| e.to_string())?;
    let pumping = tokio::spawn(pump(client, app.clone()));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| format!("cannot read the bound address: {e}"))?;
    // The one line on standard output, for people and for scripts that started it on port 0.
    println!("dashboard listening on http://{addr}/");
    let _ = std::io::stdout().flush();
    let stopping = app.stopping.clone();
    let served = axum::serve(listener, router(app))
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            stopping.send_replace(true);
        })
        .await;
    pumping.abort();
    if let Some(broker) = broker {
        broker.shutdown().await;
    }
    served.map_err(|e| format!("the web server failed: {e}"))
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
