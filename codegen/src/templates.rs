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
