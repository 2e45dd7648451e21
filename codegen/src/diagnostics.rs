//! How errors and warnings reach a person or a program: compiler-style text with the offending
//! line and a caret, or one JSON object per line (`--message-format json`).

use std::fmt::Write as _;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{self, Files};
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

/// Characters of the offending line shown before the column and from it on: a minified
/// document is one line of hundreds of kilobytes, and a message quotes a window of it.
const BEFORE: usize = 60;
const AFTER: usize = 100;

/// The message with the offending line and a caret, when the location carries the text of its
/// file (it does for every file read as part of the document set, and for no other).
fn with_snippet(level: Level, location: &Location, message: &str) -> Option<String> {
    let (line, col) = location.position?;
    let source: &str = &location.text.as_ref()?.0;
    let offset = byte_offset(source, line, col)?;
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..].find(['\n', '\r']).map_or(source.len(), |n| offset + n);
    let shown = OneLine::around(
        location.file.display().to_string(),
        line as usize,
        &source[line_start..line_end],
        offset - line_start,
    );
    let diagnostic = match level {
        Level::Error => Diagnostic::error(),
        Level::Warning => Diagnostic::warning(),
    };
    let mut notes = Vec::new();
    if !location.pointer.is_empty() {
        notes.push(format!("at {}", location.pointer));
    }
    let diagnostic =
        diagnostic.with_message(message).with_labels(vec![Label::primary((), shown.label.clone())]).with_notes(notes);
    let config = Config { chars: term::Chars::ascii(), ..Config::default() };
    term::emit_into_string(&config, &shown, &diagnostic).ok()
}

/// The offending line, or a window of it around the column, as the one "file" a diagnostic
/// shows; line and column numbers stay those of the real file.
struct OneLine {
    name: String,
    line_number: usize,
    text: String,
    /// Characters of the real line left out before `text` (less the `…` marker).
    skipped: usize,
    /// Bytes of `text` before the window's first real character (the marker).
    marker: usize,
    label: std::ops::Range<usize>,
}

impl OneLine {
    fn around(name: String, line_number: usize, line: &str, at: usize) -> OneLine {
        let col = line[..at].chars().count();
        let first = col.saturating_sub(BEFORE);
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let start = chars.get(first).map_or(line.len(), |(b, _)| *b);
        let end = chars.get(col + AFTER).map_or(line.len(), |(b, _)| *b);
        let (head, tail) = (if first > 0 { "…" } else { "" }, if end < line.len() { "…" } else { "" });
        let text = format!("{head}{}{tail}", &line[start..end]);
        let label_start = head.len() + at - start;
        let label_end = (head.len() + end - start).max(label_start + 1).min(text.len());
        OneLine {
            name,
            line_number,
            text,
            skipped: first,
            marker: head.len(),
            label: label_start..label_end.max(label_start),
        }
    }
}

impl<'a> Files<'a> for OneLine {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.name)
    }
    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.text)
    }
    fn line_index(&'a self, (): (), _: usize) -> Result<usize, files::Error> {
        Ok(0)
    }
    fn line_number(&'a self, (): (), _: usize) -> Result<usize, files::Error> {
        Ok(self.line_number)
    }
    fn column_number(&'a self, (): (), _: usize, byte_index: usize) -> Result<usize, files::Error> {
        let byte = byte_index.clamp(self.marker, self.text.len());
        Ok(self.skipped + self.text[self.marker..byte].chars().count() + 1)
    }
    fn line_range(&'a self, (): (), _: usize) -> Result<std::ops::Range<usize>, files::Error> {
        Ok(0..self.text.len())
    }
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
    fn a_long_line_is_clipped_to_a_window_around_the_column() {
        // A minified document: one line of 400 KB, the problem at its middle.
        let mut line = "[1,".repeat(70_000);
        let col = line.chars().count() + 1;
        line.push_str("\"here\"");
        line.push_str(&",2".repeat(100_000));
        let error = Error::spec(quoted("min.json", &line, "/70000", (1, col as u32)), "bad");
        let text = error_text(&error);
        assert!(text.len() < 1_000, "{} bytes", text.len());
        assert!(text.contains(&format!("min.json:1:{col}")), "{text}");
        assert!(text.contains("…[1,[1,") && text.contains("\"here\",2,2") && text.contains(",2…"), "{text}");
        let caret = text.lines().find(|l| l.contains('^')).expect("a caret line");
        let quoted_line = text.lines().find(|l| l.contains("\"here\"")).expect("the line");
        let column = |l: &str, at: usize| l[..at].chars().count();
        assert_eq!(
            caret.find('^').map(|i| column(caret, i)),
            quoted_line.find("\"here").map(|i| column(quoted_line, i)),
            "the caret is under the column:\n{text}"
        );
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
