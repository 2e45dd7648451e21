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

/// Whether `address` is the channel address `template` itself or fills its parameters in.
pub fn matches_address(template: &str, address: &str) -> bool {
    if template.contains('{') { match_template(template, address).is_some() } else { template == address }
}

/// The broker subscription that receives every address of `template`: each level (the text
/// between two `separator`s) that holds a parameter becomes `wildcard`, the one-level wildcard
/// of the broker (MQTT `+` with `/`, NATS `*` with `.`). A level that mixes a parameter with
/// literal text is wildcarded whole; [`matches_address`] then checks what arrives.
#[cfg_attr(not(any(feature = "mqtt", feature = "nats")), allow(dead_code))]
pub fn subscription_filter(template: &str, separator: char, wildcard: &str) -> String {
    let levels: Vec<&str> =
        template.split(separator).map(|level| if level.contains('{') { wildcard } else { level }).collect();
    levels.join(&separator.to_string())
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
        assert!(matches_address("plain", "plain"));
        assert!(!matches_address("plain", "plain/more"));
        assert!(matches_address(t, "vehicle/veh_1/status/full"));
    }

    #[test]
    fn parameters_become_one_level_wildcards() {
        let t = "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured";
        assert_eq!(subscription_filter(t, '/', "+"), "smartylighting/streetlights/1/0/event/+/lighting/measured");
        assert_eq!(subscription_filter("fleet.{id}.v{n}", '.', "*"), "fleet.*.*");
        assert_eq!(subscription_filter("plain/topic", '/', "+"), "plain/topic");
    }
}
