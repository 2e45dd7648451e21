//! The REST login of the c.technology API: it logs in (`POST /api/v2.2/account/login/`, with the
//! trailing slash: without it a redirect turns the POST into a GET, T1), keeps the token, and logs
//! in again when the token is about to expire (60 s before its `expiry`, as T1 does) or when the
//! broker or the REST API has just rejected it.
//!
//! One [`Login`] serves both sides: the real-time client's on-connect provider ([`Login::auth`])
//! and the REST companion ([`crate::Rest`], through [`Login::token`] and [`Login::renew`]), so a
//! token renewed by one is the token the other uses next.
//!
//! Invariant: the password and the token never appear in `Debug` output, errors or logs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ctechnology_rt::client::{Connect, ProvideError};
use ctechnology_rt::types::AuthRequest;
use tokio::sync::Mutex;

/// How long before its expiry a token is renewed.
pub const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A login to the REST API that hands out fresh tokens. Cheap to clone (shared state).
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

/// Why a login gave no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct LoginError {
    reason: String,
    lasting: bool,
}

impl LoginError {
    /// Whether trying again cannot help (the service refused the credentials), as opposed to a
    /// passing failure (the service was unreachable or overloaded).
    pub fn is_lasting(&self) -> bool {
        self.lasting
    }

    fn passing(reason: impl fmt::Display) -> LoginError {
        LoginError { reason: reason.to_string(), lasting: false }
    }

    fn lasting(reason: impl fmt::Display) -> LoginError {
        LoginError { reason: reason.to_string(), lasting: true }
    }
}

impl From<LoginError> for ProvideError {
    fn from(error: LoginError) -> ProvideError {
        if error.lasting { ProvideError::fatal(error.reason) } else { ProvideError::retry(error.reason) }
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
    /// Logs in at `api` (such as `https://api.ctechnology.io`) with `email` and `password`. Nothing
    /// is sent until a token is needed.
    pub fn new(api: &str, email: &str, password: &str) -> Result<Login, String> {
        let http = crate::http_client(true, Duration::from_secs(30))?;
        let url = format!("{}/api/v2.2/account/login/", api.trim_end_matches('/'));
        let inner =
            Inner { http, url, email: email.to_owned(), password: password.to_owned(), token: Mutex::new(None) };
        Ok(Login { inner: Arc::new(inner) })
    }

    /// The auth frame for the connection the real-time client is about to open: the token while
    /// it is fresh, a new one after a rejection. Hand it to the client's on-connect provider:
    ///
    /// ```no_run
    /// # use ctechnology_rest::login::Login;
    /// # use ctechnology_rt::client::ClientConfig;
    /// # fn config(login: Login) -> ClientConfig {
    /// ClientConfig::new("wss://api.ctechnology.io/api/v2.2/ws/ws-main").with_on_connect_fn(move |why| {
    ///     let login = login.clone();
    ///     async move { login.auth(why).await.map(|auth| vec![auth.into()]) }
    /// })
    /// # }
    /// ```
    pub async fn auth(&self, why: Connect) -> Result<AuthRequest, ProvideError> {
        let value = if why == Connect::Rejected {
            let stale = self.inner.token.lock().await.as_ref().map(|t| t.value.clone());
            self.renew(stale.as_deref().unwrap_or_default()).await?
        } else {
            self.token().await?
        };
        Ok(AuthRequest { authorization: format!("Token {value}") })
    }

    /// The current token, after a login if there is none yet or it is about to expire.
    pub async fn token(&self) -> Result<String, LoginError> {
        let mut token = self.inner.token.lock().await;
        if let Some(current) = token.as_ref().filter(|t| t.is_fresh(jiff::Timestamp::now())) {
            return Ok(current.value.clone());
        }
        let fresh = self.login().await?;
        let value = fresh.value.clone();
        *token = Some(fresh);
        Ok(value)
    }

    /// A token other than `rejected`, which the service has just refused: a fresh login, unless
    /// another caller has renewed it already (then that newer token), so that several requests
    /// refused at once cost one login.
    pub async fn renew(&self, rejected: &str) -> Result<String, LoginError> {
        let mut token = self.inner.token.lock().await;
        if let Some(newer) = token.as_ref().filter(|t| t.value != rejected && t.is_fresh(jiff::Timestamp::now())) {
            return Ok(newer.value.clone());
        }
        let fresh = self.login().await?;
        let value = fresh.value.clone();
        *token = Some(fresh);
        Ok(value)
    }

    async fn login(&self) -> Result<Token, LoginError> {
        let body = serde_json::json!({ "email": self.inner.email, "password": self.inner.password });
        let response = self
            .inner
            .http
            .post(&self.inner.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| LoginError::passing(format!("the login failed: {}", crate::rest::describe(&e))))?;
        let status = response.status();
        let answer: Option<Answer> = response.json().await.ok();
        let said = answer.as_ref().and_then(|a| a.header.message.clone()).unwrap_or_default();
        if status.is_client_error() && status.as_u16() != 429 {
            // Wrong credentials do not get better by trying again.
            return Err(LoginError::lasting(format!("the login was refused (HTTP {status}) {said}").trim_end()));
        }
        if !status.is_success() {
            return Err(LoginError::passing(format!("the login failed (HTTP {status}) {said}").trim_end()));
        }
        let Some(Answer { header, data: Some(session) }) = answer else {
            return Err(LoginError::passing("the login answer has no token"));
        };
        if header.status.as_deref().is_some_and(|s| s != "SUCCESS") {
            let status = header.status.unwrap_or_default();
            return Err(LoginError::lasting(format!("the login answered {status} {said}").trim_end()));
        }
        tracing::debug!(url = %self.inner.url, "logged in");
        let expiry = session.expiry.as_deref().and_then(crate::time::parse);
        Ok(Token { value: session.token, expiry })
    }
}
