//! The NATS client (feature `nats`): one connection to a NATS server over `async-nats`, a
//! subscription on every channel the generated side receives, each message decoded by the
//! subject it arrived on, and sends to the subject of the message's channel.
//!
//! On NATS the channel is the subject, not a field of the message: a channel address's
//! parameters (`fleet.{vehicleId}.status`) become `*` wildcards in the subscription, and a
//! received message is routed by its subject first ([`Message::decode_at`]), then by its tag where
//! a channel carries several messages. The generated `<Channel>Params::parse` reads the typed
//! parameter values back out of [`Received::subject`]. A channel whose received operation has a
//! NATS `queue` binding is subscribed in that queue group, so that the group's members share its
//! messages.
//!
//! [`NatsClient::connect`] returns once the first connection is up and the server has every
//! subscription (it echoed a message sent after them) (retrying with backoff until then); afterwards `async-nats`
//! reconnects by itself, with this client's backoff, and subscribes again. Lifecycle events
//! ([`Event::Disconnected`], [`Event::Reconnecting`], [`Event::Connected`]) come in the same
//! stream as the messages; credentials are never shown by `Debug` or written to logs.
//!
//! Messages keep their order within a channel's subscription; the subscriptions of one client are
//! read side by side, so messages on two channels may arrive in another order than they were sent.
//!
//! **Backpressure and loss.** The event buffer is bounded: when it is full the client stops
//! taking messages from its subscriptions. Core NATS delivers at most once, so a subscription
//! that then falls further behind than its capacity loses messages at the client or the server:
//! that is never silent, it arrives as [`Event::SlowConsumer`]. Where no message may be lost, use
//! JetStream.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::broker;
pub use crate::client::Error;
use crate::client::handoff::{self, Handed};
use crate::client::stopped;
use crate::tls::Trust;
use crate::{Api, DecodeError, Message, MessageKind, Server};

/// What the client reports, in the order it happened.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<M> {
    /// The connection is up and every subscription is registered with the server: from now on
    /// nothing published on them is missed (unless the consumer falls behind, see
    /// [`Event::SlowConsumer`]).
    Connected,
    /// A message on one of the subscribed subjects.
    Message(Received<M>),
    /// A message that arrived on a subscribed subject but could not be decoded, kept whole.
    Undecodable {
        /// The subject it arrived on.
        subject: String,
        /// Its payload, as received.
        payload: Vec<u8>,
        /// Why it could not be decoded.
        error: DecodeError,
    },
    /// The connection was lost; a reconnect follows.
    Disconnected {
        /// What happened, for people.
        reason: String,
    },
    /// The client waits `delay` before reconnect attempt number `attempt` (counted from 1 since
    /// the last healthy connection).
    Reconnecting {
        /// The attempt about to be made.
        attempt: usize,
        /// How long the client waits before it.
        delay: Duration,
    },
    /// Messages were lost because this consumer fell behind: its subscription's buffer was full
    /// (core NATS does not wait for slow consumers).
    SlowConsumer {
        /// What the client or the server reported.
        reason: String,
    },
}

/// A decoded message and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Received<M> {
    /// The subject it arrived on; the channel's `<Channel>Params::parse` gives its parameters.
    pub subject: String,
    /// The message.
    pub message: M,
    /// The NATS headers it carried, name and value; the values of one name in the order
    /// received, the names in no particular order (async-nats keeps them in a hash map).
    pub headers: Vec<(String, String)>,
}

impl<M> Received<M> {
    /// The headers as the message's typed `<Message>Headers` (named in the docs of its
    /// `Incoming` variant): the first value of each name counts, numbers and booleans are read
    /// from their text.
    pub fn headers_as<H: serde::de::DeserializeOwned>(&self) -> Result<H, DecodeError> {
        crate::headers::headers_from(&self.headers)
    }

    /// The headers typed by the message's own `headers` schema: the generated
    /// `IncomingHeaders` variant of the message; `None` for a message that declares none.
    pub fn typed_headers(&self) -> Result<Option<M::Headers>, DecodeError>
    where
        M: Message,
    {
        self.message.headers(&self.headers)
    }
}

/// How the client proves who it is.
#[derive(Clone)]
enum Auth {
    UserPassword(String, String),
    Token(String),
}

/// How to reach the server and how to behave on the connection.
///
/// `Debug` shows the server's address and the user name, never a password or token.
pub struct NatsConfig<A: Api> {
    host: String,
    port: u16,
    tls: bool,
    trust: Trust,
    url_error: Option<String>,
    name: Option<String>,
    auth: Option<Auth>,
    buffer: usize,
    subscription_capacity: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    max_reconnects: Option<usize>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for NatsConfig<A> {
    fn clone(&self) -> Self {
        NatsConfig {
            host: self.host.clone(),
            trust: self.trust.clone(),
            url_error: self.url_error.clone(),
            name: self.name.clone(),
            auth: self.auth.clone(),
            api: PhantomData,
            ..*self
        }
    }
}

impl<A: Api> fmt::Debug for NatsConfig<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = match &self.auth {
            Some(Auth::UserPassword(user, _)) => Some(user.as_str()),
            Some(Auth::Token(_)) => Some("(token)"),
            None => None,
        };
        f.debug_struct("NatsConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls.then_some(&self.trust))
            .field("name", &self.name)
            .field("user", &user)
            .field("buffer", &self.buffer)
            .finish_non_exhaustive()
    }
}

impl<A: Api> NatsConfig<A> {
    /// Connects to `url`: `nats://host[:port]` (port 4222 by default), which upgrades to TLS
    /// when the server asks for it, or `tls://host[:port]`, which requires TLS. TLS trusts the
    /// public certificate authorities unless
    /// [`with_ca_certificates`](Self::with_ca_certificates) or
    /// [`with_tls_config`](Self::with_tls_config) say otherwise. A malformed URL is reported by
    /// [`NatsClient::connect`].
    pub fn new(url: &str) -> Self {
        let (endpoint, url_error) = match broker::parse_url(url, broker::NATS_SCHEMES) {
            Ok(endpoint) => (endpoint, None),
            Err(e) => (broker::Endpoint { host: String::new(), port: 4222, tls: false }, Some(e)),
        };
        NatsConfig {
            host: endpoint.host,
            port: endpoint.port,
            tls: endpoint.tls,
            trust: Trust::default(),
            url_error,
            name: None,
            auth: None,
            buffer: 1024,
            subscription_capacity: 65_536,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            max_reconnects: None,
            api: PhantomData,
        }
    }

    /// Connects to `server`.
    pub fn from_server(server: &Server) -> Self {
        NatsConfig::new(server.url)
    }

    /// The connection's name, shown by the server's monitoring.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Trusts only the certificate authorities in `pem` (PEM text, one or more
    /// `BEGIN CERTIFICATE` sections) for the server's certificate: a server with a private CA.
    /// Certificates that cannot be read are reported by [`NatsClient::connect`].
    pub fn with_ca_certificates(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.trust = Trust::Pem(pem.as_ref().into());
        self
    }

    /// Requires TLS, configured by the application (client certificates, for instance),
    /// whatever the URL's scheme.
    pub fn with_tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.trust = Trust::Config(config);
        self.tls = true;
        self
    }

    /// Authenticates with a user name and password.
    pub fn with_credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::UserPassword(user.into(), password.into()));
        self
    }

    /// Authenticates with a token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Token(token.into()));
        self
    }

    /// How many events wait for the consumer before the client stops taking messages from its
    /// subscriptions (default 1,024).
    pub fn with_buffer(mut self, capacity: usize) -> Self {
        self.buffer = capacity;
        self
    }

    /// How many messages each subscription holds for the client before NATS reports a slow
    /// consumer and drops (default 65,536).
    pub fn with_subscription_capacity(mut self, capacity: usize) -> Self {
        self.subscription_capacity = capacity;
        self
    }

    /// The shortest and longest wait between reconnect attempts (default 200 ms and 30 s).
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// Gives up after this many failed attempts in a row (default: never).
    pub fn with_max_reconnects(mut self, attempts: Option<usize>) -> Self {
        self.max_reconnects = attempts;
        self
    }

    fn validate(&self) -> Result<(), Error> {
        if let Some(e) = &self.url_error {
            return Err(Error::Config(e.clone()));
        }
        if self.buffer == 0 || self.subscription_capacity == 0 {
            return Err(Error::Config("the event buffer and subscriptions need room for at least one message".into()));
        }
        if self.min_backoff > self.max_backoff {
            return Err(Error::Config("the shortest backoff is longer than the longest".into()));
        }
        self.trust.client_config().map_err(Error::Config)?;
        Ok(())
    }

    fn url(&self) -> String {
        let scheme = if self.tls { "tls" } else { "nats" };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// The options of one connection attempt; lifecycle events go to `lifecycle`. Until `up` is
    /// set (the first connection is up), `async-nats`'s attempts are `connect`'s own: no delay,
    /// no report.
    fn options(&self, lifecycle: mpsc::Sender<Lifecycle>, up: Arc<AtomicBool>) -> async_nats::ConnectOptions {
        let mut options = match &self.auth {
            Some(Auth::UserPassword(user, password)) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            Some(Auth::Token(token)) => async_nats::ConnectOptions::with_token(token.clone()),
            None => async_nats::ConnectOptions::new(),
        };
        if let Some(name) = &self.name {
            options = options.name(name);
        }
        // Checked by `validate`; the same trust also serves a `nats://` server that asks for TLS.
        if let Ok(tls) = self.trust.client_config() {
            options = options.tls_client_config(rustls::ClientConfig::clone(&tls)).require_tls(self.tls);
        }
        let (min, max) = (self.min_backoff, self.max_backoff);
        let delays = lifecycle.clone();
        options
            .subscription_capacity(self.subscription_capacity)
            .max_reconnects(self.max_reconnects)
            .reconnect_delay_callback(move |attempt| {
                if !up.load(Ordering::Acquire) {
                    return Duration::ZERO;
                }
                // `attempt` counts from 1 since the last connection; the delay is the `attempt`th
                // of a fresh backoff, so that every reconnect run starts short.
                let delay = broker::backoff(min, max, None).nth(attempt.saturating_sub(1)).unwrap_or(max);
                let _ = delays.try_send(Lifecycle::Reconnecting { attempt, delay });
                delay
            })
            .event_callback(move |event| {
                let lifecycle = lifecycle.clone();
                async move {
                    let _ = lifecycle.send(Lifecycle::Nats(event)).await;
                }
            })
    }
}

/// What the connection reports to the client's task.
enum Lifecycle {
    Nats(async_nats::Event),
    Reconnecting { attempt: usize, delay: Duration },
}

type Item<A> = Result<Event<<A as Api>::Incoming>, Error>;

/// A connection to a NATS server: events through [`NatsClient::recv`], sends through
/// [`NatsClient::send`] and [`NatsClient::send_to`].
///
/// A background task hands over what the subscriptions deliver, in batches; a message is decoded
/// when the consumer takes it. Dropping the client stops the task.
pub struct NatsClient<A: Api> {
    client: async_nats::Client,
    events: handoff::Receiver<ToConsumer<A>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl<A: Api> fmt::Debug for NatsClient<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsClient").field("buffered", &self.events.len()).finish_non_exhaustive()
    }
}

/// How many lifecycle events wait for the client's task.
const LIFECYCLE_QUEUE: usize = 64;

impl<A: Api> NatsClient<A> {
    /// Connects and subscribes to every channel this side receives, retrying with backoff until
    /// the first connection is up. Fails with [`Error::Rejected`] when the server refuses the
    /// credentials, [`Error::GaveUp`] after the configured number of attempts.
    pub async fn connect(config: NatsConfig<A>) -> Result<NatsClient<A>, Error> {
        config.validate()?;
        let (lifecycle_tx, lifecycle) = mpsc::channel(LIFECYCLE_QUEUE);
        let url = config.url();
        let mut delays = broker::backoff(config.min_backoff, config.max_backoff, config.max_reconnects);
        let mut attempts = 0;
        let up = Arc::new(AtomicBool::new(false));
        let client = loop {
            tracing::info!(host = %config.host, port = config.port, "connecting to the NATS server");
            attempts += 1;
            match config.options(lifecycle_tx.clone(), up.clone()).connect(url.as_str()).await {
                Ok(client) => {
                    up.store(true, Ordering::Release);
                    break client;
                }
                Err(e) if is_refusal(e.kind()) => {
                    return Err(Error::Rejected { code: None, reason: format!("the NATS server refused: {e}") });
                }
                Err(e) => {
                    let Some(delay) = delays.next() else {
                        return Err(Error::GaveUp { attempts, last: e.to_string() });
                    };
                    tracing::warn!(error = %e, ?delay, "could not connect; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        };
        let mut subscribers = Vec::new();
        for (subject, subscription) in broker::subscriptions::<A>('.', "*") {
            let subscribed = match subscription.queue {
                Some(queue) => client.queue_subscribe(subject.clone(), queue.to_owned()).await,
                None => client.subscribe(subject.clone()).await,
            };
            subscribers.push(subscribed.map_err(|e| Error::Config(format!("cannot subscribe to `{subject}`: {e}")))?);
        }
        confirmed(&client).await.map_err(|e| Error::Send(format!("the subscriptions were not confirmed: {e}")))?;
        tracing::info!(subscriptions = subscribers.len(), "connected and subscribed");
        let (mut tx, events) = handoff::channel(config.buffer);
        let (stop, stop_rx) = watch::channel(false);
        // The task hands it over with what comes first.
        tx.push(Handed::item(Ok(Event::Connected)));
        let task = tokio::spawn(drive::<A>(client.clone(), subscribers, lifecycle, tx, stop_rx));
        Ok(NatsClient { client, events, stop, task: Some(task) })
    }

    /// The next event; `None` once the client has stopped and every event is taken.
    pub async fn recv(&mut self) -> Option<Item<A>> {
        self.events.recv().await.map(|handed| handed.into_item(|message| Ok(received::<A>(message))))
    }

    /// Publishes `message` on its channel's subject, which must have no parameters (else use
    /// [`NatsClient::send_to`]). Returns when the message is handed to the connection (queued
    /// while reconnecting), not when a subscriber got it.
    pub async fn send(&self, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let (subject, _) = broker::fixed_address(&message)?;
        self.publish(subject, &message).await
    }

    /// Publishes `message` on `subject`, which must fill in its channel's address (the generated
    /// `<Channel>Params::address` makes one).
    pub async fn send_to(&self, subject: &str, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        broker::check_address(subject, &message, &['*', '>'])?;
        self.publish(subject, &message).await
    }

    /// [`send`](Self::send) with NATS headers: `headers` is the message's typed
    /// `<Message>Headers` (or any struct of text, number and boolean members).
    pub async fn send_with_headers(
        &self,
        message: impl Into<A::Outgoing>,
        headers: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let message = message.into();
        let (subject, _) = broker::fixed_address(&message)?;
        self.publish_with(subject, &message, Some(header_map(headers)?)).await
    }

    /// [`send_to`](Self::send_to) with NATS headers, as [`send_with_headers`](Self::send_with_headers).
    pub async fn send_to_with_headers(
        &self,
        subject: &str,
        message: impl Into<A::Outgoing>,
        headers: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let message = message.into();
        broker::check_address(subject, &message, &['*', '>'])?;
        self.publish_with(subject, &message, Some(header_map(headers)?)).await
    }

    async fn publish(&self, subject: &str, message: &A::Outgoing) -> Result<(), Error> {
        self.publish_with(subject, message, None).await
    }

    async fn publish_with(
        &self,
        subject: &str,
        message: &A::Outgoing,
        headers: Option<async_nats::HeaderMap>,
    ) -> Result<(), Error> {
        let frame = message.to_frame().map_err(Error::Encode)?;
        let sent = match headers {
            Some(headers) => self.client.publish_with_headers(subject.to_owned(), headers, frame.into()).await,
            None => self.client.publish(subject.to_owned(), frame.into()).await,
        };
        sent.map_err(|e| Error::Send(e.to_string()))?;
        tracing::debug!(subject, message = message.kind().map_or("unknown", MessageKind::name), "queued");
        Ok(())
    }

    /// Sends what is queued, then closes the connection and stops the task.
    pub async fn shutdown(mut self) {
        let _ = self.client.flush().await;
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let _ = self.client.drain().await;
    }
}

impl<A: Api> Drop for NatsClient<A> {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// How long the server may take to echo [`confirmed`]'s message.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits until the server has processed everything this connection sent before, its
/// subscriptions included: it handles one connection's messages in order, so a message to a
/// fresh inbox of ours comes back only after them. (`flush` only writes the socket: a publisher
/// on another connection could still overtake a subscription in flight.)
async fn confirmed(client: &async_nats::Client) -> Result<(), String> {
    let inbox = client.new_inbox();
    let mut echo = client.subscribe(inbox.clone()).await.map_err(|e| e.to_string())?;
    client.publish(inbox, Default::default()).await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(CONFIRM_TIMEOUT, echo.next()).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the connection closed".into()),
        Err(_) => Err(format!("no answer within {CONFIRM_TIMEOUT:?}")),
    }
}

fn is_refusal(kind: async_nats::ConnectErrorKind) -> bool {
    matches!(kind, async_nats::ConnectErrorKind::AuthorizationViolation | async_nats::ConnectErrorKind::Authentication)
}

/// What the task hands the consumer: an event, or a message the consumer decodes when it takes
/// it, on its own thread ([`Handed`] says why).
type ToConsumer<A> = Handed<Item<A>, async_nats::Message>;

/// Decodes one message by its subject.
fn received<A: Api>(message: async_nats::Message) -> Event<A::Incoming> {
    let subject = message.subject.to_string();
    match broker::decode::<A::Incoming>(&subject, &message.payload) {
        Ok(decoded) => Event::Message(Received { subject, message: decoded, headers: headers_of(&message) }),
        Err(error) => {
            tracing::warn!(%subject, %error, "undecodable message");
            Event::Undecodable { subject, payload: message.payload.to_vec(), error }
        }
    }
}

/// The NATS header map of typed headers.
fn header_map(headers: &impl serde::Serialize) -> Result<async_nats::HeaderMap, Error> {
    let mut map = async_nats::HeaderMap::new();
    for (name, value) in crate::headers::headers_to(headers).map_err(Error::Send)? {
        let bad = |what: &str| Error::Send(format!("the header `{name}` cannot be sent: {what}"));
        let header: async_nats::HeaderName = name.parse().map_err(|_| bad("not a NATS header name"))?;
        let value: async_nats::HeaderValue = value.parse().map_err(|_| bad("its value has a line break"))?;
        map.append(header, value);
    }
    Ok(map)
}

fn headers_of(message: &async_nats::Message) -> Vec<(String, String)> {
    let Some(headers) = &message.headers else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, values) in headers.iter() {
        for value in values {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

/// What the client's task knows of the connection, to put the reports of `async-nats` in order:
/// a loss is reported once, before the first reconnect attempt, whichever of the two the
/// connection reports first (they come by different paths), and a connection only while it is
/// up (a report of an earlier connection can arrive after that one was lost).
struct Session {
    up: bool,
    attempts: usize,
}

impl Session {
    /// What `report` means for the consumer, in order; an `Err` stops the client. `up_now`: whether
    /// the connection is up as the report is read.
    fn report<M>(&mut self, report: Lifecycle, up_now: bool) -> Vec<Result<Event<M>, Error>> {
        use async_nats::{ClientError, Event as Nats, ServerError};
        let lost = || Ok(Event::Disconnected { reason: "the connection to the NATS server was lost".into() });
        match report {
            Lifecycle::Reconnecting { attempt, delay } => {
                self.attempts = attempt;
                let mut out = Vec::new();
                if std::mem::replace(&mut self.up, false) {
                    out.push(lost());
                }
                out.push(Ok(Event::Reconnecting { attempt, delay }));
                out
            }
            Lifecycle::Nats(Nats::Disconnected) if std::mem::replace(&mut self.up, false) => vec![lost()],
            Lifecycle::Nats(Nats::Disconnected) => Vec::new(),
            // The first connection is reported by `connect`, once subscribed; a connection that is
            // no longer up will be followed by the report of the next one.
            Lifecycle::Nats(Nats::Connected) if self.up || !up_now => Vec::new(),
            Lifecycle::Nats(Nats::Connected) => {
                self.up = true;
                self.attempts = 0;
                vec![Ok(Event::Connected)]
            }
            Lifecycle::Nats(Nats::SlowConsumer(sid)) => {
                vec![Ok(Event::SlowConsumer { reason: format!("subscription {sid} was full; messages were dropped") })]
            }
            Lifecycle::Nats(Nats::ServerError(ServerError::SlowConsumer(sid))) => vec![Ok(Event::SlowConsumer {
                reason: format!("the server dropped messages of subscription {sid}: this client fell behind"),
            })],
            Lifecycle::Nats(Nats::ServerError(ServerError::AuthorizationViolation)) => vec![Err(Error::Rejected {
                code: None,
                reason: "the NATS server reported an authorization violation".into(),
            })],
            Lifecycle::Nats(Nats::ClientError(ClientError::MaxReconnects)) => {
                let last = "the connection to the NATS server was lost".to_owned();
                vec![Err(Error::GaveUp { attempts: self.attempts, last })]
            }
            Lifecycle::Nats(other) => {
                tracing::warn!(event = %other, "NATS connection");
                Vec::new()
            }
        }
    }
}

/// The background task: hand over what the subscriptions deliver (what is ready at once, as one
/// batch), report the connection's lifecycle.
async fn drive<A: Api>(
    client: async_nats::Client,
    subscribers: Vec<async_nats::Subscriber>,
    mut lifecycle: mpsc::Receiver<Lifecycle>,
    mut tx: handoff::Sender<ToConsumer<A>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut messages = futures_util::stream::select_all(subscribers);
    let mut session = Session { up: true, attempts: 0 };
    loop {
        // A message already waiting joins the open batch (a stream's `next` is cancel-safe).
        if !tx.is_empty() && !tx.is_full() {
            match messages.next().now_or_never() {
                Some(Some(message)) => {
                    tx.push(Handed::Read(message));
                    continue;
                }
                Some(None) => {
                    tx.flush(&mut stop).await;
                    return;
                }
                None => {}
            }
        }
        // Nothing more is ready: the batch goes now, not when it is full.
        if !tx.flush(&mut stop).await {
            return;
        }
        let items = tokio::select! {
            biased;
            () = stopped(&mut stop) => return,
            Some(report) = lifecycle.recv() => {
                let up_now = client.connection_state() == async_nats::connection::State::Connected;
                session.report(report, up_now)
            }
            message = messages.next() => match message {
                Some(message) => {
                    tx.push(Handed::Read(message));
                    continue;
                }
                // Every subscription ended: the connection is closed for good.
                None => return,
            },
        };
        for item in items {
            if matches!(item, Ok(Event::Connected)) {
                // The client subscribes again right after reconnecting; once the server echoes a
                // message sent after the subscriptions, it has them.
                if let Err(e) = confirmed(&client).await {
                    tracing::warn!(error = %e, "the subscriptions were not confirmed after reconnecting");
                }
                tracing::info!("reconnected and subscribed");
            }
            let fatal = item.is_err();
            if !tx.send(&mut stop, Handed::item(item)).await || fatal {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_api::{Frame, TestApi};

    #[test]
    fn only_nats_urls_are_taken_and_secrets_never_shown() {
        let config = NatsConfig::<TestApi>::new("nats://127.0.0.1:4333").with_credentials("user", "s3cret");
        assert!(config.validate().is_ok());
        assert_eq!(config.url(), "nats://127.0.0.1:4333");
        assert!(!format!("{config:?}").contains("s3cret"));
        let config = NatsConfig::<TestApi>::new("nats://[::1]").with_token("t0ken");
        assert_eq!(config.url(), "nats://[::1]:4222");
        assert!(!format!("{config:?}").contains("t0ken"));
        let config = NatsConfig::<TestApi>::new("tls://host:4443");
        assert!(config.validate().is_ok());
        assert_eq!(config.url(), "tls://host:4443");
        let config = NatsConfig::<TestApi>::new("mqtt://host");
        assert!(matches!(config.validate(), Err(Error::Config(e)) if e.contains("`tls://`")));
        let config = NatsConfig::<TestApi>::new("tls://host").with_ca_certificates("no pem here");
        assert!(matches!(config.validate(), Err(Error::Config(e)) if e.contains("BEGIN CERTIFICATE")));
        let config = NatsConfig::<TestApi>::new("nats://host").with_buffer(0);
        assert!(matches!(config.validate(), Err(Error::Config(_))));
    }

    #[test]
    fn headers_that_nats_cannot_carry_are_an_error_not_a_panic() {
        #[derive(serde::Serialize)]
        struct Bad {
            #[serde(rename = "Has Space")]
            name: &'static str,
        }
        #[derive(serde::Serialize)]
        struct Broken {
            #[serde(rename = "X-Note")]
            note: &'static str,
        }
        let error = header_map(&Bad { name: "v" }).expect_err("a space in a header name");
        assert!(error.to_string().contains("`Has Space`"), "{error}");
        let error = header_map(&Broken { note: "two\nlines" }).expect_err("a line break in a value");
        assert!(error.to_string().contains("line break"), "{error}");
        let map = header_map(&Broken { note: "fine" }).expect("a good header");
        assert_eq!(map.get("X-Note").map(|v| v.as_str()), Some("fine"));
    }

    #[test]
    fn subjects_route_messages_and_bad_payloads_are_kept() {
        let message = |subject: &str, payload: &[u8]| async_nats::Message {
            subject: subject.into(),
            reply: None,
            payload: payload.to_vec().into(),
            headers: None,
            status: None,
            description: None,
            length: payload.len(),
        };
        match received::<TestApi>(message("test.r1.ping", br#"{"kind":"ping"}"#)) {
            Event::Message(Received { subject, message: Frame::Unknown(_), .. }) => assert_eq!(subject, "test.r1.ping"),
            other => panic!("a dotted subject is not the slash-separated channel: {other:?}"),
        }
        match received::<TestApi>(message("test/pong", b"{\"kind\":\xff}")) {
            Event::Undecodable { subject, payload, error: DecodeError::Syntax { line: 1, .. } } => {
                assert_eq!((subject.as_str(), payload.len()), ("test/pong", 10));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_loss_is_reported_once_before_the_reconnects_and_refusals_stop() {
        use async_nats::{ClientError, Event as Nats, ServerError};
        let mut session = Session { up: true, attempts: 0 };
        let mut report = |report, up_now| {
            let events: Vec<Result<Event<Frame>, Error>> = session.report(report, up_now);
            events.into_iter().map(|e| format!("{e:?}")).collect::<Vec<_>>().join(", ")
        };
        let delay = Duration::from_millis(5);
        assert_eq!(report(Lifecycle::Nats(Nats::Connected), true), "", "the first connection is reported by `connect`");
        // The delay of the first attempt can overtake the loss itself.
        assert_eq!(
            report(Lifecycle::Reconnecting { attempt: 1, delay }, true),
            format!(
                "Ok(Disconnected {{ reason: \"the connection to the NATS server was lost\" }}), Ok(Reconnecting {{ attempt: 1, delay: {delay:?} }})"
            )
        );
        assert_eq!(report(Lifecycle::Nats(Nats::Disconnected), true), "");
        assert_eq!(
            report(Lifecycle::Reconnecting { attempt: 2, delay }, true),
            format!("Ok(Reconnecting {{ attempt: 2, delay: {delay:?} }})")
        );
        assert_eq!(
            report(Lifecycle::Nats(Nats::ClientError(ClientError::MaxReconnects)), true),
            "Err(GaveUp { attempts: 2, last: \"the connection to the NATS server was lost\" })"
        );
        // The report of a connection that was lost again before it was read is not a connection.
        assert_eq!(report(Lifecycle::Nats(Nats::Connected), false), "");
        assert_eq!(report(Lifecycle::Nats(Nats::Connected), true), "Ok(Connected)");
        assert!(report(Lifecycle::Nats(Nats::Disconnected), true).starts_with("Ok(Disconnected"));
        assert!(report(Lifecycle::Nats(Nats::SlowConsumer(3)), true).starts_with("Ok(SlowConsumer"));
        assert!(
            report(Lifecycle::Nats(Nats::ServerError(ServerError::AuthorizationViolation)), true)
                .starts_with("Err(Rejected")
        );
        assert_eq!(report(Lifecycle::Nats(Nats::LameDuckMode), true), "");
    }
}
