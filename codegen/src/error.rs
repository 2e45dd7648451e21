//! The generator's error type: every error caused by the input document says where it is (file,
//! JSON pointer and, when the parser knows it, line and column).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where in the input something is: a file, a JSON pointer into it, and a position when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file as the user named it (or as reached through a `$ref`, relative to the first).
    pub file: PathBuf,
    /// An RFC 6901 JSON pointer into that file; empty for the whole document.
    pub pointer: String,
    /// 1-based line and column, when the parser recorded them.
    pub position: Option<(u32, u32)>,
    /// The text of the file, when it was read as part of the document set. Diagnostics quote
    /// lines from this text only, never from a file read again for the purpose.
    pub text: Option<SourceText>,
}

impl Location {
    /// A location in a file whose text is not at hand (nothing of it will be quoted).
    pub fn unquoted(file: impl Into<PathBuf>, pointer: impl Into<String>, position: Option<(u32, u32)>) -> Self {
        Location { file: file.into(), pointer: pointer.into(), position, text: None }
    }
}

/// The text of one input file, shared by every location in it.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceText(pub Arc<str>);

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A document can be megabytes; a debug print of an error must stay readable.
        write!(f, "SourceText({} bytes)", self.0.len())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        Ok(())
    }
}

/// Everything that can stop a generation run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input document is invalid, or asks for something the generator does not support.
    /// These map to exit code 2.
    #[error("{location}: {message}")]
    Spec {
        /// Where the problem is.
        location: Location,
        /// What is wrong, lower-case, no trailing period.
        message: String,
    },
    /// Several problems in the input, all reported at once (structural validation).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Error>),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The settings are unusable (a crate or library name that Cargo or Rust would refuse).
    #[error("{0}")]
    Settings(String),
    /// A bug in the generator: the output it produced did not parse as Rust, or a template failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An error in the input at `location`.
    pub fn spec(location: Location, message: impl Into<String>) -> Self {
        Error::Spec { location, message: message.into() }
    }

    /// Whether the input (rather than the environment or the generator) caused the error.
    pub fn is_input_error(&self) -> bool {
        matches!(self, Error::Spec { .. } | Error::Invalid(_))
    }
}

/// The result type of the generator library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A non-fatal finding: lenient input, an ambiguous dispatch, an ignored keyword.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where it was found.
    pub location: Location,
    /// What was found and what the generator did about it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}
