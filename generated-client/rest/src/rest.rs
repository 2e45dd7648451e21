//! Typed reads of the REST resources that pushed frames point to.
//!
//! Every pushed frame carries `header.uri`, the REST resource with the same data, and the
//! payloads are the REST responses 1:1 (D1): a REST answer is `{header, data}` (D2), and its
//! `data` decodes into the same type as the pushed message's `data`. [`Rest`] GETs such a
//! resource with the account's token (`Authorization: Token <token>`, D2) and gives it back as
//! the pushed message's payload type.
//!
//! Invariants: the token is only ever sent to the configured API origin (scheme, host and port);
//! a `header.uri` elsewhere is an error before anything is sent, and redirects are not followed.
//! A 401 costs one fresh login and one retry, never more; a 429 waits as `Retry-After` says, a
//! bounded number of times. Nothing the service answers can panic this module.

use std::fmt;
use std::time::Duration;

use ctechnology_rt::Incoming;
use ctechnology_rt::types::{self, VehicleStatus, VehicleStatusPayload, VehicleStatusPayloadHeader};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::login::{Login, LoginError};

/// The API version every path of this crate uses (D2).
const VERSION_PATH: &str = "/api/v2.2";

/// How [`Rest`] authenticates.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// A fixed token (a programmatic access token, or one from an earlier login). A 401 is an
    /// error at once, since there is nothing to renew.
    Token(Token),
    /// A login that is asked for its current token, and for a fresh one after a 401.
    Login(Login),
}

/// A token whose `Debug` does not show it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// The token `value`, with or without its `Token ` prefix.
    pub fn new(value: &str) -> Token {
        let value = value.trim();
        Token(value.strip_prefix("Token ").unwrap_or(value).trim().to_owned())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(..)")
    }
}

impl From<Login> for Credentials {
    fn from(login: Login) -> Credentials {
        Credentials::Login(login)
    }
}

impl From<Token> for Credentials {
    fn from(token: Token) -> Credentials {
        Credentials::Token(token)
    }
}

/// The REST header of an answer (D2): `status` is `SUCCESS` on success, and `message` explains an
/// error; both may be absent, and `message` is `null` in practice (T1).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Header {
    /// The API version, such as `v2.2`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// `SUCCESS`, or what went wrong.
    #[serde(default)]
    pub status: Option<String>,
    /// The service's explanation, if it gave one.
    #[serde(default)]
    pub message: Option<String>,
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.status, &self.message) {
            (Some(status), Some(message)) => write!(f, "{status}: {message}"),
            (Some(status), None) => write!(f, "{status} (no message)"),
            (None, Some(message)) => f.write_str(message),
            (None, None) => f.write_str("no REST header"),
        }
    }
}

/// A decoded REST answer: its header and its `data`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
pub struct Answer<T> {
    /// The REST header.
    #[serde(default)]
    pub header: Header,
    /// The resource, in the pushed message's payload type.
    pub data: T,
}

/// What a REST read can fail with. None of them stops a real-time client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status, or with a header whose `status` is not
    /// `SUCCESS`. `header` is what the answer's REST header said, when it had one.
    #[error("GET {url}: HTTP {status}, {}", header.as_ref().map_or_else(|| "no REST header".to_owned(), ToString::to_string))]
    Status {
        /// The URL read.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The answer's REST header.
        header: Option<Header>,
    },
    /// Still HTTP 429 after every allowed attempt, or the service asked to wait longer than
    /// the configured maximum.
    #[error("GET {url}: rate limited (HTTP 429) after {attempts} attempt(s){}", wait.map(|w| format!("; the service asks to wait {w:?}")).unwrap_or_default())]
    RateLimited {
        /// The URL read.
        url: String,
        /// How many requests were made.
        attempts: usize,
        /// The last `Retry-After`, when it was longer than the configured maximum wait.
        wait: Option<Duration>,
        /// The answer's REST header.
        header: Option<Header>,
    },
    /// No complete answer within the timeout.
    #[error("GET {url}: no answer within {after:?}")]
    Timeout {
        /// The URL read.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The request could not be sent or the answer not read.
    #[error("GET {url}: {reason}")]
    Transport {
        /// The URL read.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The answer is not the REST envelope of the expected type; `path` says where (`data.speed`).
    #[error("GET {url}: the answer does not decode at `{path}`: {reason}")]
    Decode {
        /// The URL read.
        url: String,
        /// Where in the answer decoding failed.
        path: String,
        /// Why.
        reason: String,
    },
    /// The URI is not on the API's origin, so the token is not sent there.
    #[error("`{uri}` is not on the API origin {api}; the token is only sent there")]
    ForeignHost {
        /// The URI asked for.
        uri: String,
        /// The API's origin.
        api: String,
    },
    /// The URI or vehicle id cannot make a URL of the API.
    #[error("`{uri}` is not a usable REST URL: {reason}")]
    BadUri {
        /// What was given.
        uri: String,
        /// Why it is refused.
        reason: String,
    },
    /// A message with no REST resource to re-read (no `header.uri`, or a frame the document
    /// does not describe).
    #[error("{0}")]
    NoResource(String),
    /// No token: the login failed (after a 401, or before the first request).
    #[error("no token for the REST API: {0}")]
    Login(#[from] LoginError),
    /// The HTTP client could not be set up.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The HTTP status the service answered with, for the errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The REST header of the service's answer, for the errors that have one.
    pub fn header(&self) -> Option<&Header> {
        match self {
            Error::Status { header, .. } | Error::RateLimited { header, .. } => header.as_ref(),
            _ => None,
        }
    }
}

/// A REST client for the resources pushed frames point to. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Rest {
    http: reqwest::Client,
    api: Url,
    credentials: Credentials,
    timeout: Duration,
    attempts: usize,
    max_wait: Duration,
    min_backoff: Duration,
}

impl Rest {
    /// A client of the API at `api` (such as `https://api.ctechnology.io`). Defaults: 30 s per
    /// request, up to 4 attempts on HTTP 429, waits of at most 60 s between them.
    pub fn new(api: &str, credentials: impl Into<Credentials>) -> Result<Rest, Error> {
        let bad = |reason: &str| Error::BadUri { uri: api.to_owned(), reason: reason.to_owned() };
        let api_url = Url::parse(api).map_err(|e| bad(&e.to_string()))?;
        if !matches!(api_url.scheme(), "http" | "https") || api_url.host().is_none() {
            return Err(bad("the API must be an http or https URL with a host"));
        }
        let http = crate::http_client(false, Duration::from_secs(30)).map_err(Error::Config)?;
        Ok(Rest {
            http,
            api: api_url,
            credentials: credentials.into(),
            timeout: Duration::from_secs(30),
            attempts: 4,
            max_wait: Duration::from_secs(60),
            min_backoff: Duration::from_millis(500),
        })
    }

    /// How long one request may take, answer included (default 30 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Rest {
        self.timeout = timeout;
        self
    }

    /// How many requests one read may make while the service answers HTTP 429 (default 4, at
    /// least 1), waiting as its `Retry-After` says or, without one, with an exponential backoff
    /// from `min_backoff` (default 500 ms); a `Retry-After` longer than `max_wait` (default
    /// 60 s) ends the read at once.
    pub fn with_rate_limit(mut self, attempts: usize, min_backoff: Duration, max_wait: Duration) -> Rest {
        self.attempts = attempts.max(1);
        self.min_backoff = min_backoff;
        self.max_wait = max_wait;
        self
    }

    /// The API's origin, such as `https://api.ctechnology.io`.
    pub fn api(&self) -> String {
        self.api.origin().ascii_serialization()
    }

    /// The latest status of vehicle `vehicle_id` (`GET /api/v2.2/vehicle/{vehicle_id}/status`,
    /// without a trailing slash, which answers 404, T1), as the payload of a pushed
    /// `vehicle/status` message: the REST `data`, with a header whose `uri` is the URL read.
    pub async fn vehicle_status(&self, vehicle_id: &str) -> Result<VehicleStatusPayload, Error> {
        let url = self.status_url(vehicle_id)?;
        let answer: Answer<VehicleStatus> = self.read(url.clone()).await?;
        let header = VehicleStatusPayloadHeader {
            api_version: answer.header.api_version,
            uri: Some(url.to_string()),
            ..VehicleStatusPayloadHeader::default()
        };
        Ok(VehicleStatusPayload { data: answer.data, header })
    }

    /// The resource `message` was pushed from, read again at its `header.uri`: the same message
    /// with the REST answer's `data` (the rest of the header as pushed).
    pub async fn reread(&self, message: &Incoming) -> Result<Incoming, Error> {
        // Every pushed message has a header type of its own (its `channel` is a constant) with
        // the same members; the REST answer replaces `data` and fills in a missing `api_version`.
        macro_rules! reread {
            ($variant:ident, $payload:ident, $m:expr) => {{
                let header = &$m.header;
                let uri = header.uri.as_deref().ok_or_else(|| {
                    Error::NoResource(format!("the `{}` frame carries no `header.uri` to re-read", header.channel))
                })?;
                let answer = self.get(uri).await?;
                let mut header = header.clone();
                header.api_version = answer.header.api_version.or(header.api_version);
                Incoming::$variant(Box::new(types::$payload { data: answer.data, header }))
            }};
        }
        Ok(match message {
            Incoming::VehicleStatus(m) => reread!(VehicleStatus, VehicleStatusPayload, m),
            Incoming::Notification(m) => reread!(Notification, NotificationPayload, m),
            Incoming::VehicleProfile(m) => reread!(VehicleProfile, VehicleProfilePayload, m),
            Incoming::VehicleAction(m) => reread!(VehicleAction, VehicleActionPayload, m),
            other => {
                let name = other.kind().map_or("unknown", |k| k.name());
                return Err(Error::NoResource(format!("a `{name}` message has no REST resource to re-read")));
            }
        })
    }

    /// GETs `uri` (an absolute URL on the API's origin, or a path such as
    /// `/api/v2.2/vehicle/veh_.../status`) and decodes the REST envelope with `data` as `T`.
    pub async fn get<T: DeserializeOwned>(&self, uri: &str) -> Result<Answer<T>, Error> {
        let url = self.url(uri)?;
        self.read(url).await
    }

    /// `uri` as a URL of the API, refused when it leaves the API's origin.
    fn url(&self, uri: &str) -> Result<Url, Error> {
        let url = self.api.join(uri).map_err(|e| Error::BadUri { uri: uri.to_owned(), reason: e.to_string() })?;
        if url.origin() != self.api.origin() {
            return Err(Error::ForeignHost { uri: uri.to_owned(), api: self.api() });
        }
        Ok(url)
    }

    fn status_url(&self, vehicle_id: &str) -> Result<Url, Error> {
        if vehicle_id.trim().is_empty() {
            return Err(Error::BadUri { uri: vehicle_id.to_owned(), reason: "the vehicle id is empty".into() });
        }
        // One path segment whatever the id holds: `/`, `?`, `#` and `..` cannot reach another
        // resource.
        let id = percent_encoding::utf8_percent_encode(vehicle_id, SEGMENT);
        self.url(&format!("{VERSION_PATH}/vehicle/{id}/status"))
    }

    /// The current token.
    async fn token(&self) -> Result<String, Error> {
        match &self.credentials {
            Credentials::Token(token) => Ok(token.0.clone()),
            Credentials::Login(login) => Ok(login.token().await?),
        }
    }

    /// GET `url` until it is answered for good, then decode it.
    async fn read<T: DeserializeOwned>(&self, url: Url) -> Result<Answer<T>, Error> {
        let shown = url.to_string();
        let mut token = self.token().await?;
        let mut renewed = false;
        let mut attempts = 0;
        let mut backoff = backon::BackoffBuilder::build(
            backon::ExponentialBuilder::default()
                .with_min_delay(self.min_backoff)
                .with_max_delay(self.max_wait)
                .with_max_times(self.attempts.saturating_sub(1))
                .with_jitter(),
        );
        loop {
            attempts += 1;
            let (status, retry_after, body) = self.send(&url, &token).await?;
            match status {
                StatusCode::UNAUTHORIZED if !renewed => {
                    if let Credentials::Login(login) = &self.credentials {
                        tracing::info!(url = %shown, "the REST API refused the token; logging in again");
                        token = login.renew(&token).await?;
                        renewed = true;
                        attempts -= 1;
                        continue;
                    }
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let header = header_of(&body);
                    let Some(delay) = backoff.next() else {
                        return Err(Error::RateLimited { url: shown, attempts, wait: None, header });
                    };
                    let wait = match retry_after {
                        Some(asked) if asked > self.max_wait => {
                            return Err(Error::RateLimited { url: shown, attempts, wait: Some(asked), header });
                        }
                        Some(asked) => asked,
                        None => delay,
                    };
                    tracing::info!(url = %shown, ?wait, attempts, "rate limited (HTTP 429); waiting");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                _ => {}
            }
            return decode(&shown, status, &body);
        }
    }

    /// One GET: the status, what `Retry-After` asks for, and the body.
    async fn send(&self, url: &Url, token: &str) -> Result<(StatusCode, Option<Duration>, Vec<u8>), Error> {
        let shown = || url.to_string();
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::Timeout { url: shown(), after: self.timeout }
            } else {
                Error::Transport { url: shown(), reason: describe(&e) }
            }
        };
        let request = self
            .http
            .get(url.clone())
            .header(reqwest::header::AUTHORIZATION, format!("Token {token}"))
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout);
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, jiff::Timestamp::now()));
        let body = response.bytes().await.map_err(failed)?;
        Ok((status, retry_after, body.to_vec()))
    }
}

/// The characters a vehicle id keeps in its path segment; every other byte is percent-encoded.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'_').remove(b'-').remove(b'~');

/// The REST header of `body`, if it is a REST envelope.
fn header_of(body: &[u8]) -> Option<Header> {
    #[derive(serde::Deserialize)]
    struct Head {
        header: Header,
    }
    serde_json::from_slice::<Head>(body).ok().map(|h| h.header)
}

/// The answer as the envelope of `T`, or the error its status or header says.
fn decode<T: DeserializeOwned>(url: &str, status: StatusCode, body: &[u8]) -> Result<Answer<T>, Error> {
    if !status.is_success() {
        return Err(Error::Status { url: url.to_owned(), status: status.as_u16(), header: header_of(body) });
    }
    let header = header_of(body);
    if let Some(header) = header.filter(|h| h.status.as_deref().is_some_and(|s| s != "SUCCESS")) {
        return Err(Error::Status { url: url.to_owned(), status: status.as_u16(), header: Some(header) });
    }
    let mut json = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        Error::Decode { url: url.to_owned(), path, reason: e.into_inner().to_string() }
    })
}

/// How long a `Retry-After` value asks to wait (RFC 9110 §10.2.3): a number of seconds, or an
/// HTTP date (a date in the past means at once). `None` for anything else.
pub(crate) fn retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value).ok()?;
    let ahead = at.duration_since(now);
    Some(Duration::try_from(ahead).unwrap_or(Duration::ZERO))
}

/// A reqwest error with its causes, without the URL (the caller names it).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = cause {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        cause = e.source();
    }
    if text.is_empty() { error.to_string() } else { text }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Credentials, Error, Rest, Token, retry_after};

    fn rest() -> Rest {
        Rest::new("https://api.ctechnology.io", Credentials::Token(Token::new("Token abc"))).expect("valid")
    }

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().expect("valid");
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("Wed, 02 Dec 2026 10:00:05 GMT", now), Some(Duration::from_secs(5)));
        assert_eq!(retry_after("Wed, 02 Dec 2026 09:00:00 GMT", now), Some(Duration::ZERO), "a past date");
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn the_token_goes_to_the_api_origin_only() {
        let rest = rest();
        let ok = rest.url("https://api.ctechnology.io/api/v2.2/vehicle/veh_1/status").expect("same origin");
        assert_eq!(ok.as_str(), "https://api.ctechnology.io/api/v2.2/vehicle/veh_1/status");
        for foreign in [
            "https://ctechnology.io/api/v2.2/vehicle/veh_1/status",
            "http://api.ctechnology.io/api/v2.2/vehicle/veh_1/status",
            "https://api.ctechnology.io:8443/api/v2.2/vehicle/veh_1/status",
            "https://api.ctechnology.io.example.com/x",
            "//evil.example/api",
        ] {
            assert!(matches!(rest.url(foreign), Err(Error::ForeignHost { .. })), "{foreign}");
        }
    }

    #[test]
    fn a_vehicle_id_stays_one_path_segment() {
        let rest = rest();
        let url = rest.status_url("../../account/x?y#z").expect("encoded");
        assert_eq!(url.path(), "/api/v2.2/vehicle/%2E%2E%2F%2E%2E%2Faccount%2Fx%3Fy%23z/status");
        assert_eq!(url.query(), None);
        assert!(matches!(rest.status_url(" "), Err(Error::BadUri { .. })));
    }

    #[test]
    fn the_token_stays_out_of_debug_output() {
        let shown = format!("{:?}", rest());
        assert!(!shown.contains("abc"), "{shown}");
    }
}
