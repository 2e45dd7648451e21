//! The dispatch plan: which payload property tells the received messages apart.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SchemaBundle;
use crate::error::Warning;
use crate::ir::{Direction, Dispatch, Message};
use crate::resolve::{Model, Ptr};
use crate::schema;

/// Picks the dispatch for the messages of `direction`: the tag path that tells the most messages
/// apart. Ambiguities are reported into `warnings` when given (the received side, whose routing
/// is the crate's purpose; the sent side's decoder only plays the other side).
pub(super) fn choose(
    messages: &[Message],
    direction: Direction,
    schemas: &SchemaBundle,
    warnings: Option<&mut Vec<Warning>>,
    model: &Model,
    root: &Ptr,
) -> Dispatch {
    let received: Vec<usize> = (0..messages.len()).filter(|&i| messages[i].direction == direction).collect();
    choose_among(messages, received, schemas, warnings, model, root)
}

/// The dispatch of each channel's own messages, received then sent: what a broker transport
/// uses once the topic or subject has picked the channel. The received side's ambiguities are
/// reported into `warnings` when given (for a document whose servers are all brokers, where
/// this is the routing that counts).
pub(super) fn by_channel(
    messages: &[Message],
    channels: usize,
    schemas: &SchemaBundle,
    mut warnings: Option<&mut Vec<Warning>>,
    model: &Model,
    root: &Ptr,
) -> Vec<[Dispatch; 2]> {
    (0..channels)
        .map(|channel| {
            [Direction::Receive, Direction::Send].map(|direction| {
                let own = (0..messages.len())
                    .filter(|&i| messages[i].direction == direction && messages[i].channel == channel)
                    .collect();
                let warnings = warnings.as_deref_mut().filter(|_| direction == Direction::Receive);
                choose_among(messages, own, schemas, warnings, model, root)
            })
        })
        .collect()
}

/// The dispatch among the messages `received` (indices into `messages`).
fn choose_among(
    messages: &[Message],
    received: Vec<usize>,
    schemas: &SchemaBundle,
    mut warnings: Option<&mut Vec<Warning>>,
    model: &Model,
    root: &Ptr,
) -> Dispatch {
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
                location: model.location(root),
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
            location: model.location(root),
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
    use crate::ir::Dispatch;
    use crate::load::Source;

    fn dispatch_of(yaml: &str) -> Dispatch {
        let model = Model::from_source(Source::parse(yaml, "t.yaml".into()).expect("yaml"));
        crate::lower::lower(&model, Some(crate::ir::Role::App)).expect("lowers").api.routing.received
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
