//! `asyncapi-codegen`: the command-line front end of the generator.
//!
//! Exit codes: 0 success; 1 drift found by `--check`; 2 the input document is invalid or uses
//! something unsupported; 3 any other failure (I/O, internal error).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use asyncapi_codegen::{Error, Settings, diagnostics, generate, write};
use clap::{Parser, Subcommand};

/// Most of the generator's time went to the system allocator (malloc, free, memmove); mimalloc
/// is made for many small, short-lived allocations such as token trees.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Generate a typed Rust client crate from an AsyncAPI 2.x, 3.0 or 3.1 document.
#[derive(Parser)]
#[command(name = "asyncapi-codegen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Generate (or, with --check, verify) a client crate.
    Generate(Box<Generate>),
    /// Runs typify on the request on stdin and answers on stdout: the child process that
    /// `generate` runs typify in, so that typify's unbounded recursion on a schema cannot abort
    /// the run.
    #[command(hide = true)]
    InternalTypify,
}

#[derive(Parser)]
struct Generate {
    /// The AsyncAPI document (YAML or JSON); `$ref`s to other files are followed.
    #[arg(long)]
    spec: PathBuf,
    /// The directory of the generated crate (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Package name of the generated crate [default: from info.title].
    #[arg(long)]
    crate_name: Option<String>,
    /// Library name of the generated crate [default: the package name in snake case].
    #[arg(long)]
    lib_name: Option<String>,
    /// What generated types do with object members their schema does not declare: `ignore`
    /// (accept and drop), `capture` (keep in a map, so messages re-encode whole) or `deny`
    /// (a decode error) [default: the document's `x-asyncapi-codegen.unknownFields`, else ignore].
    #[arg(long, value_parser = ["ignore", "capture", "deny"])]
    unknown_fields: Option<String>,
    /// Which application to generate: `peer`, the one that talks to the application the
    /// document describes (a client of a described server), or `app`, the described
    /// application itself [default: the document's `x-asyncapi-codegen.role`, else peer].
    #[arg(long, value_parser = ["peer", "app"])]
    role: Option<String>,
    /// A folder whose files `$ref`s may read, besides the working directory and the document's
    /// folder (repeatable).
    #[arg(long, value_name = "DIR")]
    ref_root: Vec<PathBuf>,
    /// Resolve remote `$ref`s whose URL starts with URL-PREFIX from the files in DIR, which
    /// mirror it (repeatable); DIR becomes an allowed folder too.
    #[arg(long, value_name = "URL-PREFIX=DIR", value_parser = parse_ref_map)]
    ref_map: Vec<(String, PathBuf)>,
    /// How the crate reaches the `asyncapi-runtime` crate: `vendored` (its sources are written
    /// into the crate, which then builds on its own and offline), `crates-io`, or `path:<DIR>`
    /// (a checkout, relative to the generated crate's directory) [default: vendored; with
    /// --types-from, the runtime that crate uses, so that both share one].
    #[arg(long, value_parser = parse_runtime)]
    runtime: Option<asyncapi_codegen::Runtime>,
    /// Take the payload types from the crate in DIR (relative to --out), generated from the same
    /// document (usually for the other --role), instead of generating them again: this crate's
    /// `types` re-exports that crate's, so values pass between the two sides as they are.
    #[arg(long, value_name = "DIR")]
    types_from: Option<String>,
    /// Write nothing; print a diff of every file that would change and exit 1 if any would.
    #[arg(long)]
    check: bool,
    /// How errors and warnings are printed: `human` (with the offending line) or `json` (one
    /// object per line on stderr, for editors and CI).
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Treat warnings as errors (exit code 2 when there is any), after printing them all.
    #[arg(long)]
    deny_warnings: bool,
    /// Print the intermediate representation as JSON to stdout and write nothing.
    #[arg(long)]
    emit_ir: bool,
    /// Print how long each stage took (resolve, validate, lower, types, emit, format,
    /// templates, then write unless --check) to stderr at the end.
    #[arg(long)]
    timings: bool,
    /// The command the generated banners name for regenerating.
    #[arg(long, hide = true)]
    regen_command: Option<String>,
    /// How the spec path is shown in generated banners [default: its file name].
    #[arg(long, hide = true)]
    spec_display: Option<String>,
}

/// What the generated side receives and sends, one line per channel, so that a reading of the
/// document the user did not mean shows at once.
fn print_summary(api: &asyncapi_codegen::ir::Api, format: MessageFormat) {
    let role = api.role;
    let what = match role {
        asyncapi_codegen::ir::Role::Peer => "the counterpart of the application the document describes",
        asyncapi_codegen::ir::Role::App => "the application the document describes",
    };
    let head = format!("role `{}` ({what}{})", role.name(), if api.role_chosen { "" } else { ", the default" });
    let lines = std::iter::once(head).chain(asyncapi_codegen::lower::role::channel_summary(api));
    for line in lines {
        match format {
            MessageFormat::Json => eprintln!("{}", serde_json::json!({"level": "note", "message": line})),
            MessageFormat::Human => eprintln!("note: {line}"),
        }
    }
}

fn parse_runtime(text: &str) -> Result<asyncapi_codegen::Runtime, String> {
    asyncapi_codegen::Runtime::parse(text)
        .ok_or_else(|| format!("`{text}` is not a runtime mode: use `vendored`, `crates-io` or `path:<DIR>`"))
}

fn main() -> ExitCode {
    let args = match Cli::parse().command {
        Command::Generate(args) => args,
        Command::InternalTypify => return internal_typify(),
    };
    match run(&args) {
        Ok(code) => code,
        Err(err) => {
            match err.downcast_ref::<Error>() {
                Some(e) if args.message_format == MessageFormat::Json => eprintln!("{}", diagnostics::error_json(e)),
                Some(e) => eprint!("{}", diagnostics::error_text(e)),
                None => eprintln!("error: {err:#}"),
            }
            let input = err.downcast_ref::<Error>().is_some_and(Error::is_input_error);
            ExitCode::from(if input { 2 } else { 3 })
        }
    }
}

fn internal_typify() -> ExitCode {
    use std::io::{Read as _, Write as _};
    let mut input = String::new();
    if std::io::stdin().read_to_string(&mut input).is_err() {
        return ExitCode::from(3);
    }
    let reply = asyncapi_codegen::types::run::serve(&input);
    match std::io::stdout().write_all(reply.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(3),
    }
}

fn parse_ref_map(entry: &str) -> Result<(String, PathBuf), String> {
    // The URL contains `=` only in a query, which a prefix has no use for: split at the last one.
    match entry.rsplit_once('=') {
        Some((prefix, dir)) if !prefix.is_empty() && !dir.is_empty() => Ok((prefix.to_owned(), PathBuf::from(dir))),
        _ => Err("expected URL-PREFIX=DIR, for example https://example.com/schemas/=./vendor/schemas".to_owned()),
    }
}

fn run(args: &Generate) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::new(&args.spec);
    let mut runtime = args.runtime.clone();
    if let Some(dir) = &args.types_from {
        let (from, theirs) = asyncapi_codegen::TypesFrom::read(&args.out, dir)?;
        runtime = runtime.or(theirs);
        settings = settings.with_types_from(from);
    }
    settings = settings.with_runtime(runtime.unwrap_or_default());
    // typify runs in a child process of this binary: a schema it recurses on without end then
    // degrades to a JSON value instead of aborting the run.
    if let Ok(exe) = std::env::current_exe() {
        settings = settings.with_typify_process(exe);
    }
    if let Some(name) = &args.crate_name {
        settings = settings.with_crate_name(name);
    }
    if let Some(policy) = args.unknown_fields.as_deref().and_then(asyncapi_codegen::ir::UnknownFields::parse) {
        settings = settings.with_unknown_fields(policy);
    }
    if let Some(name) = &args.lib_name {
        settings = settings.with_lib_name(name);
    }
    for dir in &args.ref_root {
        settings = settings.with_ref_root(dir);
    }
    for (prefix, dir) in &args.ref_map {
        settings = settings.with_ref_map(prefix, dir);
    }
    if let Some(cmd) = &args.regen_command {
        settings = settings.with_regen_command(cmd);
    }
    if let Some(shown) = &args.spec_display {
        settings = settings.with_spec_display(shown);
    }
    if let Some(role) = args.role.as_deref().and_then(asyncapi_codegen::ir::Role::parse) {
        settings = settings.with_role(role);
    }
    let started = std::time::Instant::now();
    let mut generated = generate(&settings)?;
    print_summary(&generated.api, args.message_format);
    for warning in &generated.warnings {
        match args.message_format {
            MessageFormat::Json => eprintln!("{}", diagnostics::warning_json(warning)),
            MessageFormat::Human => eprint!("{}", diagnostics::warning_text(warning)),
        }
    }
    if args.deny_warnings && !generated.warnings.is_empty() {
        eprintln!("error: {} warning(s) and --deny-warnings; nothing written", generated.warnings.len());
        return Ok(ExitCode::from(2));
    }
    if args.emit_ir {
        println!("{}", serde_json::to_string_pretty(&generated.api).context("printing the IR")?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.check {
        let report = write::check(&args.out, &generated.files)?;
        if args.timings {
            print_timings(&generated.timings, started.elapsed(), args.message_format);
        }
        if report.is_clean() {
            eprintln!("{} is up to date", args.out.display());
            return Ok(ExitCode::SUCCESS);
        }
        print!("{}", report.diff);
        eprintln!(
            "error: {} is out of date with {} ({} file(s) differ, {} stale); regenerate with: asyncapi-codegen generate --spec {} --out {}",
            args.out.display(),
            args.spec.display(),
            report.changed.len(),
            report.removed.len(),
            args.spec.display(),
            args.out.display()
        );
        return Ok(ExitCode::from(1));
    }
    let writing = std::time::Instant::now();
    let report = write::write(&args.out, &generated.files)?;
    generated.timings.0.push(("write", writing.elapsed()));
    eprintln!(
        "generated {} ({} file(s) written, {} unchanged, {} stale removed)",
        args.out.display(),
        report.changed.len(),
        generated.files.len() - report.changed.len(),
        report.removed.len()
    );
    if args.timings {
        print_timings(&generated.timings, started.elapsed(), args.message_format);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--timings`: one line, each stage in milliseconds, then the whole run.
fn print_timings(timings: &asyncapi_codegen::Timings, total: std::time::Duration, format: MessageFormat) {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    match format {
        MessageFormat::Json => {
            let stages: serde_json::Map<_, _> =
                timings.0.iter().map(|(stage, d)| ((*stage).to_owned(), serde_json::json!(ms(*d)))).collect();
            eprintln!("{}", serde_json::json!({"level": "note", "timings_ms": stages, "total_ms": ms(total)}));
        }
        MessageFormat::Human => {
            let stages: Vec<String> = timings.0.iter().map(|(stage, d)| format!("{stage} {:.1}", ms(*d))).collect();
            eprintln!("note: timings (ms): {}; total {:.1}", stages.join(", "), ms(total));
        }
    }
}
