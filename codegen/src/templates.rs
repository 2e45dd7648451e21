//! The non-Rust files of a generated crate (`Cargo.toml`, `README.md`), rendered from the
//! `minijinja` templates in `codegen/templates/`, and how the crate reaches the runtime crate
//! (including the runtime's own sources, for the vendored mode).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Environment;
use serde::Serialize;

use crate::error::{Error, Result};

const CARGO_TOML: &str = include_str!("../templates/Cargo.toml.j2");
const README_MD: &str = include_str!("../templates/README.md.j2");
const RUNTIME_CARGO_TOML: &str = include_str!("../templates/runtime-Cargo.toml.j2");

/// The version of `asyncapi-runtime` that the emitted code is written against. Generated crates
/// require `^RUNTIME_VERSION`; a tidy test keeps it equal to the runtime crate's own version, so
/// that the generator never emits code that needs a newer runtime than the one it pins.
pub const RUNTIME_VERSION: &str = "0.1.0";

/// Where the vendored copy of the runtime goes, inside the generated crate.
pub const VENDOR_DIR: &str = "vendor/asyncapi-runtime";

/// The runtime crate's sources (relative to its root), embedded for [`Runtime::Vendored`].
pub const RUNTIME_SOURCES: &[(&str, &str)] = &[
    ("src/lib.rs", include_str!("../runtime/src/lib.rs")),
    ("src/address.rs", include_str!("../runtime/src/address.rs")),
    ("src/constant.rs", include_str!("../runtime/src/constant.rs")),
    ("src/decode.rs", include_str!("../runtime/src/decode.rs")),
    ("src/fields.rs", include_str!("../runtime/src/fields.rs")),
    ("src/headers.rs", include_str!("../runtime/src/headers.rs")),
    ("src/path.rs", include_str!("../runtime/src/path.rs")),
    ("src/record.rs", include_str!("../runtime/src/record.rs")),
    ("src/tag.rs", include_str!("../runtime/src/tag.rs")),
    ("src/testing.rs", include_str!("../runtime/src/testing.rs")),
    ("src/union.rs", include_str!("../runtime/src/union.rs")),
    ("src/webhook.rs", include_str!("../runtime/src/webhook.rs")),
    ("src/test_api.rs", include_str!("../runtime/src/test_api.rs")),
    ("src/mock.rs", include_str!("../runtime/src/mock.rs")),
    ("src/server.rs", include_str!("../runtime/src/server.rs")),
    ("src/client/mod.rs", include_str!("../runtime/src/client/mod.rs")),
    ("src/client/config.rs", include_str!("../runtime/src/client/config.rs")),
    ("src/client/error.rs", include_str!("../runtime/src/client/error.rs")),
    ("src/client/handoff.rs", include_str!("../runtime/src/client/handoff.rs")),
    ("src/tls.rs", include_str!("../runtime/src/tls.rs")),
    ("src/broker.rs", include_str!("../runtime/src/broker.rs")),
    ("src/jetstream.rs", include_str!("../runtime/src/jetstream.rs")),
    ("src/mqtt/mod.rs", include_str!("../runtime/src/mqtt/mod.rs")),
    ("src/mqtt/session.rs", include_str!("../runtime/src/mqtt/session.rs")),
    ("src/nats.rs", include_str!("../runtime/src/nats.rs")),
];

/// How a generated crate reaches the `asyncapi-runtime` crate it is written against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Runtime {
    /// The runtime's sources are written into the crate (`vendor/asyncapi-runtime/`) and used
    /// as a path dependency: the crate builds on its own, anywhere, offline. The default, because
    /// the runtime is not published on crates.io yet.
    #[default]
    Vendored,
    /// `asyncapi-runtime = "^<version>"` from crates.io.
    CratesIo,
    /// A path dependency on a checkout of the runtime, written into `Cargo.toml` as given (so
    /// relative to the generated crate's directory), together with the version requirement, which
    /// cargo checks against the checkout.
    Path(String),
}

impl Runtime {
    /// `vendored`, `crates-io` or `path:<DIR>`.
    pub fn parse(text: &str) -> Option<Runtime> {
        match text {
            "vendored" => Some(Runtime::Vendored),
            "crates-io" => Some(Runtime::CratesIo),
            _ => text.strip_prefix("path:").filter(|p| !p.is_empty()).map(|p| Runtime::Path(p.to_owned())),
        }
    }

    /// The dependency's value in `Cargo.toml`.
    pub fn dependency(&self) -> String {
        let path = match self {
            Runtime::Vendored => Some(VENDOR_DIR),
            Runtime::CratesIo => None,
            Runtime::Path(path) => Some(path.as_str()),
        };
        match path {
            // A JSON string is a valid TOML basic string (the same escapes).
            Some(path) => format!(
                "{{ version = \"{RUNTIME_VERSION}\", path = {}, default-features = false }}",
                serde_json::Value::from(path)
            ),
            None => format!("{{ version = \"{RUNTIME_VERSION}\", default-features = false }}"),
        }
    }

    /// How the README describes the mode.
    pub fn describe(&self) -> &'static str {
        match self {
            Runtime::Vendored => "vendored",
            Runtime::CratesIo => "crates-io",
            Runtime::Path(_) => "path",
        }
    }
}

/// The files of the vendored runtime: its sources under a one-line banner each, and its
/// `Cargo.toml`, which pins its dependencies itself (it cannot inherit a workspace's).
pub fn vendored_runtime(banner: &str) -> Result<BTreeMap<PathBuf, String>> {
    let first = banner.lines().next().unwrap_or_default();
    let mut files = BTreeMap::new();
    for (path, source) in RUNTIME_SOURCES {
        let text = format!("// {first}\n// Vendored copy of asyncapi-runtime {RUNTIME_VERSION}.\n\n{source}");
        files.insert(PathBuf::from(VENDOR_DIR).join(path), text);
    }
    let context = minijinja::context! { version => RUNTIME_VERSION, banner => first };
    let manifest = render_with("runtime Cargo.toml", RUNTIME_CARGO_TOML, context)?;
    files.insert(PathBuf::from(VENDOR_DIR).join("Cargo.toml"), manifest);
    Ok(files)
}

/// Payload types taken from another crate generated from the same document, usually for the
/// other role (`asyncapi-codegen --types-from`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypesFrom {
    /// Its package name: the dependency's key in `Cargo.toml`.
    pub package: String,
    /// Its library name, as code names it.
    pub lib: String,
    /// Its directory, relative to the generated crate's directory (written into `Cargo.toml` as
    /// given).
    pub path: String,
}

impl TypesFrom {
    /// Reads the crate at `path` (relative to `out`, the directory being generated) from its
    /// `Cargo.toml`: its package and library names, and how it reaches the runtime, seen from
    /// `out` (`None` when its manifest names no `asyncapi-runtime`), so that both crates can share
    /// one runtime.
    pub fn read(out: &Path, path: &str) -> Result<(TypesFrom, Option<Runtime>)> {
        // Lexically: `out` may not exist yet.
        let manifest = path_clean::clean(out.join(path)).join("Cargo.toml");
        let fail = |why: String| Error::Settings(format!("--types-from {path}: {}: {why}", manifest.display()));
        let text = std::fs::read_to_string(&manifest).map_err(|e| fail(format!("cannot be read ({e})")))?;
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| fail(e.message().to_owned()))?;
        let field = |section: &str, key: &str| {
            table.get(section).and_then(|s| s.get(key)).and_then(toml::Value::as_str).map(str::to_owned)
        };
        let package = field("package", "name").ok_or_else(|| fail("has no `package.name`".into()))?;
        if !text.starts_with("# @generated by asyncapi-codegen") {
            return Err(fail("is not a crate generated by asyncapi-codegen".into()));
        }
        let lib = field("lib", "name").unwrap_or_else(|| package.replace('-', "_"));
        let runtime = table.get("dependencies").and_then(|d| d.get("asyncapi-runtime")).map(|dependency| {
            match dependency.get("path").and_then(toml::Value::as_str) {
                // Seen from `out`: through the other crate's directory.
                Some(theirs) => {
                    let joined = path_clean::clean(Path::new(path).join(theirs));
                    Runtime::Path(joined.to_string_lossy().replace('\\', "/"))
                }
                None => Runtime::CratesIo,
            }
        });
        Ok((TypesFrom { package, lib, path: path.to_owned() }, runtime))
    }

    /// The dependency's value in `Cargo.toml`: without default features, because only the
    /// types are used.
    pub fn dependency(&self) -> String {
        format!("{{ path = {}, default-features = false }}", serde_json::Value::from(self.path.as_str()))
    }
}

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
    /// Whether a server of the document speaks MQTT, so that the `mqtt` feature is a default.
    pub uses_mqtt: bool,
    /// Whether a server of the document speaks NATS, so that the `nats` feature is a default.
    pub uses_nats: bool,
    /// One row per channel: its messages by direction (computed here, not in the template, whose
    /// nested loops would be quadratic in the number of channels).
    pub channel_rows: Vec<ChannelRow>,
    /// How the crate reaches the runtime: `vendored`, `crates-io` or `path`.
    pub runtime: &'static str,
    /// The runtime dependency's value in `Cargo.toml`.
    pub runtime_dependency: String,
    /// Where the payload types come from when they are not generated here: (package, the
    /// dependency's value).
    pub types_from: Option<(String, String)>,
    /// The line below which `Cargo.toml` is the user's.
    pub keep_below: &'static str,
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
    render_with(name, source, cx)
}

fn render_with<S: Serialize>(name: &str, source: &str, cx: S) -> Result<String> {
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template(name, source).map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
    let template = env.get_template(name).map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
    template.render(&cx).map_err(|e| Error::Internal(format!("template {name}: {e}")))
}

/// `Cargo.toml` of the generated crate.
pub fn cargo_toml(cx: &Context<'_>) -> Result<String> {
    render("Cargo.toml", CARGO_TOML, cx)
}

/// `README.md` of the generated crate.
pub fn readme(cx: &Context<'_>) -> Result<String> {
    render("README.md", README_MD, cx)
}
