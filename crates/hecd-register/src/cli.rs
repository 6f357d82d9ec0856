//! `hecd-register`'s command line ([`Cli`], clap) and the plan made from it ([`Cli::plan`]).
//!
//! The binary parses, calls [`Cli::registrar`] (store client and prefix) then [`Cli::plan`]
//! (the command's arguments, checked in that order), runs the [`Plan`] and prints a
//! [`CliError`] as one line with its [`exit code`](CliError::exit_code): 2 for a usage error
//! (bad flag combination, name, address, prefix, inspect input), 1 for a runtime failure.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::docker::{Deregister, DockerOptions, Engine, Layout, MapOptions};
use crate::{from_inspect, Address, Check, Entry, Error, Registrar, Registration, RunOptions};

const EXAMPLES: &str = "\
Examples:
  hecd-register add web1 192.168.1.22:49153
  hecd-register add web1 --host 192.168.1.22 --port 49153 --ttl 30
  docker inspect web1 | hecd-register add --from-inspect - --container-port 80 --host 192.168.1.22
  hecd-register ls --output json
  hecd-register run web1 192.168.1.22:49153 --ttl 30 --check-http http://192.168.1.22:49153/health
  hecd-register rm web1
  hecd-register docker --endpoints 10.0.0.2:2379 --ip 192.168.1.22 --ttl 30 --ttl-refresh 10 --cleanup";

/// Register application containers (name → HOST:PORT) in an etcd v2 compatible store.
#[derive(Debug, Parser)]
#[command(name = "hecd-register", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Store endpoints, comma separated (URLs or HOST:PORT).
    #[arg(long, global = true, env = "HECD_ENDPOINTS", value_delimiter = ',')]
    pub endpoints: Option<Vec<String>>,
    /// Key prefix under which containers are registered.
    #[arg(long, global = true, env = "HECD_PREFIX", default_value = "/app/servers")]
    pub prefix: String,
    /// Timeout of each store request, in seconds.
    #[arg(long, global = true, default_value_t = 5.0)]
    pub timeout: f64,
    /// CA bundle to verify https endpoints with (default: the system's roots).
    #[arg(long, global = true, env = "ETCDCTL_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Client certificate for servers that require client-certificate authentication.
    #[arg(long, global = true, env = "ETCDCTL_CERT_FILE")]
    pub cert_file: Option<std::path::PathBuf>,
    /// The client certificate's key.
    #[arg(long, global = true, env = "ETCDCTL_KEY_FILE")]
    pub key_file: Option<std::path::PathBuf>,
    /// User for the store's basic authentication, USER or USER:PASSWORD (etcd v2 auth).
    #[arg(long, global = true, env = "ETCDCTL_USERNAME")]
    pub username: Option<String>,
    /// Password for --username (when not given as USER:PASSWORD).
    #[arg(long, global = true, env = "ETCDCTL_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Log level (error, warn, info, debug, trace); RUST_LOG is used when not given.
    #[arg(long, global = true)]
    pub log_level: Option<String>,
    #[allow(missing_docs)] // a doc comment here would change the help text
    #[command(subcommand)]
    pub command: Command,
}

#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register a container (or overwrite its registration).
    #[command(
        after_help = "Examples:\n  hecd-register add web1 10.0.0.7:8080 --ttl 60\n  docker inspect web1 | hecd-register add --from-inspect - --container-port 80 --host 10.0.0.7"
    )]
    Add(AddArgs),
    /// Remove a container's registration.
    #[command(visible_alias = "remove", after_help = "Example:\n  hecd-register rm web1")]
    Rm {
        /// The container name.
        name: String,
    },
    /// List the registered containers.
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  hecd-register ls\n  hecd-register ls --output json"
    )]
    Ls {
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Show one container's registration.
    #[command(after_help = "Example:\n  hecd-register get web1")]
    Get {
        /// The container name.
        name: String,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Register with a TTL and keep the registration alive until SIGTERM/SIGINT, then remove it.
    #[command(
        after_help = "Examples:\n  hecd-register run web1 10.0.0.7:8080 --ttl 30\n  hecd-register run web1 10.0.0.7:8080 --ttl 30 --check-tcp"
    )]
    Run(RunArgs),
    /// Follow a Docker engine: register every published port of its running containers and
    /// keep the store in step with its events until SIGTERM/SIGINT.
    #[command(after_help = DOCKER_HELP)]
    Docker(DockerArgs),
}

const DOCKER_HELP: &str = "\
Keys: one per published port, value IP:HOSTPORT; flat layout <prefix>/<host>:<container>:<port>,
registrator layout <prefix>/<service>/<host>:<container>:<port>.
Container labels or environment: SERVICE_NAME, SERVICE_<port>_NAME, SERVICE_ID, SERVICE_IGNORE,
SERVICE_<port>_IGNORE. A container with a HEALTHCHECK is registered only while healthy.

Examples:
  hecd-register docker --ip 192.168.1.22
  hecd-register docker --docker-host unix:///run/docker.sock --ip 192.168.1.22 --ttl 30 --ttl-refresh 10 --cleanup --resync 60
  hecd-register --prefix /services docker --layout registrator --internal";

/// `docker --layout`.
#[allow(rustdoc::invalid_html_tags)] // the variants' docs are help text: `<prefix>/...`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// <prefix>/<host>:<container>:<port> (the seed's template reads it unchanged).
    Flat,
    /// <prefix>/<service>/<host>:<container>:<port> (registrator's etcd layout).
    Registrator,
}

/// `docker --deregister`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeregisterArg {
    /// Remove a container's entries whenever it stops.
    Always,
    /// Keep the entries of a container that failed (non-zero exit, not a signal).
    OnSuccess,
}

#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Args)]
pub struct DockerArgs {
    /// The Docker engine (DOCKER_HOST is honoured; this flag wins).
    #[arg(long, env = "DOCKER_HOST", default_value = "unix:///var/run/docker.sock")]
    pub docker_host: String,
    /// The host address to advertise (default: the binding's host IP when it is a specific one).
    #[arg(long)]
    pub ip: Option<String>,
    /// This host's name in every key (default: the system's host name).
    #[arg(long)]
    pub hostname: Option<String>,
    /// Register the container's own IP and exposed port instead of the published one.
    #[arg(long)]
    pub internal: bool,
    /// Only register containers that set SERVICE_NAME.
    #[arg(long)]
    pub explicit: bool,
    /// The key layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Flat)]
    pub layout: LayoutArg,
    /// The keys' TTL in seconds (default: none).
    #[arg(long)]
    pub ttl: Option<u64>,
    /// TTL refresh interval in seconds (default: a third of the TTL).
    #[arg(long)]
    pub ttl_refresh: Option<f64>,
    /// At start, remove this host's entries that no running container backs.
    #[arg(long)]
    pub cleanup: bool,
    /// Every N seconds, compare the engine and the store and fix differences.
    #[arg(long, value_name = "N")]
    pub resync: Option<f64>,
    /// Whether a container that exited non-zero is removed.
    #[arg(long, value_enum, default_value_t = DeregisterArg::Always)]
    pub deregister: DeregisterArg,
}

#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Args)]
pub struct Target {
    /// The address, HOST:PORT (an IPv6 address in brackets: `[fd00::1]:8080`).
    pub address: Option<String>,
    /// The host (instead of HOST:PORT; also overrides the host of --from-inspect).
    #[arg(long)]
    pub host: Option<String>,
    /// The port (with --host).
    #[arg(long)]
    pub port: Option<String>,
}

#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The container name (a single path segment); taken from --from-inspect when omitted.
    pub name: Option<String>,
    #[command(flatten)]
    pub target: Target,
    /// Write with a TTL, in seconds.
    #[arg(long)]
    pub ttl: Option<u64>,
    /// Fail, changing nothing, when the container is already registered.
    #[arg(long)]
    pub no_overwrite: bool,
    /// Read the name and published port from `docker inspect` output (a file, or - for stdin).
    #[arg(long, value_name = "FILE|-")]
    pub from_inspect: Option<String>,
    /// The container port whose host binding is registered (with --from-inspect), e.g. 80 or 53/udp.
    #[arg(long)]
    pub container_port: Option<String>,
}

#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The container name.
    pub name: String,
    #[command(flatten)]
    pub target: Target,
    /// The registration's TTL in seconds.
    #[arg(long, default_value_t = 30)]
    pub ttl: u64,
    /// Refresh interval in seconds (default: a third of the TTL).
    #[arg(long)]
    pub refresh: Option<f64>,
    /// Only registered while GET on this http:// URL answers 2xx.
    #[arg(long, conflicts_with = "check_tcp")]
    pub check_http: Option<String>,
    /// Only registered while a TCP connection to the registered address succeeds.
    #[arg(long)]
    pub check_tcp: bool,
    /// Health check interval in seconds (default: 2, or the refresh interval if shorter).
    #[arg(long)]
    pub check_interval: Option<f64>,
}

/// `ls`/`get --output`.
#[allow(missing_docs)] // doc comments here would change the help text
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

impl From<LayoutArg> for Layout {
    fn from(l: LayoutArg) -> Layout {
        match l {
            LayoutArg::Flat => Layout::Flat,
            LayoutArg::Registrator => Layout::Registrator,
        }
    }
}

impl From<DeregisterArg> for Deregister {
    fn from(d: DeregisterArg) -> Deregister {
        match d {
            DeregisterArg::Always => Deregister::Always,
            DeregisterArg::OnSuccess => Deregister::OnSuccess,
        }
    }
}

/// A refusal or failure, with the exit code it maps to (printed as `hecd-register: MESSAGE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    code: u8,
    message: String,
}

impl CliError {
    /// A usage error (exit code 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError { code: 2, message: message.into() }
    }

    /// 2 for a usage error, 1 for a runtime failure.
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let code = match e {
            Error::InvalidName { .. }
            | Error::InvalidAddress { .. }
            | Error::InvalidPrefix { .. }
            | Error::InvalidOptions(_)
            | Error::Inspect(_) => 2,
            _ => 1,
        };
        CliError { code, message: e.to_string() }
    }
}

/// What one invocation does, every argument checked.
#[derive(Debug)]
pub enum Plan {
    /// `add`: write the registration, print `KEY VALUE`.
    Add {
        /// The container and its address.
        registration: Registration,
        /// The key's TTL in seconds.
        ttl: Option<u64>,
        /// Refuse to overwrite an existing registration.
        no_overwrite: bool,
    },
    /// `rm`: remove the container's registration.
    Remove(String),
    /// `ls`: list the registrations.
    List(OutputFormat),
    /// `get`: show one registration.
    Get(String, OutputFormat),
    /// `run`: register and keep alive until a signal ([`crate::run`]).
    Run {
        /// The container and its address.
        registration: Registration,
        /// TTL, refresh and health check.
        options: RunOptions,
    },
    /// `docker`: follow an engine ([`crate::docker::follow`]).
    Docker {
        /// The engine to follow.
        engine: Engine,
        /// How containers map to keys, TTLs, resync, cleanup.
        options: DockerOptions,
    },
}

impl Cli {
    /// The store endpoints: `--endpoints`/`HECD_ENDPOINTS`, else `etcdctl_endpoints` (the
    /// `ETCDCTL_ENDPOINTS` variable), else etcd's two default client URLs.
    pub fn endpoints(&self, etcdctl_endpoints: Option<&str>) -> Vec<String> {
        if let Some(e) = &self.endpoints {
            return e.clone();
        }
        if let Some(e) = etcdctl_endpoints {
            return e.split(',').map(str::to_owned).collect();
        }
        vec!["http://127.0.0.1:2379".into(), "http://127.0.0.1:4001".into()]
    }

    /// The store client: checks `--timeout` and the `--username`/`--password` combination,
    /// then builds the client (endpoints and TLS files).
    ///
    /// # Errors
    /// A usage error for each refused combination or an unusable endpoint or TLS file.
    pub fn client(&self) -> Result<hecd_client::Client, CliError> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(CliError::usage("--timeout must be a positive number of seconds"));
        }
        let etcdctl_endpoints = std::env::var("ETCDCTL_ENDPOINTS").ok();
        let client = hecd_client::Client::builder()
            .endpoints(self.endpoints(etcdctl_endpoints.as_deref()))
            .timeout(Duration::from_secs_f64(self.timeout))
            .tls(hecd_client::TlsOptions {
                ca_file: self.ca_file.clone(),
                cert_file: self.cert_file.clone(),
                key_file: self.key_file.clone(),
            });
        let client = match (&self.username, &self.password) {
            (Some(u), Some(p)) => client.basic_auth(u, p),
            (Some(u), None) => match u.split_once(':') {
                Some((u, p)) => client.basic_auth(u, p),
                None => {
                    return Err(CliError::usage(
                        "--username needs a password (USER:PASSWORD or --password)",
                    ))
                }
            },
            (None, Some(_)) => return Err(CliError::usage("--password needs --username")),
            (None, None) => client,
        };
        client.build().map_err(|e| CliError::usage(e.to_string()))
    }

    /// [`Cli::client`] under `--prefix`.
    ///
    /// # Errors
    /// As [`Cli::client`], or an invalid prefix.
    pub fn registrar(&self) -> Result<Registrar, CliError> {
        Ok(Registrar::new(self.client()?, &self.prefix)?)
    }

    /// Checks the command's arguments and makes its plan. `read` reads `--from-inspect`'s
    /// input (a path, or `-` for standard input); `hostname` is the system's host name,
    /// asked for only when `docker` has no `--hostname`.
    ///
    /// # Errors
    /// A usage error for each refused combination or value.
    pub fn plan(
        &self,
        read: impl FnOnce(&str) -> std::io::Result<String>,
        hostname: impl FnOnce() -> Option<String>,
    ) -> Result<Plan, CliError> {
        Ok(match &self.command {
            Command::Add(a) => plan_add(a, read)?,
            Command::Rm { name } => Plan::Remove(name.clone()),
            Command::Ls { output } => Plan::List(*output),
            Command::Get { name, output } => Plan::Get(name.clone(), *output),
            Command::Run(r) => plan_run(r)?,
            Command::Docker(d) => plan_docker(d, &self.prefix, hostname)?,
        })
    }
}

fn plan_add(
    a: &AddArgs,
    read: impl FnOnce(&str) -> std::io::Result<String>,
) -> Result<Plan, CliError> {
    let registration = match &a.from_inspect {
        Some(src) => {
            let json = read(src).map_err(|e| CliError::usage(format!("cannot read {src}: {e}")))?;
            let found = from_inspect(&json, a.container_port.as_deref(), a.target.host.as_deref())?;
            let name = a.name.clone().unwrap_or(found.name);
            Registration::new(&name, found.address)?
        }
        None => {
            let name = a
                .name
                .as_deref()
                .ok_or_else(|| CliError::usage("the container NAME is required"))?;
            Registration::new(name, address(&a.target)?)?
        }
    };
    Ok(Plan::Add { registration, ttl: a.ttl, no_overwrite: a.no_overwrite })
}

fn plan_run(r: &RunArgs) -> Result<Plan, CliError> {
    let registration = Registration::new(&r.name, address(&r.target)?)?;
    let check = match (&r.check_http, r.check_tcp) {
        (Some(url), _) => {
            crate::parse_http_url(url).map_err(CliError::usage)?;
            Check::Http(url.clone())
        }
        (None, true) => Check::Tcp(registration.address().to_string()),
        (None, false) => Check::None,
    };
    let mut options = RunOptions::new(r.ttl, check);
    if let Some(s) = r.refresh {
        options.refresh = secs(s, "--refresh")?;
        options.check_interval = options.check_interval.min(options.refresh);
    }
    if let Some(s) = r.check_interval {
        options.check_interval = secs(s, "--check-interval")?;
    }
    options.validate().map_err(CliError::usage)?;
    Ok(Plan::Run { registration, options })
}

fn plan_docker(
    d: &DockerArgs,
    prefix: &str,
    hostname: impl FnOnce() -> Option<String>,
) -> Result<Plan, CliError> {
    let host = match &d.hostname {
        Some(h) => h.clone(),
        None => hostname()
            .ok_or_else(|| CliError::usage("cannot read the host name; give --hostname"))?,
    };
    let mut map = MapOptions::new(&host)?;
    if let Some(ip) = &d.ip {
        Address::new(ip, "1")?;
        map.ip = Some(ip.clone());
    }
    map.internal = d.internal;
    map.explicit = d.explicit;
    map.layout = d.layout.into();
    let mut options = DockerOptions::new(map, prefix);
    options.ttl = d.ttl;
    if let Some(ttl) = d.ttl {
        options.ttl_refresh = match d.ttl_refresh {
            Some(s) => secs(s, "--ttl-refresh")?,
            None => Duration::from_millis(ttl.max(1) * 1000 / 3),
        };
    } else if d.ttl_refresh.is_some() {
        return Err(CliError::usage("--ttl-refresh needs --ttl"));
    }
    options.resync = d.resync.map(|s| secs(s, "--resync")).transpose()?;
    options.cleanup = d.cleanup;
    options.deregister = d.deregister.into();
    options.validate()?;
    let engine = Engine::new(&d.docker_host)?;
    Ok(Plan::Docker { engine, options })
}

fn address(t: &Target) -> Result<Address, CliError> {
    match (&t.address, &t.host, &t.port) {
        (Some(a), None, None) => Ok(Address::parse(a)?),
        (None, Some(h), Some(p)) => Ok(Address::new(h, p)?),
        (None, _, _) => Err(CliError::usage("give the address as HOST:PORT, or --host and --port")),
        (Some(_), _, _) => Err(CliError::usage("give either HOST:PORT or --host/--port, not both")),
    }
}

fn secs(s: f64, flag: &str) -> Result<Duration, CliError> {
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(CliError::usage(format!("{flag} must be a positive number of seconds")))
    }
}

/// `ls`/`get` output: an aligned `NAME ADDRESS TTL` table, or pretty JSON; ends with a newline.
pub fn format_entries(entries: &[Entry], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => {
            format!("{}\n", serde_json::to_string_pretty(entries).unwrap_or_default())
        }
        OutputFormat::Table => {
            let w = entries.iter().map(|e| e.name.len()).max().unwrap_or(0).max(4);
            let v = entries.iter().map(|e| e.value.len()).max().unwrap_or(0).max(7);
            let mut out = format!("{:<w$}  {:<v$}  TTL\n", "NAME", "ADDRESS");
            for e in entries {
                let ttl = e.ttl.map_or("-".to_string(), |t| format!("{t}s"));
                out.push_str(&format!("{:<w$}  {:<v$}  {ttl}\n", e.name, e.value));
            }
            out
        }
    }
}

#[cfg(test)]
#[path = "cli_tests.rs"]
mod tests;
