//! Stage 2, resolve: follows `$ref`s across the root document and every file it reaches
//! (relative paths, chained, any depth), and bundles the JSON Schemas the messages use into one
//! definition table with a unique, stable name per schema.
//!
//! Invariants: a schema handed to the `types` stage contains no `$ref` except
//! `#/definitions/<Name>` where `<Name>` is a key of [`SchemaBundle::defs`]; the names depend only
//! on the documents (discovery order is document order), never on hash order.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Error, Location, Result, Warning};
use crate::load::Source;
use crate::naming;

/// How many `$ref`s one chain may follow before the resolver calls it a cycle.
const MAX_REF_CHAIN: usize = 64;
/// How many distinct files one document set may reach.
const MAX_FILES: usize = 1_000;

/// Index of a loaded file in [`Documents`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(usize);

/// A node of some loaded document: its identity for the whole run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ptr {
    /// The file.
    pub file: FileId,
    /// The JSON pointer inside it.
    pub pointer: String,
}

impl Ptr {
    /// The pointer to the child `key` of this node.
    pub fn child(&self, key: &str) -> Ptr {
        let mut pointer = self.pointer.clone();
        pointer.push('/');
        pointer.push_str(jsonptr::Token::new(key).encoded());
        Ptr { file: self.file, pointer }
    }

    /// The last segment of the pointer, unescaped.
    pub fn last_segment(&self) -> Option<String> {
        let ptr = jsonptr::Pointer::parse(&self.pointer).ok()?;
        ptr.tokens().last().map(|t| t.decoded().into_owned())
    }
}

/// Every file the run has read, keyed by canonical path.
#[derive(Debug, Default)]
pub struct Documents {
    sources: Vec<Source>,
    canonical: Vec<PathBuf>,
    by_path: HashMap<PathBuf, FileId>,
    /// Lenient resolutions worth telling the user about.
    pub warnings: Vec<Warning>,
}

impl Documents {
    /// Loads the root document.
    pub fn open(path: &Path) -> Result<(Documents, FileId)> {
        let mut docs = Documents::default();
        let id = docs.load(path, path.to_path_buf())?;
        Ok((docs, id))
    }

    /// Wraps an already parsed root document (used by tests and fuzzing).
    pub fn from_source(source: Source) -> (Documents, FileId) {
        let mut docs = Documents::default();
        docs.canonical.push(source.path.clone());
        docs.by_path.insert(source.path.clone(), FileId(0));
        docs.sources.push(source);
        (docs, FileId(0))
    }

    fn load(&mut self, path: &Path, shown: PathBuf) -> Result<FileId> {
        let canonical = std::fs::canonicalize(path).map_err(|source| Error::Io { path: shown.clone(), source })?;
        if let Some(id) = self.by_path.get(&canonical) {
            return Ok(*id);
        }
        if self.sources.len() >= MAX_FILES {
            return Err(Error::spec(
                Location { file: shown, pointer: String::new(), position: None },
                format!("the document set reaches more than {MAX_FILES} files"),
            ));
        }
        let source = Source::read(&canonical, shown)?;
        let id = FileId(self.sources.len());
        self.sources.push(source);
        self.canonical.push(canonical.clone());
        self.by_path.insert(canonical, id);
        Ok(id)
    }

    /// The canonical path of every file read so far, in the order they were reached.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.canonical.iter().map(PathBuf::as_path)
    }

    /// The parsed file.
    pub fn source(&self, file: FileId) -> &Source {
        &self.sources[file.0]
    }

    /// The value at `ptr`, if it exists.
    pub fn get(&self, ptr: &Ptr) -> Option<&Value> {
        let root = &self.sources[ptr.file.0].value;
        jsonptr::Pointer::parse(&ptr.pointer).ok()?.resolve(root).ok()
    }

    /// Where `ptr` is, for messages.
    pub fn location(&self, ptr: &Ptr) -> Location {
        let source = &self.sources[ptr.file.0];
        // A node without a recorded position reports its nearest ancestor's line.
        let mut pointer = ptr.pointer.as_str();
        let position = loop {
            if let Some(p) = source.position(pointer) {
                break Some(p);
            }
            match pointer.rfind('/') {
                Some(i) => pointer = &pointer[..i],
                None => break None,
            }
        };
        Location { file: source.path.clone(), pointer: ptr.pointer.clone(), position }
    }

    /// An input error at `ptr`.
    pub fn error(&self, ptr: &Ptr, message: impl Into<String>) -> Error {
        Error::spec(self.location(ptr), message)
    }

    /// Resolves the reference string `reference` found at `at` to the node it names, loading the
    /// file it points into if needed. Does not follow further `$ref`s.
    pub fn resolve_ref(&mut self, at: &Ptr, reference: &str) -> Result<Ptr> {
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file_part.is_empty() {
            at.file
        } else {
            if file_part.contains("://") {
                return Err(self.error(
                    at,
                    format!("remote `$ref` `{reference}` is not supported; download the file and reference it by a relative path"),
                ));
            }
            let file_part = percent_encoding::percent_decode_str(file_part).decode_utf8_lossy();
            let base = self.canonical[at.file.0].parent().map(Path::to_path_buf).unwrap_or_default();
            let shown_base = self.sources[at.file.0].path.parent().map(Path::to_path_buf).unwrap_or_default();
            let target = base.join(file_part.as_ref());
            let shown = normalize(&shown_base.join(file_part.as_ref()));
            if !target.is_file() {
                return Err(self
                    .error(at, format!("`$ref` `{reference}` names a file that does not exist: {}", shown.display())));
            }
            self.load(&target, shown).map_err(|e| match e {
                Error::Io { path, source } => {
                    self.error(at, format!("cannot read `{}` named by `$ref`: {source}", path.display()))
                }
                other => other,
            })?
        };
        let pointer = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy().into_owned();
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(
                self.error(at, format!("`$ref` `{reference}`: only JSON pointer fragments (`#/...`) are supported"))
            );
        }
        let mut target = Ptr { file, pointer };
        if self.get(&target).is_none()
            && let Some(pointer) = self.unescaped_slash_match(&target)
        {
            self.warnings.push(Warning {
                location: self.location(at),
                message: format!(
                    "`$ref` `{reference}` does not escape `/` inside a key as `~1` (RFC 6901); resolved to `{pointer}`"
                ),
            });
            target.pointer = pointer;
        }
        if self.get(&target).is_none() {
            return Err(
                self.error(at, format!("`$ref` `{reference}` does not resolve: nothing at `{}`", target.pointer))
            );
        }
        Ok(target)
    }

    /// Documents in the wild write keys that contain `/` unescaped in `$ref`s
    /// (`#/components/messages/a/b` for the key `a/b`). Walks the pointer, joining segments with
    /// `/` where a key is only found that way; returns the properly escaped pointer.
    fn unescaped_slash_match(&self, target: &Ptr) -> Option<String> {
        let segments: Vec<&str> = target.pointer.split('/').skip(1).collect();
        let mut node = &self.sources[target.file.0].value;
        let mut out = String::new();
        let mut i = 0;
        while i < segments.len() {
            let map = node.as_object()?;
            let (key, next) = (i + 1..=segments.len()).find_map(|end| {
                let key = segments[i..end].join("/").replace("~1", "/").replace("~0", "~");
                map.get(&key).map(|v| (key, (v, end)))
            })?;
            out.push('/');
            out.push_str(jsonptr::Token::new(key.as_str()).encoded());
            node = next.0;
            i = next.1;
        }
        Some(out)
    }

    /// Follows `$ref`s starting at `ptr` until a node that is not a reference; errors on a cycle
    /// or a broken link.
    pub fn deref(&mut self, ptr: &Ptr) -> Result<Ptr> {
        let mut current = ptr.clone();
        let mut seen = HashSet::new();
        loop {
            let Some(reference) = self.get(&current).and_then(ref_of).map(str::to_owned) else {
                return Ok(current);
            };
            if !seen.insert(current.clone()) || seen.len() > MAX_REF_CHAIN {
                return Err(self.error(ptr, "circular `$ref`: the chain of references never reaches a value"));
            }
            current = self.resolve_ref(&current.child("$ref"), &reference)?;
        }
    }
}

/// The `$ref` string of a reference object.
pub fn ref_of(value: &Value) -> Option<&str> {
    value.as_object()?.get("$ref")?.as_str()
}

fn normalize(path: &Path) -> PathBuf {
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

/// The definition names that `schema` refers to.
fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")) {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Keywords whose values are data, not schemas: a `$ref` key inside them is literal.
const DATA_KEYWORDS: &[&str] = &["enum", "const", "default", "examples", "example"];

/// The JSON Schemas reached from the messages, with their final names.
#[derive(Debug, Default)]
pub struct SchemaBundle {
    /// Name → schema; every `$ref` inside is `#/definitions/<Name>`.
    pub defs: IndexMap<String, Value>,
    /// Name → where the schema came from.
    pub origins: IndexMap<String, Ptr>,
    names: HashMap<Ptr, String>,
    taken: naming::Namespace,
    queue: Vec<(String, Ptr)>,
    /// Naming decisions worth telling the user about.
    pub warnings: Vec<Warning>,
}

impl SchemaBundle {
    /// Adds the schema at `ptr` as a named definition and returns its name. A schema reached
    /// twice gets one name.
    pub fn add(&mut self, docs: &mut Documents, ptr: &Ptr, hint: &str) -> Result<String> {
        let target = docs.deref(ptr)?;
        let name = self.name_for(docs, &target, Some(hint));
        self.drain(docs)?;
        Ok(name)
    }

    /// Orders the definitions by file and pointer, so that their order does not depend on the
    /// order in which the messages reached them. Call once, after the last [`SchemaBundle::add`].
    pub fn finish(&mut self) {
        let origins = &self.origins;
        self.defs.sort_by(|a, _, b, _| origins.get(a).cmp(&origins.get(b)));
    }

    /// The definition `name` and every definition it reaches through `$ref`s.
    pub fn reachable(&self, name: &str) -> serde_json::Map<String, Value> {
        let mut out = serde_json::Map::new();
        let mut stack = vec![name.to_owned()];
        while let Some(n) = stack.pop() {
            let Some(schema) = self.defs.get(&n) else { continue };
            if out.contains_key(&n) {
                continue;
            }
            collect_refs(schema, &mut stack);
            out.insert(n, schema.clone());
        }
        out
    }

    fn name_for(&mut self, docs: &Documents, target: &Ptr, hint: Option<&str>) -> String {
        if let Some(name) = self.names.get(target) {
            return name.clone();
        }
        let is_component = target.pointer.starts_with("/components/schemas/")
            || target.pointer.starts_with("/definitions/")
            || target.pointer.starts_with("/$defs/");
        let base = match (is_component, target.last_segment(), hint) {
            (true, Some(seg), _) => seg,
            (false, _, Some(hint)) => hint.to_owned(),
            (false, Some(seg), None) => seg,
            (_, _, _) => {
                docs.source(target.file).path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
            }
        };
        let wanted = naming::type_name(&base);
        let (name, renamed) = self.taken.claim(&wanted);
        if renamed {
            self.warnings.push(Warning {
                location: docs.location(target),
                message: format!("schema name `{wanted}` is already taken; this schema is named `{name}`"),
            });
        }
        self.names.insert(target.clone(), name.clone());
        self.queue.push((name.clone(), target.clone()));
        name
    }

    fn drain(&mut self, docs: &mut Documents) -> Result<()> {
        while let Some((name, ptr)) = self.queue.pop() {
            let value = docs.get(&ptr).cloned().unwrap_or(Value::Null);
            let rewritten = self.rewrite(docs, &ptr, value)?;
            self.defs.insert(name.clone(), rewritten);
            self.origins.insert(name, ptr);
        }
        Ok(())
    }

    fn rewrite(&mut self, docs: &mut Documents, at: &Ptr, value: Value) -> Result<Value> {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let target = docs.resolve_ref(&at.child("$ref"), reference)?;
                    let target = docs.deref(&target)?;
                    let name = self.name_for(docs, &target, None);
                    let mut out = Map::new();
                    out.insert("$ref".into(), Value::String(format!("#/definitions/{name}")));
                    return Ok(Value::Object(out));
                }
                let mut out = Map::new();
                for (key, child) in map {
                    let child = if DATA_KEYWORDS.contains(&key.as_str()) || key.starts_with("x-") {
                        child
                    } else {
                        self.rewrite(docs, &at.child(&key), child)?
                    };
                    out.insert(key, child);
                }
                Ok(Value::Object(out))
            }
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| self.rewrite(docs, &at.child(&i.to_string()), item))
                .collect::<Result<Vec<_>>>()
                .map(Value::Array),
            other => Ok(other),
        }
    }
}
