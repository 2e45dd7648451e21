//! The MQTT client (feature `mqtt`): one session with a broker over `rumqttc` (MQTT 3.1.1), a
//! subscription on every channel the generated side receives, each message decoded by the topic
//! it arrived on, and sends to the topic of the message's channel.
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
//! `keepAlive` are the defaults of [`MqttConfig::from_server`].

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectReturnCode, ConnectionError, EventLoop, MqttOptions, Packet, QoS};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::broker;
pub use crate::client::Error;
use crate::client::{deliver, stopped};
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
            .field("client_id", &self.client_id)
            .field("clean_session", &self.clean_session)
            .field("keep_alive", &self.keep_alive)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("buffer", &self.buffer)
            .finish_non_exhaustive()
    }
}

impl<A: Api> MqttConfig<A> {
    /// Connects to `url`: `mqtt://host[:port]` (or `tcp://`, port 1883 by default), or over TLS
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

    /// Connects to `server`, with the session its `bindings.mqtt` describe.
    pub fn from_server(server: &Server) -> Self {
        let mut config = MqttConfig::new(server.url);
        let bindings = server.bindings;
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

    /// The session's options; fails on TLS certificates that cannot be read.
    fn options(&self) -> Result<MqttOptions, Error> {
        let id = if self.client_id.is_empty() { default_client_id() } else { self.client_id.clone() };
        let mut options = MqttOptions::new(id, self.host.clone(), self.port);
        options.set_keep_alive(self.keep_alive).set_clean_session(self.clean_session);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        if self.tls {
            let tls = self.trust.client_config().map_err(Error::Config)?;
            options.set_transport(rumqttc::Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(tls)));
        }
        Ok(options)
    }

    fn backoff(&self) -> backon::ExponentialBackoff {
        broker::backoff(self.min_backoff, self.max_backoff, self.max_reconnects)
    }
}

fn default_client_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("asyncapi-{}-{nanos:08x}", std::process::id())
}

fn qos_of(level: Option<u8>) -> QoS {
    match level {
        Some(2) => QoS::ExactlyOnce,
        Some(1) => QoS::AtLeastOnce,
        _ => QoS::AtMostOnce,
    }
}

/// The subscriptions of the received messages' channels, at the highest `qos` each channel's
/// received messages ask for.
fn subscriptions<A: Api>() -> Vec<rumqttc::SubscribeFilter> {
    broker::subscriptions::<A>('/', "+")
        .into_iter()
        .map(|(path, subscription)| rumqttc::SubscribeFilter::new(path, qos_of(Some(subscription.qos))))
        .collect()
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
    client: AsyncClient,
    events: mpsc::Receiver<Item<A>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl<A: Api> fmt::Debug for MqttClient<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttClient").field("buffered", &self.events.len()).finish_non_exhaustive()
    }
}

/// How many sends may wait for the connection (while reconnecting, say).
const REQUEST_QUEUE: usize = 64;

impl<A: Api> MqttClient<A> {
    /// Starts connecting in the background and returns at once. Needs a Tokio runtime with the
    /// IO and time drivers enabled.
    pub fn connect(config: MqttConfig<A>) -> Result<MqttClient<A>, Error> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Config("`MqttClient::connect` must be called inside a Tokio runtime".into()))?;
        let (client, eventloop) = AsyncClient::new(config.options()?, REQUEST_QUEUE);
        let (tx, events) = mpsc::channel(config.buffer);
        let (stop, stop_rx) = watch::channel(false);
        tracing::info!(host = %config.host, port = config.port, "connecting to the MQTT broker");
        let task = runtime.spawn(drive::<A>(config, client.clone(), eventloop, tx, stop_rx));
        Ok(MqttClient { client, events, stop, task: Some(task) })
    }

    /// The next event; `None` once the client has stopped and every event is taken.
    pub async fn recv(&mut self) -> Option<Item<A>> {
        self.events.recv().await
    }

    /// Publishes `message` on its channel's topic, which must have no parameters (else use
    /// [`MqttClient::send_to`]), with the `qos` and `retain` of its operation's bindings.
    /// Returns when the message is handed to the session (queued while reconnecting), not when
    /// the broker acknowledged it.
    pub async fn send(&self, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let (topic, bindings) = broker::fixed_address(&message)?;
        self.publish(topic, &message, bindings).await
    }

    /// Publishes `message` on `topic`, which must fill in its channel's address (the generated
    /// `<Channel>Params::address` makes one).
    pub async fn send_to(&self, topic: &str, message: impl Into<A::Outgoing>) -> Result<(), Error> {
        let message = message.into();
        let bindings = broker::check_address(topic, &message, &['+', '#'])?;
        self.publish(topic, &message, bindings).await
    }

    async fn publish(&self, topic: &str, message: &A::Outgoing, bindings: crate::Bindings) -> Result<(), Error> {
        let frame = message.to_frame().map_err(Error::Encode)?;
        let qos = qos_of(bindings.mqtt_qos);
        self.client.publish(topic, qos, bindings.mqtt_retain, frame).await.map_err(|_| Error::Stopped)?;
        tracing::debug!(topic, message = message.kind().map_or("unknown", MessageKind::name), "queued");
        Ok(())
    }

    /// Ends the session with a DISCONNECT, then stops the task.
    pub async fn shutdown(mut self) {
        let _ = self.client.disconnect().await;
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

/// Decodes a PUBLISH by its topic.
fn received<A: Api>(publish: rumqttc::Publish) -> Event<A::Incoming> {
    let rumqttc::Publish { topic, payload, retain, .. } = publish;
    match broker::decode::<A::Incoming>(&topic, &payload) {
        Ok(message) => Event::Message(Received { topic, message, retained: retain }),
        Err(error) => {
            tracing::warn!(%topic, %error, "undecodable message");
            Event::Undecodable { topic, payload: payload.to_vec(), error }
        }
    }
}

/// Why a connection attempt or session ended; `Err`: the client must stop.
fn lost(error: &ConnectionError) -> Result<String, Error> {
    match error {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized),
        ) => Err(Error::Rejected { code: None, reason: format!("the broker refused the session: {code:?}") }),
        ConnectionError::ConnectionRefused(code @ ConnectReturnCode::BadClientId) => {
            Err(Error::Config(format!("the broker refused the client id: {code:?}")))
        }
        other => Ok(other.to_string()),
    }
}

/// The background task: poll the session, which reconnects on the next poll after an error.
async fn drive<A: Api>(
    config: MqttConfig<A>,
    client: AsyncClient,
    mut eventloop: EventLoop,
    tx: mpsc::Sender<Item<A>>,
    mut stop: watch::Receiver<bool>,
) {
    let filters = subscriptions::<A>();
    let mut backoff = config.backoff();
    let mut attempt = 0;
    loop {
        let polled = tokio::select! {
            biased;
            () = stopped(&mut stop) => return,
            polled = eventloop.poll() => polled,
        };
        let event = match polled {
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(ack))) => {
                tracing::info!(session_present = ack.session_present, "connected");
                backoff = config.backoff();
                attempt = 0;
                if filters.is_empty() {
                    Event::Connected
                } else {
                    // `Connected` waits for the SUBACK: from then on nothing sent is missed.
                    if client.try_subscribe_many(filters.clone()).is_err() {
                        tracing::warn!("could not queue the subscriptions");
                    }
                    continue;
                }
            }
            Ok(rumqttc::Event::Incoming(Packet::Publish(publish))) => received::<A>(publish),
            Ok(rumqttc::Event::Incoming(Packet::SubAck(ack))) => {
                if ack.return_codes.iter().any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure)) {
                    tracing::error!("the broker refused a subscription");
                    let reason = "the broker refused a subscription of this client".to_owned();
                    deliver(&tx, &mut stop, Err(Error::Rejected { code: None, reason })).await;
                    return;
                }
                tracing::info!(filters = filters.len(), "subscribed");
                Event::Connected
            }
            Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                // `shutdown`: the session ends here.
                return;
            }
            Ok(_) => continue,
            Err(error) => {
                let reason = match lost(&error) {
                    Ok(reason) => reason,
                    Err(fatal) => {
                        tracing::error!(error = %fatal, "client stopped");
                        deliver(&tx, &mut stop, Err(fatal)).await;
                        return;
                    }
                };
                tracing::warn!(%reason, "disconnected");
                let last = reason.clone();
                if !deliver(&tx, &mut stop, Ok(Event::Disconnected { reason })).await {
                    return;
                }
                let Some(delay) = backoff.next() else {
                    deliver(&tx, &mut stop, Err(Error::GaveUp { attempts: attempt, last })).await;
                    return;
                };
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
                continue;
            }
        };
        if !deliver(&tx, &mut stop, Ok(event)).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_api::TestApi;

    #[test]
    fn urls_choose_tls_and_passwords_are_never_shown() {
        let config = MqttConfig::<TestApi>::new("mqtts://host").with_credentials("user", "s3cret");
        assert!(config.validate().is_ok());
        assert_eq!((config.port, config.tls), (8883, true));
        assert!(config.options().is_ok());
        assert!(!format!("{config:?}").contains("s3cret"));
        let config = MqttConfig::<TestApi>::new("ws://host");
        assert!(matches!(config.validate(), Err(Error::Config(e)) if e.contains("`mqtts://`")));
        let config = MqttConfig::<TestApi>::new("ssl://host").with_ca_certificates("no pem here");
        assert!(matches!(config.options(), Err(Error::Config(e)) if e.contains("BEGIN CERTIFICATE")));
    }

    #[test]
    fn received_channels_are_subscribed_with_wildcards_at_their_qos() {
        let filters = subscriptions::<TestApi>();
        let filters: Vec<(&str, QoS)> = filters.iter().map(|f| (f.path.as_str(), f.qos)).collect();
        assert_eq!(filters, [("test/+/ping", QoS::AtLeastOnce), ("test/pong", QoS::AtMostOnce)]);
    }

    #[test]
    fn payloads_are_decoded_by_topic_and_kept_when_they_cannot_be() {
        let publish = |topic: &str, payload: &[u8]| rumqttc::Publish::new(topic, QoS::AtMostOnce, payload.to_vec());
        match received::<TestApi>(publish("test/r1/ping", br#"{"kind":"ping"}"#)) {
            Event::Message(Received { topic, message: crate::test_api::Frame::Ping, retained: false }) => {
                assert_eq!(topic, "test/r1/ping");
            }
            other => panic!("{other:?}"),
        }
        match received::<TestApi>(publish("test/pong", b"{\n\"kind\": \xff}")) {
            Event::Undecodable { topic, payload, error: DecodeError::Syntax { line: 2, column: 9, .. } } => {
                assert_eq!((topic.as_str(), payload.len()), ("test/pong", 12));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            received::<TestApi>(publish("elsewhere", br#"{"kind":"ping"}"#)),
            Event::Message(Received { message: crate::test_api::Frame::Unknown(_), .. })
        ));
    }
}
