//! What the monitor and the dashboard both need to reach the real service: settings from the
//! environment, the client configuration of the document's server, and the auth frame of a
//! token.
//!
//! This file is hand-written; `cargo xtask regen` does not touch `examples/`.

use ctechnology_rt::client::ClientConfig;
use ctechnology_rt::relay::SourceConfig;
use ctechnology_rt::servers::SERVERS;
use ctechnology_rt::types::AuthRequest;

/// The environment variable `name`, unless it is unset or blank.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The client configuration for `url` (default: the document's first server); `usage` ends the
/// error when there is no URL at all.
#[allow(dead_code)] // not every example that includes this file connects a plain client
pub fn config(url: Option<String>, usage: &str) -> Result<ClientConfig, String> {
    let (url, headers) = server(url, usage)?;
    Ok(headers.iter().fold(ClientConfig::new(url), |config, (name, value)| config.with_header(*name, *value)))
}

/// The same for a relay's source (`relay::SourceConfig`).
#[allow(dead_code)] // only the relay example reads a source
pub fn source_config(url: Option<String>, usage: &str) -> Result<SourceConfig, String> {
    let (url, headers) = server(url, usage)?;
    Ok(headers.iter().fold(SourceConfig::new(url), |config, (name, value)| config.with_header(*name, *value)))
}

/// Handshake headers: name and value.
type Headers = &'static [(&'static str, &'static str)];

/// The URL to connect to and the handshake headers to send. The service refuses a handshake
/// without the headers its document names (`Origin`), also on a URL other than the document's,
/// such as a staging server.
fn server(url: Option<String>, usage: &str) -> Result<(String, Headers), String> {
    let url = url
        .or_else(|| SERVERS.first().map(|s| s.url.to_owned()))
        .ok_or(format!("no server URL: pass --url\n{usage}"))?;
    Ok((url, SERVERS.first().map(|s| s.headers).unwrap_or_default()))
}

/// The auth frame for `token` (`Token ` is added unless the value already has it).
pub fn auth(token: &str) -> AuthRequest {
    let token = token.trim();
    let value = if token.starts_with("Token ") { token.to_owned() } else { format!("Token {token}") };
    AuthRequest { authorization: value }
}
