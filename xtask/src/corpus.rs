//! `cargo xtask corpus [DIR...]`: the corpus gate. Generates a crate for every AsyncAPI document
//! under each DIR (documents that others reference are parts, not roots; without a DIR, the
//! shared corpus and the project's own `xtask/corpus/`), builds them all in one
//! workspace against one target directory, runs their example tests, and prints one line per
//! document (with the role it was generated with, see [`CLIENT_DOCUMENTS`]) and a
//! `N passed, N failed` total.
//!
//! Expectations come from DIR/MANIFEST.md when present: documents marked `invalid` must fail with
//! an input error (exit code 2 of the CLI) whose message is located; all others must generate,
//! compile and pass their example tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use asyncapi_codegen::ir::Role;
use asyncapi_codegen::load::Source;
use asyncapi_codegen::{Runtime, Settings, generate, write};

/// Documents of the corpus written from the client's side (their `send` operations, or the 2.x
/// `publish` of server messages, are the client's), generated with `--role app`, so that the crate
/// is the client. Every other document describes a server or a service and is generated with the
/// default role, `peer`. Paths are relative to the corpus folder.
const CLIENT_DOCUMENTS: &[(&str, &str)] = &[
    (
        "generator/websocket/asyncapi-postman-echo.yml",
        "a fixture of the generator's WebSocket client template: sends `echo`",
    ),
    (
        "generator/websocket/asyncapi-slack-client.yml",
        "the generator's Slack client fixture: receives `hello` and events",
    ),
    ("generator/websocket/asyncapi-websocket-components.yml", "a fixture of the generator's WebSocket client template"),
    ("vendors/assemblyai/usm-streaming-u3-pro.yml", "sends audio, receives session and turn messages"),
    ("vendors/deepgram/asyncapi.yml", "2.6 `publish` lists the server messages, `subscribe` the client's"),
];

/// The role a corpus document is generated with.
fn role_of(rel: &Path) -> Role {
    let client = CLIENT_DOCUMENTS.iter().any(|(path, _)| Path::new(path) == rel);
    if client { Role::App } else { Role::Peer }
}

/// One root document and what happened to it.
struct Case {
    path: PathBuf,
    /// Where the official schema rejects the document and the generator does not, without a
    /// documented reason.
    undocumented_leniency: Option<String>,
    expect_invalid: bool,
    role: Role,
    crate_name: Option<String>,
    outcome: Result<String, String>,
    /// Schemas typed as JSON values because no Rust type could be made for them.
    fallbacks: usize,
}

fn expectations(dir: &Path) -> BTreeMap<PathBuf, String> {
    let Ok(text) = std::fs::read_to_string(dir.join("MANIFEST.md")) else { return BTreeMap::new() };
    let prefix = format!("shared/{}/", dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    text.lines()
        .filter(|l| l.starts_with("| ") && l.chars().nth(2).is_some_and(|c| c.is_ascii_digit()))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            let path = cols.get(3)?.trim_matches('`');
            let rel = path.strip_prefix(&prefix).unwrap_or(path);
            Some((PathBuf::from(rel), cols.get(9)?.to_string()))
        })
        .collect()
}

/// Every file below `dir` whose extension is one of `extensions`, sorted.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.contains(&e)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn documents(dir: &Path) -> Vec<PathBuf> {
    files_under(dir, &["yaml", "yml", "json"])
}

/// Files that some document names in a `$ref`: parts of a multi-file document, not roots.
fn referenced(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for line in text.lines() {
            let Some(i) = line.find("$ref") else { continue };
            let rest = line[i + 4..].trim_start_matches(['"', '\'', ':', ' ']);
            let target = rest.split(['#', '"', '\'']).next().unwrap_or("").trim();
            if target.is_empty() || target.contains("://") {
                continue;
            }
            if let Some(parent) = file.parent()
                && let Ok(p) = std::fs::canonicalize(parent.join(target))
            {
                out.insert(p);
            }
        }
    }
    out
}

fn is_asyncapi_or_broken(path: &Path) -> bool {
    match Source::read(path, path.to_path_buf()) {
        Ok(source) => source.value.get("asyncapi").is_some(),
        Err(_) => true,
    }
}

fn slug(rel: &Path) -> String {
    let s: String = rel
        .with_extension("")
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let mut out = String::new();
    for part in s.split('-').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    format!("corpus-{out}")
}

/// The folders `cargo xtask corpus` checks when none is given: the shared corpus beside the
/// project (where it exists) and the project's own, `xtask/corpus/`.
pub fn default_dirs(root: &Path) -> Vec<PathBuf> {
    let shared = root.join("../shared/asyncapi-corpus");
    let own = root.join("xtask/corpus");
    if shared.is_dir() {
        vec![shared, own]
    } else {
        eprintln!("corpus: no shared corpus at {}; checking the project's own", shared.display());
        vec![own]
    }
}

/// Runs the gate over every folder in `dirs`, in one workspace; `Ok(false)` when some document
/// failed its expectation.
pub fn run(root: &Path, dirs: &[PathBuf]) -> anyhow::Result<bool> {
    let started = Instant::now();
    let mut folders = Vec::new();
    for dir in dirs {
        folders.push(std::fs::canonicalize(dir).with_context(|| format!("corpus folder {}", dir.display()))?);
    }
    // The official schemas sit beside the shared corpus; check the project's own documents first.
    let schemas = folders
        .iter()
        .chain(std::iter::once(&root.join("../shared/asyncapi-corpus")))
        .filter_map(|d| d.parent().map(|p| p.join("asyncapi-schemas")))
        .find(|p| p.is_dir())
        .unwrap_or_default();
    if schemas.is_dir() {
        crate::schema_check::run(root, &schemas)?;
    } else {
        eprintln!("corpus: no official schemas beside the corpus folders; skipping the spec check");
    }
    // (folder, root document, expectation) for every folder.
    let mut documents_found = Vec::new();
    for dir in &folders {
        let manifest = expectations(dir);
        let files = documents(dir);
        let parts = referenced(&files);
        let roots: Vec<PathBuf> = files
            .into_iter()
            .filter(|f| !parts.contains(&std::fs::canonicalize(f).unwrap_or_default()))
            .filter(|f| is_asyncapi_or_broken(f))
            .collect();
        if roots.is_empty() {
            bail!("no AsyncAPI documents under {}", dir.display());
        }
        for path in roots {
            let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let expect_invalid = manifest.get(&rel).is_some_and(|v| v.starts_with("invalid"));
            documents_found.push((dir.clone(), path, rel, expect_invalid));
        }
    }
    for (path, _) in CLIENT_DOCUMENTS {
        if !folders.iter().any(|dir| dir.join(path).is_file()) {
            eprintln!("corpus: the role table names {path}, which is in none of the corpus folders");
        }
    }
    let mut slugs = BTreeMap::new();
    for (dir, _, rel, _) in &documents_found {
        if let Some(other) = slugs.insert(slug(rel), dir.join(rel)) {
            bail!(
                "{} and {} would get the same crate name; give one of them another path",
                other.display(),
                dir.join(rel).display()
            );
        }
    }
    let work = root.join("target/corpus");
    let crates_dir = work.join("crates");
    if crates_dir.exists() {
        std::fs::remove_dir_all(&crates_dir).with_context(|| format!("clearing {}", crates_dir.display()))?;
    }
    let shown: Vec<String> = folders.iter().map(|d| d.display().to_string()).collect();
    eprintln!("corpus: generating {} documents from {}", documents_found.len(), shown.join(", "));
    let mut cases = Vec::new();
    for (dir, path, rel, expect_invalid) in documents_found {
        let name = slug(&rel);
        let role = role_of(&rel);
        // Multi-file documents reference `../common/...`: the corpus folder is an allowed root.
        // All crates share one workspace, so they share the project's runtime crate too.
        let settings = Settings::new(&path)
            .with_crate_name(&name)
            .with_spec_display(rel.display().to_string())
            .with_ref_root(&dir)
            .with_role(role)
            .with_runtime(Runtime::Path(root.join("codegen/runtime").display().to_string()));
        let mut fallbacks = 0;
        let outcome = match generate(&settings) {
            Ok(generated) => {
                write::write(&crates_dir.join(&name), &generated.files)?;
                fallbacks = generated.fallbacks.len();
                Ok(format!("generated ({} warnings)", generated.warnings.len()))
            }
            Err(e) => Err(e.to_string()),
        };
        let generated = outcome.is_ok();
        let undocumented_leniency =
            if generated && schemas.is_dir() { undocumented_leniency(&schemas, &path) } else { None };
        cases.push(Case {
            path: rel,
            undocumented_leniency,
            expect_invalid,
            role,
            crate_name: generated.then_some(name),
            outcome,
            fallbacks,
        });
    }
    let built: Vec<&str> = cases.iter().filter(|c| !c.expect_invalid).filter_map(|c| c.crate_name.as_deref()).collect();
    let failed_builds = build_all(root, &work, &built)?;
    let mut passed = 0;
    let mut failed = 0;
    for case in &mut cases {
        let line = match (&case.outcome, case.expect_invalid) {
            _ if case.undocumented_leniency.is_some() => Err(format!(
                "the official schema rejects it but the generator accepts it, for no documented reason: {}",
                case.undocumented_leniency.clone().unwrap_or_default()
            )),
            (Err(msg), true) if msg.contains(':') && msg.contains(&case.path.display().to_string()) => {
                Ok(format!("expected failure: {}", first_line(msg)))
            }
            (Err(msg), true) => Err(format!("failed without a located message: {}", first_line(msg))),
            (Ok(_), true) => Err("generated, but the manifest marks it invalid".to_owned()),
            (Err(msg), false) => Err(format!("generation failed: {}", first_line(msg))),
            (Ok(_), false) => {
                let name = case.crate_name.clone().unwrap_or_default();
                if let Some(err) = failed_builds.get(&name) {
                    Err(format!("does not compile: {err}"))
                } else {
                    test_one(root, &work, &name)
                }
            }
        };
        let line = match line {
            Ok(s) if case.fallbacks > 0 => Ok(format!("{s}; {} schema(s) typed as JSON values", case.fallbacks)),
            other => other,
        };
        match line {
            Ok(s) => {
                passed += 1;
                println!("ok    {} [{}]: {s}", case.path.display(), case.role.name());
            }
            Err(s) => {
                failed += 1;
                println!("FAIL  {} [{}]: {s}", case.path.display(), case.role.name());
            }
        }
    }
    println!("corpus: {} documents in {:.0?}", cases.len(), started.elapsed());
    let degraded = cases.iter().filter(|c| c.fallbacks > 0).count();
    println!("{passed} passed, {failed} failed, {degraded} typed with a fallback");
    Ok(failed == 0)
}

/// The first official-schema problem of a document the generator accepted that no documented
/// leniency explains.
fn undocumented_leniency(schemas: &Path, path: &Path) -> Option<String> {
    let source = Source::read(path, path.to_path_buf()).ok()?;
    let problems = crate::schema_check::official_problems(schemas, &source.value).ok()?;
    problems
        .into_iter()
        .find(|(pointer, _)| crate::schema_check::documented_leniency(&source.value, pointer).is_none())
        .map(|(pointer, message)| format!("{pointer}: {}", first_line(&message)))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().chars().take(240).collect()
}

fn cargo(root: &Path, work: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // One target directory with the project (or the one the caller chose), so the corpus
    // reuses the dependencies already built.
    let target = match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or(dir),
        None => root.join("target"),
    };
    cmd.current_dir(work).env("CARGO_TARGET_DIR", target).env("CARGO_TERM_COLOR", "never");
    cmd
}

/// Builds every crate (with its tests) in one workspace; returns the crates that failed.
fn build_all(root: &Path, work: &Path, crates: &[&str]) -> anyhow::Result<BTreeMap<String, String>> {
    let members: Vec<String> = crates.iter().map(|c| format!("    \"crates/{c}\",")).collect();
    let manifest = format!(
        "# Written by `cargo xtask corpus`.\n[workspace]\nresolver = \"3\"\nmembers = [\n{}\n]\n\n[profile.dev]\ndebug = false\n",
        members.join("\n")
    );
    std::fs::write(work.join("Cargo.toml"), manifest)?;
    // Start from the project's lock file, so the corpus builds with the same dependency versions.
    let _ = std::fs::copy(root.join("Cargo.lock"), work.join("Cargo.lock"));
    eprintln!("corpus: building {} crates", crates.len());
    let output = cargo(root, work)
        .args(["build", "--workspace", "--tests", "--keep-going", "--message-format", "short"])
        .output()
        .context("running cargo build")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut failed = BTreeMap::new();
    let mut last_error = String::new();
    for line in stderr.lines() {
        if line.contains(": error") || line.starts_with("error[") {
            last_error = line.to_owned();
        }
        if let Some(rest) = line.strip_prefix("error: could not compile `") {
            let name = rest.split('`').next().unwrap_or_default().to_owned();
            failed.insert(name, last_error.chars().take(240).collect());
        }
    }
    if !output.status.success() && failed.is_empty() {
        bail!("cargo build failed in {}:\n{stderr}", work.display());
    }
    Ok(failed)
}

fn test_one(root: &Path, work: &Path, name: &str) -> Result<String, String> {
    if !work.join("crates").join(name).join("tests/examples.rs").is_file() {
        return Ok("generated, compiled (the document has no examples)".to_owned());
    }
    let output = cargo(root, work)
        .args(["test", "--quiet", "-p", name, "--test", "examples"])
        .output()
        .map_err(|e| format!("running cargo test: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (mut pass, mut fail) = (0, 0);
    for line in stdout.lines().filter(|l| l.starts_with("test result:")) {
        let n = |word: &str| -> usize {
            let words: Vec<&str> = line.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[1].trim_end_matches([';', ',']) == word)
                .and_then(|w| w[0].parse().ok())
                .unwrap_or(0)
        };
        pass += n("passed");
        fail += n("failed");
    }
    if output.status.success() {
        Ok(format!("generated, compiled, {pass} example tests passed"))
    } else {
        let why = stdout.lines().find(|l| l.contains("panicked") || l.contains("FAILED")).unwrap_or("tests failed");
        Err(format!("{fail} example tests failed: {}", first_line(why)))
    }
}
