//! Snapshot tests: every fixture under `spec/fixtures/` is generated and compared with the crate
//! committed under `tests/snapshots/<fixture>/`; every document under `spec/fixtures/invalid/`
//! must fail with the message committed in `tests/expected-errors/<fixture>.txt`.
//!
//! The snapshot crates are workspace members, so `cargo test --workspace` also compiles them and
//! runs the example tests generated into them.
//!
//! A fixture whose first lines hold `# snapshot-roles: peer, app` is generated once per role,
//! into `tests/snapshots/<fixture>-<role>/`; the others once, with the role the document chooses
//! (or the default). The roles after the first take their payload types from the first
//! (`--types-from`), so the two sides share one `types` module.
//!
//! `BLESS=1 cargo test -p snapshot-tests` rewrites the expectations.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asyncapi_codegen::ir::Role;
use asyncapi_codegen::{Runtime, Settings, TypesFrom, generate, write};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_path_buf()
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v != "0")
}

/// Fixture documents directly inside `dir` (not the files they reference from subfolders).
fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")))
        .collect();
    out.sort();
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().expect("file has a name").to_string_lossy().into_owned()
}

/// One snapshot of a fixture.
struct Case {
    /// Its directory under `tests/snapshots/`.
    name: String,
    role: Option<Role>,
    /// The snapshot it takes its payload types from (`--types-from`).
    types_from: Option<String>,
}

/// The snapshots of a fixture. The roles of a `# snapshot-roles` fixture after the first take
/// their payload types from the first, as a user who generates both sides would.
fn cases(fixture: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(fixture).unwrap_or_default();
    let roles = text.lines().take_while(|l| l.starts_with('#')).find_map(|l| l.strip_prefix("# snapshot-roles:"));
    let Some(roles) = roles else {
        return vec![Case { name: stem(fixture), role: None, types_from: None }];
    };
    let mut out: Vec<Case> = Vec::new();
    for r in roles.split(',') {
        let role = Role::parse(r.trim()).unwrap_or_else(|| panic!("{}: unknown role `{r}`", fixture.display()));
        let types_from = out.first().map(|first| first.name.clone());
        out.push(Case { name: format!("{}-{}", stem(fixture), role.name()), role: Some(role), types_from });
    }
    out
}

fn settings(root: &Path, fixture: &Path) -> Settings {
    settings_for(root, fixture, &Case { name: stem(fixture), role: None, types_from: None })
}

fn settings_for(root: &Path, fixture: &Path, case: &Case) -> Settings {
    let shown = fixture.strip_prefix(root).unwrap_or(fixture).display().to_string();
    let mut settings = Settings::new(fixture);
    if let Some(role) = case.role {
        settings = settings.with_role(role);
    }
    if let Some(first) = &case.types_from {
        let package = format!("fixture-{first}");
        let lib = package.replace('-', "_");
        settings = settings.with_types_from(TypesFrom { package, lib, path: format!("../{first}") });
    }
    settings
        .with_crate_name(format!("fixture-{}", case.name))
        .with_spec_display(shown)
        .with_regen_command("BLESS=1 cargo test -p snapshot-tests")
        // The one copy of the runtime in this repository, seen from `tests/snapshots/<fixture>/`.
        .with_runtime(Runtime::Path("../../../codegen/runtime".into()))
}

#[test]
fn fixtures_match_their_snapshots() {
    let root = root();
    let mut failures = BTreeMap::new();
    let fixtures = documents(&root.join("spec/fixtures"));
    assert!(fixtures.len() >= 7, "expected the fixture set, found {fixtures:?}");
    for (fixture, case) in fixtures.iter().flat_map(|f| cases(f).into_iter().map(move |c| (f, c))) {
        let generated = match generate(&settings_for(&root, fixture, &case)) {
            Ok(g) => g,
            Err(e) => {
                failures.insert(case.name, format!("generation failed: {e}"));
                continue;
            }
        };
        let name = case.name;
        let out = root.join("tests/snapshots").join(&name);
        let result = if bless() { write::write(&out, &generated.files) } else { write::check(&out, &generated.files) };
        match result {
            Ok(report) if bless() || report.is_clean() => {}
            Ok(report) => {
                failures.insert(name, report.diff);
            }
            Err(e) => {
                failures.insert(name, e.to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "generated output differs from tests/snapshots/ for {:?}; if the change is intended, run `BLESS=1 cargo test -p snapshot-tests` and review the diff\n{}",
        failures.keys().collect::<Vec<_>>(),
        failures.values().cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn invalid_fixtures_fail_with_located_messages() {
    let root = root();
    let mut failures = Vec::new();
    let fixtures = documents(&root.join("spec/fixtures/invalid"));
    assert!(!fixtures.is_empty());
    for fixture in fixtures {
        let name = stem(&fixture);
        let relative = fixture.strip_prefix(&root).expect("fixture inside the workspace").to_path_buf();
        // Run from the workspace root with a relative path, as a user would.
        let message = match generate(&settings(&root, &root.join(&relative)).clone()) {
            Ok(_) => {
                failures.push(format!("{name}: generated, but the document is invalid"));
                continue;
            }
            Err(e) if !e.is_input_error() => {
                failures.push(format!("{name}: failed, but not as an input error: {e}"));
                continue;
            }
            Err(e) => e.to_string().replace(&format!("{}/", root.display()), ""),
        };
        if !message.contains(&relative.display().to_string()) || !message.contains(':') {
            failures.push(format!("{name}: message does not name the file: {message}"));
        }
        let expected_path = root.join("tests/expected-errors").join(format!("{name}.txt"));
        if bless() {
            std::fs::create_dir_all(expected_path.parent().expect("has parent")).expect("create dir");
            std::fs::write(&expected_path, format!("{message}\n")).expect("write expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected.trim_end() != message {
            failures.push(format!("{name}: expected\n  {}\ngot\n  {message}", expected.trim_end()));
        }
    }
    assert!(failures.is_empty(), "run `BLESS=1 cargo test -p snapshot-tests` if intended:\n{}", failures.join("\n"));
}

#[test]
fn generation_is_byte_deterministic() {
    let root = root();
    let fixture = root.join("spec/ctechnology-rt.asyncapi.yaml");
    let a = generate(&Settings::new(&fixture)).expect("generates");
    let b = generate(&Settings::new(&fixture)).expect("generates");
    assert_eq!(a.files, b.files);
}
