//! The fleet relay (feature `jetstream`): every message a generated client receives, published
//! to a NATS JetStream stream, at least once and in order per key, so that many consumers can
//! read, filter and replay the feed without each holding a connection to the source.
//!
//! The source is a client of the generated crate over [`Relayed`], the document seen as raw
//! frames: each [`Frame`] keeps the text exactly as it arrived together with what it decodes to,
//! so the relay publishes the original bytes (nothing the payload types would drop is lost) and
//! still knows the message's channel.
//!
//! - **Subjects.** `<prefix>.<channel address as subject tokens>[.<key>]`: the address's `/` and
//!   `.` separate tokens, other characters a subject cannot hold become `_`; the key is the value
//!   at a configured JSON pointer of the frame (for an envelope API such as c.technology's,
//!   `/data/vehicle_id`), so that a consumer can filter on one vehicle with
//!   `<prefix>.<channel>.<vehicle>` or on all with `<prefix>.<channel>.*`. A frame that matches no
//!   message goes to `<prefix>._unknown[.<key>]`, one that cannot be decoded to
//!   `<prefix>._undecodable`: kept, never dropped.
//! - **Duplicates.** The message id (`Nats-Msg-Id`) is a 128-bit hash (XXH3) of the frame's text,
//!   so JetStream's duplicate window drops the copy a relay publishes again after a reconnect and
//!   the copies of two relays reading the same feed. Two frames with the same text are one
//!   message: a feed whose frames carry a timestamp or sequence never has such a pair by chance.
//! - **At least once, in order.** A message counts as relayed only once JetStream acknowledged
//!   it (its `PubAck`); until then it is retried, with backoff, as long as it takes. Per subject
//!   (so per vehicle) one message is in flight at a time, the next waits for its ack: the stream
//!   holds each key's messages in the order the source sent them, across retries, server
//!   restarts and overlapping relays. At most [`RelayConfig::with_max_in_flight`] messages are
//!   held; when JetStream is slow or down the relay stops reading its source (backpressure),
//!   which then stops reading its socket.
//! - **Counters.** [`RelayStats`]: received, published, duplicates, retries, unknown and
//!   undecodable frames, logged through `tracing` every few seconds by [`Relay::run`].

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use async_nats::Subject;
use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage, publish::PublishAck};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;

use crate::client::{Client, Event};
use crate::{Api, DecodeError, Example, Message, MessageKind, Server};

/// One frame as it arrived, with what it decodes to: the message type of a [`Relayed`] client.
pub struct Frame<A: Api> {
    /// The frame's text, exactly as received.
    pub text: String,
    /// The message it decodes to, or why it does not.
    pub decoded: Result<A::Incoming, DecodeError>,
}

impl<A: Api> Clone for Frame<A> {
    fn clone(&self) -> Self {
        Frame { text: self.text.clone(), decoded: self.decoded.clone() }
    }
}

impl<A: Api> fmt::Debug for Frame<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame").field("text", &self.text).field("decoded", &self.decoded).finish()
    }
}

impl<A: Api> Message for Frame<A> {
    type Kind = A::Kind;

    fn decode(frame: &str) -> Result<Self, DecodeError> {
        Ok(Frame { text: frame.to_owned(), decoded: A::Incoming::decode(frame) })
    }

    fn decode_at(address: &str, frame: &str) -> Result<Self, DecodeError> {
        Ok(Frame { text: frame.to_owned(), decoded: A::Incoming::decode_at(address, frame) })
    }

    fn to_frame(&self) -> Result<String, serde_json::Error> {
        Ok(self.text.clone())
    }

    type Headers = <A::Incoming as Message>::Headers;

    /// The headers of the decoded message; a frame that did not decode gives its decode error.
    fn headers(&self, pairs: &[(String, String)]) -> Result<Option<Self::Headers>, DecodeError> {
        self.decoded.as_ref().map_err(Clone::clone)?.headers(pairs)
    }

    fn kind(&self) -> Option<A::Kind> {
        self.decoded.as_ref().ok().and_then(Message::kind)
    }

    fn correlation_id(&self) -> Option<String> {
        self.decoded.as_ref().ok().and_then(Message::correlation_id)
    }
}

/// The document `A` with every received message kept as a raw [`Frame`]: a client of
/// `Relayed<A>` (`client::Client<Relayed<Api>>`) is a relay's source. It sends what `A` sends.
pub struct Relayed<A>(PhantomData<fn() -> A>);

impl<A: Api> Api for Relayed<A> {
    type Kind = A::Kind;
    type Incoming = Frame<A>;
    type Outgoing = A::Outgoing;

    const ON_CONNECT: &'static [A::Kind] = A::ON_CONNECT;
    const KINDS: &'static [A::Kind] = A::KINDS;
    const SERVERS: &'static [Server] = A::SERVERS;
    const EXAMPLES: &'static [Example<A::Kind>] = A::EXAMPLES;
}

/// Where the relay publishes and how.
///
/// `Debug` shows the server's address and the user name, never the password.
#[derive(Clone)]
pub struct RelayConfig {
    url: String,
    credentials: Option<(String, String)>,
    stream: String,
    prefix: String,
    key: Option<String>,
    max_in_flight: usize,
    duplicate_window: Duration,
    replicas: usize,
    min_backoff: Duration,
    max_backoff: Duration,
    ack_timeout: Duration,
    progress_every: Duration,
}

impl fmt::Debug for RelayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayConfig")
            .field("url", &self.url)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("stream", &self.stream)
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

impl RelayConfig {
    /// Publishes to the JetStream `stream` (created when missing, with the subjects
    /// `<prefix>.>`) on the NATS server at `url` (`nats://host[:port]`).
    pub fn new(url: &str, stream: &str, prefix: &str) -> Self {
        RelayConfig {
            url: url.to_owned(),
            credentials: None,
            stream: stream.to_owned(),
            prefix: prefix.to_owned(),
            key: None,
            max_in_flight: 1024,
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            ack_timeout: Duration::from_secs(5),
            progress_every: Duration::from_secs(5),
        }
    }

    /// The JSON pointer (RFC 6901) of the value that ends each subject (`/data/vehicle_id`).
    pub fn with_key(mut self, pointer: &str) -> Self {
        self.key = Some(pointer.to_owned());
        self
    }

    /// The user name and password for the NATS server.
    pub fn with_credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// How many messages the relay holds at most, in flight or waiting behind one of the same
    /// subject, before it stops reading its source (default 1,024).
    pub fn with_max_in_flight(mut self, messages: usize) -> Self {
        self.max_in_flight = messages;
        self
    }

    /// The duplicate window of a stream the relay creates (default 2 minutes): how long
    /// JetStream remembers a message id. Reconnects and overlapping relays must stay within it.
    pub fn with_duplicate_window(mut self, window: Duration) -> Self {
        self.duplicate_window = window;
        self
    }

    /// The replicas of a stream the relay creates (default 1; 3 on a cluster).
    pub fn with_replicas(mut self, replicas: usize) -> Self {
        self.replicas = replicas;
        self
    }

    /// The shortest and longest wait before a message is published again (default 100 ms, 10 s).
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max;
        self
    }

    /// How long a message waits for JetStream's acknowledgement before it is published again
    /// (default 5 s).
    pub fn with_ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How often [`Relay::run`] logs its counters (default 5 s).
    pub fn with_progress_every(mut self, every: Duration) -> Self {
        self.progress_every = every;
        self
    }

    fn validate(&self) -> Result<(), RelayError> {
        let token_ok = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || "*>".contains(c));
        if !self.prefix.split('.').all(token_ok) {
            return Err(RelayError::Config(format!(
                "`{}` is not a subject prefix (tokens separated by `.`)",
                self.prefix
            )));
        }
        if self.stream.is_empty() || self.stream.contains(|c: char| c.is_whitespace() || ".*>/\\".contains(c)) {
            return Err(RelayError::Config(format!("`{}` is not a stream name", self.stream)));
        }
        if let Some(key) = &self.key
            && !key.is_empty()
            && !key.starts_with('/')
        {
            return Err(RelayError::Config(format!("`{key}` is not a JSON pointer: it must start with `/`")));
        }
        if self.max_in_flight == 0 {
            return Err(RelayError::Config("the relay must hold at least one message".into()));
        }
        if self.min_backoff > self.max_backoff {
            return Err(RelayError::Config("the shortest backoff is longer than the longest".into()));
        }
        crate::broker::parse_url(&self.url, crate::broker::NATS_SCHEMES).map_err(RelayError::Config)?;
        Ok(())
    }
}

/// What stops a relay.
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// The configuration is unusable.
    Config(String),
    /// The NATS server could not be reached or refused the connection.
    Connect(String),
    /// The stream could not be created or does not take the relay's subjects.
    Stream(String),
    /// The source client stopped with an error.
    Source(crate::client::Error),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Config(what) => write!(f, "invalid relay configuration: {what}"),
            RelayError::Connect(what) => write!(f, "could not connect to NATS: {what}"),
            RelayError::Stream(what) => write!(f, "JetStream stream: {what}"),
            RelayError::Source(e) => write!(f, "the source stopped: {e}"),
        }
    }
}

impl std::error::Error for RelayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RelayError::Source(e) => Some(e),
            _ => None,
        }
    }
}

/// What a relay has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Frames taken from the source.
    pub received: u64,
    /// Messages JetStream stored.
    pub published: u64,
    /// Messages JetStream acknowledged as duplicates of one it had (a replay, another relay).
    pub duplicates: u64,
    /// Publish attempts that failed or were not acknowledged in time, each followed by another.
    pub retries: u64,
    /// Frames that match no message of the document (published to `<prefix>._unknown`).
    pub unknown: u64,
    /// Frames that could not be decoded (published to `<prefix>._undecodable`).
    pub undecodable: u64,
}

impl RelayStats {
    /// Messages acknowledged by JetStream, stored or as duplicates.
    pub fn acknowledged(&self) -> u64 {
        self.published + self.duplicates
    }
}

/// One message on its way to JetStream.
struct Publication {
    subject: Subject,
    id: String,
    payload: bytes::Bytes,
    attempts: u32,
}

type Acked = Pin<Box<dyn Future<Output = (Publication, Result<PublishAck, String>)> + Send>>;

/// A relay into JetStream; see the [module](self) for what it guarantees.
pub struct Relay<A: Api> {
    js: jetstream::Context,
    config: RelayConfig,
    key: Option<Key>,
    /// Per subject with a message in flight: the messages waiting behind it, in source order.
    waiting: BTreeMap<Subject, VecDeque<Publication>>,
    in_flight: FuturesUnordered<Acked>,
    held: usize,
    stats: RelayStats,
    stats_tx: watch::Sender<RelayStats>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> fmt::Debug for Relay<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay").field("config", &self.config).field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl<A: Api> Relay<A> {
    /// Connects to the NATS server and makes sure the stream exists and takes `<prefix>.>`.
    pub async fn connect(config: RelayConfig) -> Result<Relay<A>, RelayError> {
        config.validate()?;
        let options = match &config.credentials {
            Some((user, password)) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            None => async_nats::ConnectOptions::new(),
        };
        let client = options
            .name("asyncapi-relay")
            .max_reconnects(None)
            .connect(config.url.as_str())
            .await
            .map_err(|e| RelayError::Connect(format!("{}: {e}", config.url)))?;
        let mut js = jetstream::new(client);
        js.set_timeout(config.ack_timeout);
        let subjects = format!("{}.>", config.prefix);
        let stream = js
            .get_or_create_stream(jetstream::stream::Config {
                name: config.stream.clone(),
                subjects: vec![subjects.clone()],
                duplicate_window: config.duplicate_window,
                num_replicas: config.replicas,
                storage: jetstream::stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| RelayError::Stream(format!("`{}`: {e}", config.stream)))?;
        let taken = &stream.cached_info().config.subjects;
        if !taken.iter().any(|s| *s == subjects || s == ">") {
            return Err(RelayError::Stream(format!(
                "stream `{}` exists with the subjects {taken:?}, which do not include `{subjects}`",
                config.stream
            )));
        }
        tracing::info!(stream = %config.stream, %subjects, "relaying into JetStream");
        Ok(Relay {
            js,
            key: config.key.as_deref().map(Key::new),
            config,
            waiting: BTreeMap::new(),
            in_flight: FuturesUnordered::new(),
            held: 0,
            stats: RelayStats::default(),
            stats_tx: watch::Sender::new(RelayStats::default()),
            api: PhantomData,
        })
    }

    /// What the relay has done so far.
    pub fn stats(&self) -> RelayStats {
        self.stats
    }

    /// The relay's counters as they change, for progress reports from another task.
    pub fn watch_stats(&self) -> watch::Receiver<RelayStats> {
        self.stats_tx.subscribe()
    }

    /// How many messages wait for JetStream's acknowledgement or behind one.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Takes one frame; waits (handling acknowledgements) while the relay holds its maximum.
    pub async fn relay(&mut self, frame: Frame<A>) {
        while self.held >= self.config.max_in_flight {
            self.settle_one().await;
        }
        self.stats.received += 1;
        let publication = self.publication(frame);
        self.held += 1;
        match self.waiting.get_mut(&publication.subject) {
            // A message of this subject is in flight: this one waits for its ack, to keep order.
            Some(queue) => queue.push_back(publication),
            None => {
                // A `Subject` is reference-counted: the clone is cheap.
                self.waiting.insert(publication.subject.clone(), VecDeque::new());
                self.start(publication).await;
            }
        }
        self.stats_tx.send_replace(self.stats);
    }

    /// Waits until JetStream acknowledged every message taken.
    pub async fn flush(&mut self) {
        while self.held > 0 {
            self.settle_one().await;
        }
    }

    /// Relays every message of `source` until it stops, then waits for the acknowledgements.
    /// When `stop` resolves, the source is closed ([`Client::close`]): the frames the server sent
    /// until then are still relayed, so a relay stopped this way and started again loses nothing
    /// of a feed that waits for its next connection. Lifecycle events are logged; frames the
    /// client could not read as text are counted as undecodable. Returns the error that stopped
    /// the source, if any.
    pub async fn run(
        &mut self,
        source: &mut Client<Relayed<A>>,
        stop: impl Future<Output = ()>,
    ) -> Result<(), RelayError> {
        let mut progress = tokio::time::interval(self.config.progress_every);
        progress.tick().await;
        let mut stop = std::pin::pin!(stop);
        let mut stopping = false;
        let result = loop {
            let room = self.held < self.config.max_in_flight;
            tokio::select! {
                Some(done) = self.in_flight.next(), if !self.in_flight.is_empty() => self.settled(done).await,
                event = source.recv(), if room => match event {
                    Some(Ok(Event::Message(frame))) => self.relay(frame).await,
                    Some(Ok(event)) => tracing::info!(?event, "source"),
                    Some(Err(e)) if e.is_fatal() => break Err(RelayError::Source(e)),
                    Some(Err(e)) => {
                        self.stats.undecodable += 1;
                        tracing::warn!(error = %e, "a frame the source could not read");
                    }
                    None => break Ok(()),
                },
                () = &mut stop, if !stopping => {
                    tracing::info!("stopping: closing the source, relaying what it still delivers");
                    stopping = true;
                    source.close();
                }
                _ = progress.tick() => self.log_progress(),
            }
        };
        self.flush().await;
        self.log_progress();
        result
    }

    fn log_progress(&self) {
        let s = self.stats;
        tracing::info!(
            received = s.received,
            published = s.published,
            duplicates = s.duplicates,
            retries = s.retries,
            unknown = s.unknown,
            undecodable = s.undecodable,
            held = self.held,
            "relay progress"
        );
    }

    /// The subject, id and payload of `frame`.
    fn publication(&mut self, frame: Frame<A>) -> Publication {
        let mut subject = self.config.prefix.clone();
        match &frame.decoded {
            Ok(message) => match message.kind() {
                Some(kind) => push_tokens(&mut subject, kind.address()),
                None => {
                    self.stats.unknown += 1;
                    subject.push_str("._unknown");
                }
            },
            Err(_) => {
                self.stats.undecodable += 1;
                subject.push_str("._undecodable");
            }
        }
        if frame.decoded.is_ok()
            && let Some(key) = self.key.as_ref().and_then(|k| k.of(&frame.text))
        {
            push_tokens(&mut subject, &key);
        }
        let id = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(frame.text.as_bytes()));
        Publication { subject: subject.into(), id, payload: frame.text.into(), attempts: 0 }
    }

    /// Hands `publication` to the connection now; its ack (or failure) comes out of
    /// `in_flight`, whether or not anything polls it meanwhile.
    async fn start(&mut self, publication: Publication) {
        let sent = send(&self.js, &publication).await;
        self.in_flight.push(Box::pin(async move {
            let acked = acked(sent).await;
            (publication, acked)
        }));
    }

    /// Publishes `publication` again after `delay`, with the same message id.
    fn retry(&mut self, publication: Publication, delay: Duration) {
        let js = self.js.clone();
        self.in_flight.push(Box::pin(async move {
            tokio::time::sleep(delay).await;
            let acked = acked(send(&js, &publication).await).await;
            (publication, acked)
        }));
    }

    /// Waits for one acknowledgement or failure and acts on it.
    async fn settle_one(&mut self) {
        if let Some(done) = self.in_flight.next().await {
            self.settled(done).await;
        }
    }

    async fn settled(&mut self, (mut publication, acked): (Publication, Result<PublishAck, String>)) {
        match acked {
            Ok(ack) => {
                if ack.duplicate {
                    self.stats.duplicates += 1;
                } else {
                    self.stats.published += 1;
                }
                self.held -= 1;
                let next = self.waiting.get_mut(&publication.subject).and_then(VecDeque::pop_front);
                match next {
                    Some(next) => self.start(next).await,
                    None => {
                        self.waiting.remove(&publication.subject);
                    }
                }
            }
            Err(error) => {
                self.stats.retries += 1;
                publication.attempts += 1;
                let delay = crate::broker::backoff(self.config.min_backoff, self.config.max_backoff, None)
                    .nth(publication.attempts.saturating_sub(1) as usize)
                    .unwrap_or(self.config.max_backoff);
                tracing::warn!(subject = %publication.subject, attempt = publication.attempts, %error, ?delay, "not acknowledged; publishing again");
                self.retry(publication, delay);
            }
        }
        self.stats_tx.send_replace(self.stats);
    }
}

/// Hands one message to the connection, with its id in `Nats-Msg-Id`.
async fn send(js: &jetstream::Context, publication: &Publication) -> Result<PublishAckFuture, String> {
    let message = PublishMessage::build().message_id(&publication.id).payload(publication.payload.clone());
    js.send_publish(publication.subject.clone(), message).await.map_err(|e| e.to_string())
}

/// JetStream's acknowledgement of a message handed to the connection.
async fn acked(sent: Result<PublishAckFuture, String>) -> Result<PublishAck, String> {
    sent?.await.map_err(|e| e.to_string())
}

/// Appends `text` to `subject` as subject tokens: `/` and `.` separate tokens, characters a
/// token cannot hold (whitespace, `*`, `>`) become `_`, empty tokens are left out.
fn push_tokens(subject: &mut String, text: &str) {
    for token in text.split(['/', '.']).filter(|t| !t.is_empty()) {
        subject.push('.');
        subject.extend(
            token.chars().map(|c| if c.is_whitespace() || c == '*' || c == '>' || c.is_control() { '_' } else { c }),
        );
    }
}

/// Where the key of a subject is read in a frame: a JSON pointer, and its unescaped tokens
/// (computed once, not per frame).
struct Key {
    pointer: String,
    path: Vec<String>,
}

impl Key {
    fn new(pointer: &str) -> Key {
        let path = pointer.split('/').skip(1).map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
        Key { pointer: pointer.to_owned(), path }
    }

    /// The value at the pointer in the JSON text `frame`, as text: a string as it is, a number
    /// or a boolean written out; `None` when absent or not a scalar.
    fn of(&self, frame: &str) -> Option<String> {
        // A string member (the usual key, an id) is read by the tag scan, which stops at it;
        // other values and array indices by parsing the frame.
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        if let Ok(Some(key)) = crate::tag::peek_tag(frame, &path)
            && !key.is_empty()
        {
            return Some(key.into_owned());
        }
        let value: serde_json::Value = serde_json::from_str(frame).ok()?;
        match value.pointer(&self.pointer)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_keys_become_subject_tokens() {
        let mut subject = "ctech".to_owned();
        push_tokens(&mut subject, "vehicle_status");
        assert_eq!(subject, "ctech.vehicle_status");
        push_tokens(&mut subject, "veh 1/a.b*>");
        assert_eq!(subject, "ctech.vehicle_status.veh_1.a.b__");
        let frame = r#"{"header":{"channel":"vehicle_status"},"data":{"vehicle_id":"veh_1","n":7}}"#;
        assert_eq!(Key::new("/data/vehicle_id").of(frame).as_deref(), Some("veh_1"));
        assert_eq!(Key::new("/data/n").of(frame).as_deref(), Some("7"));
        assert_eq!(Key::new("/data").of(frame), None);
        assert_eq!(Key::new("/nope").of(frame), None);
        assert_eq!(Key::new("/data").of("not json"), None);
        assert_eq!(Key::new("/a~1b/~0").of(r#"{"a/b":{"~":"x"},"l":[5]}"#).as_deref(), Some("x"));
        assert_eq!(Key::new("/l/0").of(r#"{"a/b":{"~":"x"},"l":[5]}"#).as_deref(), Some("5"));
    }

    #[test]
    fn bad_configurations_are_refused_and_passwords_never_shown() {
        let ok = RelayConfig::new("nats://127.0.0.1:4222", "CTECH", "ctech.rt").with_key("/data/vehicle_id");
        assert!(ok.validate().is_ok());
        assert!(!format!("{:?}", ok.clone().with_credentials("relay", "s3cret")).contains("s3cret"));
        for bad in [
            RelayConfig::new("nats://h", "CTECH", "ctech.*"),
            RelayConfig::new("nats://h", "CTECH", "ctech..rt"),
            RelayConfig::new("nats://h", "C.TECH", "ctech"),
            RelayConfig::new("ws://h", "CTECH", "ctech"),
            RelayConfig::new("nats://h", "CTECH", "ctech").with_key("data/vehicle_id"),
            RelayConfig::new("nats://h", "CTECH", "ctech").with_max_in_flight(0),
        ] {
            assert!(matches!(bad.validate(), Err(RelayError::Config(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_relayed_frame_keeps_its_text_and_what_it_decodes_to() {
        use crate::test_api::{Frame as Test, TestApi};
        let text = "{ \"kind\": \"ping\", \"extra\": 1 }";
        let frame = <Frame<TestApi> as Message>::decode(text).expect("never fails");
        assert_eq!((frame.text.as_str(), frame.decoded.as_ref().ok()), (text, Some(&Test::Ping)));
        assert_eq!(frame.to_frame().ok().as_deref(), Some(text));
        let broken = <Frame<TestApi> as Message>::decode("{\"kind\":").expect("never fails");
        assert!(broken.decoded.is_err() && broken.kind().is_none());
    }
}
