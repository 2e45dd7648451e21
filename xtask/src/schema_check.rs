//! Validates the project's own AsyncAPI documents (`spec/` and `spec/fixtures/`) against the
//! official AsyncAPI JSON Schemas, which live beside the corpus (`../shared/asyncapi-schemas`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use asyncapi_codegen::load::Source;
use serde_json::Value;

/// The project's documents that must be valid AsyncAPI (not the files they reference, not the
/// deliberately invalid fixtures).
fn project_documents(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.join("spec/ctechnology-rt.asyncapi.yaml")];
    if let Ok(entries) = std::fs::read_dir(root.join("spec/fixtures")) {
        let mut fixtures: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")))
            .collect();
        fixtures.sort();
        out.extend(fixtures);
    }
    out
}

/// The official schema for `version` (`3.0.0`) in `schemas`.
pub fn official_schema(schemas: &Path, version: &str) -> anyhow::Result<Value> {
    let path = schemas.join(format!("{version}-without-$id.json"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Problems the official schema finds in `doc` (empty when valid).
pub fn official_errors(schemas: &Path, doc: &Value) -> anyhow::Result<Vec<String>> {
    Ok(official_problems(schemas, doc)?.into_iter().map(|(path, e)| format!("{path}: {e}")).collect())
}

/// Problems the official schema finds in `doc`, as (JSON pointer, message).
pub fn official_problems(schemas: &Path, doc: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let version = doc.get("asyncapi").and_then(Value::as_str).unwrap_or_default();
    let schema = official_schema(schemas, version)?;
    // `format` is an annotation in draft 7 (as the corpus manifest's validator treats it).
    let validator = jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(&schema)
        .map_err(|e| anyhow::anyhow!("official schema {version}: {e}"))?;
    Ok(validator.iter_errors(doc).map(|e| (e.instance_path().to_string(), e.to_string())).collect())
}

/// Where the generator deliberately accepts what the official schema rejects; each is listed in
/// the README. The official schema reports a failed `oneOf` at the object that holds the
/// offending part, so the whole subtree at `pointer` is searched. Returns the reason found.
pub fn documented_leniency(doc: &Value, pointer: &str) -> Option<&'static str> {
    let value = jsonptr::Pointer::parse(pointer).ok().and_then(|p| p.resolve(doc).ok())?;
    lenient_part(value, pointer, 0)
}

fn lenient_part(value: &Value, path: &str, depth: usize) -> Option<&'static str> {
    if depth > 64 {
        return None;
    }
    let in_parameters = path.contains("/parameters/");
    if in_parameters && value.get("$ref").is_some() {
        return Some(
            "a `$ref` to a parameter matches both branches of the 2.0-2.4 schemas' `oneOf [Parameter, Reference]`",
        );
    }
    if path.ends_with("/security") && value.is_object() {
        return Some(
            "operation `security` written as a mapping instead of a list (the generator does not read security)",
        );
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if value.get("$ref").is_some() && matches!(last, "description" | "summary" | "title") {
        return Some("a `$ref` in a text field (the generator leaves the text out, with a warning)");
    }
    if value.get("$ref").is_some() && path.contains("/messages/") && path.rsplit('/').nth(1) == Some("examples") {
        return Some("a `$ref` as a message example (the generator skips it, with a warning)");
    }
    if in_parameters && path.contains("/examples/") && !value.is_string() {
        return Some("a channel parameter example that is not a string (examples are documentation)");
    }
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| lenient_part(v, &format!("{path}/{k}"), depth + 1)),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| lenient_part(v, &format!("{path}/{i}"), depth + 1))
        }
        _ => None,
    }
}
/// Checks every project document; fails listing each problem.
pub fn run(root: &Path, schemas: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let docs = project_documents(root);
    for path in &docs {
        let shown = path.strip_prefix(root).unwrap_or(path).to_path_buf();
        let source = Source::read(path, shown.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        for error in official_errors(schemas, &source.value)? {
            problems.push(format!("{}: {error}", shown.display()));
        }
    }
    if !problems.is_empty() {
        bail!("documents rejected by the official AsyncAPI schema:\n{}", problems.join("\n"));
    }
    println!("spec: {} documents valid against the official AsyncAPI JSON Schemas", docs.len());
    Ok(())
}
