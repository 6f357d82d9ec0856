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
    BadPattern(#[from] hecd_gostd::path::BadPattern),
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
pub enum HelperError {
    /// `strconv` rejected the input (`strconv.Atoi: parsing "x": invalid syntax`, or
    /// `value out of range`).
    #[error(transparent)]
    Num(#[from] hecd_gostd::strconv::NumError),
    /// `base64Decode` of malformed input (`illegal base64 data at input byte 4`).
    #[error(transparent)]
    Base64(#[from] hecd_gostd::base64::CorruptInputError),
    /// `json`/`jsonArray` of malformed or mistyped input.
    #[error(transparent)]
    Json(#[from] hecd_gostd::json::JsonError),
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

/// A command line that Go's `flag` package would reject; the text is Go's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FlagError(pub String);

/// Invalid daemon settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The command line does not parse (exit status 2).
    #[error(transparent)]
    Usage(#[from] FlagError),
    /// `-log-level` names no level.
    #[error("not a valid level: {level:?}")]
    LogLevel {
        /// The level as given.
        level: String,
    },
    /// A backend other than etcd.
    #[error("unsupported backend {name:?}: hecd-confd speaks only the etcd v2 API")]
    Backend {
        /// The backend as given.
        name: String,
    },
    /// The config file cannot be read or decoded.
    #[error("cannot read config file {}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A setting has an invalid value.
    #[error("invalid value {value:?} for {name}: {reason}")]
    Value {
        /// The setting.
        name: String,
        /// The value as given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl ConfigError {
    /// The exit status confd uses: 2 for command-line syntax, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        if matches!(self, ConfigError::Usage(_)) {
            2
        } else {
            1
        }
    }
}

/// A template resource that cannot be loaded from conf.d.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The confdir has no `conf.d` (or it cannot be listed).
    #[error("stat {}: {}", path.display(), go_io_error(source))]
    ConfD {
        /// The conf.d path.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A resource file cannot be read.
    #[error("Cannot process template resource {} - {source}", path.display())]
    Read {
        /// The resource file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A resource file is not valid TOML or lacks `[template]`.
    #[error("Cannot process template resource {} - {reason}", path.display())]
    Invalid {
        /// The resource file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// A command (`check_cmd`, `reload_cmd`) that did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// `/bin/sh` could not be started.
    #[error("cannot run /bin/sh: {0}")]
    Spawn(#[source] std::io::Error),
    /// The command exited with a non-zero status (Go's `exit status N`).
    #[error("exit status {0}")]
    Exit(i32),
    /// The command was killed by a signal.
    #[error("signal: {0}")]
    Signal(i32),
    /// The command ran past its timeout and was killed.
    #[error("timed out after {0:?} (killed)")]
    Timeout(std::time::Duration),
    /// `check_cmd` is not a valid template.
    #[error(transparent)]
    Template(#[from] hecd_template::Error),
}

/// Why one resource could not be brought in sync; each names what failed as confd does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The keys could not be fetched.
    #[error(transparent)]
    Fetch(#[from] hecd_client::Error),
    /// The template file does not exist.
    #[error("Missing template: {}", .0.display())]
    MissingTemplate(PathBuf),
    /// The template file cannot be read.
    #[error("cannot read template {}: {source}", path.display())]
    ReadTemplate {
        /// The template file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The template does not parse.
    #[error("Unable to process template {}, {source}", path.display())]
    Parse {
        /// The template file.
        path: PathBuf,
        /// Go's message.
        #[source]
        source: hecd_template::Error,
    },
    /// The template failed while executing.
    #[error(transparent)]
    Execute(hecd_template::Error),
    /// Fewer keys than the resource's `min_keys`.
    #[error("refusing to render: {found} keys found, min_keys is {min}")]
    TooFewKeys {
        /// Keys fetched.
        found: usize,
        /// The resource's minimum.
        min: usize,
    },
    /// The key set collapsed from some keys to none.
    #[error("refusing to render: the keys went from {before} to none (set allow_empty = true to allow it)")]
    Collapsed {
        /// Keys seen by the last successful render.
        before: usize,
    },
    /// A file operation on the stage file or dest failed.
    #[error("{op} {}: {}", path.display(), go_io_error(source))]
    Io {
        /// What was being done (`open`, `rename`, ...).
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// `check_cmd` failed.
    #[error("Config check failed: {0}")]
    Check(#[source] CommandError),
    /// `reload_cmd` failed; `restored` says whether the previous dest was put back.
    #[error("{source}{}", if *.restored { " (previous dest restored)" } else { "" })]
    Reload {
        /// The failure.
        #[source]
        source: CommandError,
        /// Whether the previous dest was restored.
        restored: bool,
    },
}

/// An I/O error as Go prints it: `no such file or directory`, without Rust's
/// capital letter and ` (os error N)` suffix.
pub fn go_io_error(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
