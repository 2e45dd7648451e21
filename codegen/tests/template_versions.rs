//! Tidy: what the generator writes about dependencies agrees with this repository.
//!
//! - The generated crate's `Cargo.toml` template and the vendored runtime's pin the same
//!   dependency versions as `[workspace.dependencies]`, so the crates compiled and tested here are
//!   the crates users get. The templates cannot inherit them: a generated crate builds on its own.
//! - The runtime version generated crates require is the runtime crate's own version, so the
//!   generator never emits code that needs a newer runtime than the one it pins.
//! - The vendored runtime holds every source file of the runtime crate.

use std::collections::BTreeMap;
use std::path::Path;

use asyncapi_codegen::templates::{RUNTIME_SOURCES, RUNTIME_VERSION};

const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml.j2", include_str!("../templates/Cargo.toml.j2")),
    ("runtime-Cargo.toml.j2", include_str!("../templates/runtime-Cargo.toml.j2")),
];
const WORKSPACE: &str = include_str!("../../Cargo.toml");
const RUNTIME_MANIFEST: &str = include_str!("../runtime/Cargo.toml");

/// `name = "version"` or `name = { version = "version", ... }`, for each dependency line.
fn versions<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(&'a str, &'a str)> {
    lines
        .filter_map(|line| {
            let (name, rest) = line.split_once(" = ")?;
            let rest = rest.strip_prefix("{ version = ").unwrap_or(rest);
            let version = rest.strip_prefix('"')?.split('"').next()?;
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            valid.then_some((name, version))
        })
        .collect()
}

#[test]
fn the_templates_pin_the_workspace_versions() {
    let section = WORKSPACE
        .split("[workspace.dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("the root Cargo.toml has [workspace.dependencies]");
    let workspace: BTreeMap<_, _> = versions(section.lines()).into_iter().collect();
    let mut mismatches = Vec::new();
    for (name, template) in TEMPLATES {
        let body = template.split("[package]").nth(1).expect("the template has [package]");
        let pinned = versions(body.lines().filter(|l| !l.starts_with("version") && !l.starts_with("rust-version")));
        assert!(pinned.iter().any(|(dep, _)| *dep == "serde_json"), "the parser found the dependencies of {name}");
        for (dep, version) in pinned {
            if let Some(expected) = workspace.get(dep)
                && *expected != version
            {
                mismatches.push(format!("{name}: {dep} {version}, workspace {expected}"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "codegen/templates/ and [workspace.dependencies] disagree; change both:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn generated_crates_require_the_runtime_of_this_repository() {
    let version = RUNTIME_MANIFEST
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("codegen/runtime/Cargo.toml has a version");
    assert_eq!(
        RUNTIME_VERSION, version,
        "templates::RUNTIME_VERSION must be the runtime crate's version: bump both together when the emitted code needs the new runtime"
    );
}

#[test]
fn the_vendored_runtime_has_every_source_file() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
    let mut on_disk = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(src.parent().expect("runtime/")).expect("below runtime/");
                on_disk.push(rel.display().to_string());
            }
        }
    }
    on_disk.sort();
    let mut embedded: Vec<String> = RUNTIME_SOURCES.iter().map(|(p, _)| (*p).to_owned()).collect();
    embedded.sort();
    assert_eq!(embedded, on_disk, "templates::RUNTIME_SOURCES must list every file of codegen/runtime/src");
}
