//! Loading the document set eagerly: the root document, every file a `$ref` names (relative
//! paths, inside the allowed roots), and every file that answers a remote reference offline (a
//! file that declares the URL as its `$id`, or a `--ref-map` folder that mirrors it).
//!
//! The walk is breadth first over files; each file is read once, keyed by its canonical path, and
//! the whole set is bounded by [`MAX_FILES`]. What a reference's file part resolved to (the node
//! its fragment starts from) or why it did not is recorded for the model.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::access::{self, AllowedRoots, RefMap};
use super::{FileId, Ptr, RefError};
use crate::error::{Error, Result};
use crate::load::Source;

/// How many distinct files one document set may reach.
pub const MAX_FILES: usize = 1_000;
/// How many files the search for a declared `$id` looks at, and how deep in folders.
const MAX_ID_CANDIDATES: usize = 2_000;
const MAX_ID_DEPTH: usize = 16;

/// Keywords whose values are data, not schemas or AsyncAPI objects: a `$ref` key inside them is
/// literal text.
pub const DATA_KEYWORDS: &[&str] = &["enum", "const", "default", "examples", "example"];

/// Fields that hold text, never a reference.
const TEXT_FIELDS: &[&str] = &["description", "summary", "title"];

/// Fields whose keys are names chosen by the document (properties, components, channels, ...),
/// where a key such as `description` names a schema or an object.
const NAMED_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
    "schemas",
    "messages",
    "channels",
    "operations",
    "servers",
    "parameters",
    "variables",
    "serverVariables",
    "securitySchemes",
    "correlationIds",
    "operationTraits",
    "messageTraits",
    "serverBindings",
    "channelBindings",
    "operationBindings",
    "messageBindings",
    "replies",
    "replyAddresses",
    "bindings",
];

/// Whether `key`, a member of the object at `pointer`, is a text field (where a `$ref` is no
/// reference) rather than a name in a map of names.
pub fn is_text_field(pointer: &str, key: &str) -> bool {
    let names_here = pointer.rsplit('/').next().is_some_and(|last| NAMED_MAPS.contains(&last));
    !names_here && TEXT_FIELDS.contains(&key)
}

/// A loaded file.
pub struct Loaded {
    pub source: Source,
    pub canonical: PathBuf,
    /// The URL relative references in this file resolve against, when it has one (its `$id`, or
    /// the URL a `--ref-map` folder answered for).
    base_url: Option<String>,
}

/// Everything the loader found.
pub struct FileSet {
    pub files: Vec<Loaded>,
    /// `$ref` string position → the reference as written, in document order.
    pub refs: IndexMap<Ptr, String>,
    /// `$ref` string position → the node its fragment is taken from (a file's root, or the node
    /// that declares a URL as its `$id`).
    pub bases: HashMap<Ptr, Result<Ptr, RefError>>,
}

pub struct Loader<'a> {
    set: FileSet,
    by_path: HashMap<PathBuf, FileId>,
    ids: HashMap<String, Ptr>,
    roots: &'a AllowedRoots,
    ref_map: &'a RefMap,
    /// Folders searched for a file that declares a wanted `$id`.
    id_folders: Vec<PathBuf>,
    queue: VecDeque<FileId>,
}

impl<'a> Loader<'a> {
    pub fn new(roots: &'a AllowedRoots, ref_map: &'a RefMap, id_folders: Vec<PathBuf>) -> Self {
        Loader {
            set: FileSet { files: Vec::new(), refs: IndexMap::new(), bases: HashMap::new() },
            by_path: HashMap::new(),
            ids: HashMap::new(),
            roots,
            ref_map,
            id_folders,
            queue: VecDeque::new(),
        }
    }

    /// Reads the root document at `path`; its errors are the run's errors.
    pub fn root(&mut self, path: &Path) -> Result<()> {
        let canonical = std::fs::canonicalize(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let source = Source::read(&canonical, path.to_path_buf())?;
        self.add(source, canonical, None);
        Ok(())
    }

    /// Takes an already parsed root document whose relative references resolve from `canonical`.
    pub fn root_source(&mut self, source: Source, canonical: PathBuf) {
        self.add(source, canonical, None);
    }

    /// Loads every file the set reaches; returns what was found.
    pub fn run(mut self) -> FileSet {
        let mut pending: Vec<(Ptr, String)> = Vec::new();
        let mut searched = false;
        loop {
            while let Some(file) = self.queue.pop_front() {
                for (at, reference) in self.scan(file) {
                    let file_part = reference.split_once('#').map_or(reference.as_str(), |(f, _)| f);
                    if file_part.is_empty() {
                        self.set.bases.insert(at.clone(), Ok(Ptr::root(at.file)));
                    } else {
                        match self.local_or_url(&at, &reference, file_part) {
                            Target::Done(base) => {
                                self.set.bases.insert(at.clone(), base);
                            }
                            Target::Url(url) => pending.push((at.clone(), url)),
                        }
                    }
                    self.set.refs.insert(at, reference);
                }
            }
            if pending.is_empty() {
                break;
            }
            let mut still = Vec::new();
            for (at, url) in std::mem::take(&mut pending) {
                match self.known_url(&at, &url) {
                    Some(base) => {
                        self.set.bases.insert(at, base);
                    }
                    None => still.push((at, url)),
                }
            }
            // Files loaded for some URLs may declare the `$id`s others want.
            if !self.queue.is_empty() {
                pending = still;
                continue;
            }
            if !searched && !still.is_empty() {
                searched = true;
                let wanted: HashSet<String> = still.iter().map(|(_, url)| url.clone()).collect();
                self.search_ids(&wanted);
                pending = still;
                continue;
            }
            for (at, url) in still {
                let written = self.set.refs.get(&at).map_or(url.as_str(), String::as_str);
                let message = unresolved_url_message(written, &url);
                self.set.bases.insert(at, Err(RefError::At(message)));
            }
            break;
        }
        self.set
    }

    fn add(&mut self, source: Source, canonical: PathBuf, base_url: Option<String>) -> FileId {
        let id = FileId(self.set.files.len());
        let base_url = own_id(&source.value).or(base_url);
        self.by_path.insert(canonical.clone(), id);
        self.set.files.push(Loaded { source, canonical, base_url });
        self.queue.push_back(id);
        id
    }

    /// The `$ref`s of a file, in document order, and (recorded on the way) its `$id`s.
    fn scan(&mut self, file: FileId) -> Vec<(Ptr, String)> {
        let mut refs = Vec::new();
        let mut ids = Vec::new();
        let loaded = &self.set.files[file.0];
        scan_value(&loaded.source.value, &mut String::new(), &mut refs, &mut ids);
        let base = loaded.base_url.clone();
        for (pointer, id) in ids {
            let Some(url) = absolute_url(&id, base.as_deref()) else { continue };
            self.ids.entry(url).or_insert(Ptr { file, pointer });
        }
        refs.into_iter().map(|(pointer, reference)| (Ptr { file, pointer }, reference)).collect()
    }

    /// Resolves a file part: a local path (loaded now), or a URL to find later.
    fn local_or_url(&mut self, at: &Ptr, reference: &str, file_part: &str) -> Target {
        if file_part.contains("://") || file_part.starts_with("urn:") {
            return match absolute_url(file_part, None) {
                Some(url) => Target::Url(url),
                None => Target::Done(Err(RefError::At(format!("`$ref` `{reference}` is not a valid URL")))),
            };
        }
        let decoded = percent_encoding::percent_decode_str(file_part).decode_utf8_lossy().into_owned();
        let loaded = &self.set.files[at.file.0];
        let path = access::normalize(&loaded.canonical.parent().unwrap_or(Path::new("/")).join(&decoded));
        // A file reached through a URL names its neighbours relative to that URL; a local copy
        // laid out the same way answers first.
        if !path.exists()
            && let Some(url) = loaded.base_url.as_deref().and_then(|base| absolute_url(file_part, Some(base)))
        {
            return Target::Url(url);
        }
        Target::Done(self.load_path(at, reference, &decoded, &path, None).map(Ptr::root))
    }

    /// Loads the file at the lexically normalised absolute `path`, named by `reference`, if it
    /// lies inside the allowed roots and is a regular file. A file outside is never opened.
    fn load_path(
        &mut self,
        at: &Ptr,
        reference: &str,
        written: &str,
        path: &Path,
        url: Option<&str>,
    ) -> Result<FileId, RefError> {
        let shown_base = self.set.files[at.file.0].source.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let shown = match url {
            Some(_) => path.to_path_buf(),
            None => access::normalize(&shown_base.join(written)),
        };
        let outside = || {
            RefError::At(format!(
                "`$ref` `{reference}` names a file outside the allowed folders (the working directory, the document's folder and any --ref-root); pass --ref-root <DIR> to allow the folder it is in"
            ))
        };
        // The lexical check comes first, so that nothing outside is even looked up; the
        // canonical one then catches a symlink that leads out.
        if !self.roots.contains(path) {
            return Err(outside());
        }
        let Ok(canonical) = std::fs::canonicalize(path) else {
            return Err(RefError::At(format!(
                "`$ref` `{reference}` names a file that does not exist: {}",
                shown.display()
            )));
        };
        if !self.roots.contains(&canonical) {
            return Err(outside());
        }
        if let Some(id) = self.by_path.get(&canonical) {
            return Ok(*id);
        }
        if self.set.files.len() >= MAX_FILES {
            return Err(RefError::At(format!("the document set reaches more than {MAX_FILES} files")));
        }
        let meta = std::fs::metadata(&canonical)
            .map_err(|e| RefError::At(format!("cannot read `{}` named by `$ref`: {e}", shown.display())))?;
        if let Some(kind) = crate::load::not_regular(&meta) {
            return Err(RefError::At(format!(
                "`$ref` `{reference}` names {kind}, not a regular file; only regular files are read"
            )));
        }
        match Source::read(&canonical, shown) {
            Ok(source) => Ok(self.add(source, canonical, url.map(str::to_owned))),
            Err(Error::Io { path, source }) => {
                Err(RefError::At(format!("cannot read `{}` named by `$ref`: {source}", path.display())))
            }
            Err(Error::Spec { location, message }) => Err(RefError::File(location, message)),
            Err(other) => Err(RefError::At(other.to_string())),
        }
    }

    /// A URL answered by a loaded `$id` or a `--ref-map` folder.
    fn known_url(&mut self, at: &Ptr, url: &str) -> Option<Result<Ptr, RefError>> {
        if let Some(node) = self.ids.get(url) {
            return Some(Ok(node.clone()));
        }
        let path = self.ref_map.local_path(url)?;
        let reference = self.set.refs.get(at).cloned().unwrap_or_else(|| url.to_owned());
        let written = path.display().to_string();
        Some(self.load_path(at, &reference, &written, &path, Some(url)).map(Ptr::root))
    }

    /// Looks in the document's folder and the reference folders for files that declare one of
    /// the `wanted` URLs as an `$id`, and adds them to the set.
    fn search_ids(&mut self, wanted: &HashSet<String>) {
        let mut candidates = Vec::new();
        for folder in self.id_folders.clone() {
            files_below(&folder, &mut candidates);
        }
        for path in candidates {
            let Ok(canonical) = std::fs::canonicalize(&path) else { continue };
            if self.by_path.contains_key(&canonical) || !self.roots.contains(&canonical) {
                continue;
            }
            if self.set.files.len() >= MAX_FILES {
                return;
            }
            let Ok(text) = crate::load::read_text(&canonical, &path) else { continue };
            // Parse only files that mention a wanted URL at all.
            if !wanted.iter().any(|url| text.contains(url.as_str())) {
                continue;
            }
            let Ok(source) = Source::parse(&text, path.clone()) else { continue };
            let mut ids = Vec::new();
            scan_value(&source.value, &mut String::new(), &mut Vec::new(), &mut ids);
            if ids.iter().any(|(_, id)| absolute_url(id, None).is_some_and(|url| wanted.contains(&url))) {
                self.add(source, canonical, None);
            }
        }
    }
}

enum Target {
    Done(Result<Ptr, RefError>),
    Url(String),
}

/// The regular `.json`, `.yaml` and `.yml` files below `dir` (not following symlinks, skipping
/// hidden and build folders), in sorted order, up to the candidate limit.
fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if out.len() >= MAX_ID_CANDIDATES {
                return;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir()
                && depth < MAX_ID_DEPTH
                && !name.starts_with('.')
                && name != "target"
                && name != "node_modules"
            {
                stack.push((entry.path(), depth + 1));
            } else if kind.is_file() && [".json", ".yaml", ".yml"].iter().any(|e| name.ends_with(e)) {
                out.push(entry.path());
            }
        }
    }
}

/// The `$ref`s (pointer of the string, text) and `$id`s (pointer of the object, text) of a
/// document, outside data keywords and `x-` extensions.
fn scan_value(value: &Value, pointer: &mut String, refs: &mut Vec<(String, String)>, ids: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                refs.push((format!("{pointer}/$ref"), r.clone()));
            }
            if let Some(Value::String(id)) = map.get("$id") {
                ids.push((pointer.clone(), id.clone()));
            }
            for (key, child) in map {
                if DATA_KEYWORDS.contains(&key.as_str()) || key.starts_with("x-") || key == "$ref" {
                    continue;
                }
                // A text field holds no reference (`description: {$ref: ./text.md}` is not followed;
                // `lower` warns); in a map of names, `description` is a name like any other.
                if is_text_field(pointer, key) {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(jsonptr::Token::new(key.as_str()).encoded());
                scan_value(child, pointer, refs, ids);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                scan_value(item, pointer, refs, ids);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// A document's own `$id` at its root, when it is an absolute URL.
fn own_id(value: &Value) -> Option<String> {
    value.get("$id").and_then(Value::as_str).and_then(|id| absolute_url(id, None))
}

/// `reference` as an absolute, normalised URL without fragment (resolved against `base` when
/// it is relative), or `None` when it is not a URL.
pub fn absolute_url(reference: &str, base: Option<&str>) -> Option<String> {
    let reference = fluent_uri::UriRef::parse(reference).ok()?;
    let absolute = match (reference.has_scheme(), base) {
        (true, _) => fluent_uri::Uri::parse(reference.as_str().to_owned()).ok()?,
        (false, Some(base)) => reference.resolve_against(&fluent_uri::Uri::parse(base).ok()?).ok()?,
        (false, None) => return None,
    };
    let normal = absolute.normalize();
    let text = normal.as_str();
    Some(text.split('#').next().unwrap_or(text).to_owned())
}

fn unresolved_url_message(reference: &str, url: &str) -> String {
    format!(
        "remote `$ref` `{reference}` is not resolved offline: no file of the document set or its folder declares `$id: {url}`; download it and pass --ref-map {}=<DIR>",
        access::suggested_prefix(url)
    )
}
