//! A local mock broker that speaks the document: it listens on `127.0.0.1`, checks the
//! on-connect message (the credential frame) the client sends first, then pushes the document's
//! examples of received messages (or a recorded stream) at a configurable rate.
//!
//! It exists so that a client can be tried and tested without an account: it can drop
//! connections after N messages or on command to exercise reconnects, and it answers pings.
//!
//! The feed is one sequence shared by the broker's connections, the way a live feed is: every
//! frame is sent once, to the connection open when it is due, so a client that reconnects
//! continues where the last connection stopped.
//!
//! It knows the document through its [`Api`]: the examples it pushes by default are those the
//! generated side receives, and the credentials it accepts by default are the examples of the
//! first on-connect message.

use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::Api;

/// The close code the broker answers bad credentials with: an application code, which the
/// client of the `client` feature reports as a rejection and does not retry.
pub const REJECTED: u16 = 4001;

/// Settings for a [`MockBroker`]; start it with [`MockBrokerBuilder::start`].
pub struct MockBrokerBuilder<A: Api> {
    accept: Vec<serde_json::Value>,
    invalid: Option<String>,
    examples: bool,
    frames: Vec<String>,
    interval: Duration,
    repeat: bool,
    drop_after: Option<usize>,
    auth_timeout: Duration,
    unresponsive: bool,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for MockBrokerBuilder<A> {
    fn clone(&self) -> Self {
        MockBrokerBuilder {
            accept: self.accept.clone(),
            invalid: self.invalid.clone(),
            frames: self.frames.clone(),
            api: PhantomData,
            ..*self
        }
    }
}

impl<A: Api> std::fmt::Debug for MockBrokerBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockBrokerBuilder")
            .field("accept", &self.accept.len())
            .field("frames", &self.frames.len())
            .field("examples", &self.examples)
            .field("interval", &self.interval)
            .field("repeat", &self.repeat)
            .field("drop_after", &self.drop_after)
            .field("unresponsive", &self.unresponsive)
            .finish_non_exhaustive()
    }
}

impl<A: Api> Default for MockBrokerBuilder<A> {
    fn default() -> Self {
        MockBrokerBuilder {
            accept: Vec::new(),
            invalid: None,
            examples: true,
            frames: Vec::new(),
            interval: Duration::from_secs(1),
            repeat: false,
            drop_after: None,
            auth_timeout: Duration::from_secs(10),
            unresponsive: false,
            api: PhantomData,
        }
    }
}

impl<A: Api> MockBrokerBuilder<A> {
    /// Accepts a first frame equal (as JSON, whatever the spacing and key order) to `json`.
    /// Without any accepted frame, the broker accepts the document's examples of the first
    /// on-connect message ([`Api::ON_CONNECT`]). For an API without on-connect messages, every client
    /// is accepted and nothing is checked.
    pub fn accept_frame(mut self, json: &str) -> Self {
        match serde_json::from_str(json) {
            Ok(value) => self.accept.push(value),
            Err(e) => self.invalid = Some(format!("an accepted frame is not JSON: {e}")),
        }
        self
    }

    /// Pushes exactly `frames` (which need not be valid), without the document's examples.
    pub fn frames<I, S>(mut self, frames: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.examples = false;
        self.frames = frames.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves the document's examples out of the feed (by default they come first).
    pub fn without_examples(mut self) -> Self {
        self.examples = false;
        self
    }

    /// Appends one raw frame (which need not be valid) to the feed.
    pub fn frame(mut self, raw: impl Into<String>) -> Self {
        self.frames.push(raw.into());
        self
    }

    /// Appends a recorded stream to the feed: one frame per line, blank lines skipped. Combine
    /// with [`without_examples`](Self::without_examples) to replay only the recording.
    pub fn recording(mut self, path: impl AsRef<Path>) -> io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        self.frames.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
        Ok(self)
    }

    /// The time between two pushed frames (default 1 s; zero pushes as fast as the socket takes
    /// them).
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = every;
        self
    }

    /// Starts the feed over when it is exhausted (default: it stops, and connections stay
    /// open and quiet).
    pub fn repeat(mut self, repeat: bool) -> Self {
        self.repeat = repeat;
        self
    }

    /// Drops every connection (with close code 1001, going away) once it has received `n`
    /// frames.
    pub fn drop_after(mut self, n: usize) -> Self {
        self.drop_after = Some(n);
        self
    }

    /// After accepting the credentials, neither read nor write the connection: to the client it
    /// looks like a dead peer whose pings go unanswered (default: off).
    pub fn unresponsive(mut self, unresponsive: bool) -> Self {
        self.unresponsive = unresponsive;
        self
    }

    /// How long a new connection may take to send its on-connect messages (default 10 s).
    pub fn auth_timeout(mut self, timeout: Duration) -> Self {
        self.auth_timeout = timeout;
        self
    }

    /// Listens on `127.0.0.1` on a free port.
    pub async fn start(self) -> io::Result<MockBroker<A>> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Listens on `addr` (port 0: a free port).
    pub async fn start_on(self, addr: SocketAddr) -> io::Result<MockBroker<A>> {
        if let Some(problem) = self.invalid {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, problem));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let accept = if self.accept.is_empty() { example_credentials::<A>() } else { self.accept };
        let mut frames = if self.examples { examples::<A>() } else { Vec::new() };
        frames.extend(self.frames);
        let shared = Arc::new(Shared {
            accept,
            frames,
            interval: self.interval,
            repeat: self.repeat,
            drop_after: self.drop_after,
            auth_timeout: self.auth_timeout,
            unresponsive: self.unresponsive,
            on_connect: A::ON_CONNECT.len(),
            cursor: AtomicUsize::new(0),
            stats: Stats::default(),
        });
        let (stop, stop_rx) = watch::channel(false);
        let (drops, drops_rx) = watch::channel(0u64);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stop_rx, drops_rx));
        tracing::info!(%addr, "mock broker listening");
        Ok(MockBroker { addr, shared, stop, drops, task: Some(task), api: PhantomData })
    }
}

/// The frames of the document's examples of messages the generated side receives, in document
/// order.
fn examples<A: Api>() -> Vec<String> {
    A::EXAMPLES.iter().filter(|e| e.received).map(|e| e.json.to_owned()).collect()
}

/// The document's examples of the first on-connect message.
fn example_credentials<A: Api>() -> Vec<serde_json::Value> {
    let Some(first) = A::ON_CONNECT.first() else { return Vec::new() };
    A::EXAMPLES
        .iter()
        .filter(|e| !e.received && e.message == *first)
        .filter_map(|e| serde_json::from_str(e.json).ok())
        .collect()
}

/// A running mock broker. Dropping it stops it; [`MockBroker::shutdown`] also waits for its
/// connections to close.
pub struct MockBroker<A: Api> {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    drops: watch::Sender<u64>,
    task: Option<JoinHandle<()>>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> std::fmt::Debug for MockBroker<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockBroker").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl<A: Api> MockBroker<A> {
    /// A broker with the default settings.
    pub fn builder() -> MockBrokerBuilder<A> {
        MockBrokerBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a client connects to, `ws://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Drops every open connection now (close code 1001, going away).
    pub fn drop_connections(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// WebSocket handshakes so far.
    pub fn connections(&self) -> usize {
        self.shared.stats.connections.load(Ordering::SeqCst)
    }

    /// Connections whose on-connect messages were accepted.
    pub fn accepted(&self) -> usize {
        self.shared.stats.accepted.load(Ordering::SeqCst)
    }

    /// Connections closed for bad or missing credentials.
    pub fn rejected(&self) -> usize {
        self.shared.stats.rejected.load(Ordering::SeqCst)
    }

    /// Frames pushed so far, over all connections.
    pub fn sent(&self) -> usize {
        self.shared.stats.sent.load(Ordering::SeqCst)
    }

    /// Stops listening, closes every connection, and waits until they are closed.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

#[derive(Debug)]
struct Shared {
    accept: Vec<serde_json::Value>,
    frames: Vec<String>,
    interval: Duration,
    repeat: bool,
    drop_after: Option<usize>,
    auth_timeout: Duration,
    unresponsive: bool,
    /// How many on-connect messages a client sends first.
    on_connect: usize,
    cursor: AtomicUsize,
    stats: Stats,
}

impl Shared {
    /// The next frame of the feed, if the feed is not exhausted.
    fn next_frame(&self) -> Option<&str> {
        let i = self.cursor.fetch_add(1, Ordering::SeqCst);
        let i = if self.repeat { i.checked_rem(self.frames.len())? } else { i };
        self.frames.get(i).map(String::as_str)
    }
}

#[derive(Debug, Default)]
struct Stats {
    connections: AtomicUsize,
    accepted: AtomicUsize,
    rejected: AtomicUsize,
    sent: AtomicUsize,
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    drops: watch::Receiver<u64>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "mock broker: new connection");
                    connections.spawn(serve(stream, Arc::clone(&shared), stop.clone(), drops.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "mock broker: accept failed"),
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

type Socket = WebSocketStream<TcpStream>;

async fn serve(
    stream: TcpStream,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    mut drops: watch::Receiver<u64>,
) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
    shared.stats.connections.fetch_add(1, Ordering::SeqCst);
    match tokio::time::timeout(shared.auth_timeout, authenticate(&mut ws, &shared)).await {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => {
            shared.stats.rejected.fetch_add(1, Ordering::SeqCst);
            tracing::info!(reason, "mock broker: rejected a connection");
            close(&mut ws, CloseCode::Library(REJECTED), reason).await;
            return;
        }
        Err(_) => {
            shared.stats.rejected.fetch_add(1, Ordering::SeqCst);
            close(&mut ws, CloseCode::Policy, "no credentials in time").await;
            return;
        }
    }
    shared.stats.accepted.fetch_add(1, Ordering::SeqCst);
    drops.mark_unchanged();
    if shared.unresponsive {
        // Holding the socket without reading it leaves the client's pings unanswered.
        tokio::select! {
            () = stopped(&mut stop) => {}
            _ = drops.changed() => {}
        }
        return;
    }
    let mut feeding = !shared.frames.is_empty();
    let mut sent_here = 0;
    let mut next_due = Instant::now();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => {
                close(&mut ws, CloseCode::Away, "mock broker shutting down").await;
                return;
            }
            changed = drops.changed() => {
                if changed.is_ok() {
                    close(&mut ws, CloseCode::Away, "dropped by the mock broker").await;
                }
                return;
            }
            incoming = ws.next() => match incoming {
                // Pings are answered by tungstenite itself; other frames are ignored.
                Some(Ok(WsMessage::Close(_))) => feeding = false,
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return,
            },
            () = due(next_due), if feeding => {
                let Some(frame) = shared.next_frame() else {
                    feeding = false;
                    continue;
                };
                if ws.send(WsMessage::text(frame)).await.is_err() {
                    return;
                }
                shared.stats.sent.fetch_add(1, Ordering::SeqCst);
                sent_here += 1;
                next_due = Instant::now() + shared.interval;
                if shared.drop_after == Some(sent_here) {
                    close(&mut ws, CloseCode::Away, "dropped by the mock broker").await;
                    return;
                }
            }
        }
    }
}

/// Resolves at `at`. A time already reached resolves at once (after yielding to the runtime), not
/// at the timer's next 1 ms tick, so `interval(Duration::ZERO)` feeds at full speed.
async fn due(at: Instant) {
    if at > Instant::now() {
        tokio::time::sleep_until(at).await;
    } else {
        tokio::task::yield_now().await;
    }
}

/// Reads the on-connect messages. `Err`: why the connection is refused.
async fn authenticate(ws: &mut Socket, shared: &Shared) -> Result<(), &'static str> {
    for i in 0..shared.on_connect {
        let frame = loop {
            match ws.next().await {
                Some(Ok(WsMessage::Text(text))) => break text,
                Some(Ok(WsMessage::Binary(_))) => return Err("expected a text frame"),
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return Err("closed before the credentials"),
                Some(Ok(_)) => {}
            }
        };
        if i > 0 {
            continue;
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(frame.as_str()) else {
            return Err("the first frame is not JSON");
        };
        if !shared.accept.contains(&value) {
            return Err("invalid credentials");
        }
    }
    Ok(())
}

/// Sends a close frame and waits briefly for the client's answer.
async fn close(ws: &mut Socket, code: CloseCode, reason: &'static str) {
    let handshake = async {
        if ws.close(Some(CloseFrame { code, reason: reason.into() })).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), handshake).await;
}
