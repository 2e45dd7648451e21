//! Stage 2, resolve: loads the whole document set eagerly (the root document and every file its
//! `$ref`s reach, inside the allowed roots; remote references answered offline by a file that
//! declares the same `$id` or by a `--ref-map` folder), resolves every `$ref` once, and hands the
//! later stages a read-only [`Model`].
//!
//! A reference's fragment is a JSON pointer that is followed the way the AsyncAPI parsers do: a
//! `$ref` met at any step of the pointer is followed first (`#/channels/c/messages/m` where
//! `channels.c` is itself a reference into another file). Nothing after this stage reads a file.

mod access;
mod fileset;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

pub use access::{AllowedRoots, RefMap};
pub use fileset::{DATA_KEYWORDS, is_text_field};

use crate::error::{Error, Location, Result, Warning};
use crate::load::Source;

/// How many `$ref`s one chain may follow before the resolver calls it a cycle.
const MAX_REF_CHAIN: usize = 64;

/// Index of a loaded file in the [`Model`].
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
    /// The root of `file`.
    pub fn root(file: FileId) -> Ptr {
        Ptr { file, pointer: String::new() }
    }

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

    /// The parent node (the root is its own parent).
    pub fn parent(&self) -> Ptr {
        let pointer = self.pointer.rsplit_once('/').map_or("", |(p, _)| p).to_owned();
        Ptr { file: self.file, pointer }
    }
}

/// Why a reference did not resolve.
#[derive(Clone, Debug)]
pub enum RefError {
    /// A problem reported at the reference.
    At(String),
    /// A problem inside the file the reference names (it does not parse).
    File(Location, String),
}

/// Where references may lead: extra allowed folders and the `--ref-map` table.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--ref-root` folders.
    pub roots: Vec<PathBuf>,
    /// `--ref-map <URL-PREFIX>=<DIR>` entries.
    pub ref_map: Vec<(String, PathBuf)>,
}

/// The document set, read-only: every file, and every `$ref` resolved.
#[derive(Debug)]
pub struct Model {
    sources: Vec<Source>,
    canonical: Vec<PathBuf>,
    refs: IndexMap<Ptr, Result<Ptr, RefError>>,
    /// Lenient resolutions worth telling the user about.
    pub warnings: Vec<Warning>,
}

/// Loads the document at `spec` and everything it references.
pub fn resolve(spec: &Path, options: &Options) -> Result<Model> {
    let ref_map = RefMap::new(&options.ref_map)?;
    let mut extra = options.roots.clone();
    extra.extend(ref_map.folders());
    let roots = AllowedRoots::new(spec, &extra)?;
    let mut id_folders = vec![access::folder_of(spec).to_path_buf()];
    id_folders.extend(extra);
    let mut loader = fileset::Loader::new(&roots, &ref_map, id_folders);
    loader.root(spec)?;
    Ok(Model::new(loader.run()))
}

impl Model {
    /// A model of one already parsed document (tests and fuzzing); references to other files
    /// resolve from the working directory, inside it.
    pub fn from_source(source: Source) -> Model {
        let roots = AllowedRoots::new(Path::new("."), &[]).unwrap_or_default();
        let ref_map = RefMap::default();
        let canonical =
            std::env::current_dir().map(|cwd| cwd.join(&source.path)).unwrap_or_else(|_| source.path.clone());
        let mut loader = fileset::Loader::new(&roots, &ref_map, Vec::new());
        loader.root_source(source, canonical);
        Model::new(loader.run())
    }

    fn new(set: fileset::FileSet) -> Model {
        let mut model = Model {
            canonical: set.files.iter().map(|f| f.canonical.clone()).collect(),
            sources: set.files.into_iter().map(|f| f.source).collect(),
            refs: IndexMap::new(),
            warnings: Vec::new(),
        };
        let mut walker = Walker {
            model: &model,
            set_refs: &set.refs,
            bases: &set.bases,
            done: HashMap::new(),
            active: Default::default(),
            warnings: Vec::new(),
        };
        let mut resolved = IndexMap::new();
        for at in set.refs.keys() {
            resolved.insert(at.clone(), walker.resolve(at, 0));
        }
        let warnings = walker.warnings;
        model.refs = resolved;
        model.warnings = warnings;
        model
    }

    /// The root document.
    pub fn root(&self) -> Ptr {
        Ptr::root(FileId(0))
    }

    /// The canonical path of every file of the document set, in the order they were reached.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.canonical.iter().map(PathBuf::as_path)
    }

    /// The parsed file.
    pub fn source(&self, file: FileId) -> &Source {
        &self.sources[file.0]
    }

    /// The value at `ptr` (no reference is followed), if it exists.
    pub fn get(&self, ptr: &Ptr) -> Option<&Value> {
        pointer_get(&self.sources[ptr.file.0].value, &ptr.pointer)
    }

    /// The mapping at `ptr` (no reference is followed), if it is one.
    pub fn object(&self, ptr: &Ptr) -> Option<&Map<String, Value>> {
        self.get(ptr).and_then(Value::as_object)
    }

    /// Where `ptr` is, for messages; a node without a recorded position reports its nearest
    /// ancestor's line.
    pub fn location(&self, ptr: &Ptr) -> Location {
        let source = &self.sources[ptr.file.0];
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
        Location { file: source.path.clone(), pointer: ptr.pointer.clone(), position, text: Some(source.text.clone()) }
    }

    /// An input error at `ptr`.
    pub fn error(&self, ptr: &Ptr, message: impl Into<String>) -> Error {
        Error::spec(self.location(ptr), message)
    }

    /// The node that the `$ref` string at `at` names (further references at the target are not
    /// followed).
    pub fn resolve_ref(&self, at: &Ptr) -> Result<Ptr> {
        match self.refs.get(at) {
            Some(Ok(target)) => Ok(target.clone()),
            Some(Err(e)) => Err(self.ref_error(at, e)),
            None => Err(self.error(at, "this `$ref` is inside data (an example, enum or default) and is not followed")),
        }
    }

    fn ref_error(&self, at: &Ptr, error: &RefError) -> Error {
        match error {
            RefError::At(message) => self.error(at, message.clone()),
            RefError::File(location, message) => Error::spec(location.clone(), message.clone()),
        }
    }

    /// The node that a reference written as a plain string at `from` names (a discriminator
    /// `mapping` value), among the files already loaded; `None` when it names nothing loaded.
    pub fn lookup(&self, from: &Ptr, reference: &str) -> Option<Ptr> {
        let (file_part, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if file_part.is_empty() {
            from.file
        } else {
            let decoded = percent_encoding::percent_decode_str(file_part).decode_utf8_lossy();
            let path = access::normalize(&self.canonical[from.file.0].parent()?.join(decoded.as_ref()));
            FileId(self.canonical.iter().position(|c| *c == path)?)
        };
        let pointer = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy().into_owned();
        let ptr = Ptr { file, pointer };
        self.get(&ptr).map(|_| ptr)
    }

    /// Follows `$ref`s starting at `ptr` until a node that is not a reference.
    pub fn deref(&self, ptr: &Ptr) -> Result<Ptr> {
        let mut current = ptr.clone();
        for _ in 0..=MAX_REF_CHAIN {
            if self.get(&current).and_then(ref_of).is_none() {
                return Ok(current);
            }
            current = self.resolve_ref(&current.child("$ref"))?;
        }
        Err(self.error(ptr, "circular `$ref`: the chain of references never reaches a value"))
    }

    /// Every reference that does not resolve, in document order, each problem once.
    pub fn problems(&self) -> Vec<Error> {
        self.problems_except(|_| false)
    }

    /// Like [`Model::problems`], leaving out the references at which `ignored` holds (those
    /// that no later stage follows).
    pub fn problems_except(&self, ignored: impl Fn(&Ptr) -> bool) -> Vec<Error> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (at, result) in &self.refs {
            if ignored(at) {
                continue;
            }
            if let Err(e) = result {
                let error = self.ref_error(at, e);
                if seen.insert(error.to_string()) {
                    out.push(error);
                }
            }
        }
        out
    }
}

/// Resolves references with a memo, following `$ref`s met along a pointer.
struct Walker<'m> {
    model: &'m Model,
    set_refs: &'m IndexMap<Ptr, String>,
    bases: &'m HashMap<Ptr, Result<Ptr, RefError>>,
    done: HashMap<Ptr, Result<Ptr, RefError>>,
    /// References being resolved: met again, they are a cycle.
    active: std::collections::HashSet<Ptr>,
    warnings: Vec<Warning>,
}

impl Walker<'_> {
    fn resolve(&mut self, at: &Ptr, depth: usize) -> Result<Ptr, RefError> {
        if let Some(done) = self.done.get(at) {
            return done.clone();
        }
        if !self.active.insert(at.clone()) {
            return Err(RefError::At("circular `$ref`: the chain of references never reaches a value".into()));
        }
        let result = self.resolve_uncached(at, depth);
        self.active.remove(at);
        self.done.insert(at.clone(), result.clone());
        result
    }

    fn resolve_uncached(&mut self, at: &Ptr, depth: usize) -> Result<Ptr, RefError> {
        if depth > MAX_REF_CHAIN {
            return Err(RefError::At("circular `$ref`: the chain of references never reaches a value".into()));
        }
        let reference = self.set_refs.get(at).cloned().unwrap_or_default();
        let base = match self.bases.get(at) {
            Some(base) => base.clone()?,
            None => Ptr::root(at.file),
        };
        let fragment = reference.split_once('#').map_or("", |(_, f)| f);
        let pointer = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy().into_owned();
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(RefError::At(format!(
                "`$ref` `{reference}`: only JSON pointer fragments (`#/...`) are supported"
            )));
        }
        let nothing = || RefError::At(format!("`$ref` `{reference}` does not resolve: nothing at `{pointer}`"));
        let tokens: Vec<String> = match jsonptr::Pointer::parse(&pointer) {
            Ok(p) => p.tokens().map(|t| t.decoded().into_owned()).collect(),
            Err(_) => return Err(nothing()),
        };
        let mut current = base;
        let mut unescaped = false;
        let mut i = 0;
        while i < tokens.len() {
            current = self.through_refs(current, depth)?;
            let Some(node) = self.model.get(&current) else { return Err(nothing()) };
            let (key, used) = match node {
                Value::Object(map) => {
                    // Documents in the wild leave `/` inside a key unescaped (`#/a/b/c` for the
                    // key `b/c`); such a key is found by joining segments.
                    let found = (i + 1..=tokens.len()).find(|&end| map.contains_key(&tokens[i..end].join("/")));
                    let Some(end) = found else { return Err(nothing()) };
                    (tokens[i..end].join("/"), end - i)
                }
                Value::Array(items) if tokens[i].parse::<usize>().is_ok_and(|n| n < items.len()) => {
                    (tokens[i].clone(), 1)
                }
                _ => return Err(nothing()),
            };
            unescaped |= used > 1;
            current = current.child(&key);
            i += used;
        }
        if unescaped {
            self.warnings.push(Warning {
                location: self.model.location(at),
                message: format!(
                    "`$ref` `{reference}` does not escape `/` inside a key as `~1` (RFC 6901); resolved to `{}`",
                    current.pointer
                ),
            });
        }
        Ok(current)
    }

    /// The node itself, or, when it is a reference object, what the chain of references leads to.
    fn through_refs(&mut self, mut node: Ptr, depth: usize) -> Result<Ptr, RefError> {
        for step in 0..=MAX_REF_CHAIN {
            if self.model.get(&node).and_then(ref_of).is_none() {
                return Ok(node);
            }
            node = self.resolve(&node.child("$ref"), depth + step + 1)?;
        }
        Err(RefError::At("circular `$ref`: the chain of references never reaches a value".into()))
    }
}

/// The value at an RFC 6901 `pointer` in `root`.
fn pointer_get<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    jsonptr::Pointer::parse(pointer).ok()?.resolve(root).ok()
}

/// The `$ref` string of a reference object.
pub fn ref_of(value: &Value) -> Option<&str> {
    value.as_object()?.get("$ref")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn a_pointer_through_a_reference_follows_it_at_each_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "channels.yaml", "orders:\n  messages:\n    placed: {payload: {type: string}}\n");
        let root = write(
            dir.path(),
            "api.yaml",
            "channels:\n  orders: {$ref: './channels.yaml#/orders'}\nops:\n  - {$ref: '#/channels/orders/messages/placed'}\n",
        );
        let model = resolve(&root, &Options::default()).expect("loads");
        let target = model.resolve_ref(&model.root().child("ops").child("0").child("$ref")).expect("resolves");
        assert_eq!(target.pointer, "/orders/messages/placed");
        assert_ne!(target.file, model.root().file, "the node is in the other file");
        assert!(model.problems().is_empty());
    }

    #[test]
    fn a_remote_reference_is_answered_by_a_file_that_declares_its_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "vendor/order.json",
            r#"{"$id": "https://schemas.test/order.json", "definitions": {"Id": {"type": "string"}}}"#,
        );
        let root =
            write(dir.path(), "api.yaml", "payload: {$ref: 'https://schemas.test/order.json#/definitions/Id'}\n");
        let model = resolve(&root, &Options::default()).expect("loads");
        let target = model.resolve_ref(&model.root().child("payload").child("$ref")).expect("resolves");
        assert_eq!(target.pointer, "/definitions/Id");
        assert_eq!(model.get(&target), Some(&serde_json::json!({"type": "string"})));
    }

    #[test]
    fn a_remote_reference_is_answered_by_a_ref_map_folder_and_otherwise_says_which_option_to_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "mirror/common/money.yaml", "type: object\nproperties:\n  cur: {$ref: 'currency.yaml'}\n");
        write(dir.path(), "mirror/common/currency.yaml", "type: string\n");
        let root = write(dir.path(), "spec/api.yaml", "payload: {$ref: 'https://schemas.test/v1/common/money.yaml'}\n");
        let unmapped = resolve(&root, &Options::default()).expect("loads");
        let problems: Vec<String> = unmapped.problems().iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("--ref-map https://schemas.test/v1/common/=<DIR>"), "{problems:?}");

        let options = Options {
            roots: Vec::new(),
            ref_map: vec![("https://schemas.test/v1/".into(), dir.path().join("mirror"))],
        };
        let model = resolve(&root, &options).expect("loads");
        assert!(model.problems().is_empty(), "{:?}", model.problems());
        let money = model.resolve_ref(&model.root().child("payload").child("$ref")).expect("resolves");
        let currency = model.resolve_ref(&money.child("properties").child("cur").child("$ref")).expect("resolves");
        assert_eq!(model.get(&currency), Some(&serde_json::json!({"type": "string"})));
    }

    #[test]
    fn every_broken_reference_is_a_problem_and_a_cycle_ends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = write(
            dir.path(),
            "api.yaml",
            "a: {$ref: '#/b'}\nb: {$ref: '#/a/x'}\nc: {$ref: './missing.yaml'}\nd:\n  examples: [{$ref: './not-followed.yaml'}]\n",
        );
        let model = resolve(&root, &Options::default()).expect("loads");
        let problems: Vec<String> = model.problems().iter().map(ToString::to_string).collect();
        // `#/b` itself is a node (a reference, followed later); `#/a/x` must go through `a` and
        // `b` and back, which never ends.
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("(at /b/$ref): circular `$ref`"), "{problems:?}");
        assert!(problems[1].contains("missing.yaml"), "{problems:?}");
        assert!(!problems.iter().any(|p| p.contains("not-followed")), "{problems:?}");
    }
}
