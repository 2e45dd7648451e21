//! Which side of the document the generated crate is, and the signs that the default choice
//! may be the wrong one. Nothing in a document says whether it describes a server or a client,
//! so the generator reads it one way by default ([`Role::Peer`]) and says so when the result
//! looks inverted: a side that receives nothing while the other would, or one that would answer
//! requests rather than make them.

use crate::error::Warning;
use crate::ir::{Api, Direction, Message, Role};
use crate::resolve::{Model, Ptr};

/// Warnings for a role that was not chosen explicitly, naming the option that flips it.
pub(super) fn suspicious(messages: &[Message], origins: &[Ptr], role: Role, model: &Model) -> Vec<Warning> {
    let fix = format!(
        "if the document describes the side you want, pass `--role {}` (or set `x-asyncapi-codegen: {{role: {}}}` in the document)",
        role.other().name(),
        role.other().name()
    );
    let names = |dir: Direction| -> Vec<&str> {
        messages.iter().filter(|m| m.direction == dir).map(|m| m.key.as_str()).collect()
    };
    let mut out = Vec::new();
    let (received, sent) = (names(Direction::Receive), names(Direction::Send));
    if received.is_empty() && !sent.is_empty() {
        out.push(Warning {
            location: model.location(&model.root()),
            message: format!(
                "with the default role `{}`, the generated side receives nothing and only sends {}; {fix}",
                role.name(),
                listed(&sent, |name| format!("`{name}`"))
            ),
        });
    }
    let answered: Vec<(usize, &Message)> = messages
        .iter()
        .enumerate()
        .filter(|(_, m)| m.direction == Direction::Receive && !m.replies.is_empty())
        .collect();
    if let Some((first, _)) = answered.first() {
        let requests: Vec<&Message> = answered.iter().map(|&(_, m)| m).collect();
        let pairs = listed(&requests, |m| {
            let replies: Vec<&str> = m.replies.iter().map(|&r| messages[r].key.as_str()).collect();
            format!("`{}` → `{}`", m.key, replies.join("`/`"))
        });
        out.push(Warning {
            location: model.location(&origins[*first]),
            message: format!(
                "with the default role `{}`, the generated side answers requests ({}) instead of making them; {fix}",
                role.name(),
                pairs
            ),
        });
    }
    out
}

/// How many items a message lists before it says how many more there are.
const LISTED: usize = 10;

/// The first [`LISTED`] of `items`, each written by `show`, then how many were left out.
fn listed<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut text: Vec<String> = items.iter().take(LISTED).map(show).collect();
    if items.len() > LISTED {
        text.push(format!("and {} more", items.len() - LISTED));
    }
    text.join(", ")
}

/// How many channels [`channel_summary`] describes one by one.
const SUMMARISED: usize = 20;

/// One line per channel: what the generated side receives and sends on it, for `generate` to
/// print so that a reading of the document the user did not mean is seen at once. Past
/// 20 channels, one last line counts the rest (`--emit-ir` has them all).
pub fn channel_summary(api: &Api) -> Vec<String> {
    let mut lists = vec![(Vec::new(), Vec::new()); api.channels.len()];
    for message in &api.messages {
        let Some((received, sent)) = lists.get_mut(message.channel) else { continue };
        match message.direction {
            Direction::Receive => received.push(message.key.as_str()),
            Direction::Send => sent.push(message.key.as_str()),
        }
    }
    let list =
        |names: &[&str]| if names.is_empty() { "nothing".to_owned() } else { listed(names, |n| (*n).to_owned()) };
    let mut lines: Vec<String> = api
        .channels
        .iter()
        .zip(&lists)
        .take(SUMMARISED)
        .map(|(channel, (received, sent))| {
            let address = channel.address.as_deref().unwrap_or(&channel.key);
            format!("channel `{}` ({address}): receives {}; sends {}", channel.key, list(received), list(sent))
        })
        .collect();
    if let Some(rest) = lists.get(SUMMARISED..).filter(|rest| !rest.is_empty()) {
        let count = |pick: fn(&(Vec<&str>, Vec<&str>)) -> usize| rest.iter().map(pick).sum::<usize>();
        lines.push(format!(
            "and {} more channels, receiving {} and sending {} messages in all (`--emit-ir` lists them)",
            rest.len(),
            count(|(r, _)| r.len()),
            count(|(_, s)| s.len())
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Source;

    fn lowered(yaml: &str, role: Option<Role>) -> crate::lower::Lowered {
        let model = Model::from_source(Source::parse(yaml, "t.yaml".into()).expect("yaml"));
        crate::lower::lower(&model, role).expect("lowers")
    }

    fn directions(lowered: &crate::lower::Lowered) -> Vec<(String, Direction)> {
        lowered.api.messages.iter().map(|m| (m.key.clone(), m.direction)).collect()
    }

    const V3: &str = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    messages:\n      tick: {payload: {type: object}}\n      ping: {payload: {type: object}}\n      pong: {payload: {type: object}}\n  d:\n    messages:\n      pong: {payload: {type: object}}\noperations:\n  push:\n    action: send\n    channel: {$ref: '#/channels/c'}\n    messages: [{$ref: '#/channels/c/messages/tick'}]\n";
    const V2: &str = "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    subscribe:\n      message: {name: tick, payload: {type: object}}\n    publish:\n      message: {name: order, payload: {type: object}}\n";

    #[test]
    fn both_versions_read_the_document_as_the_described_application_and_peer_flips_it() {
        assert_eq!(directions(&lowered(V3, None)), [("tick".to_owned(), Direction::Receive)]);
        assert_eq!(directions(&lowered(V3, Some(Role::App))), [("tick".to_owned(), Direction::Send)]);
        let v2 = directions(&lowered(V2, None));
        assert_eq!(v2, [("tick".to_owned(), Direction::Receive), ("order".to_owned(), Direction::Send)]);
        let v2 = directions(&lowered(V2, Some(Role::App)));
        assert_eq!(v2, [("tick".to_owned(), Direction::Send), ("order".to_owned(), Direction::Receive)]);
    }

    #[test]
    fn the_document_chooses_its_role_and_the_setting_wins() {
        let doc = format!("{V3}x-asyncapi-codegen: {{role: app}}\n");
        let chosen = lowered(&doc, None);
        assert_eq!((chosen.api.role, chosen.api.role_chosen), (Role::App, true));
        assert_eq!(directions(&chosen), [("tick".to_owned(), Direction::Send)]);
        assert_eq!(directions(&lowered(&doc, Some(Role::Peer))), [("tick".to_owned(), Direction::Receive)]);
        let bad = format!("{V3}x-asyncapi-codegen: {{role: server}}\n");
        let model = Model::from_source(Source::parse(&bad, "t.yaml".into()).expect("yaml"));
        let err = crate::lower::lower(&model, None).expect_err("not a role");
        assert!(err.to_string().contains("`role` must be `peer` or `app`, not `server`"), "{err}");
    }

    #[test]
    fn an_inverted_looking_default_is_reported_with_the_flag_that_flips_it() {
        let warned = |l: &crate::lower::Lowered| l.warnings.iter().map(|w| w.message.clone()).collect::<Vec<_>>();
        // The described application only sends: its peer receives, nothing to say.
        assert!(warned(&lowered(V3, None)).iter().all(|w| !w.contains("--role")), "{:?}", warned(&lowered(V3, None)));
        // It only receives: its peer would receive nothing.
        let receives = V3.replace("action: send", "action: receive");
        let w = warned(&lowered(&receives, None));
        assert!(w.iter().any(|w| w.contains("receives nothing") && w.contains("--role app")), "{w:?}");
        assert!(warned(&lowered(&receives, Some(Role::Peer))).iter().all(|w| !w.contains("--role")));
        // It makes requests: its peer would answer them.
        let requests = format!(
            "{V3}  ask:\n    action: send\n    channel: {{$ref: '#/channels/c'}}\n    messages: [{{$ref: '#/channels/c/messages/ping'}}]\n    reply:\n      channel: {{$ref: '#/channels/d'}}\n"
        );
        let w = warned(&lowered(&requests, None));
        assert!(w.iter().any(|w| w.contains("answers requests (`ping` → `pong`)")), "{w:?}");
    }

    #[test]
    fn long_lists_are_cut_and_counted() {
        let mut doc = String::from("asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n");
        for i in 0..30 {
            doc.push_str(&format!(
                "  c{i:02}:\n    address: a/{i:02}\n    messages:\n      m{i:02}: {{payload: {{type: object}}}}\n"
            ));
        }
        doc.push_str("operations:\n");
        for i in 0..30 {
            let action = if i < 25 { "receive" } else { "send" };
            doc.push_str(&format!(
                "  o{i:02}:\n    action: {action}\n    channel: {{$ref: '#/channels/c{i:02}'}}\n    messages: [{{$ref: '#/channels/c{i:02}/messages/m{i:02}'}}]\n"
            ));
        }
        let all_sent = lowered(&doc.replace("action: send", "action: receive"), None);
        let warning = all_sent.warnings.iter().find(|w| w.message.contains("receives nothing")).expect("a warning");
        assert!(warning.message.contains("only sends `m00`, `m01`,"), "{}", warning.message);
        assert!(warning.message.contains("`m09`, and 20 more;"), "{}", warning.message);
        assert!(!warning.message.contains("`m10`"), "{}", warning.message);

        let mixed = lowered(&doc, None);
        let lines = channel_summary(&mixed.api);
        assert_eq!(lines.len(), 21, "{lines:#?}");
        assert_eq!(lines[0], "channel `c00` (a/00): receives nothing; sends m00");
        assert_eq!(
            lines[20],
            "and 10 more channels, receiving 5 and sending 5 messages in all (`--emit-ir` lists them)"
        );
    }
}
