//! Template resources: the `[template]` tables of `<confdir>/conf.d/*toml`.
//!
//! conf.d is walked recursively in lexical order and every file whose name matches `*toml`
//! is loaded, as confd does. Unlike confd, one bad file does not stop the others: the
//! loader returns the good resources and one [`LoadError`] per bad file.

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::config::one_line;
use crate::error::LoadError;
use crate::flags::parse_go_duration;
use hecd_gostd::path as gopath;

/// One template resource, with paths and keys resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The resource file it came from (its name in logs).
    pub file: PathBuf,
    /// The template file (`<confdir>/templates/<src>`).
    pub src: PathBuf,
    /// The file kept in sync.
    pub dest: PathBuf,
    /// The prefix: `-prefix` when given, else the resource's, always with a leading `/`.
    pub prefix: String,
    /// The store keys to fetch: `path.Join(prefix, key)`.
    pub keys: Vec<String>,
    /// The dest's mode; `None` keeps an existing dest's mode (0644 for a new file).
    pub mode: Option<u32>,
    /// The dest's owner.
    pub uid: Option<u32>,
    /// The dest's group.
    pub gid: Option<u32>,
    /// Validates the stage file (`{{.src}}` is its path).
    pub check_cmd: Option<String>,
    /// Run after dest was replaced.
    pub reload_cmd: Option<String>,
    /// Refuse to render with fewer keys than this.
    pub min_keys: usize,
    /// Allow a render whose key set went from some keys to none.
    pub allow_empty: bool,
    /// Timeout of this resource's commands (the daemon's default when `None`).
    pub command_timeout: Option<Duration>,
    /// HAProxy's runtime API (`haproxy_socket`): server-only changes are applied through it
    /// instead of a reload.
    pub haproxy_socket: Option<hecd_haproxy::Endpoint>,
    /// How long a removed server may drain before it is deleted anyway (`drain_timeout`).
    pub drain_timeout: Duration,
}

/// The default `drain_timeout`.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize)]
struct FileResource {
    template: Option<TemplateTable>,
}

#[derive(Debug, Default, Deserialize)]
struct TemplateTable {
    #[serde(default)]
    src: String,
    #[serde(default)]
    dest: String,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    prefix: String,
    owner: Option<String>,
    uid: Option<i64>,
    gid: Option<i64>,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    check_cmd: String,
    #[serde(default)]
    reload_cmd: String,
    min_keys: Option<usize>,
    #[serde(default)]
    allow_empty: bool,
    command_timeout: Option<String>,
    haproxy_socket: Option<String>,
    drain_timeout: Option<String>,
}

/// The resource files under `<confdir>/conf.d`, in the order confd processes them.
///
/// # Errors
///
/// [`LoadError::ConfD`] when conf.d cannot be listed.
pub fn find_files(confdir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let confd = confdir.join("conf.d");
    if let Err(source) = std::fs::metadata(&confd) {
        return Err(LoadError::ConfD { path: confd, source });
    }
    let mut out = Vec::new();
    walk(&confd, &mut out).map_err(|source| LoadError::ConfD { path: confd.clone(), source })?;
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else if entry.file_name().to_string_lossy().ends_with("toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Loads every resource of `confdir`; `prefix` is `-prefix`, which replaces each
/// resource's own prefix.
///
/// # Errors
///
/// [`LoadError::ConfD`] when conf.d is missing; bad resource files are returned in the
/// second list instead, and the others still load.
pub fn load_all(
    confdir: &Path,
    prefix: Option<&str>,
) -> Result<(Vec<Resource>, Vec<LoadError>), LoadError> {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for file in find_files(confdir)? {
        tracing::debug!("Found template: {}", file.display());
        match load(&file, confdir, prefix) {
            Ok(r) => good.push(r),
            Err(e) => bad.push(e),
        }
    }
    Ok((good, bad))
}

/// Loads one resource file.
///
/// # Errors
///
/// [`LoadError::Read`] or [`LoadError::Invalid`] (bad TOML, no `src`, no `dest`, bad
/// `mode`, unknown `owner`).
pub fn load(file: &Path, confdir: &Path, prefix: Option<&str>) -> Result<Resource, LoadError> {
    tracing::debug!("Loading template resource from {}", file.display());
    let text = std::fs::read_to_string(file)
        .map_err(|source| LoadError::Read { path: file.to_owned(), source })?;
    let invalid = |reason: String| LoadError::Invalid { path: file.to_owned(), reason };
    let parsed: FileResource =
        toml::from_str(&text).map_err(|e| invalid(one_line(&e.to_string())))?;
    let t = parsed.template.unwrap_or_default();
    if t.src.is_empty() {
        return Err(invalid("empty src template".to_owned()));
    }
    if t.dest.is_empty() {
        return Err(invalid("empty dest".to_owned()));
    }
    let mut prefix = prefix.filter(|p| !p.is_empty()).unwrap_or(&t.prefix).to_owned();
    if !prefix.starts_with('/') {
        prefix.insert(0, '/');
    }
    let keys = t.keys.iter().map(|k| gopath::join(&[&prefix, k])).collect();
    let mode = if t.mode.is_empty() {
        None
    } else {
        Some(parse_mode(&t.mode).ok_or_else(|| invalid(format!("invalid mode {:?}", t.mode)))?)
    };
    let id = |v: Option<i64>, what: &str| -> Result<Option<u32>, LoadError> {
        match v {
            None => Ok(None),
            Some(n) if n < 0 => Ok(None),
            Some(n) => {
                u32::try_from(n).map(Some).map_err(|_| invalid(format!("invalid {what} {n}")))
            }
        }
    };
    let mut uid = id(t.uid, "uid")?;
    let mut gid = id(t.gid, "gid")?;
    if let Some(owner) = t.owner.as_deref().filter(|o| !o.is_empty()) {
        let (u, g) =
            lookup_user(owner).ok_or_else(|| invalid(format!("unknown owner {owner:?}")))?;
        uid = uid.or(Some(u));
        gid = gid.or(Some(g));
    }
    let command_timeout = match t.command_timeout {
        None => None,
        Some(s) => Some(
            parse_go_duration(&s)
                .ok_or_else(|| invalid(format!("invalid command_timeout {s:?}")))?,
        ),
    };
    let haproxy_socket = match t.haproxy_socket.as_deref().map(str::trim).filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(hecd_haproxy::Endpoint::parse(s).map_err(|e| invalid(e.to_string()))?),
    };
    let drain_timeout = match t.drain_timeout {
        None => DEFAULT_DRAIN_TIMEOUT,
        Some(s) => {
            parse_go_duration(&s).ok_or_else(|| invalid(format!("invalid drain_timeout {s:?}")))?
        }
    };
    let nonempty = |s: String| (!s.trim().is_empty()).then_some(s);
    Ok(Resource {
        file: file.to_owned(),
        src: confdir.join("templates").join(&t.src),
        dest: PathBuf::from(t.dest),
        prefix,
        keys,
        mode,
        uid,
        gid,
        check_cmd: nonempty(t.check_cmd),
        reload_cmd: nonempty(t.reload_cmd),
        min_keys: t.min_keys.unwrap_or(0),
        allow_empty: t.allow_empty,
        command_timeout,
        haproxy_socket,
        drain_timeout,
    })
}

/// A file mode: `0644`, `0o644`, `0x1a4`, `0b...`, and, unlike confd (which reads it as
/// decimal), `644` is octal too.
pub fn parse_mode(s: &str) -> Option<u32> {
    let s = s.trim();
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (o, 8)
    } else if let Some(b) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (b, 2)
    } else {
        (s, 8)
    };
    let digits = digits.replace('_', "");
    let mode = u32::from_str_radix(&digits, radix).ok()?;
    (mode <= 0o7777).then_some(mode)
}

/// A user name or number from `/etc/passwd`: its uid and primary gid.
fn lookup_user(owner: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 {
            continue;
        }
        if fields[0] == owner || fields[2] == owner {
            return Some((fields[2].parse().ok()?, fields[3].parse().ok()?));
        }
    }
    owner.parse().ok().map(|uid| (uid, uid))
}
