//! confd's command line, parsed with the rules of Go's `flag` package.
//!
//! `-x` and `--x` are the same flag; values come as `-x=v` or `-x v`; a boolean flag takes
//! a value only as `-x=false`; the last of a repeated flag wins, except `-node`, which
//! accumulates; parsing stops at the first argument that is not a flag or after `--`.

#[cfg(test)]
mod tests;

use crate::error::FlagError;

/// The kind of value a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Str,
    Int,
    List,
}

/// Every flag: confd 0.16's set, the `-verbose` of confd ≤ 0.9, and hecd's additions.
const FLAGS: &[(&str, Kind, &str)] = &[
    ("app-id", Kind::Str, "Vault app-id to use with the app-id backend (unsupported)"),
    ("auth-token", Kind::Str, "Auth bearer token to use (unsupported)"),
    ("auth-type", Kind::Str, "Vault auth backend type to use (unsupported)"),
    ("backend", Kind::Str, "backend to use (only etcd is supported)"),
    ("basic-auth", Kind::Bool, "Use Basic Auth to authenticate"),
    ("client-ca-keys", Kind::Str, "client ca keys"),
    ("client-cert", Kind::Str, "the client cert"),
    ("client-key", Kind::Str, "the client key"),
    (
        "command-timeout",
        Kind::Str,
        "timeout of check_cmd and reload_cmd (Go duration, default 60s)",
    ),
    ("confdir", Kind::Str, "confd conf directory (default \"/etc/confd\")"),
    ("config-file", Kind::Str, "the confd config file (default \"/etc/confd/confd.toml\")"),
    ("file", Kind::List, "the YAML file to watch for changes (unsupported)"),
    ("filetype", Kind::Str, "the file type (unsupported)"),
    ("interval", Kind::Int, "backend polling interval (default 600)"),
    ("keep-stage-file", Kind::Bool, "keep staged files"),
    ("log-level", Kind::Str, "level which confd should log messages"),
    ("metrics-addr", Kind::Str, "serve /health and Prometheus /metrics on this address"),
    (
        "missing-keys-empty",
        Kind::Bool,
        "render a key that does not exist as an empty directory instead of failing (default false, as confd)",
    ),
    ("node", Kind::List, "list of backend nodes"),
    ("noop", Kind::Bool, "only show pending changes"),
    ("onetime", Kind::Bool, "run once and exit"),
    ("password", Kind::Str, "the password to authenticate with"),
    ("prefix", Kind::Str, "key path prefix"),
    ("role-id", Kind::Str, "Vault role-id (unsupported)"),
    ("scheme", Kind::Str, "the backend URI scheme for nodes without one (default \"http\")"),
    ("secret-id", Kind::Str, "Vault secret-id (unsupported)"),
    ("secret-keyring", Kind::Str, "path to armored PGP secret keyring (unsupported)"),
    (
        "separator",
        Kind::Str,
        "the separator to replace '/' with when looking up keys (unsupported)",
    ),
    ("srv-domain", Kind::Str, "the name of the resource record (unsupported)"),
    ("srv-record", Kind::Str, "the SRV record to search for backends nodes (unsupported)"),
    ("sync-only", Kind::Bool, "sync without check_cmd and reload_cmd"),
    ("table", Kind::Str, "the name of the DynamoDB table (unsupported)"),
    ("user-id", Kind::Str, "Vault user-id (unsupported)"),
    ("username", Kind::Str, "the username to authenticate as"),
    ("verbose", Kind::Bool, "log at info level (accepted from confd <= 0.9)"),
    ("version", Kind::Bool, "print version and exit"),
    ("wait", Kind::Str, "watch-mode quiescence window MIN[:MAX] (Go durations, default 10ms:1s)"),
    ("watch", Kind::Bool, "enable watch support"),
];

/// What the command line said, flag by flag (`None`: not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    values: Vec<(String, String)>,
    nodes: Vec<String>,
    /// Arguments left after the flags.
    pub rest: Vec<String>,
    /// `-h` or `-help` was given.
    pub help: bool,
}

impl Flags {
    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The value of boolean flag `name`, when given.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v == "true")
    }

    /// The `-node` values, in order.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }
}

/// The usage text Go's `flag` package prints (`Usage of hecd-confd:` and one entry per flag).
pub fn usage() -> String {
    let mut out = String::from("Usage of hecd-confd:\n");
    for (name, kind, help) in FLAGS {
        let arg = match kind {
            Kind::Bool => "",
            Kind::Int => " int",
            Kind::Str => " string",
            Kind::List => " value",
        };
        out.push_str(&format!("  -{name}{arg}\n    \t{help}\n"));
    }
    out
}

/// Parses `args` (without the program name).
///
/// # Errors
///
/// [`FlagError`] with Go's message for an undefined flag, a missing value or a value that
/// does not parse.
pub fn parse<I, S>(args: I) -> Result<Flags, FlagError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut args: std::collections::VecDeque<String> = args.into_iter().map(Into::into).collect();
    let mut flags = Flags::default();
    while let Some(arg) = args.pop_front() {
        if arg.len() < 2 || !arg.starts_with('-') {
            args.push_front(arg);
            break;
        }
        let body = if let Some(b) = arg.strip_prefix("--") {
            if b.is_empty() {
                break;
            }
            b
        } else {
            &arg[1..]
        };
        if body.starts_with('-') || body.starts_with('=') {
            return Err(FlagError(format!("bad flag syntax: {arg}")));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (body.to_owned(), None),
        };
        if name == "h" || name == "help" {
            flags.help = true;
            continue;
        }
        let Some(&(_, kind, _)) = FLAGS.iter().find(|(n, _, _)| *n == name) else {
            return Err(FlagError(format!("flag provided but not defined: -{name}")));
        };
        let value = match (kind, inline) {
            (Kind::Bool, None) => "true".to_owned(),
            (Kind::Bool, Some(v)) => match parse_go_bool(&v) {
                Some(b) => b.to_string(),
                None => {
                    return Err(FlagError(format!(
                        "invalid boolean value {v:?} for -{name}: parse error"
                    )))
                }
            },
            (_, Some(v)) => v,
            (_, None) => match args.pop_front() {
                Some(v) => v,
                None => return Err(FlagError(format!("flag needs an argument: -{name}"))),
            },
        };
        if kind == Kind::Int && value.parse::<i64>().is_err() {
            return Err(FlagError(format!(
                "invalid value {value:?} for flag -{name}: parse error"
            )));
        }
        if name == "node" {
            flags.nodes.push(value.clone());
        }
        flags.values.push((name, value));
    }
    flags.rest = args.into_iter().collect();
    Ok(flags)
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration` for the forms used here (`1.5s`, `300ms`, `2m`, `0`).
pub fn parse_go_duration(s: &str) -> Option<std::time::Duration> {
    if s == "0" {
        return Some(std::time::Duration::ZERO);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    Some(std::time::Duration::from_secs_f64(total))
}
