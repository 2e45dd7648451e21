//! The AsyncAPI 2.0–2.6 adapter: channels keyed by address, each with `subscribe` and `publish`
//! operations, whose `message` may be a `oneOf`. Directions are the described application's:
//! `subscribe` lists what it sends to its subscribers ([`Direction::Send`]), `publish` what others
//! publish to it ([`Direction::Receive`]).

use serde_json::Value;

use super::{Found, Lowering, messages::merge_traits};
use crate::error::Result;
use crate::ir::{Channel, Direction};
use crate::naming::Namespace;

impl Lowering<'_> {
    /// The channels and the messages their operations use.
    pub(super) fn v2(&mut self) -> Result<(Vec<Channel>, Vec<Found>)> {
        let mut channels = Vec::new();
        let mut names = Namespace::default();
        let mut found = Vec::new();
        if self.model.get(&self.root.child("channels")).is_none() {
            return Err(self.model.error(&self.root, "missing required field `channels`"));
        }
        for (address, ptr) in self.entries(&self.root.child("channels"))? {
            let target = self.model.deref(&ptr)?;
            let Some(ch) = self.object(&target, true)? else {
                continue;
            };
            let index = channels.len();
            channels.push(self.channel(&mut names, address.clone(), Some(address), &target, &ch)?);
            for (op_name, direction) in [("subscribe", Direction::Send), ("publish", Direction::Receive)] {
                let op_ptr = target.child(op_name);
                let Some(op) = self.object(&op_ptr, false)? else {
                    continue;
                };
                let op_ptr = self.model.deref(&op_ptr)?;
                let bindings = self.operation_bindings(&op_ptr)?;
                let op = merge_traits(self.model, &op_ptr, op)?;
                let on_connect = op.get("x-on-connect").and_then(Value::as_bool).unwrap_or(false);
                if !op.contains_key("message") {
                    continue;
                }
                let msg_ptr = self.model.deref(&op_ptr.child("message"))?;
                let one_of = self.model.get(&msg_ptr).and_then(|m| m.get("oneOf")).cloned();
                let ptrs = match one_of {
                    Some(Value::Array(items)) => {
                        (0..items.len()).map(|i| msg_ptr.child("oneOf").child(&i.to_string())).collect()
                    }
                    Some(_) => {
                        return Err(self.model.error(&msg_ptr.child("oneOf"), "`oneOf` must be a list of messages"));
                    }
                    None => vec![msg_ptr],
                };
                for ptr in ptrs {
                    let (map_key, operation, reply_of) = (None, None, None);
                    let bindings = bindings.clone();
                    found.push(Found {
                        ptr,
                        bindings,
                        channel: index,
                        direction,
                        map_key,
                        on_connect,
                        operation,
                        reply_of,
                    });
                }
            }
        }
        Ok((channels, found))
    }
}
