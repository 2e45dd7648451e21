//! Free text from the document (titles, summaries, descriptions) as Rust doc-comment lines, for
//! the two stages that write docs: `types` (payload types) and `emit` (everything else). It sits
//! apart from both so that neither reads the other for it.

/// Doc-comment lines for free text from the spec. Each line becomes its own `#[doc]` string,
/// which cannot end the comment or inject an item whatever the text contains.
pub fn doc_lines(text: &str) -> Vec<String> {
    text.trim_end()
        .lines()
        .map(|l| {
            let clean: String = l.chars().map(|c| if c.is_control() && c != '\t' { ' ' } else { c }).collect();
            format!(" {}", clean.trim_end())
        })
        .collect()
}
