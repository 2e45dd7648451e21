//! The REST companion of the generated c.technology real-time client (`ctechnology_rt`),
//! written by hand beside the generated code: the REST [`login`], typed re-reads of the
//! resources pushed frames point to ([`Rest`]), and an opt-in [`resync`] policy that re-reads
//! every known vehicle's status after a reconnect, so a consumer never keeps showing what it saw
//! before a gap.
//!
//! It is a crate of its own because the generated crate's manifest (features included) belongs
//! to the generator: a user who only wants the WebSocket depends on `ctechnology_rt` alone and
//! builds no HTTP client. The facts it rests on are cited as in the spec of record: D1, D2 (the
//! official documentation), T1 (the one live third-party client); see the project's API notes.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use ctechnology_rest::resync::{Event, Origin, Policy, Resync};
//! use ctechnology_rest::{Rest, Token};
//! use ctechnology_rt::client::{Client, ClientConfig};
//! use ctechnology_rt::servers::SERVERS;
//! use ctechnology_rt::types::AuthRequest;
//! use futures_util::StreamExt as _;
//!
//! # async fn monitor(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::from_server(&SERVERS[0])
//!     .with_on_connect(AuthRequest { authorization: format!("Token {token}") });
//! let rest = Rest::new("https://api.ctechnology.io", Token::new(token))?;
//! let policy = Policy::after_reconnect().every(Duration::from_secs(300)).concurrency(4);
//! let mut events = Resync::new(Client::connect(config)?, rest, policy);
//! while let Some(item) = events.next().await {
//!     match item {
//!         Ok(Event::Message { message, origin: Origin::Pushed }) => println!("pushed {:?}", message.kind()),
//!         Ok(Event::Message { message, origin: Origin::Resynced }) => println!("re-read {:?}", message.kind()),
//!         Ok(Event::Failed { vehicle_id, error }) => eprintln!("re-reading {vehicle_id} failed: {error}"),
//!         Ok(_) => {} // connection events, `Settled` after each round
//!         Err(error) if error.is_fatal() => return Err(error.into()),
//!         Err(error) => eprintln!("skipped a frame: {error}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod login;
mod rest;
pub mod resync;
#[cfg(feature = "standin")]
pub mod standin;
mod time;

use std::sync::Arc;
use std::time::Duration;

pub use rest::{Answer, Credentials, Error, Header, Rest, Token};

/// An HTTP client with rustls, the webpki roots and the `ring` provider, as the WebSocket client
/// uses (independent of any process-wide rustls default).
pub(crate) fn http_client(follow_redirects: bool, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let redirects =
        if follow_redirects { reqwest::redirect::Policy::default() } else { reqwest::redirect::Policy::none() };
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(redirects)
        .timeout(timeout)
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}
