//! The binary on documents it can only partly type, or whose warnings point into a huge line:
//! the rest stays typed, each degraded schema has a located warning, `--deny-warnings` turns
//! them into a failure that writes nothing, and a warning quotes a window of a long line.

use std::path::Path;
use std::process::{Command, Output};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("codegen/ is in the workspace")
}

fn codegen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).current_dir(workspace()).args(args).output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_untypable_schema_falls_back_with_a_located_warning_unless_warnings_are_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("crate");
    let spec = "spec/fixtures/schema-fallback.yaml";
    let o = codegen(&["generate", "--spec", spec, "--out", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("warning: schema `Level` is typed as `serde_json::Value`"), "{e}");
    assert!(e.contains("--> spec/fixtures/schema-fallback.yaml:"), "located: {e}");
    let types = std::fs::read_to_string(out.join("src/types.rs")).expect("types");
    assert!(types.contains("pub struct Level(pub ::serde_json::Value)"), "degraded to a JSON value");
    assert!(types.contains("pub sensor: ::std::string::String"), "the rest stays typed");

    let denied = dir.path().join("denied");
    let o = codegen(&["generate", "--spec", spec, "--out", denied.to_str().expect("utf-8"), "--deny-warnings"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("typed as `serde_json::Value`"), "{}", stderr(&o));
    assert!(!denied.exists(), "nothing written");
}

#[test]
fn a_warning_on_a_minified_document_quotes_a_window_of_its_line() {
    // One line of about 400 KB: a large example object, then a channel whose two messages
    // cannot be told apart (a warning located on the line).
    let filler: String = (0..20_000).map(|i| format!("\"k{i}\":\"{i:08}\",")).collect();
    let doc = format!(
        r##"{{"asyncapi":"3.0.0","info":{{"title":"Minified","version":"1","x-filler":{{{filler}"end":true}}}},"channels":{{"c":{{"address":"c","messages":{{"a":{{"payload":{{"type":"object"}}}},"b":{{"payload":{{"type":"object"}}}}}}}}}},"operations":{{"r":{{"action":"receive","channel":{{"$ref":"#/channels/c"}}}}}}}}"##
    );
    assert!(doc.len() > 300_000 && !doc.contains('\n'));
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = dir.path().join("min.json");
    std::fs::write(&spec, &doc).expect("write");
    let out = dir.path().join("crate");
    let o = codegen(&["generate", "--spec", spec.to_str().expect("utf-8"), "--out", out.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("warning:"), "{e}");
    assert!(e.len() < 4_000, "stderr is {} bytes for a few warnings", e.len());
}
