//! Property-based robustness checks (the stable-toolchain stand-in for fuzzing): the generator
//! on arbitrary bytes and on mutated documents, and the generated decoder on arbitrary and
//! mutated frames, never panic. Seeds are the project's own documents and the spec's examples.
//!
//! `PROPTEST_CASES=20000 cargo test -p snapshot-tests --test robustness --release` runs longer.

use std::path::{Path, PathBuf};

use asyncapi_codegen::{Settings, generate};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}

/// The project's documents: the spec of record and every fixture.
fn seeds() -> Vec<String> {
    let mut paths = vec![root().join("spec/ctechnology-rt.asyncapi.yaml")];
    for dir in ["spec/fixtures", "spec/fixtures/invalid"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .expect("fixtures exist")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        paths.extend(found);
    }
    paths.iter().map(|p| std::fs::read_to_string(p).expect("readable fixture")).collect()
}

/// One edit of a text: the kinds of damage a half-edited document has.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    Truncate(usize),
    InsertAt(usize, String),
    Replace(String, String),
}

fn apply(text: &str, edit: &Edit) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    let char_at = |i: usize| text.char_indices().map(|(b, _)| b).nth(i % text.chars().count().max(1)).unwrap_or(0);
    match edit {
        Edit::DeleteLine(i) => {
            lines.iter().enumerate().filter(|(k, _)| *k != i % n).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
        }
        Edit::DuplicateLine(i) => {
            let mut out: Vec<&str> = lines.clone();
            if !lines.is_empty() {
                out.insert(i % n, lines[i % n]);
            }
            out.join("\n")
        }
        Edit::Truncate(i) => text[..char_at(*i)].to_owned(),
        Edit::InsertAt(i, s) => {
            let at = char_at(*i);
            format!("{}{s}{}", &text[..at], &text[at..])
        }
        Edit::Replace(from, to) => text.replacen(from.as_str(), to, 1),
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let tokens = prop::sample::select(vec![
        "$ref",
        "#/components/schemas/",
        "type",
        "object",
        "null",
        "allOf",
        "oneOf",
        "enum",
        "const",
        "{",
        "}",
        "[",
        "]",
        ":",
        "- ",
        "  ",
        "\n",
        "'",
        "\"",
        "&a",
        "*a",
        "~1",
        "required",
        "properties",
        "items",
        "3.0.0",
        "2.6.0",
        "payload",
    ]);
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), tokens.clone()).prop_map(|(i, s)| Edit::InsertAt(i, s.to_owned())),
        (tokens.clone(), tokens).prop_map(|(a, b)| Edit::Replace(a.to_owned(), b.to_owned())),
    ]
}

fn generate_text(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    // Ok or a typed error; a panic fails the property.
    let _ = generate(&Settings::new(&path));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_generator_survives_mutated_documents(seed in 0usize..64, edits in prop::collection::vec(edit(), 1..4)) {
        let seeds = seeds();
        let mut text = seeds[seed % seeds.len()].clone();
        for e in &edits {
            text = apply(&text, e);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        generate_text(dir.path(), "doc.yaml", &text);
    }

    #[test]
    fn the_generator_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.json");
        std::fs::write(&path, &bytes).expect("write");
        let _ = generate(&Settings::new(&path));
        let yaml = dir.path().join("doc.yaml");
        std::fs::write(&yaml, &bytes).expect("write");
        let _ = generate(&Settings::new(&yaml));
    }
}

/// Complete frames from the spec's examples.
fn frames() -> Vec<&'static str> {
    ctechnology_rt::servers::EXAMPLES.iter().filter(|e| e.received).map(|e| e.json).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_decoder_survives_arbitrary_text(text in ".{0,256}") {
        let _ = ctechnology_rt::decode(&text);
    }

    #[test]
    fn the_decoder_survives_mutated_frames(seed in 0usize..16, edits in prop::collection::vec(edit(), 1..4)) {
        let frames = frames();
        let mut frame = frames[seed % frames.len()].to_owned();
        for e in &edits {
            frame = apply(&frame, e);
        }
        if let Ok(message) = ctechnology_rt::decode(&frame) {
            // Whatever decodes, encodes.
            prop_assert!(message.to_frame().is_ok());
        }
    }
}

#[test]
fn every_seed_is_used() {
    // The mutation tests index seeds modulo their count; make sure there are seeds to mutate.
    assert!(seeds().len() >= 10);
    assert!(frames().len() >= 8);
}
