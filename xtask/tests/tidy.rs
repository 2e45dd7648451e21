//! Tidy: repository rules as assertions.
//!
//! - The tree holds one copy of every piece of Rust: no two `.rs` files of more than 50 lines
//!   are identical apart from their `//` comment lines (the generator's banners). Generated
//!   crates reach the runtime crate by path instead of carrying copies of it. One exception: a
//!   fixture generated in both roles (`tests/snapshots/<fixture>-peer/` and `-app/`) has modules
//!   whose code does not depend on the role (`types.rs`); those are the same generator output for
//!   the same document apart from their docs (which say which side sends what), and each crate
//!   needs its own. Doc comments count as comment lines here, so the exception is needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask/ is in the workspace").to_path_buf()
}

/// Every `.rs` file of the repository, build output and VCS metadata aside.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable dir").flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && !name.starts_with("target") {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_rust_file_is_a_copy_of_another() {
    let root = workspace();
    let mut by_body: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in rust_files(&root) {
        let text = std::fs::read_to_string(&path).expect("readable");
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("//")).collect();
        if body.len() > 50 {
            by_body.entry(body.join("\n")).or_default().push(path.strip_prefix(&root).expect("inside").to_path_buf());
        }
    }
    let copies: Vec<_> = by_body.values().filter(|paths| paths.len() > 1 && !one_document_two_roles(paths)).collect();
    assert!(copies.is_empty(), "identical Rust files (banners aside): {copies:?}");
}

/// Whether every path is the same file of the snapshot crates of one fixture in its roles:
/// `tests/snapshots/<fixture>-<role>/<file>` with one `<fixture>` and one `<file>`.
fn one_document_two_roles(paths: &[PathBuf]) -> bool {
    let keys: Vec<Option<(String, PathBuf)>> = paths
        .iter()
        .map(|path| {
            let rest = path.strip_prefix("tests/snapshots").ok()?;
            let mut parts = rest.components();
            let dir = parts.next()?.as_os_str().to_str()?;
            let fixture = dir.strip_suffix("-peer").or_else(|| dir.strip_suffix("-app"))?;
            Some((fixture.to_owned(), parts.as_path().to_path_buf()))
        })
        .collect();
    keys.iter().all(|k| k.is_some() && *k == keys[0])
}

#[test]
fn only_the_role_twins_of_one_fixture_may_share_a_file() {
    let twins = [
        PathBuf::from("tests/snapshots/quotes-peer/src/types.rs"),
        PathBuf::from("tests/snapshots/quotes-app/src/types.rs"),
    ];
    assert!(one_document_two_roles(&twins));
    let other_fixture = [
        PathBuf::from("tests/snapshots/quotes-peer/src/types.rs"),
        PathBuf::from("tests/snapshots/feed-app/src/types.rs"),
    ];
    assert!(!one_document_two_roles(&other_fixture));
    let other_file = [
        PathBuf::from("tests/snapshots/quotes-peer/src/types.rs"),
        PathBuf::from("tests/snapshots/quotes-app/src/client.rs"),
    ];
    assert!(!one_document_two_roles(&other_file));
    let runtime_copy =
        [PathBuf::from("codegen/runtime/src/server.rs"), PathBuf::from("tests/snapshots/quotes-app/src/server.rs")];
    assert!(!one_document_two_roles(&runtime_copy));
}
