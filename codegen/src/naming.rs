//! Every naming decision of the generator: how spec names (channel keys, message names, schema
//! keys, property names) become Rust identifiers, and how collisions are resolved.
//!
//! Policy: names are derived only from the spec text, so they are stable across runs; when two
//! items would get the same identifier, the later one (in document order) gets the smallest
//! numeric suffix that is free, and the caller reports it as a warning.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and weak ones that matter in identifier position).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    "union",
];

/// Whether `s` is a Rust keyword.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Keeps ASCII letters, digits and underscores; other characters become word breaks, so that
/// `heck` sees `with space`, `dotted.name` and `a/b/{c}` as words.
fn words(raw: &str) -> String {
    raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect::<String>()
}

/// A type or variant identifier (`UpperCamelCase`) for `raw`; never empty, never a keyword.
pub fn type_name(raw: &str) -> String {
    let mut name = words(raw).to_upper_camel_case();
    if name.is_empty() {
        name = format!("X{}", hex_of(raw));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'X');
    }
    if is_keyword(&name) {
        name.push('_');
    }
    name
}

/// A field, function or module identifier (`snake_case`) for `raw`; never empty, never a keyword.
pub fn snake_name(raw: &str) -> String {
    let mut name = words(raw).to_snake_case();
    if name.is_empty() {
        name = format!("x{}", hex_of(raw));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if is_keyword(&name) {
        name.push('_');
    }
    name
}

/// A short, stable rendering of a name that has no ASCII letters or digits at all.
fn hex_of(raw: &str) -> String {
    raw.bytes().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Variant names the generated message enums use themselves (`Incoming::Unknown` keeps a frame
/// the document does not describe): a message may not be called that. Its handler method
/// (`on_unknown`) follows from the variant name, so reserving the variant reserves both.
pub const RESERVED_MESSAGE_NAMES: &[&str] = &["Unknown"];

/// Hands out unique identifiers in one namespace.
#[derive(Debug, Default)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// A namespace in which `names` are already taken (by the generator's own items).
    pub fn reserving(names: &[&str]) -> Self {
        Namespace { taken: names.iter().map(|n| (*n).to_owned()).collect() }
    }

    /// Claims `wanted` or, if taken, `wanted2`, `wanted3`, …; returns the name and whether it had
    /// to be changed.
    pub fn claim(&mut self, wanted: &str) -> (String, bool) {
        let mut name = wanted.to_owned();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{wanted}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        let changed = name != wanted;
        (name, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_awkward_names_into_identifiers() {
        assert_eq!(type_name("vehicle/status"), "VehicleStatus");
        assert_eq!(type_name("1st-place"), "X1stPlace");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(type_name("{}"), "X7b7d");
        assert_eq!(snake_name("type"), "type_");
        assert_eq!(snake_name("with space"), "with_space");
        assert_eq!(snake_name("dotted.name"), "dotted_name");
        assert_eq!(snake_name("2x"), "_2x");
        assert_eq!(snake_name("vehicleStatus"), "vehicle_status");
    }

    #[test]
    fn collisions_get_stable_suffixes() {
        let mut ns = Namespace::default();
        assert_eq!(ns.claim("Order"), ("Order".into(), false));
        assert_eq!(ns.claim("Order"), ("Order2".into(), true));
        assert_eq!(ns.claim("Order"), ("Order3".into(), true));
        let mut ns = Namespace::reserving(RESERVED_MESSAGE_NAMES);
        assert_eq!(ns.claim("Unknown"), ("Unknown2".into(), true));
    }
}
