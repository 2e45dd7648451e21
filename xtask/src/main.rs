//! Repository chores: `cargo xtask regen [--check]` keeps `generated-client/` in step with the
//! spec of record; `corpus`, `bench` and `integration` check the generator and its output.

mod bench;
mod corpus;
mod integration;
mod schema_check;
mod synth;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use asyncapi_codegen::{Runtime, Settings, generate, write};
use clap::{Parser, Subcommand};

/// The spec of record, relative to the workspace root.
const SPEC: &str = "spec/ctechnology-rt.asyncapi.yaml";
/// The crate generated from it.
const CLIENT_DIR: &str = "generated-client";

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate `generated-client/` from the spec of record.
    Regen {
        /// Write nothing; print a diff and exit 1 if `generated-client/` is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Generate, build and test a crate for every AsyncAPI document under each DIR.
    Corpus {
        /// The folders of documents (each with an optional MANIFEST.md of expectations) [default:
        /// ../shared/asyncapi-corpus and the project's own xtask/corpus].
        dirs: Vec<PathBuf>,
    },
    /// Time the generator, the generated crate's build and the client end to end; print a table.
    Bench {
        /// Few runs and messages: checks that everything runs (CI), figures are indicative only.
        #[arg(long)]
        quick: bool,
        /// The synthetic documents' channel counts [default: 100,1000,5000; quick: 100,1000].
        #[arg(long, value_delimiter = ',')]
        channels: Vec<usize>,
    },
    /// Write the synthetic document of the benchmarks with N channels (to profile the generator
    /// on it, for example).
    Synth {
        /// Its number of channels.
        channels: usize,
        /// Where to write it [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// End-to-end checks with programs from outside the workspace (today: the dashboard example
    /// in headless chromium); screenshots and logs in target/integration/.
    Integration {
        /// The checks to run [default: all]: dashboard, dashboard-rejected, dashboard-load.
        checks: Vec<String>,
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The generator settings for the spec of record (`spec` is it, or a changed copy of it).
fn client_settings(spec: &Path) -> Settings {
    Settings::new(spec)
        .with_crate_name("generated-client")
        .with_lib_name("ctechnology_rt")
        .with_spec_display(SPEC)
        .with_regen_command("cargo xtask regen")
        // The one copy of the runtime in this repository, seen from `generated-client/`.
        .with_runtime(Runtime::Path("../codegen/runtime".into()))
}

/// Regenerates (or checks) the client crate; `Ok(false)` when `check` found drift.
fn regen(root: &Path, check: bool) -> anyhow::Result<bool> {
    let generated = generate(&client_settings(&root.join(SPEC))).with_context(|| format!("generating from {SPEC}"))?;
    for warning in &generated.warnings {
        eprintln!("warning: {warning}");
    }
    let out = root.join(CLIENT_DIR);
    if check {
        let report = write::check_labelled(&out, Path::new(CLIENT_DIR), &generated.files)?;
        if report.is_clean() {
            eprintln!("{CLIENT_DIR}/ is up to date with {SPEC}");
            return Ok(true);
        }
        print!("{}", report.diff);
        eprintln!(
            "error: {CLIENT_DIR}/ is out of date with {SPEC}: {} file(s) differ, {} stale: {}\nhelp: run `cargo xtask regen` and commit the result",
            report.changed.len(),
            report.removed.len(),
            report
                .changed
                .iter()
                .chain(&report.removed)
                .map(|p| format!("{CLIENT_DIR}/{}", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(false);
    }
    let report = write::write(&out, &generated.files)?;
    eprintln!(
        "regenerated {CLIENT_DIR}/ from {SPEC}: {} file(s) written, {} unchanged, {} stale removed",
        report.changed.len(),
        generated.files.len() - report.changed.len(),
        report.removed.len()
    );
    Ok(true)
}

/// `cargo xtask synth`: the document goes to `out`, or to standard output.
fn write_synth(channels: usize, out: Option<&Path>) -> anyhow::Result<bool> {
    let text = synth::document(channels);
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => {
            use std::io::Write as _;
            std::io::stdout().lock().write_all(text.as_bytes()).context("writing to standard output")?;
        }
    }
    Ok(true)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Regen { check } => regen(&root, check),
        Command::Corpus { dirs } => {
            let dirs = if dirs.is_empty() { corpus::default_dirs(&root) } else { dirs };
            corpus::run(
                &root,
                &dirs.into_iter().map(|d| if d.is_absolute() { d } else { root.join(d) }).collect::<Vec<_>>(),
            )
        }
        Command::Bench { quick, channels } => bench::run(&root, quick, &channels),
        Command::Synth { channels, out } => write_synth(channels, out.as_deref()),
        Command::Integration { checks } => integration::run(&root, &checks),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test --workspace` fails when the committed client drifts from the spec.
    #[test]
    fn generated_client_is_up_to_date() {
        let root = workspace_root();
        let generated = generate(&client_settings(&root.join(SPEC))).expect("the spec of record generates");
        let report = write::check(&root.join(CLIENT_DIR), &generated.files).expect("check runs");
        assert!(report.is_clean(), "{CLIENT_DIR}/ is out of date; run `cargo xtask regen`\n{}", report.diff);
    }

    /// A field added to a schema of the spec is drift, found in the file that changes.
    #[test]
    fn a_spec_change_is_drift_in_the_types() {
        let root = workspace_root();
        let spec = std::fs::read_to_string(root.join(SPEC)).expect("spec of record");
        let at = spec.find("    VehicleStatus:\n").expect("the VehicleStatus schema");
        let props = at + spec[at..].find("      properties:\n").expect("its properties") + "      properties:\n".len();
        let changed = format!("{}        trip_km:\n          type: number\n{}", &spec[..props], &spec[props..]);
        let dir = std::env::temp_dir().join(format!("xtask-drift-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("spec.yaml");
        std::fs::write(&file, changed).expect("write");
        let generated = generate(&client_settings(&file)).expect("the changed spec generates");
        let report = write::check(&root.join(CLIENT_DIR), &generated.files).expect("check runs");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(report.changed, [PathBuf::from("src/types.rs")], "{}", report.diff);
        assert!(report.diff.contains("pub trip_km"), "{}", report.diff);
    }
}
