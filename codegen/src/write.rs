//! Stage 7, write: puts the generated files on disk, or (check mode) compares them with what is
//! there and describes the drift.
//!
//! Invariants: only files whose bytes change are written; each write is atomic (a temporary file
//! in the same directory, then a rename), so a reader never sees half a file; nothing is written
//! before the whole crate has been generated, so a broken spec leaves the output untouched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::error::{Error, Result};

/// Paths (relative to the crate) that the generator owns, besides the files it writes: stale
/// files under them are removed.
const OWNED_DIRS: &[&str] = &["src", "tests/examples"];

/// What a write or a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Files written (or, in check mode, that differ), relative to the output directory.
    pub changed: Vec<PathBuf>,
    /// Stale files removed (or, in check mode, that would be removed).
    pub removed: Vec<PathBuf>,
    /// In check mode, a short unified diff of every difference.
    pub diff: String,
}

impl Report {
    /// Whether the output directory already matched.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_owned(), source }
}

/// Files under the owned directories of `out` that the generator did not produce this time.
fn stale_files(out: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    for dir in OWNED_DIRS {
        let mut stack = vec![out.join(dir)];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries {
                let path = entry.map_err(io(&d))?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(out)
                    && !files.contains_key(rel)
                {
                    stale.push(rel.to_owned());
                }
            }
        }
    }
    stale.sort();
    Ok(stale)
}

/// Compares `files` with `out` without writing anything.
pub fn check(out: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Report> {
    check_labelled(out, out, files)
}

/// [`check`], naming files in the diff as `label/<file>` (`generated-client/src/lib.rs` rather
/// than an absolute path).
pub fn check_labelled(out: &Path, label: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Report> {
    let mut report = Report::default();
    for (rel, new) in files {
        let path = out.join(rel);
        let old = match std::fs::read_to_string(&path) {
            Ok(old) => old,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::Io { path, source: e }),
        };
        if old != *new {
            report.changed.push(rel.clone());
            short_diff(&mut report.diff, &label.join(rel), &old, new);
        }
    }
    report.removed = stale_files(out, files)?;
    for rel in &report.removed {
        let _ = writeln!(report.diff, "--- {} (stale: the generator no longer produces it)", label.join(rel).display());
    }
    Ok(report)
}

/// At most this many diff lines per file: enough to see what changed, short enough for CI logs.
const DIFF_LINES_PER_FILE: usize = 40;

fn short_diff(out: &mut String, rel: &Path, old: &str, new: &str) {
    let name = rel.display().to_string();
    let diff = TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(2).header(&format!("a/{name}"), &format!("b/{name}")).to_string();
    let total = text.lines().count();
    for line in text.lines().take(DIFF_LINES_PER_FILE) {
        out.push_str(line);
        out.push('\n');
    }
    if total > DIFF_LINES_PER_FILE {
        let _ = writeln!(out, "... ({} more diff lines in {name})", total - DIFF_LINES_PER_FILE);
    }
}

/// Writes `files` into `out`, touching only files whose bytes change, and removes stale files.
pub fn write(out: &Path, files: &BTreeMap<PathBuf, String>) -> Result<Report> {
    let mut report = check(out, files)?;
    report.diff.clear();
    for rel in &report.changed {
        let path = out.join(rel);
        let dir = path.parent().unwrap_or(out);
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
        tmp.write_all(files[rel].as_bytes()).map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| Error::Io { path: path.clone(), source: e.error })?;
    }
    for rel in &report.removed {
        let path = out.join(rel);
        std::fs::remove_file(&path).map_err(io(&path))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        pairs.iter().map(|(p, c)| (PathBuf::from(p), (*c).to_owned())).collect()
    }

    #[test]
    fn writes_only_what_changed_and_removes_stale_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = files(&[("Cargo.toml", "a"), ("src/lib.rs", "b"), ("src/old.rs", "c")]);
        assert_eq!(write(dir.path(), &first).expect("write").changed.len(), 3);
        let second = files(&[("Cargo.toml", "a"), ("src/lib.rs", "B")]);
        let report = check(dir.path(), &second).expect("check");
        assert_eq!(report.changed, vec![PathBuf::from("src/lib.rs")]);
        assert_eq!(report.removed, vec![PathBuf::from("src/old.rs")]);
        assert!(report.diff.contains("-b") && report.diff.contains("+B"), "{}", report.diff);
        write(dir.path(), &second).expect("write");
        assert!(check(dir.path(), &second).expect("check").is_clean());
        assert!(!dir.path().join("src/old.rs").exists());
    }
}
