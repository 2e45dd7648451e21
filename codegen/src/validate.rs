//! Structural validation of the root document against its AsyncAPI version (2.0–2.6, 3.0),
//! reporting every problem rather than the first: required fields, the types of fields, the
//! values of enumerated fields, and `$ref`s that do not resolve.
//!
//! The model is a table of object kinds (`Kind`) with their fields; it covers the parts of the
//! specification a code generator reads, and leaves the rest (bindings, security flows, JSON
//! Schema keywords) to the stages that use them.

use serde_json::Value;

use crate::error::{Error, Location};
use crate::resolve::{Model, Ptr, ref_of};

/// What a field must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    StrOrNull,
    Array,
    Any,
    Info,
    Server2,
    Server3,
    Channel2,
    Channel3,
    Operation2,
    Operation3,
    Message,
    MessageOrOneOf,
    Parameter,
    Components,
    /// A mapping whose values are of the inner kind.
    Map(&'static Kind),
    /// A list whose items are of the inner kind.
    List(&'static Kind),
    /// A `$ref` object (3.0 `operation.channel`).
    RefOnly,
    /// A message example: a mapping with `payload`, `headers` or both.
    MessageExample,
    /// A list of tag objects whose names are unique.
    Tags,
}

/// The fields of an object kind: (name, kind, required).
fn fields(kind: Kind) -> &'static [(&'static str, Kind, bool)] {
    use Kind::*;
    match kind {
        Info => &[("title", Str, true), ("version", Str, true), ("description", Str, false), ("tags", Tags, false)],
        Server2 => &[("url", Str, true), ("protocol", Str, true), ("description", Str, false)],
        Server3 => {
            &[("host", Str, true), ("protocol", Str, true), ("pathname", Str, false), ("description", Str, false)]
        }
        Channel2 => &[
            ("subscribe", Operation2, false),
            ("publish", Operation2, false),
            ("parameters", Map(&Parameter), false),
            ("description", Str, false),
        ],
        Channel3 => &[
            ("address", StrOrNull, false),
            ("tags", Tags, false),
            ("messages", Map(&Message), false),
            ("parameters", Map(&Parameter), false),
            ("title", Str, false),
            ("summary", Str, false),
            ("description", Str, false),
        ],
        Operation2 => &[
            ("operationId", Str, false),
            ("message", MessageOrOneOf, false),
            ("summary", Str, false),
            ("tags", Tags, false),
        ],
        Operation3 => &[
            ("action", Str, true),
            ("channel", RefOnly, true),
            ("messages", List(&RefOnly), false),
            ("tags", Tags, false),
            ("title", Str, false),
            ("summary", Str, false),
            ("description", Str, false),
        ],
        Message => &[
            ("name", Str, false),
            ("title", Str, false),
            ("summary", Str, false),
            ("description", Str, false),
            ("contentType", Str, false),
            ("examples", List(&MessageExample), false),
            ("traits", Array, false),
            ("tags", Tags, false),
        ],
        Parameter => &[("description", Str, false)],
        Components => {
            &[("schemas", Map(&Any), false), ("messages", Map(&Message), false), ("parameters", Map(&Parameter), false)]
        }
        _ => &[],
    }
}

/// Checks the root document of `model`: every reference that does not resolve, then the
/// structure; returns every problem found (empty when valid).
pub fn validate(model: &Model) -> Vec<Error> {
    let mut v = Validator { model, problems: model.problems_except(|at| in_foreign_schema(model, at)) };
    v.root(&model.root());
    v.problems
}

/// Whether `at` lies inside a message payload whose `schemaFormat` is not JSON Schema (Avro,
/// RAML, Protobuf, ...): the payload is typed as a JSON value and its references are never
/// followed, so one that cannot be resolved offline (a schema registry URL) is no error.
fn in_foreign_schema(model: &Model, at: &Ptr) -> bool {
    let segments: Vec<&str> = at.pointer.split('/').collect();
    let foreign = |end: usize| {
        let ptr = Ptr { file: at.file, pointer: segments[..end].join("/") };
        model
            .get(&ptr)
            .and_then(|v| v.get("schemaFormat"))
            .and_then(Value::as_str)
            .is_some_and(|f| !crate::schema::is_json_schema_format(f))
    };
    segments.iter().enumerate().any(|(i, s)| {
        // `.../payload` in a message with a `schemaFormat` (2.x), or the 3.x multi-format
        // schema object `.../payload` with `schemaFormat` and `schema`.
        *s == "payload" && i > 0 && (foreign(i) || foreign(i + 1))
    })
}

struct Validator<'m> {
    model: &'m Model,
    problems: Vec<Error>,
}

impl Validator<'_> {
    fn problem(&mut self, at: &Ptr, message: String) {
        let location: Location = self.model.location(at);
        self.problems.push(Error::spec(location, message));
    }

    fn root(&mut self, root: &Ptr) {
        let Some(Value::Object(doc)) = self.model.get(root) else {
            self.problem(root, "an AsyncAPI document must be a mapping at the top level".into());
            return;
        };
        let major = match doc.get("asyncapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("2.") => 2,
            Some(v) if v.starts_with("3.") => 3,
            // `lower` reports the version itself, with the list of supported ones.
            _ => return,
        };
        let mut top: Vec<(&str, Kind, bool)> = vec![
            ("info", Kind::Info, true),
            ("servers", Kind::Map(if major == 3 { &Kind::Server3 } else { &Kind::Server2 }), false),
            ("components", Kind::Components, false),
            ("defaultContentType", Kind::Str, false),
        ];
        if major == 2 {
            top.push(("tags", Kind::Tags, false));
        }
        if major == 3 {
            top.push(("channels", Kind::Map(&Kind::Channel3), false));
            top.push(("operations", Kind::Map(&Kind::Operation3), false));
        } else {
            top.push(("channels", Kind::Map(&Kind::Channel2), true));
        }
        self.object_fields(root, doc, &top);
        self.unknown_root_fields(root, doc, major);
        self.non_string_refs(root, self.model.get(root).unwrap_or(&Value::Null), 0);
    }

    /// Root fields that the version does not define and that are not `x-` extensions (a typo such
    /// as `channel:` would otherwise leave the document without its channels, silently).
    fn unknown_root_fields(&mut self, root: &Ptr, doc: &serde_json::Map<String, Value>, major: u8) {
        let defined: &[&str] = if major == 3 {
            &["asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"]
        } else {
            &[
                "asyncapi",
                "id",
                "info",
                "servers",
                "defaultContentType",
                "channels",
                "components",
                "tags",
                "externalDocs",
            ]
        };
        for key in doc.keys().filter(|k| !k.starts_with("x-") && !defined.contains(&k.as_str())) {
            let closest = defined
                .iter()
                .map(|d| (strsim::jaro_winkler(&key.to_ascii_lowercase(), &d.to_ascii_lowercase()), d))
                .filter(|(score, _)| *score >= 0.85)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let hint = match closest {
                Some((_, d)) => format!("; did you mean `{d}`?"),
                None => format!("; AsyncAPI {major}.x defines {}, and `x-` extensions", list(defined)),
            };
            self.problem(&root.child(key), format!("unknown top-level field `{key}`{hint}"));
        }
    }

    /// Every `$ref` whose value is not a string (`$ref: 5`, `$ref:` with nothing after it), outside
    /// the fields that hold data (examples, defaults, enums, constants) and extensions.
    fn non_string_refs(&mut self, at: &Ptr, value: &Value, depth: usize) {
        if depth > 256 {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if key == "$ref" && !child.is_string() {
                        self.problem(
                            &at.child(key),
                            format!(
                                "`$ref` must be a string (a URI reference such as `#/components/schemas/Name`), found {}",
                                describe(child)
                            ),
                        );
                    } else if !crate::resolve::DATA_KEYWORDS.contains(&key.as_str()) && !key.starts_with("x-") {
                        self.non_string_refs(&at.child(key), child, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.non_string_refs(&at.child(&i.to_string()), item, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn object_fields(&mut self, at: &Ptr, obj: &serde_json::Map<String, Value>, table: &[(&str, Kind, bool)]) {
        for (name, kind, required) in table {
            match obj.get(*name) {
                Some(value) => self.value(&at.child(name), value, *kind),
                None if *required => self.problem(at, format!("missing required field `{name}`")),
                None => {}
            }
        }
    }

    fn value(&mut self, at: &Ptr, value: &Value, kind: Kind) {
        // A reference object stands for its target, checked where it is; a reference that does
        // not resolve is already among the problems.
        if ref_of(value).is_some() {
            return;
        }
        match kind {
            Kind::Any => {}
            Kind::Str => {
                if !value.is_string() && !value.is_number() {
                    self.problem(at, format!("expected a string, found {}", describe(value)));
                }
            }
            Kind::StrOrNull => {
                if !value.is_string() && !value.is_null() {
                    self.problem(at, format!("expected a string or null, found {}", describe(value)));
                }
            }
            Kind::Array => {
                if !value.is_array() {
                    self.problem(at, format!("expected a list, found {}", describe(value)));
                }
            }
            Kind::RefOnly => self.problem(at, "expected a `$ref` object".into()),
            Kind::MessageExample => match value {
                Value::Object(map) if map.contains_key("payload") || map.contains_key("headers") => {}
                Value::Object(_) => self.problem(
                    at,
                    "a message example needs `payload`, `headers` or both; add one or remove the example".into(),
                ),
                other => self.problem(at, format!("expected a message example (a mapping), found {}", describe(other))),
            },
            Kind::Tags => self.tags(at, value),
            Kind::Map(inner) => match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        self.value(&at.child(k), v, *inner);
                    }
                }
                other => self.problem(at, format!("expected a mapping, found {}", describe(other))),
            },
            Kind::List(inner) => match value {
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        self.value(&at.child(&i.to_string()), v, *inner);
                    }
                }
                other => self.problem(at, format!("expected a list, found {}", describe(other))),
            },
            Kind::MessageOrOneOf => match value.get("oneOf") {
                Some(Value::Array(items)) => {
                    for (i, v) in items.iter().enumerate() {
                        self.value(&at.child("oneOf").child(&i.to_string()), v, Kind::Message);
                    }
                }
                Some(other) => {
                    self.problem(&at.child("oneOf"), format!("expected a list of messages, found {}", describe(other)))
                }
                None => self.value(at, value, Kind::Message),
            },
            object_kind => match value {
                Value::Object(map) => {
                    self.object_fields(at, map, fields(object_kind));
                    let bad_action =
                        map.get("action").and_then(Value::as_str).filter(|a| !matches!(*a, "send" | "receive"));
                    if let (Kind::Operation3, Some(action)) = (object_kind, bad_action) {
                        self.problem(
                            &at.child("action"),
                            format!("`action` must be `send` or `receive`, found `{action}`"),
                        );
                    }
                }
                other => self.problem(at, format!("expected a mapping, found {}", describe(other))),
            },
        }
    }
}

impl Validator<'_> {
    /// A list of tags: each a mapping with a `name`, no name twice.
    fn tags(&mut self, at: &Ptr, value: &Value) {
        let Value::Array(items) = value else {
            self.problem(at, format!("expected a list of tags, found {}", describe(value)));
            return;
        };
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_at = at.child(&i.to_string());
            if ref_of(item).is_some() {
                continue;
            }
            match item.get("name") {
                Some(Value::String(name)) => match seen.iter().find(|(n, _)| n == name) {
                    Some((_, first)) => self.problem(
                        &item_at.child("name"),
                        format!(
                            "tag `{name}` is listed twice (first at {}/{first}); tag names must be unique",
                            at.pointer
                        ),
                    ),
                    None => seen.push((name, i)),
                },
                Some(other) => {
                    self.problem(&item_at.child("name"), format!("expected a string, found {}", describe(other)))
                }
                None => self.problem(&item_at, "missing required field `name`".into()),
            }
        }
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Source;

    fn problems(yaml: &str) -> Vec<String> {
        let source = Source::parse(yaml, "t.yaml".into()).expect("yaml");
        validate(&Model::from_source(source)).into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn reports_every_problem_not_just_the_first() {
        let found = problems(
            "asyncapi: 3.0.0\ninfo:\n  title: 3\nservers:\n  a:\n    protocol: ws\nchannels:\n  c:\n    address: [x]\n    messages:\n      m:\n        $ref: '#/components/messages/nope'\noperations:\n  o:\n    action: publish\n    channel: {$ref: '#/channels/c'}\n",
        );
        let all = found.join("\n");
        assert!(all.contains("missing required field `version`"), "{all}");
        assert!(all.contains("(at /servers/a): missing required field `host`"), "{all}");
        assert!(all.contains("(at /channels/c/address): expected a string or null, found a list"), "{all}");
        assert!(all.contains("does not resolve"), "{all}");
        assert!(all.contains("`action` must be `send` or `receive`, found `publish`"), "{all}");
        assert_eq!(found.len(), 5, "{all}");
    }

    #[test]
    fn a_valid_document_has_no_problems() {
        let found = problems(
            "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  a/b:\n    subscribe:\n      message:\n        oneOf:\n          - {name: x, payload: {type: object}}\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
