//! Stage 1, load: reads a YAML or JSON file into a `serde_json::Value` plus an index from JSON
//! pointer to line and column, so that later stages can report where a problem is.
//!
//! YAML is parsed with `serde-saphyr` (maintained, gives source positions, bounds alias
//! expansion); JSON goes through the same parser, which accepts it as YAML 1.2 flow style, with
//! `serde_json` as the fallback so that a JSON syntax error is reported in JSON's own terms.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use crate::error::{Error, Location, Result, SourceText};

/// Deepest nesting the loader accepts (also bounds every recursive walk of the document).
const MAX_DEPTH: usize = 64;

/// Stack of the parser thread.
const PARSER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Largest input file the loader accepts; an AsyncAPI document is far smaller.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One parsed input file.
#[derive(Debug)]
pub struct Source {
    /// The path as shown to the user.
    pub path: PathBuf,
    /// The document.
    pub value: Value,
    /// The text it was parsed from.
    pub text: SourceText,
    positions: HashMap<String, (u32, u32)>,
}

impl Source {
    /// Reads and parses `path`; `shown` is how the path appears in messages.
    ///
    /// Only a regular file is opened: a FIFO, socket, device or directory is refused from its
    /// metadata alone, so that a document cannot make the generator block on a pipe or read a
    /// device.
    pub fn read(path: &Path, shown: PathBuf) -> Result<Source> {
        let text = read_text(path, &shown)?;
        Source::parse(&text, shown)
    }

    /// Parses `text`, which came from the file `shown`.
    ///
    /// Parsing runs on a thread with a large stack: the nesting limit bounds the depth, and a
    /// deep-but-allowed document must not overflow a small (test or embedding) thread stack.
    pub fn parse(text: &str, shown: PathBuf) -> Result<Source> {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("asyncapi-load".into())
                .stack_size(PARSER_STACK_BYTES)
                .spawn_scoped(scope, || Source::parse_here(text, shown))
                .map_err(|e| Error::Internal(format!("cannot start the parser thread: {e}")))?
                .join()
                .map_err(|_| Error::Internal("the YAML parser panicked".into()))?
        })
    }

    fn parse_here(text: &str, shown: PathBuf) -> Result<Source> {
        let quoted = SourceText(text.into());
        let at =
            |position| Location { file: shown.clone(), pointer: String::new(), position, text: Some(quoted.clone()) };
        let is_json = shown.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_json {
            // JSON is stricter than YAML's flow style (no trailing commas, no comments): check it
            // as JSON first, so that such an error is reported in JSON's terms.
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                return Err(Error::spec(
                    at(Some((e.line() as u32, e.column() as u32))),
                    format!("not valid JSON: {e}"),
                ));
            }
        }
        // YAML 1.2 core schema: only `true`/`false` are booleans, so `y`, `on` and `no` stay text.
        // Limits against hostile input (alias bombs, deep nesting, node floods); generous enough
        // for a 5,000-channel document.
        let mut budget = serde_saphyr::Budget::default();
        budget.max_depth = MAX_DEPTH;
        budget.flow_nesting_limit = MAX_DEPTH;
        budget.max_nodes = 10_000_000;
        budget.max_events = 40_000_000;
        budget.max_aliases = 100_000;
        budget.max_recorded_anchor_events = 2_000_000;
        let alias_limits = serde_saphyr::alias_limits! { max_total_replayed_events: 250_000 };
        let options =
            serde_saphyr::options! { strict_booleans: true, budget: Some(budget), alias_limits: alias_limits };
        let node = match serde_saphyr::from_str_with_options::<Spanned<Node>>(text, options) {
            Ok(node) => node,
            Err(err) => {
                let position = err.location().map(|l| (l.line() as u32, l.column() as u32));
                let kind = if is_json { "JSON" } else { "YAML" };
                return Err(Error::spec(at(position), format!("not valid {kind}: {}", saphyr_message(&err))));
            }
        };
        let mut positions = HashMap::new();
        let value = into_value(node, &mut String::new(), &mut positions);
        Ok(Source { path: shown, value, text: quoted, positions })
    }

    /// The line and column of the value at `pointer`, if recorded.
    pub fn position(&self, pointer: &str) -> Option<(u32, u32)> {
        self.positions.get(pointer).copied()
    }

    /// A location in this file.
    pub fn location(&self, pointer: &str) -> Location {
        Location {
            file: self.path.clone(),
            pointer: pointer.to_owned(),
            position: self.position(pointer),
            text: Some(self.text.clone()),
        }
    }
}

/// The text of the regular file `path` (`shown` is how it appears in messages), refusing
/// FIFOs, sockets, devices and directories from their metadata, before opening them, and files
/// over the size limit.
pub fn read_text(path: &Path, shown: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|source| Error::Io { path: shown.to_path_buf(), source })?;
    if let Some(kind) = not_regular(&meta) {
        return Err(Error::spec(
            Location::unquoted(shown, "", None),
            format!("this is {kind}, not a regular file; only regular files are read"),
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Error::spec(
            Location::unquoted(shown, "", None),
            format!("file is {} bytes; the limit is {MAX_FILE_BYTES}", meta.len()),
        ));
    }
    read_regular(path, &meta).map_err(|source| Error::Io { path: shown.to_path_buf(), source })
}

/// What a non-regular file is, for the message that refuses it.
pub fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    Some("a special file")
}

/// Reads the regular file `path` whose metadata was `meta`. The file is opened without blocking
/// and checked again through the open handle, so that one replaced by a FIFO between the check
/// and the open is neither waited on nor read; reading stops past the size limit.
fn read_regular(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let opened = file.metadata()?;
    #[cfg(unix)]
    let same = {
        use std::os::unix::fs::MetadataExt as _;
        (opened.dev(), opened.ino()) == (meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let same = opened.len() == meta.len();
    if !opened.is_file() || !same {
        return Err(std::io::Error::other("the file changed while it was being opened"));
    }
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!("file grew past the limit of {MAX_FILE_BYTES} bytes")));
    }
    Ok(text)
}

/// The parser's message without its own `error: line N column M:` prefix (the position is
/// reported separately).
fn saphyr_message(err: &serde_saphyr::Error) -> String {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
        Some((_, message)) => message.to_owned(),
        None => first.to_owned(),
    }
}

/// A YAML node with positions on every child.
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

fn into_value(node: Spanned<Node>, pointer: &mut String, positions: &mut HashMap<String, (u32, u32)>) -> Value {
    let loc = node.referenced;
    if loc.line() > 0 {
        positions.insert(pointer.clone(), (loc.line() as u32, loc.column() as u32));
    }
    match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::String(s) => Value::String(s),
        Node::Seq(items) => {
            let len = pointer.len();
            let out = items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    pointer.push('/');
                    pointer.push_str(&i.to_string());
                    let v = into_value(item, pointer, positions);
                    pointer.truncate(len);
                    v
                })
                .collect();
            Value::Array(out)
        }
        Node::Map(entries) => {
            let len = pointer.len();
            let mut out = Map::new();
            for (key, item) in entries {
                pointer.push('/');
                pointer.push_str(jsonptr::Token::new(key.as_str()).encoded());
                let v = into_value(item, pointer, positions);
                pointer.truncate(len);
                out.insert(key, v);
            }
            Value::Object(out)
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Node, E> {
        Ok(Node::Number(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Node, E> {
        i64::try_from(v).map(|v| Node::Number(v.into())).or_else(|_| self.visit_f64(v as f64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Node, E> {
        u64::try_from(v).map(|v| Node::Number(v.into())).or_else(|_| self.visit_f64(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Node, E> {
        // JSON has no NaN or infinity; keep such YAML values as their text rather than failing.
        Ok(Number::from_f64(v).map_or_else(|| Node::String(v.to_string()), Node::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Node, A::Error> {
        let mut entries: Vec<(String, Spanned<Node>)> = Vec::new();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key: YAML allows scalars of any type (`200:` in a responses map); JSON needs strings.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E>(self) -> std::result::Result<Key, E> {
                Ok(Key("null".to_owned()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_positions_of_nested_values() {
        let src = Source::parse("a:\n  b:\n    - x\n    - y: 1\n", "t.yaml".into()).expect("valid yaml");
        assert_eq!(src.value["a"]["b"][1]["y"], 1);
        assert_eq!(src.position("/a/b/1/y").map(|p| p.0), Some(4));
        assert_eq!(src.position("/a/b/0").map(|p| p.0), Some(3));
    }

    #[test]
    fn reports_yaml_syntax_errors_with_a_line() {
        let err = Source::parse("a: [1, 2\nb: c\n", "t.yaml".into()).expect_err("broken yaml");
        let Error::Spec { location, message } = err else { panic!("expected a spec error") };
        assert!(location.position.is_some(), "{message}");
        assert!(message.starts_with("not valid YAML"), "{message}");
    }

    #[test]
    fn reports_json_syntax_errors_in_json_terms() {
        let err = Source::parse("{\n  \"a\": 1,\n}\n", "t.json".into()).expect_err("broken json");
        let Error::Spec { location, message } = err else { panic!("expected a spec error") };
        assert_eq!(location.position.map(|p| p.0), Some(3), "{message}");
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let started = std::time::Instant::now();
        let err = Source::parse(&doc, "bomb.yaml".into()).expect_err("10^12 nodes");
        assert!(err.to_string().contains("not valid YAML"), "{err}");
        // A bound, not a benchmark: expanding the bomb would take hours.
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(Source::parse(&deep, "deep.yaml".into()).is_err());
        assert!(Source::parse(&deep, "deep.json".into()).is_err());
        let nested_maps: String = (0..500).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
        assert!(Source::parse(&nested_maps, "deep.yaml".into()).is_err());
    }

    #[test]
    fn rejects_duplicate_keys() {
        let err = Source::parse("a: 1\na: 2\n", "t.yaml".into()).expect_err("duplicate key");
        assert!(err.to_string().contains("duplicate"), "{err}");
    }
}
