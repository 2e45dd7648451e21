//! Stage 3, lower: turns an AsyncAPI 2.0–2.6 or 3.0 document into the [`crate::ir::Api`], and bundles
//! the payload schemas it uses.
//!
//! Sides: the generated crate is a client. For 3.0 the document describes the application the
//! crate implements, so `receive` operations are what it receives and `send` what it sends. For
//! 2.x the document describes the server, and the client is its counterpart: `subscribe`
//! operations (the server publishes to subscribers) are what the client receives, `publish`
//! operations what it sends.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Result, Warning};
use crate::ir::{Api, Channel, Direction, Dispatch, Example, Message, Parameter, Routing, Server, UnknownFields};
use crate::naming::{self, Namespace};
use crate::resolve::{Documents, FileId, Ptr, SchemaBundle};
use crate::schema;

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

/// Lowers the document `root` of `docs`.
pub fn lower(docs: &mut Documents, root: FileId) -> Result<Lowered> {
    let root_ptr = Ptr { file: root, pointer: String::new() };
    let doc = docs.get(&root_ptr).cloned().unwrap_or(Value::Null);
    let Some(doc) = doc.as_object() else {
        return Err(docs.error(&root_ptr, "an AsyncAPI document must be a mapping at the top level"));
    };
    let version = match doc.get("asyncapi") {
        Some(Value::String(v)) => v.clone(),
        Some(_) => {
            return Err(docs.error(&root_ptr.child("asyncapi"), "`asyncapi` must be a string such as \"3.0.0\""));
        }
        None => {
            return Err(docs.error(&root_ptr, "missing `asyncapi` field: this does not look like an AsyncAPI document"));
        }
    };
    let major = match version.as_str() {
        "2.0.0" | "2.1.0" | "2.2.0" | "2.3.0" | "2.4.0" | "2.5.0" | "2.6.0" => 2,
        "3.0.0" => 3,
        other => {
            return Err(docs.error(
                &root_ptr.child("asyncapi"),
                format!("unsupported AsyncAPI version `{other}`; supported are 2.0.0 to 2.6.0 and 3.0.0"),
            ));
        }
    };
    let mut cx = Lowering { docs, schemas: SchemaBundle::default(), warnings: Vec::new(), root: root_ptr.clone() };
    let info = cx.object(&root_ptr.child("info"), true)?.unwrap_or_default();
    let title = cx.string_field(&info, &root_ptr.child("info"), "title", true)?.unwrap_or_default();
    let api_version = cx.string_field(&info, &root_ptr.child("info"), "version", true)?.unwrap_or_default();
    let description = info.get("description").and_then(Value::as_str).map(str::to_owned);
    let sources = sources_of(&info, doc);
    let servers = cx.servers(major)?;
    let (channels, messages) = if major == 3 { cx.v3()? } else { cx.v2()? };
    cx.schemas.finish();
    let routing = Routing {
        received: choose_dispatch(
            &messages,
            Direction::Receive,
            &cx.schemas,
            Some(&mut cx.warnings),
            cx.docs,
            &cx.root,
        ),
        sent: choose_dispatch(&messages, Direction::Send, &cx.schemas, None, cx.docs, &cx.root),
    };
    let unknown_fields = cx.unknown_fields(doc)?;
    let mut warnings = std::mem::take(&mut cx.warnings);
    warnings.append(&mut cx.schemas.warnings);
    warnings.append(&mut cx.docs.warnings);
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
        },
        schemas: cx.schemas,
        warnings,
    })
}

struct Lowering<'d> {
    docs: &'d mut Documents,
    schemas: SchemaBundle,
    warnings: Vec<Warning>,
    root: Ptr,
}

/// A message found under an operation, before naming.
struct Found {
    ptr: Ptr,
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
    /// The document's own generator options: `x-asyncapi-codegen: {unknownFields: capture}`.
    fn unknown_fields(&self, doc: &Map<String, Value>) -> Result<UnknownFields> {
        let at = self.root.child("x-asyncapi-codegen").child("unknownFields");
        match doc.get("x-asyncapi-codegen").and_then(|o| o.get("unknownFields")) {
            None => Ok(UnknownFields::default()),
            Some(Value::String(name)) => UnknownFields::parse(name).ok_or_else(|| {
                self.docs.error(&at, format!("`unknownFields` must be `ignore`, `capture` or `deny`, not `{name}`"))
            }),
            Some(_) => Err(self.docs.error(&at, "`unknownFields` must be `ignore`, `capture` or `deny`")),
        }
    }

    /// The mapping at `ptr` (after `$ref`s); `None` when absent and not required.
    fn object(&mut self, ptr: &Ptr, required: bool) -> Result<Option<Map<String, Value>>> {
        if self.docs.get(ptr).is_none() {
            if required {
                let parent =
                    Ptr { file: ptr.file, pointer: ptr.pointer.rsplit_once('/').map(|p| p.0).unwrap_or("").to_owned() };
                let field = ptr.last_segment().unwrap_or_default();
                return Err(self.docs.error(&parent, format!("missing required field `{field}`")));
            }
            return Ok(None);
        }
        let target = self.docs.deref(ptr)?;
        match self.docs.get(&target) {
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(Value::Null) if !required => Ok(None),
            _ => Err(self.docs.error(ptr, "expected a mapping here")),
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
            Some(_) => Err(self.docs.error(&at.child(key), format!("`{key}` must be a string"))),
            None if required => Err(self.docs.error(at, format!("missing required field `{key}`"))),
            None => Ok(None),
        }
    }

    /// Entries of the mapping at `ptr` (empty when absent), each with its pointer.
    fn entries(&mut self, ptr: &Ptr) -> Result<Vec<(String, Ptr)>> {
        let Some(map) = self.object(ptr, false)? else {
            return Ok(Vec::new());
        };
        let base = self.docs.deref(ptr)?;
        Ok(map.keys().map(|k| (k.clone(), base.child(k))).collect())
    }

    fn servers(&mut self, major: u8) -> Result<Vec<Server>> {
        let mut out = Vec::new();
        for (name, ptr) in self.entries(&self.root.child("servers"))? {
            let ptr = self.docs.deref(&ptr)?;
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
            let description = server.get("description").and_then(Value::as_str).map(str::to_owned);
            out.push(Server { name, url, protocol, description, headers });
        }
        Ok(out)
    }

    fn v3(&mut self) -> Result<(Vec<Channel>, Vec<Message>)> {
        let mut channels = Vec::new();
        let mut channel_index = BTreeMap::new();
        let mut names = Namespace::default();
        for (key, ptr) in self.entries(&self.root.child("channels"))? {
            let target = self.docs.deref(&ptr)?;
            let Some(ch) = self.object(&target, true)? else {
                continue;
            };
            let address = match ch.get("address") {
                Some(Value::String(a)) => Some(a.clone()),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(self.docs.error(&target.child("address"), "`address` must be a string or null"));
                }
            };
            channel_index.insert(target.clone(), channels.len());
            channel_index.insert(ptr.clone(), channels.len());
            channels.push(self.channel(&mut names, key, address, &target, &ch)?);
        }
        let mut found = Vec::new();
        for (op_index, (op_key, ptr)) in self.entries(&self.root.child("operations"))?.into_iter().enumerate() {
            let op_ptr = self.docs.deref(&ptr)?;
            let Some(op) = self.object(&op_ptr, true)? else {
                continue;
            };
            let direction = match op.get("action").and_then(Value::as_str) {
                Some("send") => Direction::Send,
                Some("receive") => Direction::Receive,
                _ => {
                    return Err(self.docs.error(
                        &op_ptr.child("action"),
                        format!("operation `{op_key}`: `action` must be `send` or `receive`"),
                    ));
                }
            };
            let on_connect = op.get("x-on-connect").and_then(Value::as_bool).unwrap_or(false);
            let Some(channel_ref) = op.get("channel").and_then(crate::resolve::ref_of).map(str::to_owned) else {
                return Err(self
                    .docs
                    .error(&op_ptr, format!("operation `{op_key}` needs `channel: {{$ref: '#/channels/...'}}`")));
            };
            let channel_ptr = self.docs.resolve_ref(&op_ptr.child("channel"), &channel_ref)?;
            let channel_ptr = self.docs.deref(&channel_ptr)?;
            let Some(&channel) = channel_index.get(&channel_ptr) else {
                return Err(self
                    .docs
                    .error(&op_ptr.child("channel"), "operation `channel` must reference an entry of `channels`"));
            };
            let listed = self.listed_messages(&op_ptr, &op, &channel_ptr)?;
            let operation = Some(op_index);
            for (map_key, msg_ptr) in listed {
                found.push(Found { ptr: msg_ptr, channel, direction, map_key, on_connect, operation, reply_of: None });
            }
            if op.contains_key("reply") {
                let reply_ptr = self.docs.deref(&op_ptr.child("reply"))?;
                let Some(reply) = self.object(&reply_ptr, true)? else { continue };
                let (reply_channel, reply_channel_ptr) = match reply.get("channel").and_then(crate::resolve::ref_of) {
                    Some(r) => {
                        let r = r.to_owned();
                        let ptr = self.docs.resolve_ref(&reply_ptr.child("channel"), &r)?;
                        let ptr = self.docs.deref(&ptr)?;
                        let Some(&index) = channel_index.get(&ptr) else {
                            return Err(self.docs.error(
                                &reply_ptr.child("channel"),
                                "reply `channel` must reference an entry of `channels`",
                            ));
                        };
                        (index, ptr)
                    }
                    None => (channel, channel_ptr.clone()),
                };
                let reply_direction = match direction {
                    Direction::Send => Direction::Receive,
                    Direction::Receive => Direction::Send,
                };
                for (map_key, msg_ptr) in self.listed_messages(&reply_ptr, &reply, &reply_channel_ptr)? {
                    found.push(Found {
                        ptr: msg_ptr,
                        channel: reply_channel,
                        direction: reply_direction,
                        map_key,
                        on_connect: false,
                        operation: None,
                        reply_of: Some(op_index),
                    });
                }
            }
        }
        let messages = self.messages(found, &channels)?;
        Ok((channels, messages))
    }

    /// The messages an operation (or its `reply`) lists, or all messages of its channel.
    fn listed_messages(
        &mut self,
        at: &Ptr,
        holder: &Map<String, Value>,
        channel_ptr: &Ptr,
    ) -> Result<Vec<(Option<String>, Ptr)>> {
        match holder.get("messages") {
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_ptr = at.child("messages").child(&i.to_string());
                    let Some(r) = crate::resolve::ref_of(item) else {
                        return Err(self
                            .docs
                            .error(&item_ptr, "operation messages must be `$ref`s to messages of its channel"));
                    };
                    let target = self.docs.resolve_ref(&item_ptr.child("$ref"), r)?;
                    out.push((target.last_segment(), target));
                }
                Ok(out)
            }
            Some(_) => Err(self.docs.error(&at.child("messages"), "`messages` must be a list")),
            None => Ok(self.entries(&channel_ptr.child("messages"))?.into_iter().map(|(k, p)| (Some(k), p)).collect()),
        }
    }

    fn v2(&mut self) -> Result<(Vec<Channel>, Vec<Message>)> {
        let mut channels = Vec::new();
        let mut names = Namespace::default();
        let mut found = Vec::new();
        if self.docs.get(&self.root.child("channels")).is_none() {
            return Err(self.docs.error(&self.root, "missing required field `channels`"));
        }
        for (address, ptr) in self.entries(&self.root.child("channels"))? {
            let target = self.docs.deref(&ptr)?;
            let Some(ch) = self.object(&target, true)? else {
                continue;
            };
            let index = channels.len();
            channels.push(self.channel(&mut names, address.clone(), Some(address), &target, &ch)?);
            for (op_name, direction) in [("subscribe", Direction::Receive), ("publish", Direction::Send)] {
                let op_ptr = target.child(op_name);
                let Some(op) = self.object(&op_ptr, false)? else {
                    continue;
                };
                let op_ptr = self.docs.deref(&op_ptr)?;
                let op = merge_traits(self.docs, &op_ptr, op)?;
                let on_connect = op.get("x-on-connect").and_then(Value::as_bool).unwrap_or(false);
                if !op.contains_key("message") {
                    continue;
                }
                let msg_ptr = self.docs.deref(&op_ptr.child("message"))?;
                let one_of = self.docs.get(&msg_ptr).and_then(|m| m.get("oneOf")).cloned();
                let ptrs = match one_of {
                    Some(Value::Array(items)) => {
                        (0..items.len()).map(|i| msg_ptr.child("oneOf").child(&i.to_string())).collect()
                    }
                    Some(_) => {
                        return Err(self.docs.error(&msg_ptr.child("oneOf"), "`oneOf` must be a list of messages"));
                    }
                    None => vec![msg_ptr],
                };
                for ptr in ptrs {
                    let (map_key, operation, reply_of) = (None, None, None);
                    found.push(Found { ptr, channel: index, direction, map_key, on_connect, operation, reply_of });
                }
            }
        }
        let messages = self.messages(found, &channels)?;
        Ok((channels, messages))
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
                location: self.docs.location(at),
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
                return Err(self.docs.error(&channel.child("address"), "unclosed `{` in the channel address"));
            };
            let name = rest[start + 1..start + len].to_owned();
            rest = &rest[start + len + 1..];
            if name.is_empty() {
                return Err(self.docs.error(&channel.child("address"), "empty `{}` in the channel address"));
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

    fn messages(&mut self, found: Vec<Found>, channels: &[Channel]) -> Result<Vec<Message>> {
        let mut names = Namespace::reserving(naming::RESERVED_MESSAGE_NAMES);
        let mut seen: std::collections::HashMap<(Ptr, usize, Direction), usize> = std::collections::HashMap::new();
        let mut out: Vec<Message> = Vec::new();
        // Operation index → (its messages, its reply messages), as indices into `out`.
        let mut exchanges: BTreeMap<usize, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for f in found {
            let target = self.docs.deref(&f.ptr)?;
            let key3 = (target.clone(), f.channel, f.direction);
            if let Some(&i) = seen.get(&key3) {
                if let Some(op) = f.operation {
                    exchanges.entry(op).or_default().0.push(i);
                }
                if let Some(op) = f.reply_of {
                    exchanges.entry(op).or_default().1.push(i);
                }
                out[i].on_connect |= f.on_connect;
                continue;
            }
            let index = out.len();
            seen.insert(key3, index);
            if let Some(op) = f.operation {
                exchanges.entry(op).or_default().0.push(index);
            }
            if let Some(op) = f.reply_of {
                exchanges.entry(op).or_default().1.push(index);
            }
            let Some(raw) = self.object(&target, true)? else {
                continue;
            };
            let msg = merge_traits(self.docs, &target, raw)?;
            let component_key =
                target.pointer.starts_with("/components/messages/").then(|| target.last_segment()).flatten();
            let key = ["messageId", "name"]
                .iter()
                .find_map(|k| msg.get(*k).and_then(Value::as_str).map(str::to_owned))
                .or(component_key)
                .or(f.map_key.clone())
                .or_else(|| msg.get("title").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| {
                    let dir = if f.direction == Direction::Receive { "Received" } else { "Sent" };
                    format!("{}{dir}", channels[f.channel].ident)
                });
            let wanted = naming::type_name(&key);
            let (ident, renamed) = names.claim(&wanted);
            if renamed {
                let why = if naming::RESERVED_MESSAGE_NAMES.contains(&wanted.as_str()) {
                    format!("`{wanted}` is the generated enums' own variant for frames the document does not describe")
                } else {
                    format!("another message is called `{wanted}` in Rust")
                };
                self.warnings.push(Warning {
                    location: self.docs.location(&target),
                    message: format!("message `{key}`: {why}; this one is called `{ident}`"),
                });
            }
            let method = naming::snake_name(&ident);
            let payload = self.payload(&target, &msg, &ident)?;
            let headers = match field_origin(self.docs, &target, "headers")? {
                Some(ptr) => Some(self.schemas.add(self.docs, &ptr, &format!("{ident}Headers"))?),
                None => None,
            };
            let examples = self.valid_examples(&target, examples_of(&msg), payload.as_deref());
            out.push(Message {
                key,
                ident,
                method,
                channel: f.channel,
                direction: f.direction,
                payload,
                headers,
                docs: docs_of(&msg),
                examples,
                on_connect: f.on_connect,
                correlation: correlation_of(self.docs, &target, &msg)?,
                replies: Vec::new(),
            });
        }
        for (requests, replies) in exchanges.into_values() {
            for r in requests {
                for &reply in &replies {
                    if !out[r].replies.contains(&reply) {
                        out[r].replies.push(reply);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The examples that match their payload schema; each one that does not is reported and
    /// left out of the generated tests and the mock broker's feed.
    fn valid_examples(&mut self, msg: &Ptr, examples: Vec<Example>, payload: Option<&str>) -> Vec<Example> {
        let Some(name) = payload else { return examples };
        let defs = self.schemas.reachable(name);
        let root = serde_json::json!({ "definitions": defs, "$ref": format!("#/definitions/{name}") });
        let Ok(validator) = jsonschema::draft7::options().should_validate_formats(false).build(&root) else {
            return examples;
        };
        let mut out = Vec::new();
        for example in examples {
            let problem =
                validator.iter_errors(&example.payload).next().map(|e| (e.instance_path().to_string(), e.to_string()));
            match problem {
                None => out.push(example),
                Some((path, error)) => self.warnings.push(Warning {
                    location: self.docs.location(&msg.child("examples")),
                    message: format!(
                        "example `{}` does not match its payload schema at `{path}` ({}); it gets no generated test",
                        example.name,
                        shorten(&error)
                    ),
                }),
            }
        }
        out
    }

    fn payload(&mut self, msg_ptr: &Ptr, msg: &Map<String, Value>, ident: &str) -> Result<Option<String>> {
        let Some(payload) = msg.get("payload") else {
            return Ok(None);
        };
        let mut ptr = field_origin(self.docs, msg_ptr, "payload")?.unwrap_or_else(|| msg_ptr.child("payload"));
        let mut format = msg.get("schemaFormat").and_then(Value::as_str).map(str::to_owned);
        // 3.0 multi-format schema object: `{schemaFormat, schema}`.
        if let Some(inner) = payload.as_object().filter(|p| p.contains_key("schemaFormat") && p.contains_key("schema"))
        {
            format = inner.get("schemaFormat").and_then(Value::as_str).map(str::to_owned);
            ptr = ptr.child("schema");
        }
        if let Some(format) = format.filter(|f| !schema::is_json_schema_format(f)) {
            self.warnings.push(Warning {
                location: self.docs.location(&ptr),
                message: format!(
                    "payload schema format `{format}` is not JSON Schema; the payload is typed as `serde_json::Value`"
                ),
            });
            return Ok(None);
        }
        self.schemas.add(self.docs, &ptr, &format!("{ident}Payload")).map(Some)
    }
}

/// Applies `traits` to an operation or message: the object's own fields win; trait fields fill in
/// what it does not define.
fn merge_traits(docs: &mut Documents, at: &Ptr, mut obj: Map<String, Value>) -> Result<Map<String, Value>> {
    let Some(Value::Array(traits)) = obj.remove("traits") else {
        return Ok(obj);
    };
    for i in 0..traits.len() {
        let trait_ptr = docs.deref(&at.child("traits").child(&i.to_string()))?;
        if let Some(Value::Object(t)) = docs.get(&trait_ptr) {
            for (k, v) in t {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    Ok(obj)
}

/// The JSON pointer into the payload where a message carries its correlation id
/// (`correlationId.location: $message.payload#/reqid`); header locations are not supported.
fn correlation_of(docs: &mut Documents, msg: &Ptr, obj: &Map<String, Value>) -> Result<Option<String>> {
    if !obj.contains_key("correlationId") {
        return Ok(None);
    }
    let ptr = field_origin(docs, msg, "correlationId")?.unwrap_or_else(|| msg.child("correlationId"));
    let ptr = docs.deref(&ptr)?;
    let location = docs.get(&ptr).and_then(|c| c.get("location")).and_then(Value::as_str).unwrap_or_default();
    Ok(location.strip_prefix("$message.payload#").map(str::to_owned))
}

/// Where the field `key` of the object at `at` comes from: the object itself, or the first of its
/// `traits` that has it.
fn field_origin(docs: &mut Documents, at: &Ptr, key: &str) -> Result<Option<Ptr>> {
    if docs.get(&at.child(key)).is_some() {
        return Ok(Some(at.child(key)));
    }
    let count = docs.get(&at.child("traits")).and_then(Value::as_array).map_or(0, Vec::len);
    for i in 0..count {
        let trait_ptr = docs.deref(&at.child("traits").child(&i.to_string()))?;
        if docs.get(&trait_ptr.child(key)).is_some() {
            return Ok(Some(trait_ptr.child(key)));
        }
    }
    Ok(None)
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

fn docs_of(obj: &Map<String, Value>) -> Vec<String> {
    ["title", "summary", "description"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_str))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// At most 120 characters of a validator message (it can quote a whole instance).
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn examples_of(msg: &Map<String, Value>) -> Vec<Example> {
    let mut out = Vec::new();
    if let Some(Value::Array(examples)) = msg.get("examples") {
        for (i, ex) in examples.iter().enumerate() {
            if let Some(payload) = ex.get("payload") {
                let name =
                    ex.get("name").and_then(Value::as_str).map_or_else(|| format!("example {}", i + 1), str::to_owned);
                out.push(Example { name, payload: payload.clone() });
            }
        }
    }
    if let Some(Value::Array(examples)) = msg.get("payload").and_then(|p| p.get("examples")) {
        for (i, payload) in examples.iter().enumerate() {
            out.push(Example { name: format!("payload example {}", i + 1), payload: payload.clone() });
        }
    }
    out
}

/// Picks the dispatch for the messages of `direction`: the tag path that tells the most messages
/// apart. Ambiguities are reported into `warnings` when given (the received side, whose routing
/// is the crate's purpose; the sent side's decoder only plays the other side).
fn choose_dispatch(
    messages: &[Message],
    direction: Direction,
    schemas: &SchemaBundle,
    mut warnings: Option<&mut Vec<Warning>>,
    docs: &Documents,
    root: &Ptr,
) -> Dispatch {
    let received: Vec<usize> = (0..messages.len()).filter(|&i| messages[i].direction == direction).collect();
    match received.as_slice() {
        [] => return Dispatch::None,
        [one] => return Dispatch::Single(*one),
        _ => {}
    }
    let tags: Vec<BTreeMap<Vec<String>, String>> = received
        .iter()
        .map(|&i| messages[i].payload.as_ref().map(|p| schema::tags(&schemas.defs, p)).unwrap_or_default())
        .collect();
    let explicit: std::collections::BTreeSet<String> = received
        .iter()
        .filter_map(|&i| messages[i].payload.as_ref().and_then(|p| schemas.defs.get(p)))
        .filter_map(|schema| match schema.get("discriminator") {
            Some(Value::String(p)) => Some(p.clone()),
            Some(other) => other.get("propertyName").and_then(Value::as_str).map(str::to_owned),
            None => None,
        })
        .collect();
    let mut best: Option<(usize, Vec<String>)> = None;
    let paths: std::collections::BTreeSet<&Vec<String>> = tags.iter().flat_map(|t| t.keys()).collect();
    for path in paths {
        let values: Vec<&String> = tags.iter().filter_map(|t| t.get(path)).collect();
        let distinct: std::collections::BTreeSet<&&String> = values.iter().collect();
        if distinct.len() != values.len() || values.len() < 2 {
            continue;
        }
        // Most messages told apart first; then a property a payload names as its `discriminator`;
        // then the shortest path; then the first in order.
        let rank = |p: &Vec<String>, n: usize| {
            (std::cmp::Reverse(n), !(p.len() == 1 && explicit.contains(&p[0])), p.len(), p.clone())
        };
        let better = match &best {
            None => true,
            Some((n, p)) => rank(path, values.len()) < rank(p, *n),
        };
        if better {
            best = Some((values.len(), path.clone()));
        }
    }
    let Some((_, path)) = best else {
        if let Some(warnings) = warnings.as_deref_mut() {
            warnings.push(Warning {
            location: docs.location(root),
            message: format!(
                "the received messages {} have no required `const` property that tells them apart; frames are tried against them in this order",
                received.iter().map(|&i| format!("`{}`", messages[i].key)).collect::<Vec<_>>().join(", ")
            ),
        });
        }
        return Dispatch::Ordered(received);
    };
    let mut cases = Vec::new();
    let mut fallback = Vec::new();
    for (k, &i) in received.iter().enumerate() {
        match tags[k].get(&path) {
            Some(value) => cases.push((value.clone(), i)),
            None => fallback.push(i),
        }
    }
    if !fallback.is_empty()
        && let Some(warnings) = warnings
    {
        warnings.push(Warning {
            location: docs.location(root),
            message: format!(
                "messages {} have no `{}` tag; frames without a known tag are tried against them in this order",
                fallback.iter().map(|&i| format!("`{}`", messages[i].key)).collect::<Vec<_>>().join(", "),
                path.join(".")
            ),
        });
    }
    Dispatch::Tagged { path, cases, fallback }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Source;

    fn dispatch_of(yaml: &str) -> Dispatch {
        let (mut docs, root) = Documents::from_source(Source::parse(yaml, "t.yaml".into()).expect("yaml"));
        lower(&mut docs, root).expect("lowers").api.routing.received
    }

    fn doc(discriminator: &str) -> String {
        let msg = |name: &str| {
            format!(
                "    {name}:\n      payload:\n        type: object\n        {discriminator}\n        required: [kind, type]\n        properties:\n          kind: {{const: k{name}}}\n          type: {{const: t{name}}}\n"
            )
        };
        format!(
            "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    messages:\n      a: {{$ref: '#/components/messages/a'}}\n      b: {{$ref: '#/components/messages/b'}}\noperations:\n  r:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\ncomponents:\n  messages:\n{}{}",
            msg("a"),
            msg("b")
        )
    }

    #[test]
    fn an_explicit_discriminator_wins_a_tie() {
        let Dispatch::Tagged { path, .. } = dispatch_of(&doc("x-note: none")) else { panic!("tagged") };
        assert_eq!(path, ["kind"]);
        let Dispatch::Tagged { path, cases, .. } = dispatch_of(&doc("discriminator: type")) else { panic!("tagged") };
        assert_eq!(path, ["type"]);
        assert_eq!(cases.iter().map(|(v, _)| v.as_str()).collect::<Vec<_>>(), ["ta", "tb"]);
    }

    #[test]
    fn messages_that_cannot_be_told_apart_are_tried_in_order() {
        let yaml = doc("x-note: none").replace("{const: kb}", "{const: ka}").replace("{const: tb}", "{const: ta}");
        assert!(matches!(dispatch_of(&yaml), Dispatch::Ordered(ref order) if order.len() == 2));
    }
}
