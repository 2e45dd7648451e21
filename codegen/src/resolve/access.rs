//! Which files the resolver may read, and where remote references are found offline: the
//! allowed roots (the working directory, the root document's folder, `--ref-root` and
//! `--ref-map` folders, all canonicalised) and the `--ref-map <URL-PREFIX>=<DIR>` table.
//!
//! A document given to the generator must not be a way to read the machine: in CI it may come
//! from an untrusted change. Every path is checked here before it is opened.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The folders whose files a `$ref` may read, canonicalised (`..` and symlinks resolved), each
/// with everything below it.
#[derive(Clone, Debug, Default)]
pub struct AllowedRoots {
    dirs: Vec<PathBuf>,
}

impl AllowedRoots {
    /// The default roots (the working directory and the folder of the root document `spec`) and
    /// the `extra` ones (`--ref-root`, `--ref-map` folders).
    pub fn new(spec: &Path, extra: &[PathBuf]) -> Result<AllowedRoots> {
        let mut dirs = Vec::new();
        if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize) {
            dirs.push(cwd);
        }
        if let Ok(dir) = std::fs::canonicalize(folder_of(spec)) {
            dirs.push(dir);
        }
        for dir in extra {
            dirs.push(existing_folder(dir)?);
        }
        Ok(AllowedRoots { dirs })
    }

    /// Whether the canonical (or lexically normalised absolute) `path` lies inside a root.
    pub fn contains(&self, path: &Path) -> bool {
        self.dirs.iter().any(|dir| path.starts_with(dir))
    }
}

/// The folder a file is in (`.` for a bare file name).
pub fn folder_of(file: &Path) -> &Path {
    file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn existing_folder(dir: &Path) -> Result<PathBuf> {
    match std::fs::canonicalize(dir) {
        Ok(canonical) if canonical.is_dir() => Ok(canonical),
        _ => Err(Error::Settings(format!(
            "`{}` given as a reference folder is not a folder; pass an existing folder",
            dir.display()
        ))),
    }
}

/// `--ref-map` entries: a URL prefix and the local folder that mirrors it.
#[derive(Clone, Debug, Default)]
pub struct RefMap {
    entries: Vec<(String, PathBuf)>,
}

impl RefMap {
    /// Parses `<URL-PREFIX>=<DIR>` entries; each folder must exist.
    pub fn new(entries: &[(String, PathBuf)]) -> Result<RefMap> {
        let mut out = Vec::new();
        for (prefix, dir) in entries {
            if !prefix.contains("://") {
                return Err(Error::Settings(format!(
                    "`{prefix}` is not a URL prefix; write --ref-map https://example.com/schemas/=<DIR>"
                )));
            }
            out.push((prefix.clone(), existing_folder(dir)?));
        }
        // The longest prefix wins when several match.
        out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Ok(RefMap { entries: out })
    }

    /// The folders, which are allowed roots too.
    pub fn folders(&self) -> Vec<PathBuf> {
        self.entries.iter().map(|(_, dir)| dir.clone()).collect()
    }

    /// The local path that mirrors `url` (without its fragment), if a prefix covers it.
    pub fn local_path(&self, url: &str) -> Option<PathBuf> {
        let (prefix, dir) = self.entries.iter().find(|(prefix, _)| url.starts_with(prefix.as_str()))?;
        let rest = percent_encoding::percent_decode_str(&url[prefix.len()..]).decode_utf8_lossy().into_owned();
        let rest = rest.split(['?', '#']).next().unwrap_or_default().trim_start_matches('/');
        Some(normalize(&dir.join(rest)))
    }
}

/// `..` and `.` removed lexically (the path is then compared with the roots before anything is
/// looked up on disk).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A suggestion for `--ref-map` that would cover `url`: its scheme, host and folder.
pub fn suggested_prefix(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or(url);
    match without_fragment.rfind('/') {
        Some(i) if i > without_fragment.find("://").map_or(0, |s| s + 2) => without_fragment[..=i].to_owned(),
        _ => format!("{without_fragment}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_maps_a_url_to_a_local_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("a/b")).expect("folders");
        let map = RefMap::new(&[
            ("https://x.test/".to_owned(), dir.path().join("a")),
            ("https://x.test/s/".to_owned(), dir.path().join("a/b")),
        ])
        .expect("valid map");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        assert_eq!(map.local_path("https://x.test/s/o%20k.json#/x"), Some(root.join("a/b/o k.json")));
        assert_eq!(map.local_path("https://x.test/c.json"), Some(root.join("a/c.json")));
        assert_eq!(map.local_path("https://y.test/c.json"), None);
        assert!(RefMap::new(&[("no-scheme".to_owned(), dir.path().to_path_buf())]).is_err());
    }

    #[test]
    fn a_suggested_prefix_is_the_folder_of_the_url() {
        assert_eq!(suggested_prefix("https://x.test/schemas/a.json#/b"), "https://x.test/schemas/");
        assert_eq!(suggested_prefix("https://x.test"), "https://x.test/");
    }
}
