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
    let version = doc.get("asyncapi").and_then(Value::as_str).unwrap_or_default();
    let schema = official_schema(schemas, version)?;
    let validator = jsonschema::draft7::new(&schema).map_err(|e| anyhow::anyhow!("official schema {version}: {e}"))?;
    Ok(validator.iter_errors(doc).map(|e| format!("{}: {e}", e.instance_path())).collect())
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
