//! `hecd-kv`'s command line, read as etcd 3.4 reads it, and the launch plan made from it.
//!
//! etcd's own flags (`--name`, `--listen-client-urls`, ...), the etcd 0.4/0.5 single-dash
//! spellings (`-addr`, `-bind-addr`, `-peer-addr`, `-data-dir`, `-name`) and `ETCD_*`
//! environment variables. As with Go's flag package, a repeated flag takes its last value; as
//! etcd 3.4 does, a flag also given as an `ETCD_*` variable stops the start.
//!
//! [`parse`] reads the command line and the environment into [`Args`]; [`Launch::plan`] checks
//! the combination and turns it into the addresses to bind and the server [`Config`]: every
//! refusal is a [`FlagError`] with etcd's wording where etcd has one.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use hecd_client::split_urls;

use crate::{Config, TlsFiles};

/// `--initial-cluster-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClusterState {
    /// Bootstrap a new cluster from `--initial-cluster`.
    New,
    /// Join a running cluster (this member was added with `POST /v2/members`).
    Existing,
}

/// Why the command line cannot start a server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlagError {
    /// clap's own refusal (unknown flag, bad value) or `--help`/`--version`: print it as it is.
    #[error("{0}")]
    Usage(#[from] clap::Error),
    /// An argument that is not a flag: Go's flag package stops there and etcd refuses it.
    #[error("error verifying flags, '{0}' is not a valid flag. See 'hecd-kv --help'.")]
    NotAFlag(String),
    /// An `ETCD_*` variable given as a flag too (etcd's `verifyEnv`).
    #[error("conflicting environment variable {0:?} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)")]
    ShadowedEnv(String),
    /// A combination of flags that cannot work.
    #[error("{0}")]
    Invalid(String),
}

impl FlagError {
    /// The exit code etcd uses: 0 for `--help`/`--version`, 1 for etcd's flag verification,
    /// 2 for a usage error.
    pub fn exit_code(&self) -> u8 {
        match self {
            FlagError::Usage(e) if !e.use_stderr() => 0,
            FlagError::NotAFlag(_) | FlagError::ShadowedEnv(_) => 1,
            _ => 2,
        }
    }
}

/// Command-line flags (etcd's names).
#[derive(Debug, Clone, Parser)]
#[command(name = "hecd-kv", version, about = "An etcd v2 compatible key-value server")]
// Go's flag package: a repeated flag is set again, the last occurrence wins.
#[command(args_override_self = true)]
pub struct Args {
    /// Human-readable name of this member.
    #[arg(long, env = "ETCD_NAME", default_value = "default")]
    pub name: String,
    /// Path to the data directory (default `./<name>.etcd`).
    #[arg(long, env = "ETCD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// URLs to listen on for client traffic (comma separated).
    #[arg(long, env = "ETCD_LISTEN_CLIENT_URLS")]
    pub listen_client_urls: Option<String>,
    /// Client URLs advertised to the cluster and clients (default: the bound URLs).
    #[arg(long, env = "ETCD_ADVERTISE_CLIENT_URLS")]
    pub advertise_client_urls: Option<String>,
    /// URLs to listen on for peer traffic.
    #[arg(long, env = "ETCD_LISTEN_PEER_URLS")]
    pub listen_peer_urls: Option<String>,
    /// Peer URLs advertised to the cluster.
    #[arg(long, env = "ETCD_INITIAL_ADVERTISE_PEER_URLS")]
    pub initial_advertise_peer_urls: Option<String>,
    /// Initial cluster configuration (`name=peerurl,...`).
    #[arg(long, env = "ETCD_INITIAL_CLUSTER")]
    pub initial_cluster: Option<String>,
    /// `new` or `existing`.
    #[arg(long, env = "ETCD_INITIAL_CLUSTER_STATE", default_value = "new", value_enum)]
    pub initial_cluster_state: ClusterState,
    /// Initial cluster token.
    #[arg(long, env = "ETCD_INITIAL_CLUSTER_TOKEN", default_value = "etcd-cluster")]
    pub initial_cluster_token: String,
    /// Committed entries between snapshots.
    #[arg(long, env = "ETCD_SNAPSHOT_COUNT", default_value_t = 100_000)]
    pub snapshot_count: u64,
    /// Accepted like etcd's flag. As in etcd 3.4's v2 emulation, it does not limit v2 requests:
    /// a form body is limited to 10 MiB, Go's `ParseForm` limit, which etcd answers the same way.
    #[arg(long, env = "ETCD_MAX_REQUEST_BYTES", default_value_t = 1_572_864)]
    pub max_request_bytes: u64,
    /// Accepted like etcd's flag. As in etcd 3.4's v2 emulation, the v2 store is not bound by
    /// the backend quota (etcd 3.4 accepts v2 writes past it).
    #[arg(long, env = "ETCD_QUOTA_BACKEND_BYTES", default_value_t = 0)]
    pub quota_backend_bytes: u64,
    /// TLS certificate for https:// client URLs.
    #[arg(long, env = "ETCD_CERT_FILE")]
    pub cert_file: Option<PathBuf>,
    /// TLS key for https:// client URLs.
    #[arg(long, env = "ETCD_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Require client certificates signed by --trusted-ca-file.
    #[arg(long, env = "ETCD_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub client_cert_auth: Option<bool>,
    /// Trusted CA for client certificates.
    #[arg(long, env = "ETCD_TRUSTED_CA_FILE")]
    pub trusted_ca_file: Option<PathBuf>,
    /// TLS certificate for https:// peer URLs (also this member's client certificate to peers).
    #[arg(long, env = "ETCD_PEER_CERT_FILE")]
    pub peer_cert_file: Option<PathBuf>,
    /// TLS key for https:// peer URLs.
    #[arg(long, env = "ETCD_PEER_KEY_FILE")]
    pub peer_key_file: Option<PathBuf>,
    /// Require peer certificates signed by --peer-trusted-ca-file.
    #[arg(long, env = "ETCD_PEER_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    pub peer_client_cert_auth: Option<bool>,
    /// Trusted CA for peer certificates (verifies the other members).
    #[arg(long, env = "ETCD_PEER_TRUSTED_CA_FILE")]
    pub peer_trusted_ca_file: Option<PathBuf>,
    /// Accepted for etcd 3.4 compatibility; the v2 API is always on.
    #[arg(long, env = "ETCD_ENABLE_V2", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    enable_v2: Option<bool>,
    /// Log level: debug, info, warn, error.
    #[arg(long, env = "ETCD_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Events kept for watches with a past waitIndex.
    #[arg(long, env = "ETCD_HISTORY_SIZE", default_value_t = 1000)]
    pub history_size: usize,
    /// Origins allowed to read answers cross-origin: comma-separated URLs, or `*` (all).
    #[arg(long, env = "ETCD_CORS", default_value = "*", value_parser = parse_cors)]
    pub cors: crate::Cors,
    /// Arguments that are not flags: Go's flag package stops at the first, and etcd refuses it.
    #[arg(hide = true)]
    pub not_flags: Vec<String>,
    /// Write the bound client URLs to this file once serving.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
    /// etcd 0.4: advertised client address (host:port).
    #[arg(long, env = "ETCD_ADDR")]
    pub addr: Option<String>,
    /// etcd 0.4: client listen address (host:port).
    #[arg(long, env = "ETCD_BIND_ADDR")]
    pub bind_addr: Option<String>,
    /// etcd 0.4: advertised peer address (host:port).
    #[arg(long, env = "ETCD_PEER_ADDR")]
    pub peer_addr: Option<String>,
    /// etcd 0.4: peer listen address (host:port).
    #[arg(long, env = "ETCD_PEER_BIND_ADDR")]
    pub peer_bind_addr: Option<String>,
}

/// Go's `strconv.ParseBool`, which the flag package uses for `-flag=value`.
fn parse_go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("parse error: invalid syntax: {s:?}")),
    }
}

/// The `ETCD_*` variables also given as flags: etcd 3.4 refuses to start on them
/// (`pkg/flags.verifyEnv`: "conflicting environment variable ... is shadowed").
fn shadowed_env(cmd: &clap::Command, m: &clap::ArgMatches) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| m.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
        .filter_map(|a| a.get_env())
        .filter(|env| std::env::var_os(env).is_some())
        .map(|env| env.to_string_lossy().into_owned())
        .collect()
}

/// etcd sets a flag from its `ETCD_*` variable only when the variable is not empty.
fn without_empty_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        let empty = a.get_env().and_then(std::env::var_os).is_some_and(|v| v.is_empty());
        if empty {
            a.env(None)
        } else {
            a
        }
    })
}

/// `ETCD_*` variables that name no flag (etcd warns about them and goes on).
fn unrecognized_env(cmd: &clap::Command) -> Vec<String> {
    let known: Vec<_> = cmd.get_arguments().filter_map(|a| a.get_env()).collect();
    std::env::vars_os()
        .map(|(k, _)| k)
        .filter(|k| k.to_string_lossy().starts_with("ETCD_") && !known.contains(&k.as_os_str()))
        .map(|k| k.to_string_lossy().into_owned())
        .collect()
}

fn parse_cors(s: &str) -> Result<crate::Cors, crate::CorsError> {
    crate::Cors::parse(s)
}

/// Rewrites a command line read as Go's flag package reads it into one clap reads the same
/// way: `-name` and `--name` are one flag; a flag that takes a value takes `=value` or the
/// next argument whatever it looks like (`--name -x` names the member `-x`); a boolean takes
/// a value only after `=`; the first argument that is not a flag, and everything after it
/// (or after `--`), is not a flag (etcd refuses those). Unknown flags pass through for clap
/// to refuse.
fn go_style_args(raw: Vec<String>, cmd: &clap::Command) -> Vec<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut args = raw.into_iter();
    if let Some(program) = args.next() {
        out.push(program);
    }
    while let Some(a) = args.next() {
        if a == "--" || a.len() < 2 || !a.starts_with('-') {
            out.push("--".into());
            if a != "--" {
                out.push(a);
            }
            out.extend(args);
            break;
        }
        let body = a.strip_prefix("--").unwrap_or(&a[1..]);
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name == "h" {
            out.push("-h".into());
            continue;
        }
        let takes_value =
            cmd.get_arguments().find(|x| x.get_long() == Some(name)).is_some_and(|x| {
                x.get_action().takes_values() && x.get_num_args().is_none_or(|n| n.min_values() > 0)
            });
        match (value, takes_value) {
            (Some(v), _) => out.push(format!("--{name}={v}")),
            (None, true) => match args.next() {
                Some(v) => out.push(format!("--{name}={v}")),
                None => out.push(format!("--{name}")),
            },
            (None, false) => out.push(format!("--{name}")),
        }
    }
    out
}

/// Reads `raw` (the program name first) and the `ETCD_*` environment as etcd does.
///
/// # Errors
/// [`FlagError::Usage`] (including `--help`), [`FlagError::NotAFlag`], [`FlagError::ShadowedEnv`].
pub fn parse(raw: Vec<String>) -> Result<Args, FlagError> {
    let cmd = Args::command();
    let matches = without_empty_env(cmd.clone()).try_get_matches_from(go_style_args(raw, &cmd))?;
    let args = Args::from_arg_matches(&matches)?;
    if let Some(arg) = args.not_flags.first() {
        return Err(FlagError::NotAFlag(arg.clone()));
    }
    if let Some(env) = shadowed_env(&cmd, &matches).into_iter().next() {
        return Err(FlagError::ShadowedEnv(env));
    }
    Ok(args)
}

/// `ETCD_*` variables that name no flag (etcd warns about them and goes on).
pub fn unrecognized_env_vars() -> Vec<String> {
    unrecognized_env(&Args::command())
}

fn with_scheme(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    }
}

/// `http://host:port` → a socket address to bind (`localhost` means 127.0.0.1).
fn bind_addr(url: &str) -> Result<SocketAddr, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("unsupported listen URL {url:?} (http:// or https://)"))?;
    let hostport = rest.trim_end_matches('/');
    let (host, port) =
        hostport.rsplit_once(':').ok_or_else(|| format!("listen URL {url:?} has no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = if host == "localhost" || host.is_empty() { "127.0.0.1" } else { host };
    let port: u16 = port.parse().map_err(|_| format!("bad port in {url:?}"))?;
    let ip: std::net::IpAddr =
        host.parse().map_err(|_| format!("listen URL {url:?} needs an IP address"))?;
    Ok(SocketAddr::new(ip, port))
}

/// What to bind and how to run, checked.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Client listeners.
    pub listen: Vec<SocketAddr>,
    /// `https` when the client URLs are `https://`, else `http`.
    pub scheme: &'static str,
    /// Peer listeners.
    pub listen_peer: Vec<SocketAddr>,
    /// Advertised client URLs, when given (and not ending in port 0): else the bound ones.
    pub advertise: Option<Vec<String>>,
    /// The server's configuration, `advertise_client_urls` left to fill from what was bound.
    pub config: Config,
    /// Where to write the bound client URLs once serving.
    pub ready_file: Option<PathBuf>,
}

impl Launch {
    /// Checks the flags and plans the launch.
    ///
    /// # Errors
    /// [`FlagError::Invalid`] for a listen URL without scheme, host IP or port, client URLs
    /// mixing `http://` and `https://`, `https://` URLs without their certificate and key, or an
    /// `--initial-cluster` entry that is not `name=url`.
    pub fn plan(args: &Args) -> Result<Launch, FlagError> {
        let bad = |m: String| FlagError::Invalid(m);
        let urls = plan(args);
        let https = urls.listen.iter().filter(|u| u.starts_with("https://")).count();
        if https > 0 && https < urls.listen.len() {
            return Err(bad("mixing http:// and https:// client URLs is not supported".into()));
        }
        let client_tls = match (https > 0, &args.cert_file, &args.key_file) {
            (true, Some(cert), Some(key)) => Some(TlsFiles {
                cert_file: cert.clone(),
                key_file: key.clone(),
                trusted_ca_file: args.trusted_ca_file.clone(),
                client_cert_auth: args.client_cert_auth.unwrap_or(false),
            }),
            (true, _, _) => {
                return Err(bad("https:// client URLs need --cert-file and --key-file".into()))
            }
            (false, _, _) => {
                if args.cert_file.is_some() || args.client_cert_auth == Some(true) {
                    // etcd serves plain HTTP on http:// URLs whatever TLS flags are given.
                    tracing::warn!(
                        "TLS flags given but the client URLs are http://; serving plain HTTP"
                    );
                }
                None
            }
        };
        let peer_https = urls.listen_peer.iter().any(|u| u.starts_with("https://"))
            || urls.peers.iter().any(|u| u.starts_with("https://"));
        let peer_tls = match (peer_https, &args.peer_cert_file, &args.peer_key_file) {
            (true, Some(cert), Some(key)) => Some(TlsFiles {
                cert_file: cert.clone(),
                key_file: key.clone(),
                trusted_ca_file: args.peer_trusted_ca_file.clone(),
                client_cert_auth: args.peer_client_cert_auth.unwrap_or(false),
            }),
            (true, _, _) => {
                return Err(bad(
                    "https:// peer URLs need --peer-cert-file and --peer-key-file".into()
                ))
            }
            (false, _, _) => None,
        };
        let listen = urls.listen.iter().map(|u| bind_addr(u)).collect::<Result<Vec<_>, _>>();
        let listen_peer =
            urls.listen_peer.iter().map(|u| bind_addr(u)).collect::<Result<Vec<_>, _>>();
        let mut initial_cluster = Vec::new();
        for part in split_urls(args.initial_cluster.as_deref().unwrap_or("")) {
            match part.split_once('=') {
                Some((name, url)) => initial_cluster.push((name.to_owned(), url.to_owned())),
                None => {
                    return Err(bad(format!("--initial-cluster entry {part:?} is not name=url")))
                }
            }
        }
        let mut config = Config::new(args.name.clone());
        config.advertise_peer_urls = urls.peers;
        config.cluster_token = args.initial_cluster_token.clone();
        config.initial_cluster = initial_cluster;
        config.data_dir = Some(
            args.data_dir.clone().unwrap_or_else(|| PathBuf::from(format!("{}.etcd", args.name))),
        );
        config.snapshot_count = args.snapshot_count;
        config.history_size = args.history_size.max(1);
        config.join_existing = args.initial_cluster_state == ClusterState::Existing;
        config.peer_tls = peer_tls;
        config.cors = args.cors.clone();
        let scheme = if client_tls.is_some() { "https" } else { "http" };
        config.client_tls = client_tls;
        // An advertised URL with port 0 (tests) means "whatever was bound".
        let advertise =
            urls.advertise.filter(|a| !a.iter().any(|u| u.trim_end_matches('/').ends_with(":0")));
        Ok(Launch {
            listen: listen.map_err(bad)?,
            scheme,
            listen_peer: listen_peer.map_err(bad)?,
            advertise,
            config,
            ready_file: args.ready_file.clone(),
        })
    }
}

struct Urls {
    listen: Vec<String>,
    listen_peer: Vec<String>,
    advertise: Option<Vec<String>>,
    peers: Vec<String>,
}

fn plan(args: &Args) -> Urls {
    let listen = match (&args.listen_client_urls, &args.bind_addr, &args.addr) {
        (Some(l), _, _) => split_urls(l),
        (None, Some(b), _) => vec![with_scheme(b)],
        (None, None, Some(a)) => vec![with_scheme(a)],
        (None, None, None) => vec!["http://127.0.0.1:2379".into(), "http://127.0.0.1:4001".into()],
    };
    let advertise = match (&args.advertise_client_urls, &args.addr) {
        (Some(a), _) => Some(split_urls(a)),
        (None, Some(a)) => Some(vec![with_scheme(a)]),
        (None, None) => None,
    };
    let peers = match (&args.initial_advertise_peer_urls, &args.peer_addr, &args.listen_peer_urls) {
        (Some(p), _, _) => split_urls(p),
        (None, Some(p), _) => vec![with_scheme(p)],
        (None, None, Some(l)) => split_urls(l),
        (None, None, None) => vec!["http://localhost:2380".into()],
    };
    let listen_peer = match (&args.listen_peer_urls, &args.peer_bind_addr) {
        (Some(l), _) => split_urls(l),
        (None, Some(b)) => vec![with_scheme(b)],
        (None, None) => Vec::new(),
    };
    Urls { listen, listen_peer, advertise, peers }
}

#[cfg(test)]
mod tests;
