//! The binary on documents that break the specification in ways published documents do, where
//! the README's leniency table promises a warning and a crate rather than a refusal.

use std::path::Path;
use std::process::{Command, Output};

fn codegen(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asyncapi-codegen")).current_dir(dir).args(args).output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_ref_in_a_text_field_or_an_example_list_is_left_out_with_a_located_warning_and_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not YAML: were it read as part of the document, generation would fail on it.
    std::fs::write(dir.path().join("intro.md"), "# Intro\n\nSECRET: value: with: colons\n").expect("write");
    std::fs::write(dir.path().join("example.json"), "{\"payload\": {\"description\": \"x\"}}").expect("write");
    let spec = r#"asyncapi: 3.0.0
info:
  title: Misplaced References
  version: 1.0.0
  description:
    $ref: ./intro.md
channels:
  notes:
    address: notes
    messages:
      note:
        $ref: '#/components/messages/note'
operations:
  receiveNote:
    action: receive
    channel: {$ref: '#/channels/notes'}
components:
  schemas:
    Text: {type: string}
  messages:
    note:
      summary: {$ref: ./intro.md}
      payload:
        type: object
        properties:
          description: {$ref: '#/components/schemas/Text'}
      examples:
        - $ref: ./example.json
        - payload: {description: kept}
"#;
    std::fs::write(dir.path().join("asyncapi.yaml"), spec).expect("write");
    let o = codegen(dir.path(), &["generate", "--spec", "asyncapi.yaml", "--out", "out"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(e.contains("a `$ref` in `description` is not allowed by the specification"), "{e}");
    assert!(e.contains("--> asyncapi.yaml:6:5"), "located at the reference: {e}");
    assert!(e.contains("a `$ref` in `summary` is not allowed"), "{e}");
    assert!(e.contains("a message example that is a `$ref` is not allowed"), "{e}");
    assert!(!e.contains("SECRET"), "the text file is never quoted: {e}");
    let types = std::fs::read_to_string(dir.path().join("out/src/types.rs")).expect("types");
    // A property named `description` is a schema, and its reference is followed.
    assert!(types.contains("pub description: ::std::option::Option<Text>"), "{types}");
    let cases = std::fs::read_to_string(dir.path().join("out/tests/examples/cases.rs")).expect("example tests");
    assert_eq!(cases.matches("#[test]").count(), 1, "only the example written in place gets a test: {cases}");
}

#[test]
fn a_foreign_payload_format_needs_none_of_its_references_resolved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = r#"asyncapi: 3.1.0
info: {title: Registry, version: 1.0.0}
channels:
  orders:
    address: orders
    messages:
      order:
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema:
            $ref: https://schema-registry.example/subjects/order/versions/1/schema
operations:
  receiveOrder:
    action: receive
    channel: {$ref: '#/channels/orders'}
"#;
    std::fs::write(dir.path().join("asyncapi.yaml"), spec).expect("write");
    let o = codegen(dir.path(), &["generate", "--spec", "asyncapi.yaml", "--out", "out"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert!(e.contains("payload schema format `application/vnd.apache.avro;version=1.9.0` is not JSON Schema"), "{e}");
    assert!(!e.contains("remote `$ref`"), "{e}");
    let types = std::fs::read_to_string(dir.path().join("out/src/messages.rs")).expect("messages");
    assert!(types.contains("serde_json::Value"), "the payload is a JSON value");

    // A JSON Schema payload still needs its remote reference: exit 2, naming `--ref-map`.
    let json_schema =
        spec.replace("application/vnd.apache.avro;version=1.9.0", "application/schema+json;version=draft-07");
    std::fs::write(dir.path().join("asyncapi.yaml"), json_schema).expect("write");
    let o = codegen(dir.path(), &["generate", "--spec", "asyncapi.yaml", "--out", "out2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--ref-map"), "{}", stderr(&o));
}
