//! The pure mapping from one container's inspect JSON (`GET /containers/{id}/json`, what
//! `docker inspect` prints) to the registrations it should have: no I/O, no clock.
//!
//! One registration per published port. registrator's controls are read from the container's
//! labels and environment (the environment wins), container-wide (`SERVICE_NAME`) or for one
//! port (`SERVICE_8080_NAME`, which wins over the container-wide one).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{Address, Error, Result};

/// Where the registrations go below the prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `<prefix>/<id>`: one flat directory, what the seed's `gets "/app/servers/*"` template
    /// reads (the id is the HAProxy server name).
    #[default]
    Flat,
    /// `<prefix>/<service>/<id>`: registrator's etcd layout.
    Registrator,
}

/// How containers are mapped to registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOptions {
    /// This host's name; every id starts with `<host>:`, which is how the entries this host
    /// owns are recognised in the store.
    pub host: String,
    /// The host address to advertise (`--ip`); without it a binding to a specific host IP is
    /// used, and a binding to all interfaces cannot be registered.
    pub ip: Option<String>,
    /// Register the container's own IP and exposed port instead of the published one.
    pub internal: bool,
    /// Only containers that set `SERVICE_NAME` (or `SERVICE_<port>_NAME`) are registered.
    pub explicit: bool,
    /// The key layout.
    pub layout: Layout,
}

impl MapOptions {
    /// Options for `host` with the defaults (published ports, flat layout).
    ///
    /// # Errors
    /// [`Error::InvalidOptions`] when `host` is empty or holds a character that is not
    /// allowed in an HAProxy server name.
    pub fn new(host: &str) -> Result<MapOptions> {
        if host.is_empty() || host.chars().any(|c| !server_name_char(c) || c == ':') {
            return Err(Error::InvalidOptions(format!(
                "host name {host:?} must be letters, digits, '-', '_' and '.' (it starts every registered id)"
            )));
        }
        Ok(MapOptions {
            host: host.into(),
            ip: None,
            internal: false,
            explicit: false,
            layout: Layout::Flat,
        })
    }

    /// The key of an id below the prefix, for a service name.
    fn relative_key(&self, service: &str, id: &str) -> String {
        match self.layout {
            Layout::Flat => id.to_owned(),
            Layout::Registrator => format!("{service}/{id}"),
        }
    }

    /// Whether a key below the prefix (`id` or `service/id`) belongs to this host.
    pub fn owns(&self, relative_key: &str) -> bool {
        let depth = match self.layout {
            Layout::Flat => 1,
            Layout::Registrator => 2,
        };
        let parts: Vec<&str> = relative_key.split('/').collect();
        parts.len() == depth
            && parts
                .last()
                .and_then(|id| id.strip_prefix(self.host.as_str()))
                .is_some_and(|rest| rest.starts_with(':'))
    }
}

/// One registration a container should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The key below the prefix: `<id>` (flat) or `<service>/<id>` (registrator).
    pub key: String,
    /// The service name (registrator's `SERVICE_NAME`, else the image's base name).
    pub name: String,
    /// `<host>:<container>:<port>[:udp]`, unique per host and port, stable across restarts
    /// and valid as an HAProxy server name.
    pub id: String,
    /// The advertised address, `IP:PORT`.
    pub address: Address,
    /// The container port, `8080/tcp`.
    pub port: String,
}

/// Why a container or one of its ports has no registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The container is not running.
    NotRunning,
    /// The container is paused.
    Paused,
    /// The container has a HEALTHCHECK and is not `healthy` (its status).
    NotHealthy(String),
    /// `SERVICE_IGNORE` is set.
    Ignored,
    /// `--explicit` and no `SERVICE_NAME`.
    NotExplicit,
    /// No published ports (or, with `--internal`, no exposed ports).
    NoPorts,
    /// One port was left out (the port and why).
    Port(String, &'static str),
}

/// What one container maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The container's name without Docker's leading `/`.
    pub container: String,
    /// Its registrations (none when it should not be registered).
    pub services: Vec<Service>,
    /// Why it, or some of its ports, is not registered.
    pub skipped: Vec<Skip>,
    /// The exit code when the container is not running.
    pub exit_code: Option<i64>,
}

/// Maps one container's inspect JSON (an object, or `docker inspect`'s one-element array) to
/// its registrations.
///
/// A container is registered while it runs, is not paused and, when it has a HEALTHCHECK, is
/// `healthy`. Each published port (with `--internal`: each exposed port) gives one service.
///
/// # Errors
/// [`Error::Inspect`] when the JSON is not a container.
pub fn map_container(inspect: &Value, opts: &MapOptions) -> Result<Mapped> {
    let c = match inspect {
        Value::Array(items) if items.len() == 1 => &items[0],
        other => other,
    };
    let name = c
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Inspect("no \"Name\" field".into()))?
        .trim_start_matches('/')
        .to_owned();
    let state = c.get("State").ok_or_else(|| Error::Inspect(format!("{name}: no \"State\"")))?;
    let running = state.get("Running").and_then(Value::as_bool).unwrap_or(false);
    let mut out = Mapped {
        container: name.clone(),
        services: Vec::new(),
        skipped: Vec::new(),
        exit_code: None,
    };
    if !running {
        out.exit_code = state.get("ExitCode").and_then(Value::as_i64);
        out.skipped.push(Skip::NotRunning);
        return Ok(out);
    }
    if state.get("Paused").and_then(Value::as_bool).unwrap_or(false) {
        out.skipped.push(Skip::Paused);
        return Ok(out);
    }
    if let Some(health) = state.pointer("/Health/Status").and_then(Value::as_str) {
        if health != "healthy" {
            out.skipped.push(Skip::NotHealthy(health.to_owned()));
            return Ok(out);
        }
    }
    let meta = Metadata::of(c);
    let ports = ports(c, opts.internal);
    if ports.is_empty() {
        out.skipped.push(Skip::NoPorts);
        return Ok(out);
    }
    let group = ports.len() > 1;
    let container_ip = container_ip(c);
    let image = c.pointer("/Config/Image").and_then(Value::as_str).unwrap_or(&name);
    let default_name = image_base_name(image);
    for p in &ports {
        let get = |key: &str| meta.get(&p.number, key);
        if get("ignore").is_some() {
            out.skipped.push(Skip::Ignored);
            continue;
        }
        let (service, from_port) = match get("name") {
            Some((n, from_port)) => (n.to_owned(), from_port),
            None if opts.explicit => {
                out.skipped.push(Skip::NotExplicit);
                continue;
            }
            None => (default_name.clone(), false),
        };
        let service = if group && !from_port { format!("{service}-{}", p.number) } else { service };
        let address = if opts.internal {
            match &container_ip {
                Some(ip) => Address::new(ip, &p.number),
                None => {
                    out.skipped.push(Skip::Port(p.spec.clone(), "the container has no IP address"));
                    continue;
                }
            }
        } else {
            let Some((host_ip, host_port)) = &p.binding else {
                out.skipped.push(Skip::Port(p.spec.clone(), "not published on the host"));
                continue;
            };
            let ip = match &opts.ip {
                Some(ip) => ip.as_str(),
                None if host_ip.is_empty() || host_ip == "0.0.0.0" || host_ip == "::" => {
                    out.skipped.push(Skip::Port(
                        p.spec.clone(),
                        "published on all interfaces: give the address to advertise with --ip",
                    ));
                    continue;
                }
                None => host_ip.as_str(),
            };
            Address::new(ip, host_port)
        };
        let address = match address {
            Ok(a) => a,
            Err(_) => {
                out.skipped.push(Skip::Port(p.spec.clone(), "not a valid address"));
                continue;
            }
        };
        let id = match get("id") {
            Some((id, true)) => format!("{}:{}", opts.host, sanitize(id)),
            Some((id, false)) if group => format!("{}:{}:{}", opts.host, sanitize(id), p.suffix()),
            Some((id, false)) => format!("{}:{}", opts.host, sanitize(id)),
            None => format!("{}:{}:{}", opts.host, sanitize(&name), p.suffix()),
        };
        let service = sanitize(&service);
        out.services.push(Service {
            key: opts.relative_key(&service, &id),
            name: service,
            id,
            address,
            port: p.spec.clone(),
        });
    }
    if out.services.is_empty() && out.skipped.is_empty() {
        out.skipped.push(Skip::NoPorts);
    }
    Ok(out)
}

/// Whether an exit code means success for `--deregister on-success`: 0, or ended by a signal
/// (Docker reports 128 + the signal, as `docker stop` and `docker kill` do).
pub fn exited_successfully(code: i64) -> bool {
    code == 0 || code & 0x80 != 0
}

/// A container port with its first host binding.
struct Port {
    /// `8080/tcp`.
    spec: String,
    /// `8080`.
    number: String,
    /// `tcp` or `udp`.
    proto: String,
    /// The first host binding (IP, port).
    binding: Option<(String, String)>,
}

impl Port {
    /// `8080` for TCP, `5353:udp` for UDP (registrator's id suffix).
    fn suffix(&self) -> String {
        if self.proto == "tcp" {
            self.number.clone()
        } else {
            format!("{}:{}", self.number, self.proto)
        }
    }
}

/// The container's ports, sorted by spec: the published ones (`NetworkSettings.Ports`), the
/// exposed ones with `internal`, and on the host network the exposed ports as published on
/// the host at the same number.
fn ports(c: &Value, internal: bool) -> Vec<Port> {
    let mut map: BTreeMap<String, Option<(String, String)>> = BTreeMap::new();
    let host_network = c.pointer("/HostConfig/NetworkMode").and_then(Value::as_str) == Some("host");
    if internal || host_network {
        if let Some(Value::Object(exposed)) = c.pointer("/Config/ExposedPorts") {
            for spec in exposed.keys() {
                let number = spec.split('/').next().unwrap_or(spec).to_owned();
                map.insert(spec.clone(), host_network.then(|| (String::new(), number)));
            }
        }
    }
    if let Some(Value::Object(published)) = c.pointer("/NetworkSettings/Ports") {
        for (spec, bindings) in published {
            let first = bindings.as_array().and_then(|arr| {
                // Docker lists an IPv4 and an IPv6 binding of one port; prefer the IPv4 one.
                let all: Vec<(String, String)> = arr
                    .iter()
                    .filter_map(|b| {
                        let port = b.get("HostPort")?.as_str()?.to_owned();
                        let ip = b.get("HostIp").and_then(Value::as_str).unwrap_or("").to_owned();
                        (!port.is_empty()).then_some((ip, port))
                    })
                    .collect();
                all.iter().find(|(ip, _)| !ip.contains(':')).or(all.first()).cloned()
            });
            if internal {
                map.entry(spec.clone()).or_insert(first);
            } else {
                map.insert(spec.clone(), first);
            }
        }
    }
    map.into_iter()
        .filter(|(_, binding)| internal || binding.is_some())
        .map(|(spec, binding)| {
            let (number, proto) = spec.split_once('/').unwrap_or((&spec, "tcp"));
            Port { number: number.to_owned(), proto: proto.to_owned(), spec: spec.clone(), binding }
        })
        .collect()
}

/// The container's IP: the default bridge's, else the first network's that has one.
fn container_ip(c: &Value) -> Option<String> {
    let direct = c.pointer("/NetworkSettings/IPAddress").and_then(Value::as_str).unwrap_or("");
    if !direct.is_empty() {
        return Some(direct.to_owned());
    }
    let Some(Value::Object(nets)) = c.pointer("/NetworkSettings/Networks") else { return None };
    nets.values()
        .filter_map(|n| n.get("IPAddress").and_then(Value::as_str))
        .find(|ip| !ip.is_empty())
        .map(str::to_owned)
}

/// `registry.example:5000/team/shop:1.2` → `shop` (registrator's default service name).
fn image_base_name(image: &str) -> String {
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split('@').next().unwrap_or(base);
    base.split(':').next().unwrap_or(base).to_owned()
}

/// Characters HAProxy accepts in a server name.
fn server_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

/// Replaces every character HAProxy would refuse in a server name (and `/`) with `-`, and a
/// leading `_` (a hidden key in etcd) too.
fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if server_name_char(c) { c } else { '-' }).collect();
    if out.starts_with('_') {
        out.replace_range(0..1, "-");
    }
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// registrator's `SERVICE_*` controls of one container: labels, overridden by the environment.
struct Metadata {
    /// Lower-cased key without `SERVICE_` → value (empty values dropped).
    all: BTreeMap<String, String>,
}

impl Metadata {
    fn of(c: &Value) -> Metadata {
        let mut raw: BTreeMap<String, String> = BTreeMap::new();
        if let Some(Value::Object(labels)) = c.pointer("/Config/Labels") {
            for (k, v) in labels {
                if let Some(v) = v.as_str() {
                    raw.insert(k.clone(), v.to_owned());
                }
            }
        }
        if let Some(Value::Array(env)) = c.pointer("/Config/Env") {
            for e in env.iter().filter_map(Value::as_str) {
                if let Some((k, v)) = e.split_once('=') {
                    raw.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let all = raw
            .into_iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix("SERVICE_")?;
                (!rest.is_empty() && !v.is_empty()).then(|| (rest.to_ascii_lowercase(), v))
            })
            .collect();
        Metadata { all }
    }

    /// `SERVICE_<port>_<KEY>` (then `true`), else `SERVICE_<KEY>` (then `false`).
    fn get(&self, port: &str, key: &str) -> Option<(&str, bool)> {
        if let Some(v) = self.all.get(&format!("{port}_{key}")) {
            return Some((v.as_str(), true));
        }
        self.all.get(key).map(|v| (v.as_str(), false))
    }
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
