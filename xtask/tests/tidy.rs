//! Tidy: repository rules as assertions.
//!
//! - The tree holds one copy of every piece of Rust: no two `.rs` files with more than 50 lines
//!   of code are identical apart from their `//` comment lines (the generator's banners). Lines
//!   of code are those that are not blank, comments, attributes or module declarations, so that
//!   a crate root that only declares its modules (the two sides of one document declare the
//!   same ones) is not code to copy, while anything with a body is. Generated
//!   crates reach the runtime crate by path instead of carrying copies of it, and the second
//!   role of a fixture generated in both (`tests/snapshots/<fixture>-app/`) re-exports the first
//!   one's payload types (`--types-from`) instead of holding the same `types.rs` again. No
//!   exceptions.

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

/// Whether `line` is code rather than a comment, an attribute or a module declaration.
fn is_code(line: &str) -> bool {
    let line = line.trim();
    let declaration = line.starts_with("pub mod ") || line.starts_with("mod ");
    !(line.is_empty() || line.starts_with("//") || line.starts_with('#') || declaration && line.ends_with(';'))
}

#[test]
fn no_rust_file_is_a_copy_of_another() {
    let root = workspace();
    let mut by_body: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for path in rust_files(&root) {
        let text = std::fs::read_to_string(&path).expect("readable");
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("//")).collect();
        if body.iter().filter(|l| is_code(l)).count() > 50 {
            by_body.entry(body.join("\n")).or_default().push(path.strip_prefix(&root).expect("inside").to_path_buf());
        }
    }
    let copies: Vec<_> = by_body.values().filter(|paths| paths.len() > 1).collect();
    assert!(copies.is_empty(), "identical Rust files (banners aside): {copies:?}");
}
