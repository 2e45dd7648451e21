//! The MQTT client (feature `mqtt`): one session with a broker over `rumqttc` (MQTT 3.1.1, or 5
//! with [`MqttVersion::V5`]), a subscription on every channel the generated side receives, each
//! message decoded by the topic it arrived on, and sends to the topic of the message's channel.
//!
//! On a broker the channel is the topic, not a field of the frame: a channel address's
//! parameters (`event/{streetlightId}/measured`) become `+` wildcards in the subscription, and a
//! received message is routed by its topic first ([`Message::decode_at`]), then by its tag where
//! a channel carries several messages. The generated `<Channel>Params::parse` reads the typed
//! parameter values back out of [`Received::topic`].
//!
//! The guarantees are the WebSocket client's: reconnects with exponential backoff and jitter,
//! the subscriptions made again on every new session, lifecycle events, a bounded buffer with
//! backpressure and no dropped message, a broker that refuses the credentials stopping the client
//! with [`Error::Rejected`], and credentials never shown by `Debug` or written to logs.
//!
//! Bindings: the operation's `qos` and `retain` are used when sending, the highest `qos` of a
//! channel's received messages when subscribing; the server's `clientId`, `cleanSession` and
//! `keepAlive` are the defaults of [`MqttConfig::from_server`], and so is the server's
//! `protocolVersion` (or the `mqtt5` protocol).
//!
//! Headers: on MQTT 5 a message's user properties are its headers. [`Received::headers`] keeps
//! them as received, [`Received::headers_as`] reads them as the message's typed
//! `<Message>Headers`, and [`MqttClient::send_with_headers`] writes them. MQTT 3.1.1 has no
//! headers: sending some is an error there, not a silent loss.

mod session;

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::session::{Ended, Polled, Publisher, Session};
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
    /// The broker accepted the session and the subscriptions of every received channel: from
    /// now on nothing published on them is missed.
    Connected,
    /// A message on one of the subscribed topics.
    Message(Received<M>),
    /// A message that arrived on a subscribed topic but could not be decoded, kept whole.
    Undecodable {
        /// The topic it arrived on.
        topic: String,
        /// Its payload, as received.
        payload: Vec<u8>,
        /// Why it could not be decoded.
        error: DecodeError,
    },
    /// The session ended or a connection attempt failed; a reconnect follows.
    Disconnected {
        /// What happened, for people.
        reason: String,
    },
    /// The client waits `delay` before connection attempt number `attempt` (counted from 1
    /// since the last healthy session).
    Reconnecting {
        /// The attempt about to be made.
        attempt: usize,
        /// How long the client waits before it.
        delay: Duration,
    },
}

/// A decoded message and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Received<M> {
    /// The topic it arrived on; the channel's `<Channel>Params::parse` gives its parameters.
    pub topic: String,
    /// The message.
    pub message: M,
    /// Whether the broker kept it for new subscribers (a retained message).
    pub retained: bool,
    /// The MQTT 5 user properties it carried, name and value, in the order received (a name
    /// may repeat); always empty on MQTT 3.1.1.
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

/// The MQTT version the client speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MqttVersion {
    /// MQTT 3.1.1 (protocol level 4), which every broker speaks: no headers.
    #[default]
    V3_1_1,
    /// MQTT 5: user properties carry the messages' headers.
    V5,
}

/// How to reach the broker and how to behave on the session.
///
/// `Debug` shows the broker's address and the user name, never the password.
pub struct MqttConfig<A: Api> {
    host: String,
    port: u16,
    tls: bool,
    trust: Trust,
    url_error: Option<String>,
    version: MqttVersion,
    client_id: String,
    clean_session: bool,
    keep_alive: Duration,
    credentials: Option<(String, String)>,
    buffer: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    max_reconnects: Option<usize>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for MqttConfig<A> {
    fn clone(&self) -> Self {
        MqttConfig {
            host: self.host.clone(),
            trust: self.trust.clone(),
            url_error: self.url_error.clone(),
            client_id: self.client_id.clone(),
            credentials: self.credentials.clone(),
            api: PhantomData,
            ..*self
        }
    }
}

impl<A: Api> fmt::Debug for MqttConfig<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls.then_some(&self.trust))
            .field("version", &self.version)
            .field("client_id", &self.client_id)
            .field("clean_session", &self.clean_session)
            .field("keep_alive", &self.keep_alive)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("buffer", &self.buffer)
            .finish_non_exhaustive()
    }
}

impl<A: Api> MqttConfig<A> {
    /// Connects to `url` with MQTT 3.1.1 (`mqtt5://` means MQTT 5; else see
    /// [`with_version`](Self::with_version)): `mqtt://host[:port]` (or `tcp://`, port 1883 by default), or over TLS
    /// `mqtts://host[:port]` (or `ssl://`, `secure-mqtt://`, port 8883), trusting the public certificate
    /// authorities unless [`with_ca_certificates`](Self::with_ca_certificates) or
    /// [`with_tls_config`](Self::with_tls_config) say otherwise. A malformed URL is reported by
    /// [`MqttClient::connect`].
    pub fn new(url: &str) -> Self {
        let (endpoint, url_error) = match broker::parse_url(url, broker::MQTT_SCHEMES) {
            Ok(endpoint) => (endpoint, None),
            Err(e) => (broker::Endpoint { host: String::new(), port: 1883, tls: false }, Some(e)),
        };
        MqttConfig {
            host: endpoint.host,
            port: endpoint.port,
            tls: endpoint.tls,
            trust: Trust::default(),
            url_error,
            version: if url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("mqtt5://")) {
                MqttVersion::V5
            } else {
                MqttVersion::V3_1_1
            },
            client_id: String::new(),
            clean_session: true,
            keep_alive: Duration::from_secs(30),
            credentials: None,
            buffer: 1024,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            max_reconnects: None,
            api: PhantomData,
        }
    }

    /// Connects to `server`, with the session its `bindings.mqtt` describe, in the MQTT version
    /// of its `protocolVersion`.
    pub fn from_server(server: &Server) -> Self {
        let mut config = MqttConfig::new(server.url);
        let bindings = server.bindings;
        match bindings.mqtt_version {
            Some(5) => config.version = MqttVersion::V5,
            Some(4) => config.version = MqttVersion::V3_1_1,
            _ => {}
        }
        if let Some(id) = bindings.mqtt_client_id {
            config.client_id = id.to_owned();
        }
        if let Some(clean) = bindings.mqtt_clean_session {
            config.clean_session = clean;
        }
        if let Some(seconds) = bindings.mqtt_keep_alive {
            config.keep_alive = Duration::from_secs(seconds.into());
        }
        config
    }

    /// The MQTT version to speak (default 3.1.1; the broker refusing it stops the client with
    /// [`Error::Config`]).
    pub fn with_version(mut self, version: MqttVersion) -> Self {
        self.version = version;
        self
    }

    /// The client id (empty, the default, makes one from the process id and the time). Two
    /// sessions with the same id take each other over at the broker.
    pub fn with_client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }

    /// Whether the broker forgets the session (its subscriptions and queued messages) when the
    /// connection ends (default `true`).
    pub fn with_clean_session(mut self, clean: bool) -> Self {
        self.clean_session = clean;
        self
    }

    /// How often the client proves it is alive when there is no other traffic (default 30 s).
    pub fn with_keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// Trusts only the certificate authorities in `pem` (PEM text, one or more
    /// `BEGIN CERTIFICATE` sections) for the broker's certificate: a broker with a private CA.
    /// Takes effect for a TLS URL (`mqtts://`, `ssl://`); certificates that cannot be read are
    /// reported by [`MqttClient::connect`].
    pub fn with_ca_certificates(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.trust = Trust::Pem(pem.as_ref().into());
        self
    }

    /// Connects with TLS configured by the application (client certificates, for instance),
    /// whatever the URL's scheme. The broker's host name is checked against its certificate.
    pub fn with_tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.trust = Trust::Config(config);
        self.tls = true;
        self
    }

    /// The user name and password of the session.
    pub fn with_credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// How many events wait for the consumer before the client stops reading the socket
    /// (default 1,024).
    pub fn with_buffer(mut self, capacity: usize) -> Self {
        self.buffer = capacity;
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
        if self.buffer == 0 {
            return Err(Error::Config("the event buffer needs room for at least one event".into()));
        }
        if self.keep_alive < Duration::from_secs(1) {
            return Err(Error::Config("MQTT keep-alive is counted in whole seconds: at least 1 s".into()));
        }
        if self.min_backoff > self.max_backoff {
            return Err(Error::Config("the shortest backoff is longer than the longest".into()));
        }
        Ok(())
    }

    fn backoff(&self) -> backon::ExponentialBackoff {
        broker::backoff(self.min_backoff, self.max_backoff, self.max_reconnects)
    }
}

/// The subscriptions of the received messages' channels, at the highest `qos` each channel's
/// received messages ask for.
fn subscriptions<A: Api>() -> Vec<(String, u8)> {
    broker::subscriptions::<A>('/', "+").into_iter().map(|(path, subscription)| (path, subscription.qos)).collect()
}

type Item<A> = Result<Event<<A as Api>::Incoming>, Error>;

/// A running MQTT session: events through [`MqttClient::recv`], sends through
/// [`MqttClient::send`] and [`MqttClient::send_to`].
///
/// A background task owns the connection. **Backpressure policy:** when the event buffer is
/// full, the task stops reading the socket until the consumer takes an event; no message is
/// dropped, and the broker holds or drops what waits as its own limits say (for QoS 1 and 2 it
/// keeps them for the session). Dropping the client stops the task.
pub struct MqttClient<A: Api> {
    client: Publisher,
    events: handoff::Receiver<ToConsumer<A>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl<A: Api> fmt::Debug for MqttClient<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttClient").field("buffered", &self.events.len()).finish_non_exhaustive()
    }
}

impl<A: Api> MqttClient<A> {
    /// Starts connecting in the background and returns at once. Needs a Tokio runtime with the
    /// IO and time drivers enabled.
    pub fn connect(config: MqttConfig<A>) -> Result<MqttClient<A>, Error> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("`MqttClient::connect` must be called inside a Tokio runtime".into()))?;
        let (client, session) = session::open(&config)?;
        let (tx, events) = handoff::channel(config.buffer);
        let (stop, stop_rx) = watch::channel(false);
        tracing::info!(host = %config.host, port = config.port, version = ?config.version, "connecting to the MQTT broker");
        let task = runtime.spawn(drive::<A>(config, client.clone(), session, tx, stop_rx));
        Ok(MqttClient { client, events, stop, task: Some(task) })
    }

    /// The next event; `None` once the client has stopped and every event is taken.
    pub async fn recv(&mut self) -> Option<Item<A>> {
        self.events.recv().await.map(|handed| handed.into_item(|arrived| Ok(received::<A>(arrived))))
    }

    /// Publishes `message` on its channel's topic, which must have no parameters (else use
    /// [`MqttClient::send_to`]), with the `qos` and `retain` of its operation's bindings.
    /// Returns when the message is handed to the session (queued while reconnecting), not when
    /// the broker acknowledged it.
    pub async fn send(&self, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let (topic, bindings) = broker::fixed_address(&message)?;
        self.publish(topic, &message, bindings, Vec::new()).await
    }

    /// Publishes `message` on `topic`, which must fill in its channel's address (the generated
    /// `<Channel>Params::address` makes one).
    pub async fn send_to(&self, topic: &str, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let bindings = broker::check_address(topic, &message, &['+', '#'])?;
        self.publish(topic, &message, bindings, Vec::new()).await
    }

    /// [`send`](Self::send) with headers, as MQTT 5 user properties: `headers` is the message's
    /// typed `<Message>Headers` (or any struct of text, number and boolean members). On MQTT
    /// 3.1.1 this is [`Error::Send`]: that version cannot carry them.
    pub async fn send_with_headers(
        &self,
        message: impl Into<A::Outgoing>,
        headers: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let message = message.into();
        let (topic, bindings) = broker::fixed_address(&message)?;
        let headers = crate::headers::headers_to(headers).map_err(Error::Send)?;
        self.publish(topic, &message, bindings, headers).await
    }

    /// [`send_to`](Self::send_to) with headers, as [`send_with_headers`](Self::send_with_headers).
    pub async fn send_to_with_headers(
        &self,
        topic: &str,
        message: impl Into<A::Outgoing>,
        headers: &impl serde::Serialize,
    ) -> Result<(), Error> {
        let message = message.into();
        let bindings = broker::check_address(topic, &message, &['+', '#'])?;
        let headers = crate::headers::headers_to(headers).map_err(Error::Send)?;
        self.publish(topic, &message, bindings, headers).await
    }

    async fn publish(
        &self,
        topic: &str,
        message: &A::Outgoing,
        bindings: crate::Bindings,
        headers: Vec<(String, String)>,
    ) -> Result<(), Error> {
        let frame = message.to_frame().map_err(Error::Encode)?;
        let qos = bindings.mqtt_qos.unwrap_or(0);
        self.client.publish(topic, qos, bindings.mqtt_retain, frame, headers).await?;
        tracing::debug!(topic, message = message.kind().map_or("unknown", MessageKind::name), "queued");
        Ok(())
    }

    /// Ends the session with a DISCONNECT, then stops the task.
    pub async fn shutdown(mut self) {
        self.client.disconnect().await;
        if let Some(task) = self.task.take() {
            // The task ends once the DISCONNECT is written; events it still delivers are dropped
            // here, as the caller asked.
            let drained = async { while self.events.recv().await.is_some() {} };
            let _ = tokio::time::timeout(Duration::from_secs(2), drained).await;
            let _ = self.stop.send(true);
            let _ = task.await;
        }
    }
}

impl<A: Api> Drop for MqttClient<A> {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What the task hands the consumer: an event, or a message the consumer decodes when it takes
/// it, on its own thread ([`Handed`] says why).
type ToConsumer<A> = Handed<Item<A>, session::Arrived>;

/// Decodes a PUBLISH by its topic.
fn received<A: Api>(arrived: session::Arrived) -> Event<A::Incoming> {
    let session::Arrived { topic, payload, retain, properties } = arrived;
    match broker::decode::<A::Incoming>(&topic, &payload) {
        Ok(message) => Event::Message(Received { topic, message, retained: retain, headers: properties }),
        Err(error) => {
            tracing::warn!(%topic, %error, "undecodable message");
            Event::Undecodable { topic, payload: payload.to_vec(), error }
        }
    }
}

/// The background task: poll the session, which reconnects on the next poll after an error.
/// The messages one read of the socket brought go to the consumer as one batch.
async fn drive<A: Api>(
    config: MqttConfig<A>,
    client: Publisher,
    mut session: Session,
    mut tx: handoff::Sender<ToConsumer<A>>,
    mut stop: watch::Receiver<bool>,
) {
    let filters = subscriptions::<A>();
    let mut backoff = config.backoff();
    let mut attempt = 0;
    loop {
        let ready = if tx.is_empty() || tx.is_full() { None } else { session.ready() };
        let polled = match ready {
            Some(polled) => polled,
            None => {
                // Nothing more is ready: the batch goes now, not when it is full.
                if !tx.flush(&mut stop).await {
                    return;
                }
                tokio::select! {
                    biased;
                    () = stopped(&mut stop) => return,
                    polled = session.poll() => polled,
                }
            }
        };
        let event = match polled {
            Ok(Polled::ConnAck { session_present }) => {
                tracing::info!(session_present, "connected");
                backoff = config.backoff();
                attempt = 0;
                if filters.is_empty() {
                    Event::Connected
                } else {
                    // `Connected` waits for the SUBACK: from then on nothing sent is missed.
                    if !client.try_subscribe(&filters) {
                        tracing::warn!("could not queue the subscriptions");
                    }
                    continue;
                }
            }
            Ok(Polled::Publish(arrived)) => {
                tx.push(Handed::Read(arrived));
                continue;
            }
            Ok(Polled::SubAck { refused: true }) => {
                tracing::error!("the broker refused a subscription");
                let reason = "the broker refused a subscription of this client".to_owned();
                tx.send(&mut stop, Handed::item(Err(Error::Rejected { code: None, reason }))).await;
                return;
            }
            Ok(Polled::SubAck { refused: false }) => {
                tracing::info!(filters = filters.len(), "subscribed");
                Event::Connected
            }
            // `shutdown`: the session ends here, after what it delivered.
            Ok(Polled::Disconnecting) => {
                tx.flush(&mut stop).await;
                return;
            }
            Ok(Polled::Other) => continue,
            Err(Ended::Stop(fatal)) => {
                tracing::error!(error = %fatal, "client stopped");
                tx.send(&mut stop, Handed::item(Err(fatal))).await;
                return;
            }
            Err(Ended::Retry(reason)) => {
                tracing::warn!(%reason, "disconnected");
                let last = reason.clone();
                if !tx.send(&mut stop, Handed::item(Ok(Event::Disconnected { reason }))).await {
                    return;
                }
                let Some(delay) = backoff.next() else {
                    tx.send(&mut stop, Handed::item(Err(Error::GaveUp { attempts: attempt, last }))).await;
                    return;
                };
                attempt += 1;
                tracing::info!(attempt, ?delay, "reconnecting");
                if !tx.send(&mut stop, Handed::item(Ok(Event::Reconnecting { attempt, delay }))).await {
                    return;
                }
                tokio::select! {
                    biased;
                    () = stopped(&mut stop) => return,
                    () = tokio::time::sleep(delay) => {}
                }
                continue;
            }
        };
        if !tx.send(&mut stop, Handed::item(Ok(event))).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_api::TestApi;

    #[test]
    fn urls_choose_tls_and_the_version_and_passwords_are_never_shown() {
        let config = MqttConfig::<TestApi>::new("mqtts://host").with_credentials("user", "s3cret");
        assert!(config.validate().is_ok());
        assert_eq!((config.port, config.tls, config.version), (8883, true, MqttVersion::V3_1_1));
        assert!(session::open(&config).is_ok());
        assert!(!format!("{config:?}").contains("s3cret"));
        let config = MqttConfig::<TestApi>::new("mqtt5://host");
        assert_eq!((config.port, config.tls, config.version), (1883, false, MqttVersion::V5));
        let config = MqttConfig::<TestApi>::new("ws://host");
        assert!(matches!(config.validate(), Err(Error::Config(e)) if e.contains("`mqtts://`")));
        let config = MqttConfig::<TestApi>::new("ssl://host").with_ca_certificates("no pem here");
        assert!(matches!(session::open(&config), Err(Error::Config(e)) if e.contains("BEGIN CERTIFICATE")));
    }

    #[test]
    fn a_servers_protocol_version_picks_the_mqtt_version() {
        let server = |mqtt_version| Server {
            name: "broker",
            url: "mqtt://host",
            protocol: "mqtt",
            headers: &[],
            bindings: crate::ServerBindings { mqtt_version, ..crate::ServerBindings::NONE },
        };
        let version = |v| MqttConfig::<TestApi>::from_server(&server(v)).version;
        assert_eq!(version(Some(5)), MqttVersion::V5);
        assert_eq!(version(Some(4)), MqttVersion::V3_1_1);
        assert_eq!(version(None), MqttVersion::V3_1_1);
    }

    #[test]
    fn received_channels_are_subscribed_with_wildcards_at_their_qos() {
        let filters = subscriptions::<TestApi>();
        let filters: Vec<(&str, u8)> = filters.iter().map(|(path, qos)| (path.as_str(), *qos)).collect();
        assert_eq!(filters, [("test/+/ping", 1), ("test/pong", 0)]);
    }

    fn arrived(topic: &str, payload: &[u8], properties: &[(&str, &str)]) -> session::Arrived {
        session::Arrived {
            topic: topic.to_owned(),
            payload: bytes::Bytes::copy_from_slice(payload),
            retain: false,
            properties: properties.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        }
    }

    #[test]
    fn payloads_are_decoded_by_topic_and_kept_when_they_cannot_be() {
        match received::<TestApi>(arrived("test/r1/ping", br#"{"kind":"ping"}"#, &[])) {
            Event::Message(Received { topic, message: crate::test_api::Frame::Ping, retained: false, headers }) => {
                assert_eq!(topic, "test/r1/ping");
                assert!(headers.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match received::<TestApi>(arrived("test/pong", b"{\n\"kind\": \xff}", &[])) {
            Event::Undecodable { topic, payload, error: DecodeError::Syntax { line: 2, column: 9, .. } } => {
                assert_eq!((topic.as_str(), payload.len()), ("test/pong", 12));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            received::<TestApi>(arrived("elsewhere", br#"{"kind":"ping"}"#, &[])),
            Event::Message(Received { message: crate::test_api::Frame::Unknown(_), .. })
        ));
    }

    #[test]
    fn user_properties_are_the_headers_in_their_order_and_typed_on_request() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Headers {
            trace: String,
            hops: u32,
        }
        let properties = [("trace", "t-1"), ("hops", "3"), ("trace", "t-2")];
        let Event::Message(received) = received::<TestApi>(arrived("test/pong", br#"{"kind":"pong"}"#, &properties))
        else {
            panic!("a message")
        };
        let names: Vec<&str> = received.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["trace", "hops", "trace"]);
        assert_eq!(received.headers_as::<Headers>(), Ok(Headers { trace: "t-1".into(), hops: 3 }));
        let missing = Received { headers: Vec::new(), ..received }.headers_as::<Headers>();
        assert!(matches!(missing, Err(DecodeError::Headers { .. })), "{missing:?}");
    }
}
