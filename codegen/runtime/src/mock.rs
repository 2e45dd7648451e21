//! A local mock broker that speaks the document: it listens on `127.0.0.1`, checks the
//! on-connect message (the credential frame) the client sends first, then pushes the document's
//! examples of received messages (or a recorded stream) at a configurable rate.
//!
//! It exists so that a client can be tried and tested without an account: it can drop
//! connections after N messages or on command to exercise reconnects, and it answers pings. It
//! is one handler of the runtime's [`Server`], serving the other side of the document.
//!
//! The feed is one sequence shared by the broker's connections, the way a live feed is: every
//! frame is sent once, to the connection open when it is due, so a client that reconnects
//! continues where the last connection stopped.
//!
//! It knows the document through its [`Api`]: the examples it pushes by default are those the
//! generated side receives, and the credentials it accepts by default are the examples of the
//! first on-connect message.

use std::collections::VecDeque;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::server::{Connection, Server};
use crate::{Api, Message as _};

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
            pushed: Mutex::new(VecDeque::new()),
            push_ready: Notify::new(),
            stats: Stats::default(),
        });
        let handler_shared = Arc::clone(&shared);
        // One frame in flight per connection: the feed is shared, so a frame waiting in a
        // connection's buffer is a frame another connection will not get.
        let server = Server::builder()
            .buffer(1)
            .serve(addr, move |conn| session::<A>(Arc::clone(&handler_shared), conn))
            .await?;
        tracing::info!(addr = %server.addr(), "mock broker listening");
        Ok(MockBroker { server, shared })
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
    server: Server<A::Outgoing, A::Incoming>,
    shared: Arc<Shared>,
}

impl<A: Api> std::fmt::Debug for MockBroker<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockBroker").field("addr", &self.server.addr()).finish_non_exhaustive()
    }
}

impl<A: Api> MockBroker<A> {
    /// A broker with the default settings.
    pub fn builder() -> MockBrokerBuilder<A> {
        MockBrokerBuilder::default()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The URL a client connects to, `ws://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Drops every open connection now (close code 1001, going away).
    pub fn drop_connections(&self) {
        self.server.drop_connections();
    }

    /// Sends one raw frame (which need not be valid) now, ahead of the rest of the feed, to the
    /// open connection whose turn it is, or to the next accepted connection when none is open.
    /// Like every frame of the feed it goes out once; it counts towards `drop_after` and
    /// [`sent`](Self::sent). For tests that need a frame at a moment of their choosing (an
    /// unknown channel once the page is up, say), whatever the feed's pace.
    pub fn push(&self, raw: impl Into<String>) {
        self.shared.pushed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push_back(raw.into());
        self.shared.push_ready.notify_one();
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

    /// Frames written to the clients' sockets so far, over all connections. (A frame the feed
    /// handed to a connection that the client closed before it was written is not counted; it
    /// goes to the next connection.)
    pub fn sent(&self) -> usize {
        let counters = self.shared.stats.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        counters.iter().map(|written| written.load(Ordering::SeqCst)).sum()
    }

    /// Stops listening, closes every connection, and waits until they are closed.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
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
    /// Frames handed to [`MockBroker::push`], not sent yet.
    pushed: Mutex<VecDeque<String>>,
    /// Wakes a feeding connection when a frame is pushed (a permit waits when none is feeding).
    push_ready: Notify,
    stats: Stats,
}

impl Shared {
    /// The oldest pushed frame not sent yet.
    fn next_pushed(&self) -> Option<String> {
        self.pushed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop_front()
    }

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
    /// The written-frame counters of every connection so far.
    sent: Mutex<Vec<Arc<AtomicUsize>>>,
}

/// One client: its credentials, then its share of the feed.
async fn session<A: Api>(shared: Arc<Shared>, mut conn: Connection<A::Outgoing, A::Incoming>) {
    shared.stats.connections.fetch_add(1, Ordering::SeqCst);
    let checked = tokio::time::timeout(shared.auth_timeout, authenticate::<A>(&mut conn, &shared)).await;
    let refused = match checked {
        Ok(Ok(())) => None,
        Ok(Err(reason)) => Some((REJECTED, reason)),
        Err(_) => Some((u16::from(CloseCode::Policy), "no credentials in time")),
    };
    if let Some((code, reason)) = refused {
        shared.stats.rejected.fetch_add(1, Ordering::SeqCst);
        tracing::info!(reason, "mock broker: rejected a connection");
        conn.close(code, reason).await;
        return;
    }
    shared.stats.accepted.fetch_add(1, Ordering::SeqCst);
    if shared.unresponsive {
        // The socket is neither read nor written from now on: the client's pings go unanswered.
        conn.sender().pause().await;
        while conn.recv().await.is_some() {}
        return;
    }
    feed(&shared, &mut conn).await;
}

/// Pushes the feed's frames at the configured pace until the client goes or `drop_after`
/// frames went out; frames the client sends are read and ignored. Frames handed to this
/// connection that its socket never wrote (the client closed first) go back to the front of the
/// queue, for the next connection: the mock loses no frame of its feed.
async fn feed<O, I>(shared: &Shared, conn: &mut Connection<O, I>)
where
    O: crate::Message,
    I: crate::Message,
{
    let sender = conn.sender();
    shared.stats.sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(sender.written_counter());
    let mut handed = Handed::default();
    feed_frames(shared, conn, &mut handed).await;
    // The socket task has ended once `recv` does: from then on `written` is final.
    while conn.recv().await.is_some() {}
    let never_written = handed.count.saturating_sub(sender.written());
    let skip = handed.recent.len().saturating_sub(never_written);
    let mut pushed = shared.pushed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for frame in handed.recent.into_iter().skip(skip).rev() {
        pushed.push_front(frame);
    }
    drop(pushed);
    if never_written > 0 {
        tracing::debug!(frames = never_written, "mock broker: frames the client did not get go to the next connection");
        shared.push_ready.notify_one();
    }
}

/// The frames one connection was handed: how many, and the latest of them, those not known to
/// be written yet.
#[derive(Default)]
struct Handed {
    count: usize,
    recent: VecDeque<String>,
}

async fn feed_frames<O, I>(shared: &Shared, conn: &mut Connection<O, I>, handed: &mut Handed)
where
    O: crate::Message,
    I: crate::Message,
{
    let sender = conn.sender();
    let mut feeding = !shared.frames.is_empty();
    let mut next_due = Instant::now();
    loop {
        // A pushed frame goes first; one that arrives while this connection waits wakes it.
        let frame = match shared.next_pushed() {
            Some(frame) => frame,
            None => tokio::select! {
                biased;
                item = conn.recv() => {
                    if item.is_none() {
                        return;
                    }
                    continue;
                }
                () = shared.push_ready.notified() => continue,
                () = due(next_due), if feeding => {
                    let Some(frame) = shared.next_frame() else {
                        feeding = false;
                        continue;
                    };
                    next_due = Instant::now() + shared.interval;
                    frame.to_owned()
                }
            },
        };
        handed.count += 1;
        handed.recent.push_back(frame.clone());
        // Forget the frames the socket has written: they reached the client.
        let written = sender.written();
        while handed.recent.len() > handed.count.saturating_sub(written) {
            handed.recent.pop_front();
        }
        if sender.send_text(frame).await.is_err() {
            return;
        }
        if shared.drop_after == Some(handed.count) {
            conn.close(u16::from(CloseCode::Away), "dropped by the mock broker").await;
            return;
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

/// Reads the on-connect messages; the first must be one of the accepted credentials. `Err`: why
/// the connection is refused.
async fn authenticate<A: Api>(
    conn: &mut Connection<A::Outgoing, A::Incoming>,
    shared: &Shared,
) -> Result<(), &'static str> {
    for i in 0..shared.on_connect {
        let message = match conn.recv().await {
            Some(Ok(message)) => message,
            Some(Err(_)) if i == 0 => return Err("the first frame is not a message of the document"),
            Some(Err(_)) => continue,
            None => return Err("closed before the credentials"),
        };
        if i > 0 {
            continue;
        }
        let value = message.to_frame().ok().and_then(|frame| serde_json::from_str::<serde_json::Value>(&frame).ok());
        if !value.is_some_and(|v| shared.accept.contains(&v)) {
            return Err("invalid credentials");
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use std::time::Duration;

    use super::MockBroker;
    use crate::client::{Client, ClientConfig, Event};
    use crate::test_api::{Frame, TestApi};

    const WAIT: Duration = Duration::from_secs(10);

    /// The next message the client receives, skipping lifecycle events.
    async fn next_message(client: &mut Client<TestApi>) -> Frame {
        loop {
            let item = tokio::time::timeout(WAIT, client.recv()).await.expect("an event in time");
            match item.expect("the client runs") {
                Ok(Event::Message(frame)) => return frame,
                Ok(_) => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
    }

    #[tokio::test]
    async fn a_pushed_frame_goes_out_now_and_one_pushed_before_any_connection_waits_for_it() {
        let broker = MockBroker::<TestApi>::builder().without_examples().start().await.expect("the broker starts");
        // Nobody is connected yet: the frame waits for the first accepted connection.
        broker.push(r#"{"kind":"early"}"#);
        let config = ClientConfig::<TestApi>::new(broker.url()).with_on_connect(Frame::Auth("good".into()));
        let mut client = Client::connect(config).expect("valid configuration");
        let Frame::Unknown(early) = next_message(&mut client).await else { panic!("expected the early frame") };
        assert_eq!(early.tag.as_deref(), Some("early"));
        // The feed is empty and the connection idle: a push wakes it.
        broker.push(r#"{"kind":"ping"}"#);
        assert_eq!(next_message(&mut client).await, Frame::Ping);
        assert_eq!(broker.sent(), 2);
        client.shutdown().await;
        broker.shutdown().await;
    }
}
