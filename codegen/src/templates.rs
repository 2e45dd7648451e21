//! The non-Rust files of a generated crate (`Cargo.toml`, `README.md`), rendered from the
//! `minijinja` templates in `codegen/templates/`.

use minijinja::Environment;
use serde::Serialize;

use crate::error::{Error, Result};

const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.j2");
const README_MD: &str = include_str!("../templates/README.md.j2");

/// What the templates may use.
#[derive(Debug, Serialize)]
pub struct Context<'a> {
    /// Package name.
    pub crate_name: &'a str,
    /// Library name (the package name in snake case).
    pub lib_name: &'a str,
    /// The document's file name, as shown.
    pub spec: &'a str,
    /// The command that regenerates the crate.
    pub regen_command: &'a str,
    /// The API.
    pub api: &'a crate::ir::Api,
    /// Whether the types need `uuid`.
    pub uses_uuid: bool,
    /// Whether the types need `regress`.
    pub uses_regress: bool,
    /// Whether the types need `chrono`.
    pub uses_chrono: bool,
    /// Whether the crate has example tests.
    pub has_example_tests: bool,
    /// One row per channel: its messages by direction (computed here, not in the template, whose
    /// nested loops would be quadratic in the number of channels).
    pub channel_rows: Vec<ChannelRow>,
}

/// A channel with the names of the messages received and sent on it.
#[derive(Debug, Serialize)]
pub struct ChannelRow {
    /// The Rust variant name.
    pub ident: String,
    /// The address (or key).
    pub address: String,
    /// Received message variants.
    pub received: Vec<String>,
    /// Sent message variants.
    pub sent: Vec<String>,
}

impl ChannelRow {
    /// The rows of `api`.
    pub fn of(api: &crate::ir::Api) -> Vec<ChannelRow> {
        let mut rows: Vec<ChannelRow> = api
            .channels
            .iter()
            .map(|c| ChannelRow {
                ident: c.ident.clone(),
                address: c.address.clone().unwrap_or_else(|| c.key.clone()),
                received: Vec::new(),
                sent: Vec::new(),
            })
            .collect();
        for m in &api.messages {
            if let Some(row) = rows.get_mut(m.channel) {
                match m.direction {
                    crate::ir::Direction::Receive => row.received.push(m.ident.clone()),
                    crate::ir::Direction::Send => row.sent.push(m.ident.clone()),
                }
            }
        }
        rows
    }
}

fn render(name: &str, source: &str, cx: &Context<'_>) -> Result<String> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template(name, source).map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
    let template = env.get_template(name).map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
    template.render(cx).map_err(|e| Error::Internal(format!("template {name}: {e}")))
}

/// `Cargo.toml` of the generated crate.
pub fn cargo_toml(cx: &Context<'_>) -> Result<String> {
    render("Cargo.toml", CARGO_TOML, cx)
}

/// `README.md` of the generated crate.
pub fn readme(cx: &Context<'_>) -> Result<String> {
    render("README.md", README_MD, cx)
}
