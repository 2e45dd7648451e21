//! The WebSocket client: one connection to a server of the API, the on-connect messages (usually
//! the credentials) sent first on every new socket, then every received frame decoded into the
//! API's incoming message enum, delivered as a [`futures_util::Stream`] of [`Event`]s or to a
//! handler through [`Client::run`].
//!
//! Keep-alive pings, reconnects with exponential backoff and jitter, and the lifecycle events
//! (`Connected`, `Disconnected`, `Reconnecting`) are handled here; a server that rejects the
//! credentials stops the client with [`Error::Rejected`] instead of a retry loop (after one
//! fresh try when an on-connect provider can renew them).
//!
//! Invariants: nothing the network sends can panic this module; the on-connect messages never
//! appear in `Debug` output or logs (they are logged by name only); the background task ends when
//! the [`Client`] is shut down or dropped.

mod config;
mod error;
pub(crate) mod handoff;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::stream::Stream;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

pub use config::{ClientConfig, Connect, ProvideError};
pub use error::Error;

use crate::{Api, Dispatch, Message};
use config::shown_url;
use handoff::Handed;

/// What the client reports, in the order it happened.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event<M> {
    /// A socket is open and the on-connect messages are sent.
    Connected,
    /// A message from the server.
    Message(M),
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

/// A running connection: a [`Stream`] of [`Event`]s, or a source for [`Client::run`].
///
/// A background task owns the socket. It hands events to the consumer through a bounded buffer
/// ([`ClientConfig::with_buffer`]), in batches: the frames one read of the socket yielded go
/// over together, so that a burst costs one wake-up of the consumer. A frame is decoded when the
/// consumer takes it ([`Client::recv`], the stream, [`Client::run`]), on the consumer's thread;
/// the background task decodes only until a frame proves the credentials good and while a
/// [`Client::request`] waits for its reply. **Backpressure policy:** when the buffer is full, the task
/// stops reading the socket until the consumer takes an event, so the server's frames wait in
/// the kernel's TCP buffers and then the server's send queue; no event is dropped and memory
/// stays bounded. While the task waits for the consumer it sends no pings, and the pong deadline
/// counts only while it waits for the socket, so a slow consumer does not make a healthy socket
/// look dead. A real-time server may drop a client that stays behind for long; the client then
/// reconnects.
///
/// Dropping the `Client` stops the task as well; [`Client::shutdown`] also waits for the close
/// handshake.
pub struct Client<A: Api> {
    events: handoff::Receiver<ToConsumer<A>>,
    stop: watch::Sender<bool>,
    closing: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    commands: mpsc::Sender<Command>,
    pending: Pending<A>,
    request_timeout: Duration,
}

type Item<A> = Result<Event<<A as Api>::Incoming>, Error>;

/// A message for the background task to write, and where to say whether it was written.
struct Command {
    frame: String,
    name: &'static str,
    written: oneshot::Sender<Result<(), Error>>,
}

/// Requests waiting for their reply, by correlation id.
type Pending<A> = Arc<Mutex<HashMap<String, oneshot::Sender<<A as Api>::Incoming>>>>;

/// How many [`Client::send`] calls may wait for the socket (while reconnecting, say).
const COMMAND_QUEUE: usize = 64;

impl<A: Api> std::fmt::Debug for Client<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("buffered", &self.events.len()).finish_non_exhaustive()
    }
}

/// The name of a message in logs and errors.
fn name_of<M: Message>(message: &M) -> &'static str {
    message.kind().map_or("unknown", crate::MessageKind::name)
}

impl<A: Api> Client<A> {
    /// Starts connecting in the background and returns at once. Needs a Tokio runtime with the
    /// IO and time drivers enabled (as `#[tokio::main]` and `#[tokio::test]` give).
    pub fn connect(config: ClientConfig<A>) -> Result<Client<A>, Error> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("`Client::connect` must be called inside a Tokio runtime".into()))?;
        let (tx, events) = handoff::channel(config.buffer);
        let (stop, stop_rx) = watch::channel(false);
        let (closing, closing_rx) = watch::channel(false);
        let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let pending = Pending::<A>::default();
        let request_timeout = config.request_timeout;
        let link = Link { tx, stop: stop_rx, closing: closing_rx, commands: commands_rx, pending: pending.clone() };
        let task = runtime.spawn(drive(config, link));
        Ok(Client { events, stop, closing, task: Some(task), commands, pending, request_timeout })
    }

    /// Sends `message` on the open connection. While the client reconnects, the message waits
    /// (with up to 63 others) and goes out on the next connection, after the on-connect
    /// messages. Returns once the frame is written to the socket.
    pub async fn send(&self, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let frame = message.to_frame().map_err(Error::Encode)?;
        let (written, done) = oneshot::channel();
        let command = Command { frame, name: name_of(&message), written };
        self.commands.send(command).await.map_err(|_| Error::Stopped)?;
        done.await.map_err(|_| Error::Stopped)?
    }

    /// Sends `message` and waits for the received message that carries the same correlation id
    /// (the document's `correlationId`), which is returned instead of being delivered to the
    /// stream. Fails with [`Error::NoCorrelationId`] for a message without one and
    /// [`Error::ReplyTimeout`] after the request timeout.
    pub async fn request(&self, message: impl Into<A::Outgoing>) -> Result<A::Incoming, Error> {
        let message = message.into();
        let name = name_of(&message);
        let id = message.correlation_id().ok_or(Error::NoCorrelationId { message: name })?;
        let (reply_tx, reply) = oneshot::channel();
        lock::<A>(&self.pending).insert(id.clone(), reply_tx);
        let outcome = async {
            self.send(message).await?;
            match tokio::time::timeout(self.request_timeout, reply).await {
                Ok(Ok(incoming)) => Ok(incoming),
                Ok(Err(_)) => Err(Error::Stopped),
                Err(_) => Err(Error::ReplyTimeout { message: name, after: self.request_timeout }),
            }
        }
        .await;
        lock::<A>(&self.pending).remove(&id);
        outcome
    }

    /// [`request`](Self::request), then `reply` takes the reply messages the document declares
    /// out of the enum (or gives the message back when another arrived); `expected` names them
    /// for the error. The typed `request_<message>` methods of a generated crate are written
    /// with it.
    #[doc(hidden)]
    pub async fn request_reply<R>(
        &self,
        message: A::Outgoing,
        expected: &'static str,
        reply: fn(A::Incoming) -> Result<R, A::Incoming>,
    ) -> Result<R, Error> {
        let answer = self.request(message).await?;
        reply(answer).map_err(|other| Error::UnexpectedReply { expected, got: name_of(&other) })
    }

    /// The next event; `None` once the client has stopped and every event was taken.
    pub async fn recv(&mut self) -> Option<Item<A>> {
        self.events.recv().await.map(taken::<A>)
    }

    /// How many events wait in the buffer.
    pub fn buffered(&self) -> usize {
        self.events.len()
    }

    /// Hands every message to `handler` until the client stops. Lifecycle events and frames
    /// that cannot be decoded are logged (with `tracing`) and skipped. Returns the error that
    /// stopped the client, or `Ok(())` after a shutdown.
    pub async fn run<H: ?Sized>(&mut self, handler: &mut H) -> Result<(), Error>
    where
        A::Incoming: Dispatch<H>,
    {
        while let Some(item) = self.recv().await {
            match item {
                Ok(Event::Message(message)) => message.dispatch(handler),
                // The background task has logged the lifecycle event already.
                Ok(event) => tracing::debug!(?event, "connection event"),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "skipped a frame"),
            }
        }
        Ok(())
    }

    /// Ends the connection without losing what the server already sent: the client sends a
    /// close frame and keeps delivering the frames that arrive until the server answers it (or
    /// the close timeout passes), and does not reconnect. Keep calling [`Client::recv`]: it
    /// returns every event still buffered, then `None`. (A client that is reconnecting stops at
    /// once.) [`Client::shutdown`], by contrast, drops what is buffered.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    /// Sends a close frame, waits (up to the close timeout) for the server to answer, and ends
    /// the background task. Events not taken yet are dropped; see [`Client::close`].
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl<A: Api> Stream for Client<A> {
    type Item = Item<A>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx).map(|handed| handed.map(taken::<A>))
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The background task's ends of the channels to the [`Client`].
struct Link<A: Api> {
    tx: handoff::Sender<ToConsumer<A>>,
    stop: watch::Receiver<bool>,
    closing: watch::Receiver<bool>,
    commands: mpsc::Receiver<Command>,
    pending: Pending<A>,
}

/// The pending-request map; a poisoned lock (a panic elsewhere) still holds usable data.
fn lock<A: Api>(pending: &Pending<A>) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<A::Incoming>>> {
    pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Hands `message` to the request waiting for it, if any; gives it back otherwise.
fn answer<A: Api>(pending: &Pending<A>, message: A::Incoming) -> Option<A::Incoming> {
    if lock::<A>(pending).is_empty() {
        return Some(message);
    }
    let Some(id) = message.correlation_id() else { return Some(message) };
    let waiting = lock::<A>(pending).remove(&id);
    match waiting {
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
/// Resolves once `stop` says so (or its sender is gone). The broker clients share it.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// The background task: connect, run, reconnect, until told to stop or stopped by an error.
async fn drive<A: Api>(config: ClientConfig<A>, link: Link<A>) {
    let mut link = link;
    let mut backoff = config.backoff();
    let mut attempt = 0;
    let mut why = Connect::First;
    loop {
        let end = session(&config, why, &mut link).await;
        let Link { tx, stop, closing, .. } = &mut link;
        let (reason, healthy) = match end {
            End::Stopped => return,
            End::Lost { .. } | End::Fatal(_) if *closing.borrow() => return,
            // Credentials that a provider can renew get one fresh try, at once.
            End::Fatal(Error::Rejected { reason, .. })
                if config.on_connect.is_provider() && why != Connect::Rejected =>
            {
                tracing::warn!(%reason, "credentials rejected; asking the provider for fresh ones");
                why = Connect::Rejected;
                let reason = format!("the server rejected the credentials ({reason}); renewing them");
                if !tx.send(stop, Handed::item(Ok(Event::Disconnected { reason }))).await {
                    return;
                }
                continue;
            }
            End::Fatal(error) => {
                tracing::error!(%error, "client stopped");
                tx.send(stop, Handed::item(Err(error))).await;
                return;
            }
            End::Lost { reason, healthy } => (reason, healthy),
        };
        tracing::warn!(%reason, "disconnected");
        if healthy {
            backoff = config.backoff();
            attempt = 0;
        }
        // Credentials renewed after a rejection stay under suspicion until a connection proves
        // them good.
        if healthy || why != Connect::Rejected {
            why = Connect::Reconnect;
        }
        let last = reason.clone();
        if !tx.send(stop, Handed::item(Ok(Event::Disconnected { reason }))).await {
            return;
        }
        let Some(delay) = backoff.next() else {
            tx.send(stop, Handed::item(Err(Error::GaveUp { attempts: attempt, last }))).await;
            return;
        };
        let delay = delay.min(config.max_backoff);
        attempt += 1;
        tracing::info!(attempt, ?delay, "reconnecting");
        if !tx.send(stop, Handed::item(Ok(Event::Reconnecting { attempt, delay }))).await {
            return;
        }
        tokio::select! {
            biased;
            () = stopped(stop) => return,
            () = stopped(closing) => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

/// TLS for a `wss:` URL, trusting whom the configuration says.
fn connector(url: &str, trust: &crate::tls::Trust) -> Result<Connector, Error> {
    if !url.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("wss:")) {
        return Ok(Connector::Plain);
    }
    let tls = trust.client_config().map_err(Error::Config)?;
    Ok(Connector::Rustls(tls))
}

/// The on-connect messages for one new connection, checked against the document.
async fn on_connect_messages<A: Api>(
    config: &ClientConfig<A>,
    why: Connect,
    stop: &mut watch::Receiver<bool>,
) -> Result<Vec<A::Outgoing>, End> {
    let provided = tokio::select! {
        biased;
        () = stopped(stop) => return Err(End::Stopped),
        provided = config.on_connect.messages(why) => provided,
    };
    match provided {
        Ok(messages) => {
            config::check_on_connect::<A>(&messages).map_err(End::Fatal)?;
            Ok(messages)
        }
        Err(e) if e.retry => Err(End::Lost { reason: format!("could not get the credentials: {e}"), healthy: false }),
        Err(e) => Err(End::Fatal(Error::Credentials(e.reason))),
    }
}

/// One connection: handshake, on-connect messages, then frames until it ends.
async fn session<A: Api>(config: &ClientConfig<A>, why: Connect, link: &mut Link<A>) -> End {
    let (request, connector) = match (config.request(), connector(&config.url, &config.trust)) {
        (Ok(request), Ok(connector)) => (request, connector),
        (Err(e), _) | (_, Err(e)) => return End::Fatal(e),
    };
    let on_connect = match on_connect_messages(config, why, &mut link.stop).await {
        Ok(messages) => messages,
        Err(end) => return end,
    };
    let connecting = tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
    let connected = tokio::select! {
        biased;
        () = stopped(&mut link.stop) => return End::Stopped,
        () = stopped(&mut link.closing) => return End::Stopped,
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
    for message in &on_connect {
        let frame = match message.to_frame() {
            Ok(frame) => frame,
            Err(e) => return End::Fatal(Error::Encode(e)),
        };
        if let Err(e) = ws.send(WsMessage::text(frame)).await {
            return End::Lost { reason: format!("could not send `{}`: {e}", name_of(message)), healthy: false };
        }
        tracing::debug!(message = name_of(message), "sent on-connect message");
    }
    tracing::info!(url = shown_url(&config.url), "connected");
    if !link.tx.send(&mut link.stop, Handed::item(Ok(Event::Connected))).await {
        close(&mut ws, config.close_timeout).await;
        return End::Stopped;
    }
    let sent_credentials = !on_connect.is_empty();
    let end = read_loop(&mut ws, config, sent_credentials, link).await;
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

/// What the background task hands to the consumer: an event, or the text of a frame for the
/// consumer to decode when it takes it ([`Handed`] says why). The background task still decodes
/// while it must know what a frame is: until a frame proves the credentials good, and while a
/// request waits for its reply.
type ToConsumer<A> = Handed<Item<A>, Utf8Bytes>;

/// The event of what the background task handed over.
fn taken<A: Api>(handed: ToConsumer<A>) -> Item<A> {
    handed.into_item(|text| decode_frame::<A>(&text))
}

/// The event a text frame becomes.
fn decode_frame<A: Api>(text: &str) -> Item<A> {
    A::Incoming::decode(text).map(Event::Message).map_err(|e| {
        tracing::debug!(error = %e, "frame could not be decoded");
        Error::Decode(e)
    })
}

/// The text of a data frame: `None` for a control frame, an error for binary that is not UTF-8.
fn frame_text(frame: WsMessage) -> Option<Result<Utf8Bytes, Error>> {
    match frame {
        WsMessage::Text(text) => Some(Ok(text)),
        WsMessage::Binary(bytes) => {
            let len = bytes.len();
            Some(Utf8Bytes::try_from(bytes).map_err(|_| Error::Binary { len }))
        }
        _ => None,
    }
}

/// Reads frames until the connection ends, then hands over the events of the last batch (also
/// after a close or a failure: what arrived before it is delivered; only a shutdown drops it).
async fn read_loop<A: Api>(
    ws: &mut Socket,
    config: &ClientConfig<A>,
    sent_credentials: bool,
    link: &mut Link<A>,
) -> End {
    let end = read_frames(ws, config, sent_credentials, link).await;
    if !link.tx.flush(&mut link.stop).await {
        return End::Stopped;
    }
    end
}

async fn read_frames<A: Api>(
    ws: &mut Socket,
    config: &ClientConfig<A>,
    sent_credentials: bool,
    link: &mut Link<A>,
) -> End {
    let Link { tx, stop, closing, commands, pending } = link;
    // Once `close` was asked for: when the server must have answered the close frame by.
    let mut close_due: Option<Instant> = None;
    let mut seen = Seen { since: Instant::now(), any_message: false, sent_credentials };
    let mut ping = tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut pong_due: Option<Instant> = None;
    loop {
        // A frame the socket has ready joins the open batch; the batch goes to the consumer as
        // soon as the socket has none (or it is full), before the task waits for anything.
        let ready = if tx.is_empty() || tx.is_full() { None } else { ws.next().now_or_never() };
        let frame = match ready {
            Some(frame) => frame,
            None => {
                if !tx.flush(stop).await {
                    return End::Stopped;
                }
                tokio::select! {
                    biased;
                    () = stopped(stop) => return End::Stopped,
                    () = stopped(closing), if close_due.is_none() => {
                        // Frames the server sent before it reads the close frame still arrive,
                        // and are delivered; its answer ends the connection.
                        let frame = CloseFrame { code: CloseCode::Normal, reason: "client closing".into() };
                        if ws.close(Some(frame)).await.is_err() {
                            return End::Stopped;
                        }
                        close_due = Some(Instant::now() + config.close_timeout);
                        continue;
                    }
                    () = tokio::time::sleep_until(close_due.unwrap_or_else(Instant::now)), if close_due.is_some() => {
                        tracing::debug!("the server did not answer the close frame in time");
                        return End::Stopped;
                    }
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
                }
            }
        };
        let text = match frame {
            Some(Ok(WsMessage::Pong(_))) => {
                pong_due = None;
                continue;
            }
            Some(Ok(WsMessage::Close(frame))) => return seen.closed(frame.as_ref(), config.rejection_window),
            // Pings are answered by tungstenite itself on the next read or write.
            Some(Ok(data)) => match frame_text(data) {
                Some(text) => text,
                None => continue,
            },
            None
            | Some(Err(
                tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake),
            )) => return seen.closed(None, config.rejection_window),
            Some(Err(e)) => return End::Lost { reason: format!("connection failed: {e}"), healthy: seen.any_message },
        };
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                tracing::debug!(error = %e, "frame could not be decoded");
                tx.push(Handed::item(Err(e)));
                continue;
            }
        };
        if seen.any_message && lock::<A>(pending).is_empty() {
            tx.push(Handed::Read(text));
            continue;
        }
        let item = decode_frame::<A>(&text);
        // Only a frame that decodes proves the credentials were accepted: a server may answer
        // bad ones with an error frame before it closes.
        seen.any_message |= item.is_ok();
        // A reply to a pending request goes to the request, not to the stream.
        let item = match item {
            Ok(Event::Message(message)) => match answer::<A>(pending, message) {
                Some(message) => Ok(Event::Message(message)),
                None => continue,
            },
            other => other,
        };
        tx.push(Handed::item(item));
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
