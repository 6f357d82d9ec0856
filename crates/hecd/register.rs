//! The `hecd-register` binary: register and deregister containers in the store.
//!
//! Thin: parses flags with clap, builds a `hecd_register::Registrar`, turns errors into one
//! line on standard error. Exit codes: 0 success, 1 runtime failure, 2 usage error.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hecd_register::{from_inspect, Address, Check, Registrar, Registration, RunOptions};

#[path = "common.rs"]
#[allow(dead_code)] // not every binary uses every helper
mod common;

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
struct Cli {
    /// Store endpoints, comma separated (URLs or HOST:PORT).
    #[arg(long, global = true, env = "HECD_ENDPOINTS", value_delimiter = ',')]
    endpoints: Option<Vec<String>>,
    /// Key prefix under which containers are registered.
    #[arg(long, global = true, env = "HECD_PREFIX", default_value = "/app/servers")]
    prefix: String,
    /// Timeout of each store request, in seconds.
    #[arg(long, global = true, default_value_t = 5.0)]
    timeout: f64,
    /// CA bundle to verify https endpoints with (default: the system's roots).
    #[arg(long, global = true, env = "ETCDCTL_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// Client certificate for servers that require client-certificate authentication.
    #[arg(long, global = true, env = "ETCDCTL_CERT_FILE")]
    cert_file: Option<std::path::PathBuf>,
    /// The client certificate's key.
    #[arg(long, global = true, env = "ETCDCTL_KEY_FILE")]
    key_file: Option<std::path::PathBuf>,
    /// User for the store's basic authentication, USER or USER:PASSWORD (etcd v2 auth).
    #[arg(long, global = true, env = "ETCDCTL_USERNAME")]
    username: Option<String>,
    /// Password for --username (when not given as USER:PASSWORD).
    #[arg(long, global = true, env = "ETCDCTL_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Log level (error, warn, info, debug, trace); RUST_LOG is used when not given.
    #[arg(long, global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
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
        #[arg(long, short, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Show one container's registration.
    #[command(after_help = "Example:\n  hecd-register get web1")]
    Get {
        /// The container name.
        name: String,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Table)]
        output: Output,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// <prefix>/<host>:<container>:<port> (the seed's template reads it unchanged).
    Flat,
    /// <prefix>/<service>/<host>:<container>:<port> (registrator's etcd layout).
    Registrator,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeregisterArg {
    /// Remove a container's entries whenever it stops.
    Always,
    /// Keep the entries of a container that failed (non-zero exit, not a signal).
    OnSuccess,
}

#[derive(Debug, Args)]
struct DockerArgs {
    /// The Docker engine (DOCKER_HOST is honoured; this flag wins).
    #[arg(long, env = "DOCKER_HOST", default_value = "unix:///var/run/docker.sock")]
    docker_host: String,
    /// The host address to advertise (default: the binding's host IP when it is a specific one).
    #[arg(long)]
    ip: Option<String>,
    /// This host's name in every key (default: the system's host name).
    #[arg(long)]
    hostname: Option<String>,
    /// Register the container's own IP and exposed port instead of the published one.
    #[arg(long)]
    internal: bool,
    /// Only register containers that set SERVICE_NAME.
    #[arg(long)]
    explicit: bool,
    /// The key layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Flat)]
    layout: LayoutArg,
    /// The keys' TTL in seconds (default: none).
    #[arg(long)]
    ttl: Option<u64>,
    /// TTL refresh interval in seconds (default: a third of the TTL).
    #[arg(long)]
    ttl_refresh: Option<f64>,
    /// At start, remove this host's entries that no running container backs.
    #[arg(long)]
    cleanup: bool,
    /// Every N seconds, compare the engine and the store and fix differences.
    #[arg(long, value_name = "N")]
    resync: Option<f64>,
    /// Whether a container that exited non-zero is removed.
    #[arg(long, value_enum, default_value_t = DeregisterArg::Always)]
    deregister: DeregisterArg,
}

#[derive(Debug, Args)]
struct Target {
    /// The address, HOST:PORT (an IPv6 address in brackets: `[fd00::1]:8080`).
    address: Option<String>,
    /// The host (instead of HOST:PORT; also overrides the host of --from-inspect).
    #[arg(long)]
    host: Option<String>,
    /// The port (with --host).
    #[arg(long)]
    port: Option<String>,
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The container name (a single path segment); taken from --from-inspect when omitted.
    name: Option<String>,
    #[command(flatten)]
    target: Target,
    /// Write with a TTL, in seconds.
    #[arg(long)]
    ttl: Option<u64>,
    /// Fail, changing nothing, when the container is already registered.
    #[arg(long)]
    no_overwrite: bool,
    /// Read the name and published port from `docker inspect` output (a file, or - for stdin).
    #[arg(long, value_name = "FILE|-")]
    from_inspect: Option<String>,
    /// The container port whose host binding is registered (with --from-inspect), e.g. 80 or 53/udp.
    #[arg(long)]
    container_port: Option<String>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The container name.
    name: String,
    #[command(flatten)]
    target: Target,
    /// The registration's TTL in seconds.
    #[arg(long, default_value_t = 30)]
    ttl: u64,
    /// Refresh interval in seconds (default: a third of the TTL).
    #[arg(long)]
    refresh: Option<f64>,
    /// Only registered while GET on this http:// URL answers 2xx.
    #[arg(long, conflicts_with = "check_tcp")]
    check_http: Option<String>,
    /// Only registered while a TCP connection to the registered address succeeds.
    #[arg(long)]
    check_tcp: bool,
    /// Health check interval in seconds (default: 2, or the refresh interval if shorter).
    #[arg(long)]
    check_interval: Option<f64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

/// A failure and the exit code it maps to.
struct Failure(u8, String);

impl From<hecd_register::Error> for Failure {
    fn from(e: hecd_register::Error) -> Self {
        use hecd_register::Error as E;
        let code = match e {
            E::InvalidName { .. }
            | E::InvalidAddress { .. }
            | E::InvalidPrefix { .. }
            | E::InvalidOptions(_)
            | E::Inspect(_) => 2,
            _ => 1,
        };
        Failure(code, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_level.as_deref());
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hecd-register: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, msg)) => {
            eprintln!("hecd-register: {msg}");
            ExitCode::from(code)
        }
    }
}

fn init_tracing(level: Option<&str>) {
    let filter = match level {
        Some(l) => tracing_subscriber::EnvFilter::new(l),
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn endpoints(cli: &Cli) -> Vec<String> {
    if let Some(e) = &cli.endpoints {
        return e.clone();
    }
    if let Ok(e) = std::env::var("ETCDCTL_ENDPOINTS") {
        return e.split(',').map(str::to_owned).collect();
    }
    vec!["http://127.0.0.1:2379".into(), "http://127.0.0.1:4001".into()]
}

fn registrar(cli: &Cli) -> Result<Registrar, Failure> {
    if !(cli.timeout.is_finite() && cli.timeout > 0.0) {
        return Err(Failure(2, "--timeout must be a positive number of seconds".into()));
    }
    let client = hecd_client::Client::builder()
        .endpoints(endpoints(cli))
        .timeout(Duration::from_secs_f64(cli.timeout))
        .tls(hecd_client::TlsOptions {
            ca_file: cli.ca_file.clone(),
            cert_file: cli.cert_file.clone(),
            key_file: cli.key_file.clone(),
        });
    let client = match (&cli.username, &cli.password) {
        (Some(u), Some(p)) => client.basic_auth(u, p),
        (Some(u), None) => match u.split_once(':') {
            Some((u, p)) => client.basic_auth(u, p),
            None => {
                return Err(Failure(
                    2,
                    "--username needs a password (USER:PASSWORD or --password)".into(),
                ))
            }
        },
        (None, Some(_)) => return Err(Failure(2, "--password needs --username".into())),
        (None, None) => client,
    };
    let client = client.build().map_err(|e| Failure(2, e.to_string()))?;
    Ok(Registrar::new(client, &cli.prefix)?)
}

fn address(t: &Target) -> Result<Address, Failure> {
    match (&t.address, &t.host, &t.port) {
        (Some(a), None, None) => Ok(Address::parse(a)?),
        (None, Some(h), Some(p)) => Ok(Address::new(h, p)?),
        (None, _, _) => {
            Err(Failure(2, "give the address as HOST:PORT, or --host and --port".into()))
        }
        (Some(_), _, _) => {
            Err(Failure(2, "give either HOST:PORT or --host/--port, not both".into()))
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let registrar = registrar(&cli)?;
    match &cli.command {
        Command::Add(a) => {
            let reg = match &a.from_inspect {
                Some(src) => {
                    let json = if src == "-" {
                        std::io::read_to_string(std::io::stdin())
                    } else {
                        std::fs::read_to_string(src)
                    }
                    .map_err(|e| Failure(2, format!("cannot read {src}: {e}")))?;
                    let found =
                        from_inspect(&json, a.container_port.as_deref(), a.target.host.as_deref())?;
                    let name = a.name.clone().unwrap_or(found.name);
                    Registration::new(&name, found.address)?
                }
                None => {
                    let name = a
                        .name
                        .as_deref()
                        .ok_or_else(|| Failure(2, "the container NAME is required".into()))?;
                    Registration::new(name, address(&a.target)?)?
                }
            };
            let e = registrar.add(&reg, a.ttl, a.no_overwrite).await?;
            println!("{} {}", e.key, e.value);
        }
        Command::Rm { name } => registrar.remove(name).await?,
        Command::Ls { output } => print_entries(&registrar.list().await?, *output),
        Command::Get { name, output } => print_entries(&[registrar.get(name).await?], *output),
        Command::Run(r) => {
            let reg = Registration::new(&r.name, address(&r.target)?)?;
            let check = match (&r.check_http, r.check_tcp) {
                (Some(url), _) => {
                    hecd_register::parse_http_url(url).map_err(|m| Failure(2, m))?;
                    Check::Http(url.clone())
                }
                (None, true) => Check::Tcp(reg.address().to_string()),
                (None, false) => Check::None,
            };
            let mut opts = RunOptions::new(r.ttl, check);
            if let Some(s) = r.refresh {
                opts.refresh = secs(s, "--refresh")?;
                opts.check_interval = opts.check_interval.min(opts.refresh);
            }
            if let Some(s) = r.check_interval {
                opts.check_interval = secs(s, "--check-interval")?;
            }
            opts.validate().map_err(|m| Failure(2, m))?;
            hecd_register::run(&registrar, &reg, &opts, common::shutdown_signal()).await?;
        }
        Command::Docker(d) => docker(&cli, d).await?,
    }
    Ok(())
}

async fn docker(cli: &Cli, d: &DockerArgs) -> Result<(), Failure> {
    use hecd_register::docker::{Deregister, DockerOptions, Engine, Layout, MapOptions};
    let host = match &d.hostname {
        Some(h) => h.clone(),
        None => hecd_register::docker::system_hostname()
            .ok_or_else(|| Failure(2, "cannot read the host name; give --hostname".into()))?,
    };
    let mut map = MapOptions::new(&host)?;
    if let Some(ip) = &d.ip {
        Address::new(ip, "1")?;
        map.ip = Some(ip.clone());
    }
    map.internal = d.internal;
    map.explicit = d.explicit;
    map.layout = match d.layout {
        LayoutArg::Flat => Layout::Flat,
        LayoutArg::Registrator => Layout::Registrator,
    };
    let mut opts = DockerOptions::new(map, &cli.prefix);
    opts.ttl = d.ttl;
    if let Some(ttl) = d.ttl {
        opts.ttl_refresh = match d.ttl_refresh {
            Some(s) => secs(s, "--ttl-refresh")?,
            None => Duration::from_millis(ttl.max(1) * 1000 / 3),
        };
    } else if d.ttl_refresh.is_some() {
        return Err(Failure(2, "--ttl-refresh needs --ttl".into()));
    }
    opts.resync = d.resync.map(|s| secs(s, "--resync")).transpose()?;
    opts.cleanup = d.cleanup;
    opts.deregister = match d.deregister {
        DeregisterArg::Always => Deregister::Always,
        DeregisterArg::OnSuccess => Deregister::OnSuccess,
    };
    opts.validate()?;
    let engine = Engine::new(&d.docker_host)?;
    // The store client retries each request over the endpoints; the loop retries the rest.
    let client = registrar(cli)?.client().clone();
    hecd_register::docker::follow(engine, client, opts, common::shutdown_signal()).await?;
    Ok(())
}

fn secs(s: f64, flag: &str) -> Result<Duration, Failure> {
    if s.is_finite() && s > 0.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(Failure(2, format!("{flag} must be a positive number of seconds")))
    }
}

fn print_entries(entries: &[hecd_register::Entry], output: Output) {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(entries).unwrap_or_default()),
        Output::Table => {
            let w = entries.iter().map(|e| e.name.len()).max().unwrap_or(0).max(4);
            let v = entries.iter().map(|e| e.value.len()).max().unwrap_or(0).max(7);
            println!("{:<w$}  {:<v$}  TTL", "NAME", "ADDRESS");
            for e in entries {
                let ttl = e.ttl.map_or("-".to_string(), |t| format!("{t}s"));
                println!("{:<w$}  {:<v$}  {ttl}", e.name, e.value);
            }
        }
    }
}
