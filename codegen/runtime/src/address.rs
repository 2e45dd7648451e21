//! Channel addresses with `{parameters}`: matching an address against a template, and filling
//! a template in.

/// The parameter values of `address` if it matches the channel address `template`
/// (`vehicle/{id}/status`), in template order. A value never contains the literal text that
/// follows its parameter in the template, and is never empty.
pub fn match_template<'a>(template: &str, address: &'a str) -> Option<Vec<&'a str>> {
    let mut values = Vec::new();
    let mut rest = address;
    let mut pieces = template.split('{');
    let literal = pieces.next().unwrap_or_default();
    rest = rest.strip_prefix(literal)?;
    for piece in pieces {
        let (_, literal) = piece.split_once('}')?;
        let end = if literal.is_empty() { rest.len() } else { rest.find(literal)? };
        if end == 0 {
            return None;
        }
        values.push(&rest[..end]);
        rest = rest[end..].strip_prefix(literal)?;
    }
    rest.is_empty().then_some(values)
}

/// The address made from `template` with each `{name}` replaced by the next of `values`.
pub fn fill_template(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|v| v.len()).sum::<usize>());
    let mut values = values.iter();
    let mut pieces = template.split('{');
    out.push_str(pieces.next().unwrap_or_default());
    for piece in pieces {
        let (_, literal) = piece.split_once('}').unwrap_or(("", piece));
        out.push_str(values.next().copied().unwrap_or_default());
        out.push_str(literal);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_templates_match_and_fill() {
        let t = "vehicle/{vehicle_id}/status/{kind}";
        assert_eq!(match_template(t, "vehicle/veh_1/status/full"), Some(vec!["veh_1", "full"]));
        assert_eq!(match_template(t, "vehicle//status/full"), None);
        assert_eq!(match_template(t, "vehicle/veh_1/state/full"), None);
        assert_eq!(match_template("a/{x}", "a/b/c"), Some(vec!["b/c"]));
        assert_eq!(match_template("plain", "plain"), Some(vec![]));
        assert_eq!(fill_template(t, &["veh_1", "full"]), "vehicle/veh_1/status/full");
    }
}
