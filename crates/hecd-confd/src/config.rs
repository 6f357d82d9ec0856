//! The daemon's settings: flags over `CONFD_*` environment variables over the TOML config
//! file over defaults, merged once into an immutable [`Config`].
//!
//! The file has confd's `confd.toml` keys (`backend`, `confdir`, `nodes`, `prefix`,
//! `interval`, `noop`, `watch`, `log-level`, `sync-only`, `scheme`, `client_cert`, ...).
//! Unlike confd 0.16, whose file silently beats the command line, a flag always wins.

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::flags::{self, parse_go_bool, parse_go_duration, Flags};

/// confd's default configuration directory.
pub const DEFAULT_CONFDIR: &str = "/etc/confd";
/// confd's default config file (independent of `-confdir`, as in confd).
pub const DEFAULT_CONFIG_FILE: &str = "/etc/confd/confd.toml";
/// The node used when neither `-node`, the file nor `ETCDCTL_PEERS` names one.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:4001";

/// How the daemon runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Render every resource once and exit (`-onetime`).
    Onetime,
    /// Re-read conf.d and render everything every interval (the default, 600 s).
    Interval(Duration),
    /// Render at start, then on every change of a resource's keys (`-watch`).
    Watch,
}

/// A log level, with logrus's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Only panics.
    Panic,
    /// Fatal errors.
    Fatal,
    /// Errors.
    Error,
    /// Warnings.
    Warning,
    /// The default.
    Info,
    /// Every step.
    Debug,
}

impl LogLevel {
    /// Parses a logrus level name.
    ///
    /// # Errors
    ///
    /// [`ConfigError::LogLevel`] (`not a valid level: "bogus"`).
    pub fn parse(s: &str) -> Result<LogLevel, ConfigError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "panic" => LogLevel::Panic,
            "fatal" => LogLevel::Fatal,
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warning,
            "info" => LogLevel::Info,
            "debug" | "trace" => LogLevel::Debug,
            _ => return Err(ConfigError::LogLevel { level: s.to_owned() }),
        })
    }
}

/// The quiescence window of watch mode, like consul-template's `wait = "min:max"`: after a
/// change, wait until no further change came for `min`, but never longer than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiescence {
    /// Quiet time required after the last change.
    pub min: Duration,
    /// Upper bound on the wait after the first change.
    pub max: Duration,
}

impl Default for Quiescence {
    fn default() -> Self {
        Quiescence { min: Duration::from_millis(10), max: Duration::from_secs(1) }
    }
}

impl Quiescence {
    /// Parses `MIN[:MAX]` (Go durations); `MAX` defaults to four times `MIN`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Value`] when a part is not a duration or `MAX < MIN`.
    pub fn parse(s: &str) -> Result<Quiescence, ConfigError> {
        let bad = |reason: &str| ConfigError::Value {
            name: "wait".to_owned(),
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (min, max) = match s.split_once(':') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        let min = parse_go_duration(min.trim()).ok_or_else(|| bad("not a duration"))?;
        let max = match max {
            Some(m) => parse_go_duration(m.trim()).ok_or_else(|| bad("not a duration"))?,
            None => min * 4,
        };
        if max < min {
            return Err(bad("max is shorter than min"));
        }
        Ok(Quiescence { min, max })
    }
}

/// Everything the daemon needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration directory holding `conf.d/` and `templates/`.
    pub confdir: PathBuf,
    /// Store endpoints, as URLs.
    pub nodes: Vec<String>,
    /// `-prefix`: when set, replaces every resource's prefix.
    pub prefix: Option<String>,
    /// Onetime, interval or watch.
    pub mode: Mode,
    /// Render and compare, but change nothing.
    pub noop: bool,
    /// Replace dest without running check_cmd or reload_cmd.
    pub sync_only: bool,
    /// Leave stage files beside dest.
    pub keep_stage_file: bool,
    /// The log level.
    pub log_level: LogLevel,
    /// TLS material for https nodes.
    pub tls: hecd_client::TlsOptions,
    /// Basic-auth credentials.
    pub basic_auth: Option<(String, String)>,
    /// Watch-mode quiescence window.
    pub wait: Quiescence,
    /// Default timeout of check_cmd and reload_cmd.
    pub command_timeout: Duration,
    /// Where to serve `/health` and `/metrics`.
    pub metrics_addr: Option<SocketAddr>,
    /// A listed key that does not exist renders as an empty directory (confd: an error).
    pub missing_keys_empty: bool,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
}

impl Config {
    /// A configuration with confd's defaults for `confdir` and `nodes`, in onetime mode.
    pub fn new(confdir: impl Into<PathBuf>, nodes: Vec<String>) -> Config {
        Config {
            confdir: confdir.into(),
            nodes,
            prefix: None,
            mode: Mode::Onetime,
            noop: false,
            sync_only: false,
            keep_stage_file: false,
            log_level: LogLevel::Info,
            tls: hecd_client::TlsOptions::default(),
            basic_auth: None,
            wait: Quiescence::default(),
            command_timeout: Duration::from_secs(60),
            metrics_addr: None,
            missing_keys_empty: false,
            config_file: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// Run the daemon.
    Run(Box<Config>),
    /// Print the version and exit.
    Version,
    /// Print the usage and exit 0.
    Help,
}

/// The keys of confd's `confd.toml`, plus hecd's (`onetime`, `keep-stage-file`, `wait`,
/// `command-timeout`, `metrics-addr`). Unknown keys are ignored, as confd does.
#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    backend: Option<String>,
    #[serde(alias = "basic-auth")]
    basic_auth: Option<bool>,
    #[serde(alias = "client_ca_keys", alias = "client-ca-keys")]
    client_cakeys: Option<String>,
    #[serde(alias = "client-cert")]
    client_cert: Option<String>,
    #[serde(alias = "client-key")]
    client_key: Option<String>,
    confdir: Option<String>,
    interval: Option<i64>,
    noop: Option<bool>,
    onetime: Option<bool>,
    password: Option<String>,
    prefix: Option<String>,
    scheme: Option<String>,
    #[serde(rename = "sync-only", alias = "sync_only")]
    sync_only: Option<bool>,
    #[serde(rename = "keep-stage-file", alias = "keep_stage_file")]
    keep_stage_file: Option<bool>,
    username: Option<String>,
    #[serde(rename = "log-level", alias = "log_level")]
    log_level: Option<String>,
    watch: Option<bool>,
    nodes: Option<Vec<String>>,
    wait: Option<String>,
    #[serde(rename = "command-timeout", alias = "command_timeout")]
    command_timeout: Option<String>,
    #[serde(rename = "metrics-addr", alias = "metrics_addr")]
    metrics_addr: Option<String>,
    #[serde(rename = "missing-keys-empty", alias = "missing_keys_empty")]
    missing_keys_empty: Option<bool>,
}

/// One setting looked up in the three layers.
struct Layers<'a> {
    flags: &'a Flags,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Layers<'_> {
    /// The flag, else `CONFD_<NAME>`.
    fn str(&self, name: &str) -> Option<String> {
        if let Some(v) = self.flags.get(name) {
            return Some(v.to_owned());
        }
        let var = format!("CONFD_{}", name.to_ascii_uppercase().replace('-', "_"));
        (self.env)(&var)
    }

    fn bool(&self, name: &str) -> Result<Option<bool>, ConfigError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => parse_go_bool(&v).map(Some).ok_or_else(|| ConfigError::Value {
                name: name.to_owned(),
                value: v,
                reason: "not a boolean".to_owned(),
            }),
        }
    }
}

/// Parses the command line `args` (without the program name), reading the environment
/// through `env` and the config file it names.
///
/// # Errors
///
/// [`ConfigError::Usage`] for command-line syntax errors (exit status 2), the other
/// variants for invalid settings (exit status 1).
pub fn from_args<I, S>(
    args: I,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Invocation, ConfigError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let flags = flags::parse(args)?;
    if flags.help {
        return Ok(Invocation::Help);
    }
    let layers = Layers { flags: &flags, env };
    if layers.bool("version")? == Some(true) {
        return Ok(Invocation::Version);
    }
    let file_path = layers.str("config-file");
    let (file, config_file) = read_file(file_path.as_deref())?;

    let backend = layers.str("backend").or(file.backend).unwrap_or_else(|| "etcd".to_owned());
    if !matches!(backend.as_str(), "etcd" | "etcdv2") {
        return Err(ConfigError::Backend { name: backend });
    }
    let level = layers.str("log-level").or(file.log_level).filter(|l| !l.is_empty());
    let log_level = match level {
        Some(l) => LogLevel::parse(&l)?,
        None => LogLevel::Info,
    };
    let scheme = layers.str("scheme").or(file.scheme).unwrap_or_else(|| "http".to_owned());
    let mut nodes: Vec<String> = flags.nodes().to_vec();
    if nodes.is_empty() {
        if let Some(v) = env("CONFD_NODE").or_else(|| env("CONFD_NODES")) {
            nodes = hecd_client::split_urls(&v);
        }
    }
    if nodes.is_empty() {
        nodes = file.nodes.unwrap_or_default();
    }
    if nodes.is_empty() {
        if let Some(v) = env("ETCDCTL_PEERS") {
            nodes = hecd_client::split_urls(&v);
        }
    }
    if nodes.is_empty() {
        nodes.push(DEFAULT_NODE.to_owned());
    }
    let nodes = nodes.iter().map(|n| node_url(n, &scheme)).collect();

    let interval = match layers.str("interval") {
        Some(v) => v.parse::<i64>().map_err(|_| ConfigError::Value {
            name: "interval".to_owned(),
            value: v.clone(),
            reason: "not an integer".to_owned(),
        })?,
        None => file.interval.unwrap_or(600),
    };
    let onetime = layers.bool("onetime")?.or(file.onetime).unwrap_or(false);
    let watch = layers.bool("watch")?.or(file.watch).unwrap_or(false);
    let mode = if onetime {
        Mode::Onetime
    } else if watch {
        Mode::Watch
    } else {
        Mode::Interval(Duration::from_secs(interval.max(1).unsigned_abs()))
    };

    let tls = hecd_client::TlsOptions {
        ca_file: layers
            .str("client-ca-keys")
            .or(file.client_cakeys)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        cert_file: layers
            .str("client-cert")
            .or(file.client_cert)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        key_file: layers
            .str("client-key")
            .or(file.client_key)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
    };
    let basic = layers.bool("basic-auth")?.or(file.basic_auth).unwrap_or(false);
    let username = layers.str("username").or(file.username).unwrap_or_default();
    let password = layers.str("password").or(file.password).unwrap_or_default();
    let basic_auth = (basic || !username.is_empty()).then_some((username, password));

    let wait = match layers.str("wait").or(file.wait) {
        Some(w) => Quiescence::parse(&w)?,
        None => Quiescence::default(),
    };
    let command_timeout = match layers.str("command-timeout").or(file.command_timeout) {
        Some(t) => parse_go_duration(&t).ok_or_else(|| ConfigError::Value {
            name: "command-timeout".to_owned(),
            value: t.clone(),
            reason: "not a duration".to_owned(),
        })?,
        None => Duration::from_secs(60),
    };
    let metrics_addr = match layers.str("metrics-addr").or(file.metrics_addr) {
        Some(a) if !a.is_empty() => Some(a.parse().map_err(|_| ConfigError::Value {
            name: "metrics-addr".to_owned(),
            value: a.clone(),
            reason: "not an IP:PORT address".to_owned(),
        })?),
        _ => None,
    };

    Ok(Invocation::Run(Box::new(Config {
        confdir: PathBuf::from(
            layers.str("confdir").or(file.confdir).unwrap_or_else(|| DEFAULT_CONFDIR.to_owned()),
        ),
        nodes,
        prefix: layers.str("prefix").or(file.prefix).filter(|p| !p.is_empty()),
        mode,
        noop: layers.bool("noop")?.or(file.noop).unwrap_or(false),
        sync_only: layers.bool("sync-only")?.or(file.sync_only).unwrap_or(false),
        keep_stage_file: layers.bool("keep-stage-file")?.or(file.keep_stage_file).unwrap_or(false),
        log_level,
        tls,
        basic_auth,
        wait,
        command_timeout,
        metrics_addr,
        missing_keys_empty: layers
            .bool("missing-keys-empty")?
            .or(file.missing_keys_empty)
            .unwrap_or(false),
        config_file,
    })))
}

/// A node as a URL: `host:port` gets `scheme://` (confd 0.6 accepted such nodes).
pub fn node_url(node: &str, scheme: &str) -> String {
    if node.contains("://") {
        node.to_owned()
    } else {
        format!("{scheme}://{node}")
    }
}

fn read_file(path: Option<&str>) -> Result<(FileConfig, Option<PathBuf>), ConfigError> {
    let path = PathBuf::from(path.unwrap_or(DEFAULT_CONFIG_FILE));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((FileConfig::default(), None))
        }
        Err(e) => return Err(ConfigError::File { path, reason: e.to_string() }),
    };
    let file: FileConfig = toml::from_str(&text)
        .map_err(|e| ConfigError::File { path: path.clone(), reason: one_line(&e.to_string()) })?;
    Ok((file, Some(path)))
}

/// A multi-line parser message on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}
