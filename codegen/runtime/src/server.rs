//! A typed WebSocket server: it accepts connections on a TCP address, decodes every text frame a
//! client sends into the served side's incoming message enum `I`, and hands each connection to
//! an async handler as a [`Connection`], through which the handler receives those messages and
//! sends its outgoing ones (`O`).
//!
//! One task per connection owns the socket: it answers pings, writes what the handler sends, and
//! reads only as fast as the handler takes messages (a bounded buffer), so a slow handler slows
//! its client down instead of growing memory. When the handler returns, the connection is closed
//! (code 1000); when the client goes away, the handler's [`Connection::recv`] returns `None`.
//!
//! The mock broker is one handler of this server; a crate generated for the side of a document
//! that serves (`--role app` on a document that describes a server) names it for its own
//! messages.

use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::{DecodeError, Message};

/// What a connection's handler receives: a decoded message, or why a frame did not decode (the
/// connection stays open).
pub type Received<I> = Result<I, DecodeError>;

/// Why a message could not be sent.
#[derive(Debug)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is closed.
    Closed,
    /// The message could not be serialised.
    Encode(serde_json::Error),
    /// [`Connection::reply`] with a reply whose correlation id is not the request's.
    NotTheReply {
        /// The request's correlation id (`None`: it carries none).
        request: Option<String>,
        /// The reply's.
        reply: Option<String>,
    },
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Closed => f.write_str("the connection is closed"),
            SendError::Encode(e) => write!(f, "could not serialise the message: {e}"),
            SendError::NotTheReply { request, reply } => write!(
                f,
                "the reply's correlation id {reply:?} is not the request's {request:?}; a client would not match them"
            ),
        }
    }
}

impl std::error::Error for SendError {}

/// What a [`Sender`] asks the connection's task to do.
enum Command {
    Text(String),
    Close(u16, String),
    Pause,
}

/// Sends on one connection; cheap to clone, so one task can push while another reads.
pub struct Sender<O> {
    tx: mpsc::Sender<Command>,
    written: Arc<AtomicUsize>,
    out: PhantomData<fn(O)>,
}

impl<O> Clone for Sender<O> {
    fn clone(&self) -> Self {
        Sender { tx: self.tx.clone(), written: self.written.clone(), out: PhantomData }
    }
}

impl<O> Sender<O> {
    /// How many text frames of this connection were written to its socket so far. A send
    /// returns once the frame is queued for the connection's task; one queued when the client
    /// closed the connection is never written, and is not counted here.
    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// The counter behind [`Sender::written`], for the mock broker's totals.
    #[cfg(feature = "mock")]
    pub(crate) fn written_counter(&self) -> Arc<AtomicUsize> {
        self.written.clone()
    }
}

impl<O> std::fmt::Debug for Sender<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("closed", &self.tx.is_closed()).finish()
    }
}

impl<O: Message> Sender<O> {
    /// Sends `message` as one text frame; waits while the connection's buffer is full.
    pub async fn send(&self, message: impl Into<O>) -> Result<(), SendError> {
        let frame = message.into().to_frame().map_err(SendError::Encode)?;
        self.send_text(frame).await
    }

    /// Sends `text` as it is, valid or not: for tests, and for relays that forward frames.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), SendError> {
        self.tx.send(Command::Text(text.into())).await.map_err(|_| SendError::Closed)
    }

    /// Closes the connection with `code` and `reason`, after what was sent before.
    pub async fn close(&self, code: u16, reason: impl Into<String>) {
        let _ = self.tx.send(Command::Close(code, reason.into())).await;
    }

    /// Stops reading and writing the connection until it is closed from this side or by
    /// [`Server::drop_connections`]: to its client it looks like a peer that died (its pings go
    /// unanswered). For testing clients.
    pub async fn pause(&self) {
        let _ = self.tx.send(Command::Pause).await;
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// One client's connection, as its handler sees it.
pub struct Connection<I, O> {
    peer: SocketAddr,
    path: String,
    incoming: mpsc::Receiver<Received<I>>,
    sender: Sender<O>,
}

impl<I, O> std::fmt::Debug for Connection<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("peer", &self.peer).field("path", &self.path).finish_non_exhaustive()
    }
}

impl<I: Message, O: Message> Connection<I, O> {
    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The path (and query) of the handshake request, such as `/ws?token=...`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The next message from the client; `None` once the client has gone.
    pub async fn recv(&mut self) -> Option<Received<I>> {
        self.incoming.recv().await
    }

    /// Sends `message` to the client; waits while the connection's buffer is full.
    pub async fn send(&self, message: impl Into<O>) -> Result<(), SendError> {
        self.sender.send(message).await
    }

    /// Answers `request` with `reply`, which must carry the request's correlation id (the
    /// document's `correlationId`), since that is how the client pairs them.
    pub async fn reply(&self, request: &I, reply: impl Into<O>) -> Result<(), SendError> {
        let reply = reply.into();
        let (request, answer) = (request.correlation_id(), reply.correlation_id());
        if request.is_none() || request != answer {
            return Err(SendError::NotTheReply { request, reply: answer });
        }
        self.sender.send(reply).await
    }

    /// A handle that sends on this connection from elsewhere (another task).
    pub fn sender(&self) -> Sender<O> {
        self.sender.clone()
    }

    /// Closes the connection with `code` and `reason`.
    pub async fn close(&self, code: u16, reason: impl Into<String>) {
        self.sender.close(code, reason).await;
    }
}

/// Settings for a [`Server`].
pub struct ServerBuilder<I, O> {
    buffer: usize,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O> std::fmt::Debug for ServerBuilder<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder").field("buffer", &self.buffer).finish()
    }
}

impl<I: Message, O: Message> ServerBuilder<I, O> {
    /// How many messages may wait, per connection and direction, for the handler or the socket
    /// (default 64).
    pub fn buffer(mut self, messages: usize) -> Self {
        self.buffer = messages.max(1);
        self
    }

    /// Listens on `addr` (port 0: a free port) and serves every connection with `handler`.
    pub async fn serve<F, Fut>(self, addr: SocketAddr, handler: F) -> io::Result<Server<I, O>>
    where
        F: Fn(Connection<I, O>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let (drops, drops_rx) = watch::channel(0u64);
        let handler = Arc::new(handler);
        let links = Links { stop: stop_rx, drops: drops_rx, buffer: self.buffer };
        let task = tokio::spawn(accept_loop(listener, handler, links));
        tracing::info!(%addr, "server listening");
        Ok(Server { addr, stop, drops, task: Some(task), types: PhantomData })
    }
}

/// A running server. Dropping it stops it; [`Server::shutdown`] also waits for its connections
/// to close.
pub struct Server<I, O> {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    drops: watch::Sender<u64>,
    task: Option<JoinHandle<()>>,
    types: PhantomData<fn(I) -> O>,
}

impl<I, O> std::fmt::Debug for Server<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl<I: Message, O: Message> Server<I, O> {
    /// A server with the default settings.
    pub fn builder() -> ServerBuilder<I, O> {
        ServerBuilder { buffer: 64, types: PhantomData }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://<addr>/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Closes every open connection now (code 1001, going away); new connections are served as
    /// usual.
    pub fn drop_connections(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// Stops listening, closes every connection (code 1001), and waits until they are closed.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl<I, O> Drop for Server<I, O> {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// What every connection task watches.
#[derive(Clone)]
struct Links {
    stop: watch::Receiver<bool>,
    drops: watch::Receiver<u64>,
    buffer: usize,
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn accept_loop<I, O, F, Fut>(listener: TcpListener, handler: Arc<F>, mut links: Links)
where
    I: Message,
    O: Message,
    F: Fn(Connection<I, O>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut links.stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "server: new connection");
                    connections.spawn(serve_one(stream, peer, Arc::clone(&handler), links.clone()));
                }
                Err(e) => tracing::warn!(error = %e, "server: accept failed"),
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// The handshake, then the connection's socket task alongside its handler.
async fn serve_one<I, O, F, Fut>(stream: TcpStream, peer: SocketAddr, handler: Arc<F>, links: Links)
where
    I: Message,
    O: Message,
    F: Fn(Connection<I, O>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut path = String::from("/");
    // The callback's error type is tungstenite's, whatever its size.
    #[allow(clippy::result_large_err)]
    let callback = |request: &tokio_tungstenite::tungstenite::handshake::server::Request, response| {
        path = request.uri().path_and_query().map_or_else(|| "/".to_owned(), ToString::to_string);
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { return };
    let (in_tx, incoming) = mpsc::channel(links.buffer);
    let (out_tx, commands) = mpsc::channel(links.buffer);
    let written = Arc::new(AtomicUsize::new(0));
    let sender = Sender { tx: out_tx, written: written.clone(), out: PhantomData };
    let connection = Connection { peer, path, incoming, sender };
    let handling = tokio::spawn(handler(connection));
    socket_task::<I>(ws, in_tx, commands, links, &written).await;
    // The client is gone or the server stops: the handler sees `recv` end, and its sends fail.
    let _ = handling.await;
}

/// Where a connection's socket task is.
enum State<I> {
    /// Reading frames for the handler.
    Reading,
    /// A decoded frame waits for room in the handler's buffer (the socket is not read meanwhile).
    Holding(Received<I>),
    /// The handler stopped taking messages; frames are read (for pings and the close) and dropped.
    Draining,
}

async fn socket_task<I: Message>(
    mut ws: WebSocketStream<TcpStream>,
    in_tx: mpsc::Sender<Received<I>>,
    mut commands: mpsc::Receiver<Command>,
    mut links: Links,
    written: &AtomicUsize,
) {
    links.drops.mark_unchanged();
    let mut state = State::Reading;
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut links.stop) => {
                flush_sent(&mut ws, &mut commands, written).await;
                return close(&mut ws, CloseCode::Away, "server shutting down").await;
            }
            changed = links.drops.changed() => {
                if changed.is_ok() {
                    flush_sent(&mut ws, &mut commands, written).await;
                    close(&mut ws, CloseCode::Away, "dropped by the server").await;
                }
                return;
            }
            command = commands.recv() => match command {
                Some(Command::Text(text)) => {
                    if ws.send(WsMessage::text(text)).await.is_err() {
                        return;
                    }
                    written.fetch_add(1, Ordering::SeqCst);
                }
                Some(Command::Close(code, reason)) => return close(&mut ws, CloseCode::from(code), &reason).await,
                Some(Command::Pause) => return paused(&mut links).await,
                // The handler has finished and dropped every sender.
                None => return close(&mut ws, CloseCode::Normal, "").await,
            },
            permit = in_tx.reserve(), if matches!(state, State::Holding(_)) => {
                let State::Holding(item) = std::mem::replace(&mut state, State::Reading) else { continue };
                match permit {
                    Ok(permit) => permit.send(item),
                    Err(_) => state = State::Draining,
                }
            }
            frame = ws.next(), if !matches!(state, State::Holding(_)) => {
                let item = match frame {
                    Some(Ok(WsMessage::Text(text))) => I::decode(text.as_str()),
                    Some(Ok(WsMessage::Binary(bytes))) => crate::webhook::decode(&bytes),
                    // Pings are answered by tungstenite on the next read or write.
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => continue,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                        let _ = tokio::time::timeout(Duration::from_secs(2), ws.flush()).await;
                        return;
                    }
                };
                if matches!(state, State::Reading) {
                    state = State::Holding(item);
                }
            }
        }
    }
}

/// Writes what the handler has already sent, so that nothing it sent is lost when the server
/// closes the connection.
async fn flush_sent(
    ws: &mut WebSocketStream<TcpStream>,
    commands: &mut mpsc::Receiver<Command>,
    written: &AtomicUsize,
) {
    let mut fed = 0;
    while let Ok(Command::Text(text)) = commands.try_recv() {
        if ws.feed(WsMessage::text(text)).await.is_err() {
            return;
        }
        fed += 1;
    }
    if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(2), ws.flush()).await {
        written.fetch_add(fed, Ordering::SeqCst);
    }
}

/// Neither reads nor writes until the server stops or drops its connections.
async fn paused(links: &mut Links) {
    tokio::select! {
        () = stopped(&mut links.stop) => {}
        _ = links.drops.changed() => {}
    }
}

/// Sends a close frame and waits briefly for the client's answer.
async fn close(ws: &mut WebSocketStream<TcpStream>, code: CloseCode, reason: &str) {
    let handshake = async {
        if ws.close(Some(CloseFrame { code, reason: reason.to_owned().into() })).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), handshake).await;
}
