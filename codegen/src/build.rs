//! Generating from a build script into `OUT_DIR`, the way `prost-build` users expect: the crate
//! that holds the API's types is written by hand (its `Cargo.toml`, its `lib.rs`), and its
//! `build.rs` turns the document into one file of inline modules that `lib.rs` includes.
//!
//! ```no_run
//! // build.rs
//! if let Err(e) = asyncapi_codegen::build::Builder::new("spec/api.asyncapi.yaml").compile() {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs: at the crate root, since the generated code names its items `crate::...`.
//! include!(concat!(env!("OUT_DIR"), "/asyncapi.rs"));
//! ```
//!
//! The crate depends on `asyncapi-runtime` (with its `client` feature for the client module,
//! `server` for [`Builder::with_server`], `mock` for [`Builder::with_mock`], `jetstream` for
//! [`Builder::with_relay`], `mqtt` for [`Builder::with_mqtt`] and `nats` for
//! [`Builder::with_nats`]), `serde` and `serde_json`. Cargo reruns the script when any file of
//! the document set changes.

use std::path::{Path, PathBuf};

use crate::{Settings, Warning, generate_single_file};

/// What a build script asks for.
#[derive(Clone, Debug)]
pub struct Builder {
    settings: Settings,
    out_dir: Option<PathBuf>,
    file_name: String,
    client: bool,
    server: bool,
    mock: bool,
    relay: bool,
    mqtt: bool,
    nats: bool,
}

/// A failed build-script generation, with every diagnostic rendered as the CLI would.
#[derive(Debug)]
pub struct BuildError(String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// Generates from the document at `spec` (relative to the package, where cargo runs the
    /// build script).
    pub fn new(spec: impl Into<PathBuf>) -> Self {
        let spec = spec.into();
        let shown = spec.display().to_string();
        Builder {
            settings: Settings::new(spec).with_spec_display(shown).with_regen_command("cargo build"),
            out_dir: None,
            file_name: "asyncapi.rs".into(),
            client: true,
            server: false,
            mock: false,
            relay: false,
            mqtt: false,
            nats: false,
        }
    }

    /// Where to write (default: `$OUT_DIR`).
    pub fn with_out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The generated file's name (default `asyncapi.rs`).
    pub fn with_file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Whether to include the `client` module (default: yes; needs `asyncapi-runtime`'s
    /// `client` feature).
    pub fn with_client(mut self, client: bool) -> Self {
        self.client = client;
        self
    }

    /// Whether to include the `server` module (default: no; needs `asyncapi-runtime`'s `server`
    /// feature).
    pub fn with_server(mut self, server: bool) -> Self {
        self.server = server;
        self
    }

    /// Whether to include the `mock` module (default: no; needs `asyncapi-runtime`'s `mock`
    /// feature).
    pub fn with_mock(mut self, mock: bool) -> Self {
        self.mock = mock;
        self
    }

    /// Whether to include the `relay` module, the fleet relay into NATS JetStream (default: no;
    /// needs `asyncapi-runtime`'s `jetstream` feature).
    pub fn with_relay(mut self, relay: bool) -> Self {
        self.relay = relay;
        self
    }

    /// Whether to include the `mqtt` module, the MQTT client (default: no; needs
    /// `asyncapi-runtime`'s `mqtt` feature, and a server of the document whose protocol is
    /// MQTT's, else [`compile`](Self::compile) fails saying so).
    pub fn with_mqtt(mut self, mqtt: bool) -> Self {
        self.mqtt = mqtt;
        self
    }

    /// Whether to include the `nats` module, the NATS client (default: no; needs
    /// `asyncapi-runtime`'s `nats` feature, and a server of the document whose protocol is
    /// `nats`, else [`compile`](Self::compile) fails saying so).
    pub fn with_nats(mut self, nats: bool) -> Self {
        self.nats = nats;
        self
    }

    /// What generated types do with undeclared object members (see
    /// [`Settings::with_unknown_fields`]).
    pub fn with_unknown_fields(mut self, policy: crate::ir::UnknownFields) -> Self {
        self.settings = self.settings.with_unknown_fields(policy);
        self
    }

    /// Writes the file (only when its bytes change, so cargo does not rebuild for nothing),
    /// prints `cargo:rerun-if-changed` for every file of the document set and a
    /// `cargo:warning` per generator warning, and returns the file's path.
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        let out_dir = match self.out_dir.clone().or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from)) {
            Some(dir) => dir,
            None => return Err(BuildError("OUT_DIR is not set: run from a build script, or use with_out_dir".into())),
        };
        let mut modules = vec!["channels", "messages", "servers", "webhook"];
        modules.extend(self.client.then_some("client"));
        modules.extend(self.server.then_some("server"));
        modules.extend(self.mock.then_some("mock"));
        modules.extend(self.relay.then_some("relay"));
        modules.extend(self.mqtt.then_some("mqtt"));
        modules.extend(self.nats.then_some("nats"));
        let (text, warnings, inputs) = generate_single_file(&self.settings, &modules)
            .map_err(|e| BuildError(crate::diagnostics::error_text(&e)))?;
        for input in &inputs {
            println!("cargo:rerun-if-changed={}", input.display());
        }
        for warning in &warnings {
            println!("cargo:warning={}", one_line(warning));
        }
        let path = out_dir.join(&self.file_name);
        write_if_changed(&path, &text).map_err(|e| BuildError(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }
}

/// A warning on one line, as `cargo:warning` needs.
fn one_line(warning: &Warning) -> String {
    warning.to_string().replace('\n', " ")
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_one_file_of_inline_modules_without_inner_attributes() {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/fixtures/enums.yaml");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Builder::new(&spec).with_out_dir(dir.path()).compile().expect("generates");
        let text = std::fs::read_to_string(&path).expect("written");
        let file = syn::parse_file(&text).expect("valid Rust");
        assert!(file.attrs.is_empty(), "include! refuses inner attributes at the top of the file");
        let mods: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| if let syn::Item::Mod(m) = i { Some(m.ident.to_string()) } else { None })
            .collect();
        assert_eq!(mods, ["types", "channels", "messages", "servers", "webhook", "client"]);
    }

    fn module_names(path: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(path).expect("written");
        let file = syn::parse_file(&text).expect("valid Rust");
        file.items
            .iter()
            .filter_map(|i| if let syn::Item::Mod(m) = i { Some(m.ident.to_string()) } else { None })
            .collect()
    }

    #[test]
    fn the_broker_and_relay_modules_are_opt_in_and_need_a_server_of_their_protocol() {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/fixtures/mqtt.yaml");
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = Builder::new(&spec).with_out_dir(dir.path()).compile().expect("generates");
        assert!(!module_names(&plain).contains(&"mqtt".to_owned()), "{:?}", module_names(&plain));
        let path = Builder::new(&spec)
            .with_out_dir(dir.path())
            .with_client(false)
            .with_mqtt(true)
            .with_relay(true)
            .compile()
            .expect("generates");
        assert_eq!(module_names(&path), ["types", "channels", "messages", "servers", "webhook", "relay", "mqtt"]);
        // No server of the document speaks NATS: a clear error, and the file stays as it was.
        let before = std::fs::read_to_string(&path).expect("written");
        let err = Builder::new(&spec).with_out_dir(dir.path()).with_nats(true).compile().expect_err("no nats server");
        assert!(err.to_string().contains("the `nats` module was asked for, but no server"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("still there"), before);
    }

    #[test]
    fn a_broken_document_is_a_located_error() {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/fixtures/invalid/unknown-version.yaml");
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Builder::new(&spec).with_out_dir(dir.path()).compile().expect_err("invalid");
        assert!(err.to_string().contains("unsupported AsyncAPI version"), "{err}");
        assert!(err.to_string().contains("unknown-version.yaml:2:11"), "{err}");
        assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none(), "nothing written");
    }
}
