//! How the client reaches the server and behaves on the connection: [`ClientConfig`], and where
//! the on-connect messages (usually the credentials) come from.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use backon::BackoffBuilder as _;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http;

use super::Error;
use crate::tls::Trust;
use crate::{Api, Message as _, MessageKind as _, Server};

/// Why the client asks for the on-connect messages (see [`ClientConfig::with_on_connect_fn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Connect {
    /// The first connection of this client.
    First,
    /// A new connection after one was lost (or an attempt failed).
    Reconnect,
    /// A new connection right after the server rejected the credentials of the last one: get
    /// fresh credentials (log in again) rather than reuse cached ones.
    Rejected,
}

/// Why the on-connect provider could not supply the messages.
#[derive(Debug)]
pub struct ProvideError {
    pub(super) reason: String,
    pub(super) retry: bool,
}

impl ProvideError {
    /// A passing failure (the login service is unreachable, say): the client reports it as a
    /// failed connection attempt and tries again after its backoff.
    pub fn retry(reason: impl fmt::Display) -> Self {
        ProvideError { reason: reason.to_string(), retry: true }
    }

    /// A lasting failure (the password is wrong): the client stops with [`Error::Credentials`].
    pub fn fatal(reason: impl fmt::Display) -> Self {
        ProvideError { reason: reason.to_string(), retry: false }
    }
}

impl fmt::Display for ProvideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

type Provided<M> = Pin<Box<dyn Future<Output = Result<Vec<M>, ProvideError>> + Send>>;
type Provider<M> = Arc<dyn Fn(Connect) -> Provided<M> + Send + Sync>;

/// Where the on-connect messages come from. They usually carry credentials, so `Debug` never
/// shows their content.
pub(super) enum OnConnect<M> {
    /// The same messages on every connection.
    Fixed(Vec<M>),
    /// Asked for on every connection.
    Provider(Provider<M>),
}

impl<M: Clone> Clone for OnConnect<M> {
    fn clone(&self) -> Self {
        match self {
            OnConnect::Fixed(messages) => OnConnect::Fixed(messages.clone()),
            OnConnect::Provider(provider) => OnConnect::Provider(Arc::clone(provider)),
        }
    }
}

impl<M: crate::Message> OnConnect<M> {
    /// The messages for one new connection.
    pub(super) async fn messages(&self, why: Connect) -> Result<Vec<M>, ProvideError> {
        match self {
            OnConnect::Fixed(messages) => Ok(messages.clone()),
            OnConnect::Provider(provider) => provider(why).await,
        }
    }

    pub(super) fn is_provider(&self) -> bool {
        matches!(self, OnConnect::Provider(_))
    }
}

impl<M: crate::Message> fmt::Debug for OnConnect<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnConnect::Fixed(messages) => f.debug_list().entries(messages.iter().map(|m| redacted(m))).finish(),
            OnConnect::Provider(_) => f.write_str("<provider>"),
        }
    }
}

fn redacted<M: crate::Message>(message: &M) -> String {
    format!("{} (redacted)", message.kind().map_or("unknown", crate::MessageKind::name))
}

/// How to reach the server and how to behave on the connection.
///
/// Built with [`ClientConfig::new`] or [`ClientConfig::from_server`] and refined with the
/// `with_*` methods. `Debug` shows the URL without its query, the header names, and the names of
/// the on-connect messages, never their content: credentials stay out of logs.
pub struct ClientConfig<A: Api> {
    pub(super) url: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) on_connect: OnConnect<A::Outgoing>,
    pub(super) ping_interval: Duration,
    pub(super) pong_timeout: Duration,
    pub(super) min_backoff: Duration,
    pub(super) max_backoff: Duration,
    pub(super) max_reconnects: Option<usize>,
    pub(super) rejection_window: Duration,
    pub(super) buffer: usize,
    pub(super) close_timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) request_timeout: Duration,
    pub(super) trust: Trust,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for ClientConfig<A> {
    fn clone(&self) -> Self {
        ClientConfig {
            url: self.url.clone(),
            headers: self.headers.clone(),
            on_connect: self.on_connect.clone(),
            trust: self.trust.clone(),
            api: PhantomData,
            ..*self
        }
    }
}

impl<A: Api> ClientConfig<A> {
    /// Connects to `url` (`ws://` or `wss://`). When `url` is one of the document's servers, the
    /// handshake headers the document asks for are set as well.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        let headers = A::SERVERS.iter().find(|s| s.url == url).map(|s| owned_headers(s.headers)).unwrap_or_default();
        ClientConfig {
            url,
            headers,
            on_connect: OnConnect::Fixed(Vec::new()),
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
            trust: Trust::default(),
            api: PhantomData,
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
    /// Every message the document marks as on-connect must be supplied, this way or by
    /// [`with_on_connect_fn`](Self::with_on_connect_fn). Replaces a provider set before.
    pub fn with_on_connect(mut self, message: impl Into<A::Outgoing>) -> Self {
        match &mut self.on_connect {
            OnConnect::Fixed(messages) => messages.push(message.into()),
            OnConnect::Provider(_) => self.on_connect = OnConnect::Fixed(vec![message.into()]),
        }
        self
    }

    /// Asks `provider` for the on-connect messages before every new connection, so that
    /// credentials that expire can be renewed (log in again, then return the fresh auth
    /// message). [`Connect::Rejected`] says the server has just refused the last credentials:
    /// the client then connects again at once with what the provider returns, and stops with
    /// [`Error::Rejected`] only if those are refused too. Replaces fixed messages set before.
    pub fn with_on_connect_fn<F, Fut>(mut self, provider: F) -> Self
    where
        F: Fn(Connect) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<A::Outgoing>, ProvideError>> + Send + 'static,
    {
        self.on_connect = OnConnect::Provider(Arc::new(move |why| Box::pin(provider(why))));
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

    /// How many events may wait for the consumer (default 256). See
    /// [`Client`](super::Client) for what happens when the buffer is full.
    pub fn with_buffer(mut self, capacity: usize) -> Self {
        self.buffer = capacity;
        self
    }

    /// How long [`Client::shutdown`](super::Client::shutdown) waits for the server to answer
    /// the close frame (default 2 s).
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

    /// How long [`Client::request`](super::Client::request) waits for the reply (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Trusts only the certificate authorities in `pem` (PEM text, one or more `BEGIN
    /// CERTIFICATE` sections) for a `wss://` server's certificate: a server with a private CA.
    /// Certificates that cannot be read are an [`Error::Config`] of `connect`.
    pub fn with_ca_certificates(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.trust = Trust::Pem(pem.as_ref().into());
        self
    }

    /// Connects to a `wss://` server with TLS configured by the application (client
    /// certificates, for instance). The server's host name is checked against its certificate.
    pub fn with_tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.trust = Trust::Config(config);
        self
    }

    /// The server URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Checks the settings: the URL and headers form a valid handshake, every on-connect message
    /// of the document is supplied (checked again on every connection when a provider supplies
    /// them), and the intervals and buffer are not zero.
    pub fn validate(&self) -> Result<(), Error> {
        self.request()?;
        super::connector(&self.url, &self.trust)?;
        if let OnConnect::Fixed(messages) = &self.on_connect {
            check_on_connect::<A>(messages)?;
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

    pub(super) fn backoff(&self) -> backon::ExponentialBackoff {
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(self.min_backoff)
            .with_max_delay(self.max_backoff)
            .with_jitter();
        match self.max_reconnects {
            Some(n) => builder.with_max_times(n).build(),
            None => builder.without_max_times().build(),
        }
    }

    /// The handshake request: the URL plus the configured headers.
    pub(super) fn request(&self) -> Result<http::Request<()>, Error> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| Error::Config(format!("invalid server url `{}`: {e}", shown_url(&self.url))))?;
        for (name, value) in &self.headers {
            let header = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::Config(format!("invalid header name `{name}`: {e}")))?;
            // The value may be a credential: the message names the header only.
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("the value of header `{name}` is not a valid header value")))?;
            request.headers_mut().insert(header, value);
        }
        Ok(request)
    }
}

/// Every on-connect message the document names is among `messages`.
pub(super) fn check_on_connect<A: Api>(messages: &[A::Outgoing]) -> Result<(), Error> {
    for kind in A::ON_CONNECT {
        if !messages.iter().any(|m| m.kind() == Some(*kind)) {
            return Err(Error::Config(format!(
                "the server expects `{}` first on every connection; add it with `with_on_connect`",
                kind.name()
            )));
        }
    }
    Ok(())
}

impl<A: Api> fmt::Debug for ClientConfig<A> {
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
            .field("request_timeout", &self.request_timeout)
            .field("tls", &self.trust)
            .finish()
    }
}

fn owned_headers(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// The URL without its query and fragment, which may carry a token.
pub(super) fn shown_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_api::{Frame, TestApi};

    #[test]
    fn the_shown_url_has_no_query() {
        assert_eq!(shown_url("wss://h/p?token=secret#x"), "wss://h/p");
        assert_eq!(shown_url("ws://h/p"), "ws://h/p");
    }

    #[test]
    fn credentials_stay_out_of_debug() {
        let config = ClientConfig::<TestApi>::new("ws://127.0.0.1:1/")
            .with_header("Authorization", "Bearer secret-value")
            .with_on_connect(Frame::Auth("secret-token".into()));
        let shown = format!("{config:?}");
        assert!(shown.contains("Authorization") && shown.contains("auth (redacted)"), "{shown}");
        assert!(!shown.contains("secret-value") && !shown.contains("secret-token"), "{shown}");
    }

    #[test]
    fn a_document_server_brings_its_handshake_headers() {
        let config = ClientConfig::<TestApi>::new("ws://127.0.0.1:9/");
        assert_eq!(config.headers, [("Origin".to_owned(), "http://localhost".to_owned())]);
    }

    #[test]
    fn a_missing_on_connect_message_or_zero_interval_is_refused() {
        let config = ClientConfig::<TestApi>::new("ws://127.0.0.1:1/");
        assert!(matches!(config.validate(), Err(Error::Config(e)) if e.contains("`auth`")));
        let config = config.with_on_connect(Frame::Auth("t".into()));
        assert!(config.validate().is_ok());
        let config = config.with_ping_interval(Duration::ZERO);
        assert!(matches!(config.validate(), Err(Error::Config(_))));
    }
}
