//! The AsyncAPI 3.0 adapter: channels keyed by id with an `address`, operations with an
//! `action` (`send`/`receive`) that reference their channel and messages, and `reply`.
//! Directions are the described application's: `send` is [`Direction::Send`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Found, Lowering};
use crate::error::Result;
use crate::ir::{Channel, Direction};
use crate::naming::Namespace;
use crate::resolve::Ptr;

impl Lowering<'_> {
    /// The channels and the messages their operations use.
    pub(super) fn v3(&mut self) -> Result<(Vec<Channel>, Vec<Found>)> {
        let mut channels = Vec::new();
        let mut channel_index = BTreeMap::new();
        let mut names = Namespace::default();
        for (key, ptr) in self.entries(&self.root.child("channels"))? {
            let target = self.model.deref(&ptr)?;
            let Some(ch) = self.object(&target, true)? else {
                continue;
            };
            let address = match ch.get("address") {
                Some(Value::String(a)) => Some(a.clone()),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(self.model.error(&target.child("address"), "`address` must be a string or null"));
                }
            };
            channel_index.insert(target.clone(), channels.len());
            channel_index.insert(ptr.clone(), channels.len());
            channels.push(self.channel(&mut names, key, address, &target, &ch)?);
        }
        let mut found = Vec::new();
        for (op_index, (op_key, ptr)) in self.entries(&self.root.child("operations"))?.into_iter().enumerate() {
            let op_ptr = self.model.deref(&ptr)?;
            let Some(op) = self.object(&op_ptr, true)? else {
                continue;
            };
            let direction = match op.get("action").and_then(Value::as_str) {
                Some("send") => Direction::Send,
                Some("receive") => Direction::Receive,
                _ => {
                    return Err(self.model.error(
                        &op_ptr.child("action"),
                        format!("operation `{op_key}`: `action` must be `send` or `receive`"),
                    ));
                }
            };
            let on_connect = op.get("x-on-connect").and_then(Value::as_bool).unwrap_or(false);
            if op.get("channel").and_then(crate::resolve::ref_of).is_none() {
                return Err(self
                    .model
                    .error(&op_ptr, format!("operation `{op_key}` needs `channel: {{$ref: '#/channels/...'}}`")));
            }
            let channel_ptr = self.model.resolve_ref(&op_ptr.child("channel").child("$ref"))?;
            let channel_ptr = self.model.deref(&channel_ptr)?;
            let Some(&channel) = channel_index.get(&channel_ptr) else {
                return Err(self
                    .model
                    .error(&op_ptr.child("channel"), "operation `channel` must reference an entry of `channels`"));
            };
            let listed = self.listed_messages(&op_ptr, &op, &channel_ptr)?;
            let operation = Some(op_index);
            let bindings = self.operation_bindings(&op_ptr)?;
            for (map_key, msg_ptr) in listed {
                let bindings = bindings.clone();
                let reply_of = None;
                found.push(Found {
                    ptr: msg_ptr,
                    bindings,
                    channel,
                    direction,
                    map_key,
                    on_connect,
                    operation,
                    reply_of,
                });
            }
            if op.contains_key("reply") {
                let reply_ptr = self.model.deref(&op_ptr.child("reply"))?;
                let Some(reply) = self.object(&reply_ptr, true)? else { continue };
                let (reply_channel, reply_channel_ptr) = match reply.get("channel").and_then(crate::resolve::ref_of) {
                    Some(_) => {
                        let ptr = self.model.resolve_ref(&reply_ptr.child("channel").child("$ref"))?;
                        let ptr = self.model.deref(&ptr)?;
                        let Some(&index) = channel_index.get(&ptr) else {
                            return Err(self.model.error(
                                &reply_ptr.child("channel"),
                                "reply `channel` must reference an entry of `channels`",
                            ));
                        };
                        (index, ptr)
                    }
                    None => (channel, channel_ptr.clone()),
                };
                let reply_direction = direction.flip();
                for (map_key, msg_ptr) in self.listed_messages(&reply_ptr, &reply, &reply_channel_ptr)? {
                    found.push(Found {
                        ptr: msg_ptr,
                        bindings: bindings.clone(),
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
        Ok((channels, found))
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
                    if crate::resolve::ref_of(item).is_none() {
                        return Err(self
                            .model
                            .error(&item_ptr, "operation messages must be `$ref`s to messages of its channel"));
                    }
                    let target = self.model.resolve_ref(&item_ptr.child("$ref"))?;
                    out.push((target.last_segment(), target));
                }
                Ok(out)
            }
            Some(_) => Err(self.model.error(&at.child("messages"), "`messages` must be a list")),
            None => Ok(self.entries(&channel_ptr.child("messages"))?.into_iter().map(|(k, p)| (Some(k), p)).collect()),
        }
    }
}
