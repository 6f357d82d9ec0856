//! The `hecd-kv` binary: an etcd v2 server.
//!
//! Accepts etcd's own flags (`--name`, `--listen-client-urls`, ...), the etcd 0.4/0.5
//! single-dash spellings (`-addr`, `-bind-addr`, `-peer-addr`, `-data-dir`, `-name`) and
//! `ETCD_*` environment variables. As with Go's flag package, a repeated flag takes its last
//! value; as etcd 3.4 does, a flag also given as an `ETCD_*` variable stops the start (exit 1).
//! The first line on standard output lists the bound client URLs (also written to
//! `--ready-file`), so port 0 works for tests.
//!
//! Exit codes: 0 after a clean shutdown, 1 on a runtime failure, 2 on a usage error.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use hecd_client::split_urls;

/// mimalloc: fewer cycles per request than glibc malloc for the many small, short-lived
/// allocations a request makes across threads (docs/adr/0005-allocator.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command-line flags (etcd's names).
#[derive(Debug, Parser)]
#[command(name = "hecd-kv", version, about = "An etcd v2 compatible key-value server")]
// Go's flag package: a repeated flag is set again, the last occurrence wins.
#[command(args_override_self = true)]
struct Args {
    /// Human-readable name of this member.
    #[arg(long, env = "ETCD_NAME", default_value = "default")]
    name: String,
    /// Path to the data directory (default `./<name>.etcd`).
    #[arg(long, env = "ETCD_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// URLs to listen on for client traffic (comma separated).
    #[arg(long, env = "ETCD_LISTEN_CLIENT_URLS")]
    listen_client_urls: Option<String>,
    /// Client URLs advertised to the cluster and clients (default: the bound URLs).
    #[arg(long, env = "ETCD_ADVERTISE_CLIENT_URLS")]
    advertise_client_urls: Option<String>,
    /// URLs to listen on for peer traffic.
    #[arg(long, env = "ETCD_LISTEN_PEER_URLS")]
    listen_peer_urls: Option<String>,
    /// Peer URLs advertised to the cluster.
    #[arg(long, env = "ETCD_INITIAL_ADVERTISE_PEER_URLS")]
    initial_advertise_peer_urls: Option<String>,
    /// Initial cluster configuration (`name=peerurl,...`).
    #[arg(long, env = "ETCD_INITIAL_CLUSTER")]
    initial_cluster: Option<String>,
    /// `new` or `existing`.
    #[arg(long, env = "ETCD_INITIAL_CLUSTER_STATE", default_value = "new")]
    initial_cluster_state: String,
    /// Initial cluster token.
    #[arg(long, env = "ETCD_INITIAL_CLUSTER_TOKEN", default_value = "etcd-cluster")]
    initial_cluster_token: String,
    /// Committed entries between snapshots.
    #[arg(long, env = "ETCD_SNAPSHOT_COUNT", default_value_t = 100_000)]
    snapshot_count: u64,
    /// Accepted like etcd's flag. As in etcd 3.4's v2 emulation, it does not limit v2 requests:
    /// a form body is limited to 10 MiB, Go's `ParseForm` limit, which etcd answers the same way.
    #[arg(long, env = "ETCD_MAX_REQUEST_BYTES", default_value_t = 1_572_864)]
    max_request_bytes: u64,
    /// Accepted like etcd's flag. As in etcd 3.4's v2 emulation, the v2 store is not bound by
    /// the backend quota (etcd 3.4 accepts v2 writes past it).
    #[arg(long, env = "ETCD_QUOTA_BACKEND_BYTES", default_value_t = 0)]
    quota_backend_bytes: u64,
    /// TLS certificate for https:// client URLs.
    #[arg(long, env = "ETCD_CERT_FILE")]
    cert_file: Option<PathBuf>,
    /// TLS key for https:// client URLs.
    #[arg(long, env = "ETCD_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Require client certificates signed by --trusted-ca-file.
    #[arg(long, env = "ETCD_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    client_cert_auth: Option<bool>,
    /// Trusted CA for client certificates.
    #[arg(long, env = "ETCD_TRUSTED_CA_FILE")]
    trusted_ca_file: Option<PathBuf>,
    /// TLS certificate for https:// peer URLs (also this member's client certificate to peers).
    #[arg(long, env = "ETCD_PEER_CERT_FILE")]
    peer_cert_file: Option<PathBuf>,
    /// TLS key for https:// peer URLs.
    #[arg(long, env = "ETCD_PEER_KEY_FILE")]
    peer_key_file: Option<PathBuf>,
    /// Require peer certificates signed by --peer-trusted-ca-file.
    #[arg(long, env = "ETCD_PEER_CLIENT_CERT_AUTH", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    peer_client_cert_auth: Option<bool>,
    /// Trusted CA for peer certificates (verifies the other members).
    #[arg(long, env = "ETCD_PEER_TRUSTED_CA_FILE")]
    peer_trusted_ca_file: Option<PathBuf>,
    /// Accepted for etcd 3.4 compatibility; the v2 API is always on.
    #[arg(long, env = "ETCD_ENABLE_V2", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_go_bool)]
    enable_v2: Option<bool>,
    /// Log level: debug, info, warn, error.
    #[arg(long, env = "ETCD_LOG_LEVEL")]
    log_level: Option<String>,
    /// Events kept for watches with a past waitIndex.
    #[arg(long, env = "ETCD_HISTORY_SIZE", default_value_t = 1000)]
    history_size: usize,
    /// Origins allowed to read answers cross-origin: comma-separated URLs, or `*` (all).
    #[arg(long, env = "ETCD_CORS", default_value = "*", value_parser = parse_cors)]
    cors: hecd_kv_server::Cors,
    /// Arguments that are not flags: Go's flag package stops at the first, and etcd refuses it.
    #[arg(hide = true)]
    not_flags: Vec<String>,
    /// Write the bound client URLs to this file once serving.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// etcd 0.4: advertised client address (host:port).
    #[arg(long, env = "ETCD_ADDR")]
    addr: Option<String>,
    /// etcd 0.4: client listen address (host:port).
    #[arg(long, env = "ETCD_BIND_ADDR")]
    bind_addr: Option<String>,
    /// etcd 0.4: advertised peer address (host:port).
    #[arg(long, env = "ETCD_PEER_ADDR")]
    peer_addr: Option<String>,
    /// etcd 0.4: peer listen address (host:port).
    #[arg(long, env = "ETCD_PEER_BIND_ADDR")]
    peer_bind_addr: Option<String>,
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

fn parse_cors(s: &str) -> Result<hecd_kv_server::Cors, hecd_kv_server::CorsError> {
    hecd_kv_server::Cors::parse(s)
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

struct Plan {
    listen: Vec<String>,
    listen_peer: Vec<String>,
    advertise: Option<Vec<String>>,
    peers: Vec<String>,
}

fn plan(args: &Args) -> Plan {
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
    Plan { listen, listen_peer, advertise, peers }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn print_chain(err: &dyn std::error::Error) {
    eprint!("hecd-kv: {err}");
    let mut src = err.source();
    while let Some(s) = src {
        eprint!(": {s}");
        src = s.source();
    }
    eprintln!();
}

async fn serve(args: Args) -> ExitCode {
    let plan = plan(&args);
    let https = plan.listen.iter().filter(|u| u.starts_with("https://")).count();
    if https > 0 && https < plan.listen.len() {
        eprintln!("hecd-kv: mixing http:// and https:// client URLs is not supported");
        return ExitCode::from(2);
    }
    let client_tls = match (https > 0, &args.cert_file, &args.key_file) {
        (true, Some(cert), Some(key)) => Some(hecd_kv_server::TlsFiles {
            cert_file: cert.clone(),
            key_file: key.clone(),
            trusted_ca_file: args.trusted_ca_file.clone(),
            client_cert_auth: args.client_cert_auth.unwrap_or(false),
        }),
        (true, _, _) => {
            eprintln!("hecd-kv: https:// client URLs need --cert-file and --key-file");
            return ExitCode::from(2);
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
    let peer_https = plan.listen_peer.iter().any(|u| u.starts_with("https://"))
        || plan.peers.iter().any(|u| u.starts_with("https://"));
    let peer_tls = match (peer_https, &args.peer_cert_file, &args.peer_key_file) {
        (true, Some(cert), Some(key)) => Some(hecd_kv_server::TlsFiles {
            cert_file: cert.clone(),
            key_file: key.clone(),
            trusted_ca_file: args.peer_trusted_ca_file.clone(),
            client_cert_auth: args.peer_client_cert_auth.unwrap_or(false),
        }),
        (true, _, _) => {
            eprintln!("hecd-kv: https:// peer URLs need --peer-cert-file and --peer-key-file");
            return ExitCode::from(2);
        }
        (false, _, _) => None,
    };
    let scheme = if client_tls.is_some() { "https" } else { "http" };
    let mut listeners = Vec::new();
    let mut bound = Vec::new();
    for url in &plan.listen {
        let addr = match bind_addr(url) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("hecd-kv: {e}");
                return ExitCode::from(2);
            }
        };
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => {
                let local = l.local_addr().unwrap_or(addr);
                bound.push(format!("{scheme}://{local}"));
                listeners.push(l);
            }
            Err(e) => {
                eprintln!("hecd-kv: listen on {url}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut peer_listeners = Vec::new();
    for url in &plan.listen_peer {
        let bound = match bind_addr(url) {
            Ok(addr) => tokio::net::TcpListener::bind(addr).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match bound {
            Ok(l) => peer_listeners.push(l),
            Err(e) => {
                eprintln!("hecd-kv: listen on peer URL {url}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut initial_cluster = Vec::new();
    for part in split_urls(args.initial_cluster.as_deref().unwrap_or("")) {
        match part.split_once('=') {
            Some((name, url)) => initial_cluster.push((name.to_owned(), url.to_owned())),
            None => {
                eprintln!("hecd-kv: --initial-cluster entry {part:?} is not name=url");
                return ExitCode::from(2);
            }
        }
    }
    let data_dir =
        args.data_dir.clone().unwrap_or_else(|| PathBuf::from(format!("{}.etcd", args.name)));
    if let Err(e) = std::fs::create_dir_all(&data_dir) {
        eprintln!("hecd-kv: data dir {}: {e}", data_dir.display());
        return ExitCode::from(1);
    }
    let mut config = hecd_kv_server::Config::new(args.name.clone());
    // An advertised URL with port 0 (tests) means "whatever was bound".
    let advertise =
        plan.advertise.filter(|a| !a.iter().any(|u| u.trim_end_matches('/').ends_with(":0")));
    config.advertise_client_urls = advertise.unwrap_or_else(|| bound.clone());
    config.advertise_peer_urls = plan.peers;
    config.cluster_token = args.initial_cluster_token.clone();
    config.initial_cluster = initial_cluster;
    config.data_dir = Some(data_dir);
    config.snapshot_count = args.snapshot_count;
    config.history_size = args.history_size.max(1);
    config.client_tls = client_tls;
    config.join_existing = args.initial_cluster_state == "existing";
    config.peer_tls = peer_tls;
    config.cors = args.cors.clone();
    tracing::info!(urls = %bound.join(","), name = %args.name, "hecd-kv starting");
    let line = bound.join(",");
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    if let Some(f) = &args.ready_file {
        if let Err(e) = std::fs::write(f, format!("{line}\n")) {
            eprintln!("hecd-kv: ready file {}: {e}", f.display());
            return ExitCode::from(1);
        }
    }
    match hecd_kv_server::run_with_peers(config, listeners, peer_listeners, shutdown_signal()).await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_chain(&e);
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cmd = Args::command();
    let parsed = without_empty_env(cmd.clone())
        .try_get_matches_from(go_style_args(std::env::args().collect(), &cmd))
        .and_then(|m| Args::from_arg_matches(&m).map(|a| (a, m)));
    let (args, matches) = match parsed {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    if let Some(arg) = args.not_flags.first() {
        eprintln!(
            "hecd-kv: error verifying flags, '{arg}' is not a valid flag. See 'hecd-kv --help'."
        );
        return ExitCode::from(1);
    }
    if let Some(env) = shadowed_env(&cmd, &matches).first() {
        eprintln!(
            "hecd-kv: conflicting environment variable {env:?} is shadowed by corresponding \
             command-line flag (either unset environment variable or disable flag)"
        );
        return ExitCode::from(1);
    }
    let filter = match &args.log_level {
        Some(l) => tracing_subscriber::EnvFilter::new(l),
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
    for env in unrecognized_env(&cmd) {
        tracing::warn!(%env, "unrecognized environment variable");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hecd-kv: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(serve(args))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(args: &[&str]) -> Vec<String> {
        let raw = std::iter::once("hecd-kv").chain(args.iter().copied()).map(String::from);
        go_style_args(raw.collect(), &Args::command())
    }

    fn parsed(args: &[&str]) -> Args {
        let cmd = Args::command();
        let m = cmd.try_get_matches_from(go(args)).expect("parses");
        Args::from_arg_matches(&m).expect("fits")
    }

    #[test]
    fn every_go_spelling_of_a_flag_is_one_flag_and_the_last_wins() {
        let a = parsed(&["-name", "a", "--name=b", "-name=c", "--name", "d"]);
        assert_eq!(a.name, "d");
        let a = parsed(&["--name", "-x", "-data-dir", "--y"]);
        assert_eq!(a.name, "-x");
        assert_eq!(a.data_dir.as_deref(), Some(std::path::Path::new("--y")));
    }

    #[test]
    fn booleans_take_a_value_only_after_an_equals_sign() {
        assert_eq!(parsed(&["--enable-v2"]).enable_v2, Some(true));
        assert_eq!(parsed(&["-enable-v2=false"]).enable_v2, Some(false));
        assert_eq!(parsed(&["--enable-v2=0", "-enable-v2=T"]).enable_v2, Some(true));
        let a = parsed(&["--enable-v2", "true"]);
        assert_eq!(a.not_flags, ["true"]);
    }

    #[test]
    fn the_first_non_flag_ends_the_flags() {
        let a = parsed(&["--name", "a", "extra", "--name", "b"]);
        assert_eq!(a.name, "a");
        assert_eq!(a.not_flags, ["extra", "--name", "b"]);
        let a = parsed(&["--", "--name", "b"]);
        assert_eq!(a.not_flags, ["--name", "b"]);
        assert_eq!(go(&["-h"]), ["hecd-kv", "-h"]);
    }
}
