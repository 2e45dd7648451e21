//! The messages of the API: names, payload and header schemas (bundled), traits applied,
//! correlation ids, and which messages answer which (3.0 `reply`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Found, Lowering, docs_of, examples};
use crate::error::{Result, Warning};
use crate::ir::{Channel, Direction, Message};
use crate::naming::{self, Namespace};
use crate::resolve::{Model, Ptr};
use crate::schema;

impl Lowering<'_> {
    /// The messages, each with where it is defined (for the example step).
    pub(super) fn messages(&mut self, found: Vec<Found>, channels: &[Channel]) -> Result<(Vec<Message>, Vec<Ptr>)> {
        let mut names = Namespace::reserving(naming::RESERVED_MESSAGE_NAMES);
        let mut seen: std::collections::HashMap<(Ptr, usize, Direction), usize> = std::collections::HashMap::new();
        let mut out: Vec<Message> = Vec::new();
        let mut origins: Vec<Ptr> = Vec::new();
        // A message definition used on several channels (one command schema for `turn/on` and
        // `turn/off`) is a message per channel; each is named by its key in the channel's map.
        let mut channels_of: BTreeMap<Ptr, std::collections::BTreeSet<usize>> = BTreeMap::new();
        for f in &found {
            channels_of.entry(self.model.deref(&f.ptr)?).or_default().insert(f.channel);
        }
        // Operation index → (its messages, its reply messages), as indices into `out`.
        let mut exchanges: BTreeMap<usize, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for f in found {
            let target = self.model.deref(&f.ptr)?;
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
            let msg = merge_traits(self.model, &target, raw)?;
            let component_key =
                target.pointer.starts_with("/components/messages/").then(|| target.last_segment()).flatten();
            let shared = channels_of.get(&target).is_some_and(|c| c.len() > 1);
            let key = shared
                .then(|| f.map_key.clone())
                .flatten()
                .or_else(|| {
                    ["messageId", "name"].iter().find_map(|k| msg.get(*k).and_then(Value::as_str).map(str::to_owned))
                })
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
                    location: self.model.location(&target),
                    message: format!("message `{key}`: {why}; this one is called `{ident}`"),
                });
            }
            let method = naming::snake_name(&ident);
            let payload = self.payload(&target, &msg, &ident)?;
            let headers = match field_origin(self.model, &target, "headers")? {
                Some(ptr) => Some(self.schemas.add(self.model, &ptr, &format!("{ident}Headers"))?),
                None => None,
            };
            let examples = examples::examples_of(&msg);
            origins.push(target.clone());
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
                correlation: correlation_of(self.model, &target, &msg)?,
                replies: Vec::new(),
                bindings: f.bindings.clone(),
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
        Ok((out, origins))
    }

    fn payload(&mut self, msg_ptr: &Ptr, msg: &Map<String, Value>, ident: &str) -> Result<Option<String>> {
        let Some(payload) = msg.get("payload") else {
            return Ok(None);
        };
        let mut ptr = field_origin(self.model, msg_ptr, "payload")?.unwrap_or_else(|| msg_ptr.child("payload"));
        let mut format = msg.get("schemaFormat").and_then(Value::as_str).map(str::to_owned);
        // 3.0 multi-format schema object: `{schemaFormat, schema}`.
        if let Some(inner) = payload.as_object().filter(|p| p.contains_key("schemaFormat") && p.contains_key("schema"))
        {
            format = inner.get("schemaFormat").and_then(Value::as_str).map(str::to_owned);
            ptr = ptr.child("schema");
        }
        if let Some(format) = format.filter(|f| !schema::is_json_schema_format(f)) {
            self.warnings.push(Warning {
                location: self.model.location(&ptr),
                message: format!(
                    "payload schema format `{format}` is not JSON Schema; the payload is typed as `serde_json::Value`"
                ),
            });
            return Ok(None);
        }
        self.schemas.add(self.model, &ptr, &format!("{ident}Payload")).map(Some)
    }
}

/// Applies `traits` to an operation or message: the object's own fields win; trait fields fill in
/// what it does not define.
pub(super) fn merge_traits(model: &Model, at: &Ptr, mut obj: Map<String, Value>) -> Result<Map<String, Value>> {
    let Some(Value::Array(traits)) = obj.remove("traits") else {
        return Ok(obj);
    };
    for i in 0..traits.len() {
        let trait_ptr = model.deref(&at.child("traits").child(&i.to_string()))?;
        if let Some(Value::Object(t)) = model.get(&trait_ptr) {
            for (k, v) in t {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    Ok(obj)
}

/// The JSON pointer into the payload where a message carries its correlation id
/// (`correlationId.location: $message.payload#/reqid`); header locations are not supported.
fn correlation_of(model: &Model, msg: &Ptr, obj: &Map<String, Value>) -> Result<Option<String>> {
    if !obj.contains_key("correlationId") {
        return Ok(None);
    }
    let ptr = field_origin(model, msg, "correlationId")?.unwrap_or_else(|| msg.child("correlationId"));
    let ptr = model.deref(&ptr)?;
    let location = model.get(&ptr).and_then(|c| c.get("location")).and_then(Value::as_str).unwrap_or_default();
    Ok(location.strip_prefix("$message.payload#").map(str::to_owned))
}

/// Where the field `key` of the object at `at` comes from: the object itself, or the first of its
/// `traits` that has it.
pub(super) fn field_origin(model: &Model, at: &Ptr, key: &str) -> Result<Option<Ptr>> {
    if model.get(&at.child(key)).is_some() {
        return Ok(Some(at.child(key)));
    }
    let count = model.get(&at.child("traits")).and_then(Value::as_array).map_or(0, Vec::len);
    for i in 0..count {
        let trait_ptr = model.deref(&at.child("traits").child(&i.to_string()))?;
        if model.get(&trait_ptr.child(key)).is_some() {
            return Ok(Some(trait_ptr.child(key)));
        }
    }
    Ok(None)
}
