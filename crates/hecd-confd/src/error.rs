//! Errors of the confd crate; each prints exactly the text Go's confd would print.

use std::path::PathBuf;

/// A failed store function (`get`, `getv`, `gets`, `getvs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// `get`/`getv` of an absent key without a default.
    #[error("key does not exist: {key}")]
    KeyNotFound {
        /// The key as the template passed it.
        key: String,
    },
    /// A malformed `gets`/`getvs` pattern.
    #[error(transparent)]
    BadPattern(#[from] crate::glob::BadPattern),
}

/// A failed `hecd-confd render`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// An input file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The `--data` file is not a JSON document the renderer accepts.
    #[error("data {}: {reason}", path.display())]
    Data {
        /// The file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// The `--kv` file is not a flat JSON object of strings.
    #[error("kv {}: {reason}", path.display())]
    Kv {
        /// The file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// The template failed to parse or execute; prints Go's message.
    #[error(transparent)]
    Template(#[from] hecd_template::Error),
}

impl RenderError {
    /// Whether this is a template error (exit 1) rather than bad input (exit 2).
    pub fn is_template_error(&self) -> bool {
        matches!(self, RenderError::Template(_))
    }
}

/// `pub type Result` for the crate.
pub type Result<T, E = RenderError> = std::result::Result<T, E>;

/// A failed helper function; the text is what Go's confd reports after
/// `error calling NAME: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FuncError {
    /// `strconv` rejected the input (`strconv.Atoi: parsing "x": invalid syntax`).
    #[error("strconv.{func}: parsing {}: invalid syntax", crate::goquote::quote(input))]
    NumSyntax {
        /// The Go function name (`Atoi`, `ParseBool`).
        func: &'static str,
        /// The rejected text.
        input: String,
    },
    /// The number does not fit (`strconv.Atoi: parsing "9...9": value out of range`).
    #[error("strconv.{func}: parsing {}: value out of range", crate::goquote::quote(input))]
    NumRange {
        /// The Go function name.
        func: &'static str,
        /// The rejected text.
        input: String,
    },
    /// `base64Decode` of malformed input.
    #[error("illegal base64 data at input byte {offset}")]
    Base64 {
        /// The byte offset Go reports.
        offset: usize,
    },
    /// `json`/`jsonArray` of malformed or mistyped input.
    #[error(transparent)]
    Json(#[from] crate::gojson::JsonError),
    /// A store function failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `map` with an odd number of arguments.
    #[error("invalid map call")]
    InvalidMapCall,
    /// `map` with a key that is not a string.
    #[error("map keys must be strings")]
    MapKeyNotString,
    /// `div` or `mod` by zero (a Go runtime panic that text/template recovers).
    #[error("runtime error: integer divide by zero")]
    DivideByZero,
}
