//! The REST login of the c.technology API, for the client's on-connect provider: it logs in
//! (`POST /api/v2.2/account/login/`, with the trailing slash: without it a redirect turns the
//! POST into a GET, T1), keeps the token, and logs in again when the token is about to expire
//! (60 s before its `expiry`, as T1 does) or when the broker has just rejected it.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`. The monitor
//! example uses it, and `tests/login.rs` runs it against a local REST stand-in and the mock
//! broker.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ctechnology_rt::client::{Connect, ProvideError};
use ctechnology_rt::types::AuthRequest;
use tokio::sync::Mutex;

/// How long before its expiry a token is renewed.
pub const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A login to the REST API that hands out fresh auth frames. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Login {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: String,
    email: String,
    password: String,
    token: Mutex<Option<Token>>,
}

/// A token and when it stops working (`None`: the login did not say).
struct Token {
    value: String,
    expiry: Option<jiff::Timestamp>,
}

impl Token {
    fn is_fresh(&self, now: jiff::Timestamp) -> bool {
        let margin = jiff::SignedDuration::try_from(RENEW_BEFORE).unwrap_or_default();
        self.expiry.is_none_or(|expiry| now.checked_add(margin).is_ok_and(|soon| soon < expiry))
    }
}

/// The password and token stay out of logs.
impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("url", &self.inner.url).field("email", &self.inner.email).finish_non_exhaustive()
    }
}

/// The REST envelope of the login answer: `{header: {status, message}, data: {token, expiry}}`.
#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default)]
    header: Header,
    data: Option<Session>,
}

#[derive(serde::Deserialize, Default)]
struct Header {
    status: Option<String>,
    // `null` in practice, not only absent (T1).
    message: Option<String>,
}

#[derive(serde::Deserialize)]
struct Session {
    token: String,
    expiry: Option<String>,
}

impl Login {
    /// Logs in at `api` (such as `https://api.ctechnology.io`) with `email` and `password`.
    pub fn new(api: &str, email: &str, password: &str) -> Result<Login, String> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls()?)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let url = format!("{}/api/v2.2/account/login/", api.trim_end_matches('/'));
        let inner =
            Inner { http, url, email: email.to_owned(), password: password.to_owned(), token: Mutex::new(None) };
        Ok(Login { inner: Arc::new(inner) })
    }

    /// The auth frame for the connection the client is about to open.
    pub async fn auth(&self, why: Connect) -> Result<AuthRequest, ProvideError> {
        let mut token = self.inner.token.lock().await;
        let reuse = why != Connect::Rejected && token.as_ref().is_some_and(|t| t.is_fresh(jiff::Timestamp::now()));
        if !reuse {
            *token = Some(self.login().await?);
        }
        let value = token.as_ref().map(|t| t.value.clone()).unwrap_or_default();
        Ok(AuthRequest { authorization: format!("Token {value}") })
    }

    async fn login(&self) -> Result<Token, ProvideError> {
        let body = serde_json::json!({ "email": self.inner.email, "password": self.inner.password });
        let response = self.inner.http.post(&self.inner.url).json(&body).send().await.map_err(ProvideError::retry)?;
        let status = response.status();
        let answer: Option<Answer> = response.json().await.ok();
        let said = answer.as_ref().and_then(|a| a.header.message.clone()).unwrap_or_default();
        if status.is_client_error() && status.as_u16() != 429 {
            // Wrong credentials do not get better by trying again.
            return Err(ProvideError::fatal(format!("the login was refused (HTTP {status}) {said}").trim_end()));
        }
        if !status.is_success() {
            return Err(ProvideError::retry(format!("the login failed (HTTP {status}) {said}").trim_end()));
        }
        let Some(Answer { header, data: Some(session) }) = answer else {
            return Err(ProvideError::retry("the login answer has no token"));
        };
        if header.status.as_deref().is_some_and(|s| s != "SUCCESS") {
            return Err(ProvideError::fatal(format!(
                "the login answered {} {said}",
                header.status.unwrap_or_default()
            )));
        }
        let expiry = session.expiry.as_deref().and_then(|e| e.parse::<jiff::Timestamp>().ok());
        Ok(Token { value: session.token, expiry })
    }
}

/// TLS with the webpki roots and the `ring` provider, as the WebSocket client uses.
fn tls() -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}
