//! The real-time client: one WebSocket to a server of the API, the on-connect messages (usually
//! the credentials) sent first on every new socket, then every received frame decoded into
//! [`Incoming`], delivered as a [`futures_util::Stream`] of [`Event`]s or through the generated
//! [`Handler`].
//!
//! Keep-alive pings, reconnects with exponential backoff and jitter, and the lifecycle events
//! (`Connected`, `Disconnected`, `Reconnecting`) are handled here; a server that rejects the
//! credentials stops the client with [`Error::Rejected`] instead of a retry loop.
//!
//! Invariants: nothing the network sends can panic this module; the on-connect messages never
//! appear in `Debug` output or logs (they are kept in a redacting wrapper and logged by name
//! only); the background task ends when the [`Client`] is shut down or dropped.
//!
//! This file is copied verbatim into each generated crate by `asyncapi-codegen` (feature
//! `client`); it refers to the generated items through `crate::` paths only, so it works for
//! every spec, including one without servers or without sent messages.

use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use backon::BackoffBuilder as _;
use futures_util::stream::Stream;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage, http};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::servers::Server;
use crate::support::DecodeError;
use crate::{Handler, Incoming, Outgoing};

/// How to reach the server and how to behave on the connection.
///
/// Built with [`ClientConfig::new`] or [`ClientConfig::from_server`] and refined with the
/// `with_*` methods. `Debug` shows the URL without its query, the header names, and the names of
/// the on-connect messages, never their content: credentials stay out of logs.
#[derive(Clone)]
pub struct ClientConfig {
    url: String,
    headers: Vec<(String, String)>,
    on_connect: OnConnect,
    ping_interval: Duration,
    pong_timeout: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
    max_reconnects: Option<usize>,
    rejection_window: Duration,
    buffer: usize,
    close_timeout: Duration,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl ClientConfig {
    /// Connects to `url` (`ws://` or `wss://`). When `url` is one of [`SERVERS`](crate::servers::SERVERS),
    /// the handshake headers the document asks for are set as well.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let headers =
            crate::servers::SERVERS.iter().find(|s| s.url == url).map(|s| owned_headers(s.headers)).unwrap_or_default();
        ClientConfig {
            url,
            headers,
            on_connect: OnConnect::default(),
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_reconnects: None,
            rejection_window: Duration::from_secs(5),
            buffer: 256,
            close_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        }
    }

    /// Connects to `server`, with the handshake headers the document gives for it.
    pub fn from_server(server: &Server) -> Self {
        let mut config = ClientConfig::new(server.url);
        config.headers = owned_headers(server.headers);
        config
    }

    /// Sets a handshake header (replacing one of the same name, compared case-insensitively).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value.into()));
        self
    }

    /// Adds a message to send first on every new connection, after the ones added before.
    /// Every message named in [`Outgoing::ON_CONNECT`] must be supplied this way.
    // For an API that sends nothing, `Outgoing` has no values and this code cannot run.
    #[allow(unreachable_code)]
    pub fn with_on_connect(mut self, message: impl Into<Outgoing>) -> Self {
        self.on_connect.0.push(message.into());
        self
    }

    /// How often to ping the server (default 30 s).
    pub fn with_ping_interval(mut self, every: Duration) -> Self {
        self.ping_interval = every;
        self
    }

    /// How long to wait for the pong before the socket counts as dead and is replaced
    /// (default 10 s).
    pub fn with_pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// Reconnect delays: exponential from `min` to `max`, with random jitter of up to the delay
    /// itself, capped at `max` (default 1 s to 60 s).
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// Gives up after `attempts` consecutive failed reconnects (default: never gives up).
    pub fn with_max_reconnects(mut self, attempts: Option<usize>) -> Self {
        self.max_reconnects = attempts;
        self
    }

    /// A socket the server closes within this time after the on-connect messages, before any
    /// frame that decodes arrived, without a close code or with code 1000 (normal), counts as a
    /// rejected credential (default 5 s). Zero turns this guess off.
    pub fn with_rejection_window(mut self, window: Duration) -> Self {
        self.rejection_window = window;
        self
    }

    /// How many events may wait for the consumer (default 256). See [`Client`] for what happens
    /// when the buffer is full.
    pub fn with_buffer(mut self, capacity: usize) -> Self {
        self.buffer = capacity;
        self
    }

    /// How long [`Client::shutdown`] waits for the server to answer the close frame (default 2 s).
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// How long the TCP, TLS and WebSocket handshakes may take together before the attempt
    /// counts as failed (default 30 s).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long [`Client::request`] waits for the reply (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The server URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Checks the settings: the URL and headers form a valid handshake, every message of
    /// [`Outgoing::ON_CONNECT`] is supplied, and the intervals and buffer are not zero.
    pub fn validate(&self) -> Result<(), Error> {
        request(self)?;
        for name in Outgoing::ON_CONNECT {
            if !self.on_connect.0.iter().any(|m| m.name() == *name) {
                return Err(Error::Config(format!(
                    "the server expects `{name}` first on every connection; add it with `with_on_connect`"
                )));
            }
        }
        if self.ping_interval.is_zero() {
            return Err(Error::Config("the ping interval must not be zero".into()));
        }
        if self.buffer == 0 {
            return Err(Error::Config("the event buffer must hold at least one event".into()));
        }
        if self.min_backoff > self.max_backoff {
            return Err(Error::Config("the minimum backoff is longer than the maximum".into()));
        }
        Ok(())
    }

    fn backoff(&self) -> backon::ExponentialBackoff {
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.max_backoff)
            .with_jitter();
        match self.max_reconnects {
            Some(n) => builder.with_max_times(n).build(),
            None => builder.without_max_times().build(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("url", &shown_url(&self.url))
            .field("headers", &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .field("on_connect", &self.on_connect)
            .field("ping_interval", &self.ping_interval)
            .field("pong_timeout", &self.pong_timeout)
            .field("min_backoff", &self.min_backoff)
            .field("max_backoff", &self.max_backoff)
            .field("max_reconnects", &self.max_reconnects)
            .field("rejection_window", &self.rejection_window)
            .field("buffer", &self.buffer)
            .field("close_timeout", &self.close_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// The on-connect messages. They usually carry credentials, so `Debug` shows only their names.
#[derive(Clone, Default)]
struct OnConnect(Vec<Outgoing>);

impl fmt::Debug for OnConnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|m| format!("{} (redacted)", m.name()))).finish()
    }
}

fn owned_headers(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// The URL without its query and fragment, which may carry a token.
fn shown_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// What the client reports, in the order it happened.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A socket is open and the on-connect messages are sent.
    Connected,
    /// A message from the server.
    Message(Incoming),
    /// The socket closed or failed, or a connection attempt failed; a reconnect follows.
    Disconnected {
        /// What happened, for people.
        reason: String,
    },
    /// The client waits `delay` before connection attempt number `attempt` (counted from 1
    /// since the last healthy connection).
    Reconnecting {
        /// The attempt about to be made.
        attempt: usize,
        /// How long the client waits before it.
        delay: Duration,
    },
}

/// What can go wrong. After [`Error::Rejected`], [`Error::GaveUp`], [`Error::Config`] and
/// [`Error::Encode`] the client has stopped (see [`Error::is_fatal`]); the others concern one
/// frame, and the stream goes on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A text frame could not be decoded; the connection stays open.
    Decode(DecodeError),
    /// A binary frame that is not UTF-8 text; the connection stays open.
    Binary {
        /// Its length in bytes.
        len: usize,
    },
    /// The server refused the connection's credentials: it answered the handshake with 401 or
    /// 403, closed with a policy-violation or application (4000-4999) code, or closed the socket
    /// right after the on-connect messages. The client does not retry.
    Rejected {
        /// The close code, if the server sent one.
        code: Option<u16>,
        /// What the server said or did.
        reason: String,
    },
    /// The client gave up after the configured number of reconnect attempts.
    GaveUp {
        /// How many attempts failed.
        attempts: usize,
    },
    /// The configuration is unusable.
    Config(String),
    /// An on-connect message could not be serialised.
    Encode(serde_json::Error),
    /// [`Client::send`] or [`Client::request`] after the client stopped.
    Stopped,
    /// The socket failed while [`Client::send`] wrote the message; it was not sent (the client
    /// reconnects as usual).
    Send(String),
    /// [`Client::request`] of a message that carries no correlation id to match a reply with.
    NoCorrelationId {
        /// The message's name in the document.
        message: &'static str,
    },
    /// The reply to a typed request is another message than the one the document declares.
    UnexpectedReply {
        /// The declared reply.
        expected: &'static str,
        /// What arrived with the request's correlation id.
        got: &'static str,
    },
    /// No reply to [`Client::request`] arrived in time.
    ReplyTimeout {
        /// The request's name in the document.
        message: &'static str,
        /// How long the client waited.
        after: Duration,
    },
}

impl Error {
    /// Whether the client stopped after this error.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Error::Decode(_)
                | Error::Binary { .. }
                | Error::Send(_)
                | Error::NoCorrelationId { .. }
                | Error::UnexpectedReply { .. }
                | Error::ReplyTimeout { .. }
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "could not decode a frame: {e}"),
            Error::Binary { len } => write!(f, "received a binary frame of {len} bytes that is not UTF-8 text"),
            Error::Rejected { code: Some(code), reason } => {
                write!(f, "the server rejected the credentials (close code {code}): {reason}; check the token")
            }
            Error::Rejected { code: None, reason } => {
                write!(f, "the server rejected the credentials: {reason}; check the token")
            }
            Error::GaveUp { attempts } => write!(f, "gave up after {attempts} failed reconnect attempts"),
            Error::Config(what) => write!(f, "invalid client configuration: {what}"),
            Error::Encode(e) => write!(f, "could not serialise a message: {e}"),
            Error::Stopped => write!(f, "the client has stopped"),
            Error::Send(e) => write!(f, "could not send the message: {e}"),
            Error::NoCorrelationId { message } => {
                write!(f, "message `{message}` carries no correlation id, so a reply cannot be matched to it")
            }
            Error::UnexpectedReply { expected, got } => write!(f, "expected the reply `{expected}`, got `{got}`"),
            Error::ReplyTimeout { message, after } => write!(f, "no reply to `{message}` within {after:?}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Decode(e) => Some(e),
            Error::Encode(e) => Some(e),
            _ => None,
        }
    }
}

/// A running connection: a [`Stream`] of [`Event`]s, or a source for [`Client::run`].
///
/// A background task owns the socket. It hands events to the consumer through a bounded buffer
/// ([`ClientConfig::with_buffer`]). **Backpressure policy:** when the buffer is full, the task
/// stops reading the socket until the consumer takes an event, so the server's frames wait in
/// the kernel's TCP buffers and then the server's send queue; no event is dropped and memory
/// stays bounded. While the task waits for the consumer it sends no pings, and the pong deadline
/// counts only while it waits for the socket, so a slow consumer does not make a healthy socket
/// look dead. A real-time server may drop a client that stays behind for long; the client then
/// reconnects.
///
/// Dropping the `Client` stops the task as well; [`Client::shutdown`] also waits for the close
/// handshake.
pub struct Client {
    events: mpsc::Receiver<Result<Event, Error>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    commands: mpsc::Sender<Command>,
    pending: Pending,
    request_timeout: Duration,
}

/// A message for the background task to write, and where to say whether it was written.
struct Command {
    frame: String,
    name: &'static str,
    written: oneshot::Sender<Result<(), Error>>,
}

/// Requests waiting for their reply, by correlation id.
type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Incoming>>>>;

/// How many [`Client::send`] calls may wait for the socket (while reconnecting, say).
const COMMAND_QUEUE: usize = 64;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("buffered", &self.events.len()).finish_non_exhaustive()
    }
}

impl Client {
    /// Starts connecting in the background and returns at once. Needs a Tokio runtime with the
    /// IO and time drivers enabled (as `#[tokio::main]` and `#[tokio::test]` give).
    pub fn connect(config: ClientConfig) -> Result<Client, Error> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("`Client::connect` must be called inside a Tokio runtime".into()))?;
        let (tx, events) = mpsc::channel(config.buffer);
        let (stop, stop_rx) = watch::channel(false);
        let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let pending = Pending::default();
        let request_timeout = config.request_timeout;
        let link = Link { tx, stop: stop_rx, commands: commands_rx, pending: pending.clone() };
        let task = runtime.spawn(drive(config, link));
        Ok(Client { events, stop, task: Some(task), commands, pending, request_timeout })
    }

    /// Sends `message` on the open connection. While the client reconnects, the message waits
    /// (with up to 63 others) and goes out on the next connection, after the on-connect
    /// messages. Returns once the frame is written to the socket.
    // For a document in which the client sends nothing, `Outgoing` has no variants and the body
    // is unreachable.
    #[allow(unreachable_code, unused_variables)]
    pub async fn send(&self, message: impl Into<Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let frame = message.to_frame().map_err(Error::Encode)?;
        let (written, done) = oneshot::channel();
        self.commands.send(Command { frame, name: message.name(), written }).await.map_err(|_| Error::Stopped)?;
        done.await.map_err(|_| Error::Stopped)?
    }

    /// Sends `message` and waits for the received message that carries the same correlation id
    /// (the document's `correlationId`), which is returned instead of being delivered to the
    /// stream. Fails with [`Error::NoCorrelationId`] for a message without one and
    /// [`Error::ReplyTimeout`] after the request timeout.
    // For a document in which the client sends nothing, `Outgoing` has no variants and the body
    // is unreachable.
    #[allow(unreachable_code, unused_variables)]
    pub async fn request(&self, message: impl Into<Outgoing>) -> Result<Incoming, Error> {
        let message = message.into();
        let name = message.name();
        let id = message.correlation_id().ok_or(Error::NoCorrelationId { message: name })?;
        let (reply_tx, reply) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), reply_tx);
        let outcome = async {
            self.send(message).await?;
            match tokio::time::timeout(self.request_timeout, reply).await {
                Ok(Ok(incoming)) => Ok(incoming),
                Ok(Err(_)) => Err(Error::Stopped),
                Err(_) => Err(Error::ReplyTimeout { message: name, after: self.request_timeout }),
            }
        }
        .await;
        lock(&self.pending).remove(&id);
        outcome
    }

    /// The next event; `None` once the client has stopped and every event was taken.
    pub async fn recv(&mut self) -> Option<Result<Event, Error>> {
        self.events.recv().await
    }

    /// How many events wait in the buffer.
    pub fn buffered(&self) -> usize {
        self.events.len()
    }

    /// Hands every message to `handler` until the client stops. Lifecycle events and frames
    /// that cannot be decoded are logged (with `tracing`) and skipped. Returns the error that
    /// stopped the client, or `Ok(())` after a shutdown.
    pub async fn run<H: Handler + ?Sized>(&mut self, handler: &mut H) -> Result<(), Error> {
        while let Some(item) = self.events.recv().await {
            match item {
                Ok(Event::Message(message)) => crate::dispatch(handler, message),
                // The background task has logged the lifecycle event already.
                Ok(event) => tracing::debug!(?event, "connection event"),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "skipped a frame"),
            }
        }
        Ok(())
    }

    /// Sends a close frame, waits (up to the close timeout) for the server to answer, and ends
    /// the background task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Stream for Client {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The background task's ends of the channels to the [`Client`].
struct Link {
    tx: mpsc::Sender<Result<Event, Error>>,
    stop: watch::Receiver<bool>,
    commands: mpsc::Receiver<Command>,
    pending: Pending,
}

/// The pending-request map; a poisoned lock (a panic elsewhere) still holds usable data.
fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Incoming>>> {
    pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Hands `message` to the request waiting for it, if any; gives it back otherwise.
fn answer(pending: &Pending, message: Incoming) -> Option<Incoming> {
    if lock(pending).is_empty() {
        return Some(message);
    }
    let Some(id) = message.correlation_id() else { return Some(message) };
    match lock(pending).remove(&id) {
        Some(waiting) => waiting.send(message).err(),
        None => Some(message),
    }
}

/// How one connection ended.
enum End {
    /// Shutdown was requested or the consumer went away: end quietly.
    Stopped,
    /// Reconnect. `healthy`: the connection proved the credentials good, so the backoff restarts.
    Lost { reason: String, healthy: bool },
    /// Report and stop.
    Fatal(Error),
}

/// Resolves once shutdown is requested or the [`Client`] is dropped.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Hands `item` to the consumer, waiting while the buffer is full. `false`: stop.
async fn deliver(
    tx: &mpsc::Sender<Result<Event, Error>>,
    stop: &mut watch::Receiver<bool>,
    item: Result<Event, Error>,
) -> bool {
    tokio::select! {
        biased;
        () = stopped(stop) => false,
        sent = tx.send(item) => sent.is_ok(),
    }
}

/// The background task: connect, run, reconnect, until told to stop or stopped by an error.
async fn drive(config: ClientConfig, link: Link) {
    let Link { tx, mut stop, mut commands, pending } = link;
    let mut backoff = config.backoff();
    let mut attempt = 0;
    loop {
        let (reason, healthy) = match session(&config, &tx, &mut stop, &mut commands, &pending).await {
            End::Stopped => return,
            End::Fatal(error) => {
                tracing::error!(%error, "client stopped");
                deliver(&tx, &mut stop, Err(error)).await;
                return;
            }
            End::Lost { reason, healthy } => (reason, healthy),
        };
        tracing::warn!(%reason, "disconnected");
        if healthy {
            backoff = config.backoff();
            attempt = 0;
        }
        if !deliver(&tx, &mut stop, Ok(Event::Disconnected { reason })).await {
            return;
        }
        let Some(delay) = backoff.next() else {
            deliver(&tx, &mut stop, Err(Error::GaveUp { attempts: attempt })).await;
            return;
        };
        let delay = delay.min(config.max_backoff);
        attempt += 1;
        tracing::info!(attempt, ?delay, "reconnecting");
        if !deliver(&tx, &mut stop, Ok(Event::Reconnecting { attempt, delay })).await {
            return;
        }
        tokio::select! {
            biased;
            () = stopped(&mut stop) => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// The handshake request: the URL plus the configured headers.
fn request(config: &ClientConfig) -> Result<http::Request<()>, Error> {
    let mut request = config
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::Config(format!("invalid server url `{}`: {e}", shown_url(&config.url))))?;
    for (name, value) in &config.headers {
        let header = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Error::Config(format!("invalid header name `{name}`: {e}")))?;
        // The value may be a credential: the message names the header only.
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| Error::Config(format!("the value of header `{name}` is not a valid header value")))?;
        request.headers_mut().insert(header, value);
    }
    Ok(request)
}

/// TLS with the webpki roots and the `ring` provider, chosen here so that the process-wide
/// rustls default (which the application may set differently, or not at all) does not matter.
fn connector(url: &str) -> Result<Connector, Error> {
    if !url.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("wss:")) {
        return Ok(Connector::Plain);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(tls)))
}

/// One connection: handshake, on-connect messages, then frames until it ends.
async fn session(
    config: &ClientConfig,
    tx: &mpsc::Sender<Result<Event, Error>>,
    stop: &mut watch::Receiver<bool>,
    commands: &mut mpsc::Receiver<Command>,
    pending: &Pending,
) -> End {
    let (request, connector) = match (request(config), connector(&config.url)) {
        (Ok(request), Ok(connector)) => (request, connector),
        (Err(e), _) | (_, Err(e)) => return End::Fatal(e),
    };
    let connecting = tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
    let connected = tokio::select! {
        biased;
        () = stopped(stop) => return End::Stopped,
        connected = tokio::time::timeout(config.connect_timeout, connecting) => connected,
    };
    let Ok(connected) = connected else {
        let reason = format!("could not connect within {:?}", config.connect_timeout);
        return End::Lost { reason, healthy: false };
    };
    let mut ws = match connected {
        Ok((ws, _response)) => ws,
        Err(tungstenite::Error::Http(response)) if matches!(response.status().as_u16(), 401 | 403) => {
            let reason = format!("the handshake was answered with HTTP {}", response.status());
            return End::Fatal(Error::Rejected { code: None, reason });
        }
        Err(e) => return End::Lost { reason: format!("could not connect: {e}"), healthy: false },
    };
    for message in &config.on_connect.0 {
        let frame = match message.to_frame() {
            Ok(frame) => frame,
            Err(e) => return End::Fatal(Error::Encode(e)),
        };
        if let Err(e) = ws.send(WsMessage::text(frame)).await {
            return End::Lost { reason: format!("could not send `{}`: {e}", message.name()), healthy: false };
        }
        tracing::debug!(message = message.name(), "sent on-connect message");
    }
    tracing::info!(url = shown_url(&config.url), "connected");
    if !deliver(tx, stop, Ok(Event::Connected)).await {
        close(&mut ws, config.close_timeout).await;
        return End::Stopped;
    }
    let end = read_loop(&mut ws, config, tx, stop, commands, pending).await;
    if matches!(end, End::Stopped) {
        close(&mut ws, config.close_timeout).await;
    } else {
        // Sends tungstenite's answer to a close frame, if the server sent one.
        let _ = tokio::time::timeout(config.close_timeout, ws.flush()).await;
    }
    end
}

/// What the frames of one connection told so far, to judge how it ended.
struct Seen {
    since: Instant,
    any_message: bool,
    sent_credentials: bool,
}

impl Seen {
    /// How a socket that closed with `frame` (or without a close frame) ended.
    fn closed(&self, frame: Option<&CloseFrame>, window: Duration) -> End {
        let code = frame.map(|f| u16::from(f.code));
        let said = frame.map(|f| f.reason.as_str().to_owned()).unwrap_or_default();
        if frame.is_some_and(|f| matches!(f.code, CloseCode::Policy | CloseCode::Library(_))) {
            let reason = if said.is_empty() { "closed with a policy code".to_owned() } else { said };
            return End::Fatal(Error::Rejected { code, reason });
        }
        // A close that gives another reason (going away, restart, overload) is not about the
        // credentials, however early it comes.
        let unexplained = frame.is_none_or(|f| matches!(f.code, CloseCode::Normal | CloseCode::Status));
        if unexplained && self.sent_credentials && !self.any_message && self.since.elapsed() < window {
            let reason = "the server closed the socket right after the on-connect messages".to_owned();
            return End::Fatal(Error::Rejected { code, reason });
        }
        let reason = match code {
            Some(code) => format!("the server closed the connection (code {code}) {said}").trim_end().to_owned(),
            None => "the connection was closed without a close frame".to_owned(),
        };
        End::Lost { reason, healthy: self.any_message || self.since.elapsed() >= window }
    }
}

async fn read_loop(
    ws: &mut Socket,
    config: &ClientConfig,
    tx: &mpsc::Sender<Result<Event, Error>>,
    stop: &mut watch::Receiver<bool>,
    commands: &mut mpsc::Receiver<Command>,
    pending: &Pending,
) -> End {
    let mut seen =
        Seen { since: Instant::now(), any_message: false, sent_credentials: !config.on_connect.0.is_empty() };
    let mut ping = tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut pong_due: Option<Instant> = None;
    loop {
        let frame = tokio::select! {
            biased;
            () = stopped(stop) => return End::Stopped,
            frame = ws.next() => frame,
            Some(command) = commands.recv() => {
                let result = ws.send(WsMessage::text(command.frame)).await.map_err(|e| Error::Send(e.to_string()));
                let failed = result.as_ref().err().map(ToString::to_string);
                tracing::debug!(message = command.name, sent = failed.is_none(), "sent a message");
                let _ = command.written.send(result);
                if let Some(reason) = failed {
                    return End::Lost { reason, healthy: seen.any_message };
                }
                continue;
            }
            _ = ping.tick(), if pong_due.is_none() => {
                if let Err(e) = ws.send(WsMessage::Ping(Default::default())).await {
                    return End::Lost { reason: format!("could not send a ping: {e}"), healthy: seen.any_message };
                }
                pong_due = Some(Instant::now() + config.pong_timeout);
                continue;
            }
            () = tokio::time::sleep_until(pong_due.unwrap_or_else(Instant::now)), if pong_due.is_some() => {
                let reason = format!("no pong within {:?}; the socket is dead", config.pong_timeout);
                return End::Lost { reason, healthy: seen.any_message };
            }
        };
        let item = match frame {
            Some(Ok(WsMessage::Text(text))) => crate::decode(text.as_str()).map(Event::Message).map_err(Error::Decode),
            Some(Ok(WsMessage::Binary(bytes))) => match std::str::from_utf8(&bytes) {
                Ok(text) => crate::decode(text).map(Event::Message).map_err(Error::Decode),
                Err(_) => Err(Error::Binary { len: bytes.len() }),
            },
            Some(Ok(WsMessage::Pong(_))) => {
                pong_due = None;
                continue;
            }
            // Pings are answered by tungstenite itself on the next read or write.
            Some(Ok(WsMessage::Ping(_) | WsMessage::Frame(_))) => continue,
            Some(Ok(WsMessage::Close(frame))) => return seen.closed(frame.as_ref(), config.rejection_window),
            None
            | Some(Err(
                tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake),
            )) => return seen.closed(None, config.rejection_window),
            Some(Err(e)) => return End::Lost { reason: format!("connection failed: {e}"), healthy: seen.any_message },
        };
        // Only a frame that decodes proves the credentials were accepted: a server may answer
        // bad ones with an error frame before it closes.
        seen.any_message |= item.is_ok();
        // A reply to a pending request goes to the request, not to the stream.
        let item = match item {
            Ok(Event::Message(message)) => match answer(pending, message) {
                Some(message) => Ok(Event::Message(message)),
                None => continue,
            },
            other => other,
        };
        if let Err(e) = &item {
            tracing::debug!(error = %e, "frame could not be decoded");
        }
        if !deliver(tx, stop, item).await {
            return End::Stopped;
        }
    }
}

/// Sends a close frame and waits for the server's answer, for at most `timeout`.
async fn close(ws: &mut Socket, timeout: Duration) {
    let frame = CloseFrame { code: CloseCode::Normal, reason: "client shutdown".into() };
    let handshake = async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    if tokio::time::timeout(timeout, handshake).await.is_err() {
        tracing::debug!("the server did not answer the close frame in time");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_url_has_no_query() {
        assert_eq!(shown_url("wss://h/p?token=secret#x"), "wss://h/p");
        assert_eq!(shown_url("ws://h/p"), "ws://h/p");
    }

    #[test]
    fn header_values_stay_out_of_debug() {
        let config = ClientConfig::new("ws://127.0.0.1:1/").with_header("Authorization", "Bearer secret-value");
        let shown = format!("{config:?}");
        assert!(shown.contains("Authorization"), "{shown}");
        assert!(!shown.contains("secret-value"), "{shown}");
    }

    #[test]
    fn a_zero_ping_interval_is_refused() {
        let mut config = ClientConfig::new("ws://127.0.0.1:1/").with_ping_interval(Duration::ZERO);
        config.on_connect = OnConnect::default();
        assert!(matches!(config.validate(), Err(Error::Config(_))));
    }
}
