//! Which messages carry each payload type, and which way they go from the generated side: a
//! line appended to the type's description, so that a reader of the `types` docs can tell the
//! values they build and send from the ones they receive. The role decides the direction, so
//! the same document generated for both sides documents its types differently.

use indexmap::IndexMap;
use serde_json::Value;

use crate::ir::{Api, Direction};

/// How many messages a line names before it only counts the rest.
const NAMED: usize = 4;

/// Appends " Payload of `m`, sent on `a`." (or a list of such uses) to the description of
/// every definition that is a message payload. A definition that is only a `$ref` is left as it
/// is: a description beside `$ref` would change how it is typed.
pub(super) fn document(defs: &mut IndexMap<String, Value>, api: &Api) {
    let mut uses: IndexMap<&str, Vec<String>> = IndexMap::new();
    for m in &api.messages {
        let Some(payload) = m.payload.as_deref() else { continue };
        let channel = &api.channels[m.channel];
        let address = channel.address.as_deref().unwrap_or(&channel.key);
        let verb = if m.direction == Direction::Send { "sent" } else { "received" };
        uses.entry(payload).or_default().push(format!("`{}` ({verb} on `{address}`)", m.key));
    }
    for (name, list) in uses {
        let Some(Value::Object(schema)) = defs.get_mut(name) else { continue };
        if schema.contains_key("$ref") {
            continue;
        }
        let line = sentence(&list);
        let text = match schema.get("description").and_then(Value::as_str) {
            Some(existing) if !existing.trim().is_empty() => format!("{}\n\n{line}", existing.trim_end()),
            _ => line,
        };
        schema.insert("description".to_owned(), Value::String(text));
    }
}

/// "Payload of `a` (sent on `/`)." or "Payload of `a` (…), `b` (…) and 3 more messages."
fn sentence(uses: &[String]) -> String {
    let named = &uses[..uses.len().min(NAMED)];
    let rest = uses.len() - named.len();
    let list = match (named, rest) {
        ([one], 0) => one.clone(),
        (_, 0) => {
            let (last, init) = named.split_last().map_or((String::new(), &[][..]), |(l, i)| (l.clone(), i));
            format!("{} and {last}", init.join(", "))
        }
        _ => format!("{} and {rest} more {}", named.join(", "), if rest == 1 { "message" } else { "messages" }),
    };
    format!("Payload of {list}.")
}

#[cfg(test)]
mod tests {
    use super::sentence;

    fn uses(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("`m{i}` (sent on `/`)")).collect()
    }

    #[test]
    fn one_use_is_one_clause() {
        assert_eq!(sentence(&uses(1)), "Payload of `m0` (sent on `/`).");
    }

    #[test]
    fn several_uses_are_listed_and_many_counted() {
        assert_eq!(sentence(&uses(2)), "Payload of `m0` (sent on `/`) and `m1` (sent on `/`).");
        assert_eq!(
            sentence(&uses(6)),
            "Payload of `m0` (sent on `/`), `m1` (sent on `/`), `m2` (sent on `/`), `m3` (sent on `/`) and 2 more messages."
        );
    }
}
