//! `asyncapi-codegen`: turns an AsyncAPI 2.x, 3.0 or 3.1 document into a typed Rust client crate.
//!
//! The pipeline, one module per stage: [`load`] → [`resolve`] → [`validate`] → [`lower`] (to the [`ir`]) →
//! [`types`] (typify) → [`emit`] (quote) → [`format`](mod@format) (prettyplease) → [`write`](mod@write).

#![deny(missing_docs)]

pub mod build;
pub mod diagnostics;
pub mod doc_text;
pub mod emit;

pub mod error;
pub mod format;
pub mod ir;
pub mod load;
pub mod lower;
pub mod naming;
pub mod resolve;
pub mod schema;
pub mod templates;
pub mod types;
pub mod validate;
pub mod write;

pub use error::{Error, Location, Result, Warning};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use templates::{Runtime, TypesFrom};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Settings {
    spec: PathBuf,
    crate_name: Option<String>,
    lib_name: Option<String>,
    unknown_fields: Option<ir::UnknownFields>,
    role: Option<ir::Role>,
    spec_display: Option<String>,
    regen_command: String,
    runtime: Runtime,
    types_from: Option<TypesFrom>,
    references: resolve::Options,
    typify: types::run::Runner,
}

impl Settings {
    /// Generate from the document at `spec`.
    pub fn new(spec: impl Into<PathBuf>) -> Self {
        Settings {
            spec: spec.into(),
            crate_name: None,
            lib_name: None,
            unknown_fields: None,
            role: None,
            spec_display: None,
            regen_command: "asyncapi-codegen generate".into(),
            runtime: Runtime::default(),
            types_from: None,
            references: resolve::Options::default(),
            typify: types::run::Runner::InProcess,
        }
    }

    /// How the generated crate reaches the `asyncapi-runtime` crate (default:
    /// [`Runtime::Vendored`]).
    pub fn with_runtime(mut self, runtime: Runtime) -> Self {
        self.runtime = runtime;
        self
    }

    /// Takes the payload types from `from`, a crate generated from the same document (usually
    /// for the other role), instead of generating them again: the generated `types` module
    /// re-exports that crate's, so values pass between the two sides as they are, and fails to
    /// compile if that crate's types are no longer the ones this crate was generated for.
    pub fn with_types_from(mut self, from: TypesFrom) -> Self {
        self.types_from = Some(from);
        self
    }

    /// The package name of the generated crate (default: from `info.title`).
    pub fn with_crate_name(mut self, name: impl Into<String>) -> Self {
        self.crate_name = Some(name.into());
        self
    }

    /// Which side of the document to generate; overrides the document's
    /// `x-asyncapi-codegen: {role: ...}` (default: [`ir::Role::Peer`], the counterpart of the
    /// application the document describes).
    pub fn with_role(mut self, role: ir::Role) -> Self {
        self.role = Some(role);
        self
    }

    /// What generated types do with undeclared object members; overrides the document's
    /// `x-asyncapi-codegen: {unknownFields: ...}` (default: ignore).
    pub fn with_unknown_fields(mut self, policy: ir::UnknownFields) -> Self {
        self.unknown_fields = Some(policy);
        self
    }

    /// The library name of the generated crate (default: the package name in snake case).
    pub fn with_lib_name(mut self, name: impl Into<String>) -> Self {
        self.lib_name = Some(name.into());
        self
    }

    /// How the spec's path appears in generated banners (default: its file name). Absolute paths
    /// would make the output depend on the machine, so banners never show them.
    pub fn with_spec_display(mut self, shown: impl Into<String>) -> Self {
        self.spec_display = Some(shown.into());
        self
    }

    /// Lets `$ref`s read files in `dir` and below, besides the working directory and the root
    /// document's folder (the only places allowed by default).
    pub fn with_ref_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.references.roots.push(dir.into());
        self
    }

    /// Resolves remote references (`$ref: https://...`) whose URL starts with `prefix` offline,
    /// from the files in `dir` that mirror it; `dir` becomes an allowed root.
    pub fn with_ref_map(mut self, prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.references.ref_map.push((prefix.into(), dir.into()));
        self
    }

    /// Runs typify in child processes of `exe`, the `asyncapi-codegen` binary (its hidden
    /// `internal-typify` subcommand), so that a schema on which typify recurses without end
    /// degrades to a JSON value instead of aborting this process. The binary does this itself.
    pub fn with_typify_process(mut self, exe: impl Into<PathBuf>) -> Self {
        self.typify = types::run::Runner::Child(exe.into());
        self
    }

    /// The command the banners tell readers to run to regenerate.
    pub fn with_regen_command(mut self, command: impl Into<String>) -> Self {
        self.regen_command = command.into();
        self
    }
}

/// A generated crate, in memory.
#[derive(Debug)]
pub struct Generated {
    /// Path relative to the crate root → file content.
    pub files: BTreeMap<PathBuf, String>,
    /// Findings that did not stop generation.
    pub warnings: Vec<Warning>,
    /// The intermediate representation, for `--emit-ir`.
    pub api: ir::Api,
    /// The schemas typed as `serde_json::Value` because no Rust type could be made for them
    /// (each also has a warning).
    pub fallbacks: Vec<String>,
    /// How long each stage of the pipeline took, in order (`--timings`).
    pub timings: Timings,
}

/// The wall-clock time of each stage of one run, in the order they ran. Measured, never part of
/// the output: the files stay byte-deterministic.
#[derive(Clone, Debug, Default)]
pub struct Timings(pub Vec<(&'static str, std::time::Duration)>);

impl Timings {
    /// Records that `stage` ended now, `since` the end of the previous one; the next starts now.
    fn lap(&mut self, stage: &'static str, since: &mut std::time::Instant) {
        let now = std::time::Instant::now();
        self.0.push((stage, now - *since));
        *since = now;
    }
}

/// The document read, checked, lowered and typed: what both kinds of output are made from.
struct Analysed {
    lowered: lower::Lowered,
    types: types::Types,
    /// Every file the document set reached.
    inputs: Vec<PathBuf>,
    timings: Timings,
}

/// load → resolve → validate → lower → types.
fn analyse(settings: &Settings) -> Result<Analysed> {
    let mut timings = Timings::default();
    let mut lap = std::time::Instant::now();
    let model = resolve::resolve(&settings.spec, &settings.references)?;
    timings.lap("resolve", &mut lap);
    let mut problems = validate::validate(&model);
    timings.lap("validate", &mut lap);
    match problems.len() {
        0 => {}
        1 => return Err(problems.remove(0)),
        _ => return Err(Error::Invalid(problems)),
    }
    let mut lowered = lower::lower(&model, settings.role)?;
    if let Some(policy) = settings.unknown_fields {
        lowered.api.unknown_fields = policy;
    }
    timings.lap("lower", &mut lap);
    let types = types::build(&lowered.api, &lowered.schemas, &model, &settings.typify)?;
    timings.lap("types", &mut lap);
    let inputs = model.paths().map(Path::to_path_buf).collect();
    Ok(Analysed { lowered, types, inputs, timings })
}

impl Settings {
    /// The banner every generated file starts with.
    fn banner(&self) -> String {
        let spec_display = self.spec_display();
        format!(
            "@generated by asyncapi-codegen from {spec_display}; do not edit.\nRegenerate with `{}`.",
            self.regen_command
        )
    }

    fn spec_display(&self) -> String {
        self.spec_display.clone().unwrap_or_else(|| file_name(&self.spec))
    }

    /// The package and library names, checked.
    fn names(&self, api: &ir::Api) -> Result<(String, String)> {
        let crate_name = match &self.crate_name {
            Some(name) => name.clone(),
            None => heck::ToKebabCase::to_kebab_case(naming::type_name(&api.title).as_str()),
        };
        if crate_name.is_empty() || !crate_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(Error::Settings(format!(
                "`{crate_name}` is not a valid crate name; pass one with --crate-name"
            )));
        }
        let lib_name = self.lib_name.clone().unwrap_or_else(|| crate_name.replace('-', "_"));
        if !is_identifier(&lib_name) {
            return Err(Error::Settings(format!("`{lib_name}` is not a valid library name; pass one with --lib-name")));
        }
        Ok((crate_name, lib_name))
    }
}

/// Runs the whole pipeline for `settings`, in memory: the files of a crate.
pub fn generate(settings: &Settings) -> Result<Generated> {
    let Analysed { lowered, types, inputs: _, mut timings } = analyse(settings)?;
    let mut lap = std::time::Instant::now();
    let (crate_name, lib_name) = settings.names(&lowered.api)?;
    let banner = settings.banner();
    let modules = emit::emit(&lowered.api, &types, &lib_name);
    timings.lap("emit", &mut lap);

    let mut files = BTreeMap::new();
    let rust = |tokens, what: &str| format::rust_file(tokens, &banner, what);
    files.insert(PathBuf::from("src/lib.rs"), rust(modules.lib, "src/lib.rs")?);
    let own = format::syntax_file(types.file, &banner);
    let fingerprint = types::fingerprint(&own);
    let types_rs = match &settings.types_from {
        // `rust` of the item alone starts with the blank line between items.
        None => own + &format::rust_file(types::fingerprint_item(fingerprint), "", "the types fingerprint")?,
        Some(from) => rust(emit::shared_types(from, fingerprint), "src/types.rs")?,
    };
    files.insert(PathBuf::from("src/types.rs"), types_rs);
    for (name, tokens) in modules.files {
        let path = format!("src/{name}.rs");
        files.insert(PathBuf::from(&path), rust(tokens, &path)?);
    }
    let has_example_tests = modules.example_tests.is_some();
    if let Some(tests) = modules.example_tests {
        // The cases live in a module so that `#[rustfmt::skip]` keeps `cargo fmt` off them.
        let entry = quote::quote! {
            #[rustfmt::skip]
            #[path = "examples/cases.rs"]
            mod cases;
        };
        files.insert(PathBuf::from("tests/examples.rs"), rust(entry, "tests/examples.rs")?);
        files.insert(PathBuf::from("tests/examples/cases.rs"), rust(tests, "tests/examples/cases.rs")?);
    }
    timings.lap("format", &mut lap);
    if settings.runtime == Runtime::Vendored {
        files.extend(templates::vendored_runtime(&banner)?);
    }
    let spec_display = settings.spec_display();
    let own_types = settings.types_from.is_none();
    let cx = templates::Context {
        crate_name: &crate_name,
        lib_name: &lib_name,
        spec: &spec_display,
        regen_command: &settings.regen_command,
        api: &lowered.api,
        // Types re-exported from another crate need nothing here.
        uses_uuid: types.uses_uuid && own_types,
        uses_regress: types.uses_regress && own_types,
        uses_chrono: types.uses_chrono && own_types,
        has_example_tests,
        uses_mqtt: lowered.api.uses_mqtt(),
        uses_nats: lowered.api.uses_nats(),
        channel_rows: templates::ChannelRow::of(&lowered.api),
        runtime: settings.runtime.describe(),
        runtime_dependency: settings.runtime.dependency(),
        types_from: settings.types_from.as_ref().map(|from| (from.package.clone(), from.dependency())),
        keep_below: write::KEEP_BELOW,
    };
    files.insert(PathBuf::from("Cargo.toml"), templates::cargo_toml(&cx)?);
    files.insert(PathBuf::from("README.md"), templates::readme(&cx)?);
    timings.lap("templates", &mut lap);
    let mut warnings = lowered.warnings;
    warnings.extend(types.warnings);
    Ok(Generated { files, warnings, api: lowered.api, fallbacks: types.fallbacks, timings })
}

/// One Rust file with every module inline, for `include!` at the root of a crate (the
/// [`build`] mode), and the files the document set reached.
fn generate_single_file(settings: &Settings, modules: &[&str]) -> Result<(String, Vec<Warning>, Vec<PathBuf>)> {
    let Analysed { lowered, types, inputs, timings: _ } = analyse(settings)?;
    let emitted = emit::emit(&lowered.api, &types, "unused");
    let file = format::inline_modules(types.file, emitted, modules)?;
    let mut warnings = lowered.warnings;
    warnings.extend(types.warnings);
    Ok((format::syntax_file(file, &settings.banner()), warnings, inputs))
}

fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !naming::is_keyword(s)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
