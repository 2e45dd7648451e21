//! The examples that become generated tests: those of a message (`examples[].payload`) and of
//! its payload schema (`examples`), each checked against the payload schema first.

use serde_json::{Map, Value};

use super::Lowering;
use crate::error::Warning;
use crate::ir::{Example, Message};
use crate::resolve::Ptr;

impl Lowering<'_> {
    /// Keeps, for each message (defined at `origins[i]`), the examples that match its payload
    /// schema; run once every schema is bundled.
    pub(super) fn check_examples(&mut self, messages: &mut [Message], origins: &[Ptr]) {
        for (message, origin) in messages.iter_mut().zip(origins) {
            let examples = std::mem::take(&mut message.examples);
            message.examples = self.valid_examples(origin, examples, message.payload.as_deref());
        }
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
                    location: self.model.location(&msg.child("examples")),
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
}

/// At most 120 characters of a validator message (it can quote a whole instance).
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

pub(super) fn examples_of(msg: &Map<String, Value>) -> Vec<Example> {
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
