//! The run-time part of protocol bindings: an operation's MQTT `qos` and `retain` and NATS
//! `queue`, a server's MQTT `clientId`, `cleanSession` and `keepAlive`. The rest of a binding
//! (versions, schemas of broker-side settings) changes nothing a client does and is left alone.

use serde_json::Value;

use super::Lowering;
use super::messages::field_origin;
use crate::error::Result;
use crate::ir::{Bindings, ServerBindings};
use crate::resolve::Ptr;

impl Lowering<'_> {
    /// The bindings of the operation at `op` (its own, else its traits').
    pub(super) fn operation_bindings(&self, op: &Ptr) -> Result<Bindings> {
        let Some(at) = field_origin(self.model, op, "bindings")? else {
            return Ok(Bindings::default());
        };
        let at = self.model.deref(&at)?;
        let mqtt = self.model.deref(&at.child("mqtt"))?;
        let nats = self.model.deref(&at.child("nats"))?;
        let mqtt_qos = match self.model.get(&mqtt.child("qos")) {
            None => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|q| q <= 2) => n.as_u64().map(|q| q as u8),
            Some(_) => return Err(self.model.error(&mqtt.child("qos"), "MQTT `qos` must be 0, 1 or 2")),
        };
        let mqtt_retain = self.flag(&mqtt.child("retain"), "MQTT `retain`")?.unwrap_or(false);
        let nats_queue = self.text(&nats.child("queue"), "NATS `queue`")?;
        Ok(Bindings { mqtt_qos, mqtt_retain, nats_queue })
    }

    /// The bindings of the server at `server`.
    pub(super) fn server_bindings(&self, server: &Ptr) -> Result<ServerBindings> {
        let at = self.model.deref(&server.child("bindings"))?;
        let mqtt = self.model.deref(&at.child("mqtt"))?;
        let mqtt_keep_alive = match self.model.get(&mqtt.child("keepAlive")) {
            None => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|s| s <= u64::from(u16::MAX)) => {
                n.as_u64().map(|s| s as u16)
            }
            Some(_) => {
                return Err(self.model.error(&mqtt.child("keepAlive"), "MQTT `keepAlive` must be 0 to 65535 seconds"));
            }
        };
        Ok(ServerBindings {
            mqtt_client_id: self.text(&mqtt.child("clientId"), "MQTT `clientId`")?,
            mqtt_clean_session: self.flag(&mqtt.child("cleanSession"), "MQTT `cleanSession`")?,
            mqtt_keep_alive,
        })
    }

    fn flag(&self, at: &Ptr, what: &str) -> Result<Option<bool>> {
        match self.model.get(at) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.model.error(at, format!("{what} must be `true` or `false`"))),
        }
    }

    fn text(&self, at: &Ptr, what: &str) -> Result<Option<String>> {
        match self.model.get(at) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.model.error(at, format!("{what} must be a string"))),
        }
    }
}
