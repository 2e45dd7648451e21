//! The run-time part of protocol bindings: an operation's MQTT `qos` and `retain` and NATS
//! `queue`, a server's MQTT `clientId`, `cleanSession` and `keepAlive`, and the MQTT version of
//! its `protocolVersion`. The rest of a binding
//! (versions, schemas of broker-side settings) changes nothing a client does and is left alone.

use serde_json::Value;

use super::Lowering;
use super::messages::field_origin;
use crate::error::{Result, Warning};
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
            mqtt_version: None,
        })
    }

    /// The MQTT protocol level (4: 3.1.1, 5: 5) of the MQTT server at `server`, from its
    /// `protocolVersion` or the `mqtt5` protocol. A version the client does not speak (3.1, say)
    /// is a warning, and the client's default, 3.1.1, stays.
    pub(super) fn mqtt_version(&mut self, name: &str, protocol: &str, server: &Ptr) -> Option<u8> {
        let at = server.child("protocolVersion");
        let declared = match self.model.get(&at) {
            Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return (protocol == "mqtt5").then_some(5),
        };
        let level = match declared.trim_start_matches('v') {
            "5" | "5.0" | "5.0.0" => 5,
            "3.1.1" | "4" => 4,
            _ => {
                self.warnings.push(Warning {
                    location: self.model.location(&at),
                    message: format!(
                        "server `{name}` declares MQTT `{declared}`: the MQTT client speaks 3.1.1 and 5, and connects with 3.1.1"
                    ),
                });
                return None;
            }
        };
        if protocol == "mqtt5" && level != 5 {
            self.warnings.push(Warning {
                location: self.model.location(&at),
                message: format!("server `{name}` speaks `mqtt5` but declares version `{declared}`: the version wins"),
            });
        }
        Some(level)
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
