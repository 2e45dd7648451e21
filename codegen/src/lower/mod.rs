//! Stage 3, lower: turns the resolved document [`Model`] (AsyncAPI 2.0–2.6 or 3.0) into the
//! [`ir::Api`](crate::ir::Api), with the payload schemas it uses bundled.
//!
//! One adapter per major version maps its channels and operations onto the IR (`v2`, `v3`);
//! the steps after it are shared: messages and their payloads (`messages`), the examples that
//! become tests (`examples`) and the choice of dispatch (`dispatch`).
//!
//! Sides: a document describes one application. Both adapters read its operations as that
//! application's (3.0 `send`, 2.x `subscribe`: it sends), and [`role`] then turns them into the
//! generated side's: the described application itself (`app`), or, by default, its counterpart
//! (`peer`), for which every direction flips.

mod bindings;
pub mod bundle;
mod dispatch;
mod examples;
mod hierarchies;
mod messages;
pub mod role;
mod v2;
mod v3;

use serde_json::{Map, Value};

pub use bundle::SchemaBundle;

use crate::error::{Result, Warning};
use crate::ir::{Api, Channel, Direction, Parameter, Role, Routing, Server, UnknownFields};
use crate::naming::{self, Namespace};
use crate::resolve::{Model, Ptr};

/// The lowered document with its schemas.
#[derive(Debug)]
pub struct Lowered {
    /// The API.
    pub api: Api,
    /// Every schema a message payload reaches.
    pub schemas: SchemaBundle,
    /// Findings that did not stop the run.
    pub warnings: Vec<Warning>,
}

/// Lowers the root document of `model` for `role` (default: the document's
/// `x-asyncapi-codegen.role`, else [`Role::Peer`]).
pub fn lower(model: &Model, role: Option<Role>) -> Result<Lowered> {
    let root_ptr = model.root();
    let Some(doc) = model.object(&root_ptr) else {
        return Err(model.error(&root_ptr, "an AsyncAPI document must be a mapping at the top level"));
    };
    let version = match doc.get("asyncapi") {
        Some(Value::String(v)) => v.clone(),
        Some(_) => {
            return Err(model.error(&root_ptr.child("asyncapi"), "`asyncapi` must be a string such as \"3.0.0\""));
        }
        None => {
            return Err(
                model.error(&root_ptr, "missing `asyncapi` field: this does not look like an AsyncAPI document")
            );
        }
    };
    let major = match version.as_str() {
        "2.0.0" | "2.1.0" | "2.2.0" | "2.3.0" | "2.4.0" | "2.5.0" | "2.6.0" => 2,
        "3.0.0" | "3.1.0" => 3,
        other => {
            return Err(model.error(
                &root_ptr.child("asyncapi"),
                format!("unsupported AsyncAPI version `{other}`; supported are 2.0.0 to 2.6.0, 3.0.0 and 3.1.0"),
            ));
        }
    };
    let mut cx = Lowering { model, schemas: SchemaBundle::default(), warnings: Vec::new(), root: root_ptr.clone() };
    let info = cx.object(&root_ptr.child("info"), true)?.unwrap_or_default();
    let title = cx.string_field(&info, &root_ptr.child("info"), "title", true)?.unwrap_or_default();
    let api_version = cx.string_field(&info, &root_ptr.child("info"), "version", true)?.unwrap_or_default();
    let description = info.get("description").and_then(Value::as_str).map(str::to_owned);
    let sources = sources_of(&info, doc);
    let servers = cx.servers(major)?;
    let (channels, mut found) = if major == 3 { cx.v3()? } else { cx.v2()? };
    let (role, role_chosen) = match role {
        Some(role) => (role, true),
        None => cx.document_role(doc)?.map_or((Role::default(), false), |r| (r, true)),
    };
    if role == Role::Peer {
        found.iter_mut().for_each(|f| f.direction = f.direction.flip());
    }
    let (mut messages, origins) = cx.messages(found, &channels)?;
    cx.schemas.add_hierarchies(model)?;
    cx.schemas.finish();
    cx.check_examples(&mut messages, &origins);
    // On a broker the topic picks the channel first: only a channel's own messages need a tag.
    let topic_routed = !servers.is_empty() && servers.iter().all(|s| crate::ir::is_broker(&s.protocol));
    let (whole, own) = if topic_routed { (None, Some(&mut cx.warnings)) } else { (Some(&mut cx.warnings), None) };
    let received = dispatch::choose(&messages, Direction::Receive, &cx.schemas, whole, model, &cx.root);
    let by_channel = dispatch::by_channel(&messages, channels.len(), &cx.schemas, own, model, &cx.root);
    let routing = Routing {
        received,
        sent: dispatch::choose(&messages, Direction::Send, &cx.schemas, None, model, &cx.root),
        by_channel,
    };
    let unknown_fields = cx.unknown_fields(doc)?;
    if let Some(whole) = model.get(&root_ptr) {
        cx.misplaced_refs(&root_ptr, whole, false, 0);
    }
    if !role_chosen {
        cx.warnings.extend(role::suspicious(&messages, &origins, role, model));
    }
    let mut warnings = std::mem::take(&mut cx.warnings);
    warnings.append(&mut cx.schemas.warnings);
    warnings.extend(model.warnings.iter().cloned());
    Ok(Lowered {
        api: Api {
            title,
            version: api_version,
            description,
            asyncapi: version,
            sources,
            servers,
            channels,
            messages,
            routing,
            unknown_fields,
            role,
            role_chosen,
        },
        schemas: cx.schemas,
        warnings,
    })
}

/// The state of one lowering: the model it reads, the schemas bundled so far, and findings.
struct Lowering<'m> {
    model: &'m Model,
    schemas: SchemaBundle,
    warnings: Vec<Warning>,
    root: Ptr,
}

/// A message found under an operation, before naming.
struct Found {
    ptr: Ptr,
    /// Its operation's protocol bindings.
    bindings: crate::ir::Bindings,
    channel: usize,
    direction: Direction,
    map_key: Option<String>,
    on_connect: bool,
    /// The operation (index) whose messages this is one of.
    operation: Option<usize>,
    /// The operation (index) whose `reply` this message is.
    reply_of: Option<usize>,
}

impl Lowering<'_> {
    /// `$ref`s where the specification allows none but documents in the wild write them: a
    /// `description`, `summary` or `title` (`{$ref: ./text.md}`) and an entry of a message's
    /// `examples`. Each is left out with a warning (see the README's leniency table): inlining
    /// a file into generated docs or tests is not what the document's readers would see.
    fn misplaced_refs(&mut self, at: &Ptr, value: &Value, in_messages: bool, depth: usize) {
        const DATA: &[&str] = &["example", "default", "enum", "const", "payload", "headers"];
        if depth > 256 {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let child_at = at.child(key);
                    let is_ref = child.get("$ref").is_some_and(Value::is_string);
                    if crate::resolve::is_text_field(&at.pointer, key) && is_ref {
                        self.warnings.push(Warning {
                            location: self.model.location(&child_at),
                            message: format!(
                                "a `$ref` in `{key}` is not allowed by the specification (text only); the {key} is left out"
                            ),
                        });
                    } else if key == "examples"
                        && in_messages
                        && let Value::Array(items) = child
                    {
                        for (i, item) in items.iter().enumerate() {
                            if item.get("$ref").is_some_and(Value::is_string) {
                                self.warnings.push(Warning {
                                    location: self.model.location(&child_at.child(&i.to_string())),
                                    message: "a message example that is a `$ref` is not allowed by the specification; it gets no generated test".into(),
                                });
                            }
                        }
                    } else if !DATA.contains(&key.as_str()) && key != "examples" && !key.starts_with("x-") {
                        let in_messages = in_messages || key == "messages";
                        self.misplaced_refs(&child_at, child, in_messages, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.misplaced_refs(&at.child(&i.to_string()), item, in_messages, depth + 1);
                }
            }
            _ => {}
        }
    }

    /// The document's own generator options: `x-asyncapi-codegen: {unknownFields: capture}`.
    fn unknown_fields(&self, doc: &Map<String, Value>) -> Result<UnknownFields> {
        let at = self.root.child("x-asyncapi-codegen").child("unknownFields");
        match doc.get("x-asyncapi-codegen").and_then(|o| o.get("unknownFields")) {
            None => Ok(UnknownFields::default()),
            Some(Value::String(name)) => UnknownFields::parse(name).ok_or_else(|| {
                self.model.error(&at, format!("`unknownFields` must be `ignore`, `capture` or `deny`, not `{name}`"))
            }),
            Some(_) => Err(self.model.error(&at, "`unknownFields` must be `ignore`, `capture` or `deny`")),
        }
    }

    /// The document's own choice of role: `x-asyncapi-codegen: {role: app}`.
    fn document_role(&self, doc: &Map<String, Value>) -> Result<Option<Role>> {
        let at = self.root.child("x-asyncapi-codegen").child("role");
        match doc.get("x-asyncapi-codegen").and_then(|o| o.get("role")) {
            None => Ok(None),
            Some(Value::String(name)) => Role::parse(name)
                .map(Some)
                .ok_or_else(|| self.model.error(&at, format!("`role` must be `peer` or `app`, not `{name}`"))),
            Some(_) => Err(self.model.error(&at, "`role` must be `peer` or `app`")),
        }
    }

    /// The mapping at `ptr` (after `$ref`s); `None` when absent and not required.
    fn object(&mut self, ptr: &Ptr, required: bool) -> Result<Option<Map<String, Value>>> {
        if self.model.get(ptr).is_none() {
            if required {
                let parent =
                    Ptr { file: ptr.file, pointer: ptr.pointer.rsplit_once('/').map(|p| p.0).unwrap_or("").to_owned() };
                let field = ptr.last_segment().unwrap_or_default();
                return Err(self.model.error(&parent, format!("missing required field `{field}`")));
            }
            return Ok(None);
        }
        let target = self.model.deref(ptr)?;
        match self.model.get(&target) {
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(Value::Null) if !required => Ok(None),
            _ => Err(self.model.error(ptr, "expected a mapping here")),
        }
    }

    fn string_field(
        &mut self,
        obj: &Map<String, Value>,
        at: &Ptr,
        key: &str,
        required: bool,
    ) -> Result<Option<String>> {
        match obj.get(key) {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            // YAML turns `version: 1.0` into a number; accept it as the text it was.
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.model.error(&at.child(key), format!("`{key}` must be a string"))),
            None if required => Err(self.model.error(at, format!("missing required field `{key}`"))),
            None => Ok(None),
        }
    }

    /// Entries of the mapping at `ptr` (empty when absent), each with its pointer.
    fn entries(&mut self, ptr: &Ptr) -> Result<Vec<(String, Ptr)>> {
        let Some(map) = self.object(ptr, false)? else {
            return Ok(Vec::new());
        };
        let base = self.model.deref(ptr)?;
        Ok(map.keys().map(|k| (k.clone(), base.child(k))).collect())
    }

    fn servers(&mut self, major: u8) -> Result<Vec<Server>> {
        let mut out = Vec::new();
        for (name, ptr) in self.entries(&self.root.child("servers"))? {
            let ptr = self.model.deref(&ptr)?;
            let Some(server) = self.object(&ptr, true)? else {
                continue;
            };
            let protocol = self.string_field(&server, &ptr, "protocol", true)?.unwrap_or_default();
            let url = if major == 3 {
                let host = self.string_field(&server, &ptr, "host", true)?.unwrap_or_default();
                let path = self.string_field(&server, &ptr, "pathname", false)?.unwrap_or_default();
                format!("{protocol}://{host}{path}")
            } else {
                let url = self.string_field(&server, &ptr, "url", true)?.unwrap_or_default();
                if url.contains("://") { url } else { format!("{protocol}://{url}") }
            };
            let headers = server
                .get("bindings")
                .and_then(|b| b.get("ws"))
                .and_then(|ws| ws.get("headers"))
                .and_then(|h| h.get("properties"))
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, v)| {
                            let value = ["const", "default", "example"]
                                .iter()
                                .find_map(|key| v.get(*key).and_then(Value::as_str))
                                .or_else(|| v.get("examples").and_then(|e| e.get(0)).and_then(Value::as_str))
                                .or_else(|| v.get("enum").and_then(|e| e.get(0)).and_then(Value::as_str));
                            (k.clone(), value.map(str::to_owned))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(gap) = crate::ir::transport_gap(&protocol) {
                self.warnings.push(Warning {
                    location: self.model.location(&ptr.child("protocol")),
                    message: format!("server `{name}` speaks `{protocol}`: {gap}"),
                });
            }
            let description = server.get("description").and_then(Value::as_str).map(str::to_owned);
            let mut bindings = self.server_bindings(&ptr)?;
            if crate::ir::is_mqtt(&protocol) {
                bindings.mqtt_version = self.mqtt_version(&name, &protocol, &ptr);
            }
            out.push(Server { name, url, protocol, description, headers, bindings });
        }
        Ok(out)
    }

    /// A channel: its Rust name (a collision is reported), parameters and ws binding.
    fn channel(
        &mut self,
        names: &mut Namespace,
        key: String,
        address: Option<String>,
        at: &Ptr,
        ch: &Map<String, Value>,
    ) -> Result<Channel> {
        let (ident, renamed) = names.claim(&naming::type_name(&key));
        if renamed {
            self.warnings.push(Warning {
                location: self.model.location(at),
                message: format!(
                    "channel `{key}` has the same Rust name as an earlier channel; it is called `{ident}`"
                ),
            });
        }
        let parameters = self.parameters(at, address.as_deref())?;
        let bindings = ch.get("bindings").cloned().unwrap_or(Value::Null);
        let query = bindings
            .get("ws")
            .and_then(|ws| ws.get("query"))
            .and_then(|q| q.get("properties"))
            .and_then(Value::as_object)
            .map(|props| props.iter().map(|(k, v)| (k.clone(), v.get("default").map(Value::to_string))).collect())
            .unwrap_or_default();
        Ok(Channel { key, ident, address, docs: docs_of(ch), parameters, query, bindings })
    }

    /// The parameters of a channel: every `{name}` of its address, documented from `parameters`.
    fn parameters(&mut self, channel: &Ptr, address: Option<&str>) -> Result<Vec<Parameter>> {
        let Some(address) = address else { return Ok(Vec::new()) };
        let mut names = Namespace::default();
        let mut out: Vec<Parameter> = Vec::new();
        let mut rest = address;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                return Err(self.model.error(&channel.child("address"), "unclosed `{` in the channel address"));
            };
            let name = rest[start + 1..start + len].to_owned();
            rest = &rest[start + len + 1..];
            if name.is_empty() {
                return Err(self.model.error(&channel.child("address"), "empty `{}` in the channel address"));
            }
            if out.iter().any(|p| p.name == name) {
                continue;
            }
            let declared = channel.child("parameters").child(&name);
            let docs = match self.object(&declared, false)? {
                Some(p) => docs_of(&p),
                None => Vec::new(),
            };
            let (field, _) = names.claim(&naming::snake_name(&name));
            out.push(Parameter { name, field, docs });
        }
        Ok(out)
    }
}

/// The document's `externalDocs` (in `info` for 3.0, at the root for 2.x) and its
/// `info.x-sources` map (`D1: {url, description}` or `D1: <url>`); entries without a URL are left
/// out.
fn sources_of(info: &Map<String, Value>, doc: &Map<String, Value>) -> Vec<crate::ir::Source> {
    let entry = |id: &str, value: &Value| {
        let (url, description) = match value {
            Value::String(url) => (Some(url.clone()), None),
            other => (
                other.get("url").and_then(Value::as_str).map(str::to_owned),
                other.get("description").and_then(Value::as_str).map(str::to_owned),
            ),
        };
        url.map(|url| crate::ir::Source { id: id.to_owned(), url, description })
    };
    let external = info.get("externalDocs").or_else(|| doc.get("externalDocs"));
    let mut out: Vec<_> = external.and_then(|e| entry("externalDocs", e)).into_iter().collect();
    if let Some(Value::Object(map)) = info.get("x-sources") {
        out.extend(map.iter().filter_map(|(id, value)| entry(id, value)));
    }
    out
}

pub(super) fn docs_of(obj: &Map<String, Value>) -> Vec<String> {
    ["title", "summary", "description"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}
