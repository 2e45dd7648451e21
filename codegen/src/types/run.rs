//! One typify run: in this process (panics contained), or in a child process of the
//! `asyncapi-codegen` binary, so that a schema shape on which typify recurses without end (a
//! stack overflow aborts the process and cannot be caught) costs the child, not the run. The
//! child is the same binary with a hidden subcommand that reads a [`Request`] on stdin and writes
//! the reply on stdout.

use std::io::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use proc_macro2::TokenStream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use typify::{TypeSpace, TypeSpaceImpl, TypeSpaceSettings};

/// Where typify runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Runner {
    /// In this process; typify's panics are contained, a stack overflow is not.
    #[default]
    InProcess,
    /// In a child process of this `asyncapi-codegen` binary (its hidden `internal-typify`
    /// subcommand).
    Child(PathBuf),
}

/// What typify is asked to type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Request {
    /// Definition name → normalised schema.
    pub defs: Map<String, Value>,
    /// Definitions written by the generator itself (open enums); typify only refers to them.
    pub open_enums: Vec<String>,
    /// Discriminated bases, also written by the generator.
    pub bases: Vec<String>,
}

/// What typify made.
pub struct Typified {
    /// The items.
    pub tokens: TokenStream,
    /// Definition name → the Rust type typify gave it.
    pub types: Vec<(String, TokenStream)>,
    /// Whether the items use `uuid`, `regress`, `chrono`.
    pub uses: (bool, bool, bool),
}

#[derive(Serialize, Deserialize)]
struct Wire {
    tokens: String,
    types: Vec<(String, String)>,
    uses: (bool, bool, bool),
}

fn settings(request: &Request) -> TypeSpaceSettings {
    let mut settings = TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    // Every type typify writes holds only `PartialEq` members (numbers, strings, JSON values,
    // collections of them), so users can compare messages.
    settings.with_derive("PartialEq".to_owned());
    for name in &request.open_enums {
        settings.with_replacement(name, name, [TypeSpaceImpl::FromStr, TypeSpaceImpl::Display].into_iter());
    }
    for name in &request.bases {
        settings.with_replacement(name, name, std::iter::empty());
    }
    settings
}

/// Runs typify on `request` with `runner`; the error says why typify gave no types.
pub fn run(runner: &Runner, request: &Request) -> Result<Typified, String> {
    match runner {
        Runner::InProcess => in_process(request),
        Runner::Child(exe) => in_child(exe, request),
    }
}

fn in_process(request: &Request) -> Result<Typified, String> {
    let schemas = request
        .defs
        .iter()
        .map(|(name, v)| serde_json::from_value(v.clone()).map(|s| (name.clone(), s)).map_err(|e| e.to_string()))
        .collect::<Result<Vec<(String, schemars::schema::Schema)>, String>>()?;
    let mut space = TypeSpace::new(&settings(request));
    match super::quietly(|| catch_unwind(AssertUnwindSafe(|| space.add_ref_types(schemas)))) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("typify panicked on these schemas".into()),
    }
    let tokens = super::quietly(|| catch_unwind(AssertUnwindSafe(|| space.to_stream())))
        .map_err(|_| "typify panicked while writing the types".to_owned())?;
    // One pass over typify's types (a lookup per definition would be quadratic).
    let types =
        space.iter_types().filter(|t| request.defs.contains_key(&t.name())).map(|t| (t.name(), t.ident())).collect();
    Ok(Typified { tokens, types, uses: (space.uses_uuid(), space.uses_regress(), space.uses_chrono()) })
}

fn in_child(exe: &std::path::Path, request: &Request) -> Result<Typified, String> {
    let input = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("internal-typify")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start `{}` to run typify: {e}", exe.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&input).map_err(|e| format!("cannot hand the schemas to typify: {e}"))?;
    }
    let output = child.wait_with_output().map_err(|e| format!("typify's process failed: {e}"))?;
    if !output.status.success() {
        return Err("typify crashed: its recursion on these schemas does not end".into());
    }
    let reply: Result<Wire, String> =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("typify's process answered badly: {e}"))?;
    let wire = reply?;
    let parse = |text: &str| text.parse::<TokenStream>().map_err(|e| format!("typify's process answered badly: {e}"));
    Ok(Typified {
        tokens: parse(&wire.tokens)?,
        types: wire.types.iter().map(|(n, t)| Ok((n.clone(), parse(t)?))).collect::<Result<_, String>>()?,
        uses: wire.uses,
    })
}

/// The child's side: a JSON [`Request`] in, a JSON reply out.
pub fn serve(input: &str) -> String {
    let reply: Result<Wire, String> = serde_json::from_str::<Request>(input)
        .map_err(|e| format!("not a typify request: {e}"))
        .and_then(|request| in_process(&request))
        .map(|t| Wire {
            tokens: t.tokens.to_string(),
            types: t.types.into_iter().map(|(n, t)| (n, t.to_string())).collect(),
            uses: t.uses,
        });
    serde_json::to_string(&reply).unwrap_or_else(|e| format!("{{\"Err\":\"{e}\"}}"))
}
