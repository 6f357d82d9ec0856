//! Error types: Go-shaped parse and execution errors, and the error a
//! registered function returns.

use std::fmt;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any failure of parsing or executing a template.
///
/// `Display` prints exactly Go 1.19's `text/template` message, for example
/// `template: t:1: function "nosuch" not defined` or
/// `template: t:1:2: executing "t" at <.a.b>: nil pointer evaluating interface {}.b`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A lexing or parsing error.
    #[error("{0}")]
    Parse(Box<ParseError>),
    /// An error raised while executing a template.
    #[error("{0}")]
    Exec(Box<ExecError>),
    /// The output writer failed.
    #[error("{0}")]
    Write(#[source] std::io::Error),
}

/// A parse-time error: `template: NAME:LINE: MSG`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// Name of the template (file) being parsed.
    pub name: String,
    /// 1-based line of the error.
    pub line: usize,
    /// Go's message text.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

/// An execution error.
///
/// With node context it prints
/// `template: NAME:LINE:COL: executing "TNAME" at <NODE>: MSG`, without it
/// `template: TNAME: MSG` (or `template: MSG` when `template` is empty, as
/// for Go's `no template "X" associated with template "Y"`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecError {
    /// The template being executed (a `define` name inside defines).
    pub template: String,
    /// Location of the failing node, if known.
    pub location: Option<Location>,
    /// Go's message text.
    pub message: String,
}

/// Where a failing node sits in its source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// Name of the parse tree (file) that contains the node.
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 0-based byte offset within the line.
    pub col: usize,
    /// The node's source rendering, as Go prints it.
    pub node: String,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(l) => write!(
                f,
                "template: {}:{}:{}: executing \"{}\" at <{}>: {}",
                l.name, l.line, l.col, self.template, l.node, self.message
            ),
            None if self.template.is_empty() => write!(f, "template: {}", self.message),
            None => write!(f, "template: {}: {}", self.template, self.message),
        }
    }
}

/// The error a registered function (or host method) returns.
///
/// The engine reports it as `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError {
    message: String,
}

impl FuncError {
    /// Creates an error whose text is `message` (Go's `err.Error()`).
    pub fn new(message: impl Into<String>) -> Self {
        FuncError { message: message.into() }
    }

    /// The error text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}
