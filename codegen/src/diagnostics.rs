//! How errors and warnings reach a person or a program: compiler-style text with the offending
//! line and a caret, or one JSON object per line (`--message-format json`).

use std::fmt::Write as _;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use serde::Serialize;

use crate::error::{Error, Location, Warning};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Generation stopped.
    Error,
    /// Generation went on.
    Warning,
}

/// One finding in the shape `--message-format json` prints.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    /// `error` or `warning`.
    pub level: Level,
    /// What was found.
    pub message: &'a str,
    /// The file, when the finding has a place.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    /// JSON pointer into the file.
    pub pointer: Option<&'a str>,
}

fn parts(error: &Error) -> (Option<&Location>, String) {
    match error {
        Error::Spec { location, message } => (Some(location), message.clone()),
        other => (None, other.to_string()),
    }
}

/// One JSON line for `error` (one line per problem for a list of problems).
pub fn error_json(error: &Error) -> String {
    if let Error::Invalid(all) = error {
        return all.iter().map(error_json).collect::<Vec<_>>().join("\n");
    }
    let (location, message) = parts(error);
    json_line(Level::Error, location, &message)
}

/// One JSON line for `warning`.
pub fn warning_json(warning: &Warning) -> String {
    json_line(Level::Warning, Some(&warning.location), &warning.message)
}

fn json_line(level: Level, location: Option<&Location>, message: &str) -> String {
    let record = Record {
        level,
        message,
        file: location.map(|l| l.file.display().to_string()),
        line: location.and_then(|l| l.position).map(|p| p.0),
        column: location.and_then(|l| l.position).map(|p| p.1),
        pointer: location.map(|l| l.pointer.as_str()).filter(|p| !p.is_empty()),
    };
    serde_json::to_string(&record).unwrap_or_default()
}

/// Compiler-style text for `error` (each problem in turn for a list of problems).
pub fn error_text(error: &Error) -> String {
    if let Error::Invalid(all) = error {
        let mut out: String = all.iter().map(|e| error_text(e) + "\n").collect();
        let _ = writeln!(out, "error: the document has {} problems", all.len());
        return out;
    }
    let (location, message) = parts(error);
    text(Level::Error, location, &message)
}

/// Compiler-style text for `warning`.
pub fn warning_text(warning: &Warning) -> String {
    text(Level::Warning, Some(&warning.location), &warning.message)
}

fn text(level: Level, location: Option<&Location>, message: &str) -> String {
    let name = match level {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let Some(location) = location else { return format!("{name}: {message}\n") };
    if let Some(rendered) = with_snippet(level, location, message) {
        return rendered;
    }
    let mut out = format!("{name}: {message}\n  --> {}", location.file.display());
    if let Some((line, col)) = location.position {
        let _ = write!(out, ":{line}:{col}");
    }
    out.push('\n');
    if !location.pointer.is_empty() {
        let _ = writeln!(out, "   = at {}", location.pointer);
    }
    out
}

/// The message with the offending line and a caret, when the location carries the text of its
/// file (it does for every file read as part of the document set, and for no other).
fn with_snippet(level: Level, location: &Location, message: &str) -> Option<String> {
    let (line, col) = location.position?;
    let source: &str = &location.text.as_ref()?.0;
    let offset = byte_offset(source, line, col)?;
    let end =
        source[offset..].find(['\n', '\r']).map_or(source.len(), |n| offset + n.max(1).min(source.len() - offset));
    let mut files = SimpleFiles::new();
    let id = files.add(location.file.display().to_string(), source);
    let diagnostic = match level {
        Level::Error => Diagnostic::error(),
        Level::Warning => Diagnostic::warning(),
    };
    let mut notes = Vec::new();
    if !location.pointer.is_empty() {
        notes.push(format!("at {}", location.pointer));
    }
    let diagnostic = diagnostic
        .with_message(message)
        .with_labels(vec![Label::primary(id, offset..end.max(offset))])
        .with_notes(notes);
    let config = Config { chars: term::Chars::ascii(), ..Config::default() };
    term::emit_into_string(&config, &files, &diagnostic).ok()
}

fn byte_offset(source: &str, line: u32, col: u32) -> Option<usize> {
    let start = if line <= 1 { 0 } else { source.match_indices('\n').nth(line as usize - 2).map(|(i, _)| i + 1)? };
    let text = &source[start..];
    let col_bytes: usize = text.chars().take(col.saturating_sub(1) as usize).map(char::len_utf8).sum();
    Some((start + col_bytes).min(source.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(file: &str, text: &str, pointer: &str, position: (u32, u32)) -> Location {
        Location {
            file: file.into(),
            pointer: pointer.into(),
            position: Some(position),
            text: Some(crate::error::SourceText(text.into())),
        }
    }

    #[test]
    fn renders_the_line_and_a_caret() {
        let error = Error::spec(
            quoted("doc.yaml", "asyncapi: 9.9.9\ninfo: {}\n", "/asyncapi", (1, 11)),
            "unsupported AsyncAPI version `9.9.9`",
        );
        let text = error_text(&error);
        assert!(text.starts_with("error: unsupported AsyncAPI version `9.9.9`"), "{text}");
        assert!(text.contains("doc.yaml:1:11"), "{text}");
        assert!(text.contains("asyncapi: 9.9.9"), "{text}");
        assert!(text.contains('^'), "{text}");
        assert!(text.contains("at /asyncapi"), "{text}");
    }

    #[test]
    fn json_lines_carry_every_field() {
        let error = Error::spec(Location::unquoted("a.yaml", "/x", Some((3, 4))), "bad");
        let v: serde_json::Value = serde_json::from_str(&error_json(&error)).expect("json");
        assert_eq!(v["level"], "error");
        assert_eq!(v["file"], "a.yaml");
        assert_eq!((v["line"].as_u64(), v["column"].as_u64()), (Some(3), Some(4)));
        assert_eq!(v["pointer"], "/x");
    }

    #[test]
    fn a_file_not_read_as_part_of_the_document_set_is_never_quoted() {
        // The file exists and is readable, but the location does not carry its text: the
        // diagnostic must not open it to show a line.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("secret.env");
        std::fs::write(&file, "SECRET_TOKEN=hunter2\n").expect("write");
        let error = Error::spec(Location::unquoted(file.clone(), "", Some((1, 1))), "bad");
        let text = error_text(&error);
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text, format!("error: bad\n  --> {}:1:1\n", file.display()));
    }
}
