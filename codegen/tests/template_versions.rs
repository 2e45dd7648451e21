//! Tidy: the generated crate's `Cargo.toml` template pins the same dependency versions as the
//! workspace's `[workspace.dependencies]`, so the crate compiled and tested here is the crate
//! users get. The template cannot inherit them: a generated crate must build on its own.

use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("../templates/Cargo.toml.j2");
const WORKSPACE: &str = include_str!("../../Cargo.toml");

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
fn the_template_pins_the_workspace_versions() {
    let section = WORKSPACE
        .split("[workspace.dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("the root Cargo.toml has [workspace.dependencies]");
    let workspace: BTreeMap<_, _> = versions(section.lines()).into_iter().collect();
    let template = TEMPLATE.split("[package]").nth(1).expect("the template has [package]");
    let pinned = versions(template.lines().filter(|l| !l.starts_with("version") && !l.starts_with("rust-version")));
    assert!(pinned.iter().any(|(name, _)| *name == "tokio"), "the parser found the template's dependencies");
    let mismatches: Vec<String> = pinned
        .iter()
        .filter_map(|(name, version)| {
            let expected = workspace.get(name)?;
            (expected != version).then(|| format!("{name}: template {version}, workspace {expected}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "codegen/templates/Cargo.toml.j2 and [workspace.dependencies] disagree; change both:\n{}",
        mismatches.join("\n")
    );
}
