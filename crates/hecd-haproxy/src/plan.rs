//! The planner: from the configuration HAProxy runs (old) and the one it should run (new),
//! either the runtime API operations that turn one into the other, or the reason a reload is
//! needed.
//!
//! Only `server` lines of `backend` and `listen` sections can change at run time, and only in
//! the ways HAProxy 2.6's runtime API supports exactly: a server added (`add server`, with
//! keywords `add server` accepts, into a backend with a dynamic load-balancing algorithm and
//! no `default-server`, whose settings `add server` would not apply), a server removed
//! (`del server` after a drain), an IP address or port changed (`set server … addr … port …`),
//! a weight changed (`set weight`). Every other difference — a frontend, an ACL,
//! `default-server`, `server-template`, a section renamed, added or removed, a server's other
//! keywords, a host name instead of an IP — needs a reload. Comments, blank lines, spacing
//! and the order of server lines do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

use crate::config::{Config, Section, Server};

/// What it takes to go from the old configuration to the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// These runtime operations, in this order (empty: nothing HAProxy runs changes).
    Runtime(Vec<Op>),
    /// A reload, for this reason.
    Reload(Reason),
}

/// One runtime API change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `add server BACKEND/NAME ADDRESS KEYWORDS…`, then `enable server` (and `enable health`
    /// when the line has `check`).
    Add {
        /// The backend (or listen) section's name.
        backend: String,
        /// The server line.
        server: Server,
    },
    /// Drain the server, then `del server` once it has no sessions left.
    Remove {
        /// The backend's name.
        backend: String,
        /// The server line being removed.
        server: Server,
    },
    /// `set server BACKEND/NAME addr IP port PORT`.
    SetAddr {
        /// The backend's name.
        backend: String,
        /// The server's name.
        name: String,
        /// The address and port before.
        old: (IpAddr, u16),
        /// The address and port after.
        new: (IpAddr, u16),
    },
    /// `set weight BACKEND/NAME WEIGHT`.
    SetWeight {
        /// The backend's name.
        backend: String,
        /// The server's name.
        name: String,
        /// The weight before.
        old: u32,
        /// The weight after.
        new: u32,
    },
}

impl Op {
    /// `BACKEND/NAME` of the server this operation changes.
    pub fn target(&self) -> String {
        match self {
            Op::Add { backend, server } | Op::Remove { backend, server } => {
                format!("{backend}/{}", server.name)
            }
            Op::SetAddr { backend, name, .. } | Op::SetWeight { backend, name, .. } => {
                format!("{backend}/{name}")
            }
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Add { server, .. } => write!(f, "add {} {}", self.target(), server.address),
            Op::Remove { .. } => write!(f, "remove {}", self.target()),
            Op::SetAddr { new, .. } => {
                write!(f, "set {} addr {} port {}", self.target(), new.0, new.1)
            }
            Op::SetWeight { new, .. } => write!(f, "set {} weight {new}", self.target()),
        }
    }
}

/// Why a change needs a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// There is no previous configuration to compare with.
    NoPrevious,
    /// Sections were added, removed, renamed or reordered.
    Sections {
        /// The old section titles.
        old: Vec<String>,
        /// The new section titles.
        new: Vec<String>,
    },
    /// A line other than a `server` line changed.
    Line {
        /// The section's title.
        section: String,
        /// What changed, as text.
        change: String,
    },
    /// A server line changed in a way the runtime API cannot apply.
    Server {
        /// `BACKEND/NAME`.
        target: String,
        /// Why.
        why: String,
    },
}

impl Reason {
    /// A short, fixed label for metrics (`sections`, `line`, `server`, `no_previous`).
    pub fn label(&self) -> &'static str {
        match self {
            Reason::NoPrevious => "no_previous",
            Reason::Sections { .. } => "sections",
            Reason::Line { .. } => "line",
            Reason::Server { .. } => "server",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPrevious => f.write_str("no previous configuration to compare with"),
            Reason::Sections { old, new } => {
                write!(f, "sections changed: [{}] -> [{}]", old.join(", "), new.join(", "))
            }
            Reason::Line { section, change } => write!(f, "{section}: {change}"),
            Reason::Server { target, why } => write!(f, "server {target}: {why}"),
        }
    }
}

/// The server keywords `add server` accepts in HAProxy 2.6, with how many words follow each.
/// `source` is left out on purpose: its argument count varies (`usesrc`, `interface`).
const ADD_SERVER_KEYWORDS: &[(&str, usize)] = &[
    ("agent-addr", 1),
    ("agent-check", 0),
    ("agent-inter", 1),
    ("agent-port", 1),
    ("agent-send", 1),
    ("allow-0rtt", 0),
    ("alpn", 1),
    ("addr", 1),
    ("backup", 0),
    ("ca-file", 1),
    ("check", 0),
    ("check-alpn", 1),
    ("check-proto", 1),
    ("check-send-proxy", 0),
    ("check-sni", 1),
    ("check-ssl", 0),
    ("check-via-socks4", 0),
    ("ciphers", 1),
    ("ciphersuites", 1),
    ("crl-file", 1),
    ("crt", 1),
    ("disabled", 0),
    ("downinter", 1),
    ("enabled", 0),
    ("error-limit", 1),
    ("fall", 1),
    ("fastinter", 1),
    ("force-sslv3", 0),
    ("force-tlsv10", 0),
    ("force-tlsv11", 0),
    ("force-tlsv12", 0),
    ("force-tlsv13", 0),
    ("id", 1),
    ("inter", 1),
    ("maxconn", 1),
    ("maxqueue", 1),
    ("minconn", 1),
    ("no-ssl-reuse", 0),
    ("no-sslv3", 0),
    ("no-tlsv10", 0),
    ("no-tlsv11", 0),
    ("no-tlsv12", 0),
    ("no-tlsv13", 0),
    ("no-tls-tickets", 0),
    ("npn", 1),
    ("observe", 1),
    ("on-error", 1),
    ("on-marked-down", 1),
    ("on-marked-up", 1),
    ("pool-low-conn", 1),
    ("pool-max-conn", 1),
    ("pool-purge-delay", 1),
    ("port", 1),
    ("proto", 1),
    ("proxy-v2-options", 1),
    ("rise", 1),
    ("send-proxy", 0),
    ("send-proxy-v2", 0),
    ("send-proxy-v2-ssl", 0),
    ("send-proxy-v2-ssl-cn", 0),
    ("slowstart", 1),
    ("sni", 1),
    ("ssl", 0),
    ("ssl-max-ver", 1),
    ("ssl-min-ver", 1),
    ("tfo", 0),
    ("tls-tickets", 0),
    ("track", 1),
    ("verify", 1),
    ("verifyhost", 1),
    ("weight", 1),
    ("ws", 1),
];

/// Why `add server` cannot create this server line exactly, if it cannot.
pub fn not_addable(server: &Server) -> Option<String> {
    if server.conditional {
        return Some("the line is inside a conditional block".into());
    }
    if server.ip.is_none() {
        return Some(format!("address {} is not an IP address", server.address));
    }
    if server.port.is_none() {
        return Some(format!("address {} has no plain port", server.address));
    }
    let mut words = server.keywords.iter();
    while let Some(w) = words.next() {
        let Some((_, arity)) = ADD_SERVER_KEYWORDS.iter().find(|(k, _)| k == w) else {
            return Some(format!("keyword '{w}' is not accepted by 'add server'"));
        };
        for _ in 0..*arity {
            if words.next().is_none() {
                return Some(format!("keyword '{w}' lacks its value"));
            }
        }
    }
    let unsafe_word = std::iter::once(&server.address).chain(&server.keywords).find(|w| {
        w.is_empty()
            || w.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, ';' | '\\' | '\'' | '"' | '$')
            })
    });
    if let Some(w) = unsafe_word {
        return Some(format!("word {w:?} cannot be passed through the runtime API"));
    }
    if !matches!(server.weight(), Some(w) if w <= 256) {
        return Some("weight is not a number from 0 to 256".into());
    }
    None
}

/// What a backend's settings allow at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BackendTraits {
    /// Why servers cannot be added at run time, if they cannot.
    no_add: Option<String>,
}

/// The `defaults` section a proxy section takes its settings from: the one it names with
/// `from`, else the last unnamed… in practice the last `defaults` before it.
fn defaults_of(config: &Config, index: usize) -> Option<&Section> {
    let section = &config.sections[index];
    if let Some(pos) = section.args.iter().position(|a| a == "from") {
        let wanted = section.args.get(pos + 1)?;
        return config.sections[..index]
            .iter()
            .rev()
            .find(|s| s.kind == "defaults" && s.name() == Some(wanted.as_str()));
    }
    config.sections[..index].iter().rev().find(|s| s.kind == "defaults")
}

fn traits(config: &Config, index: usize) -> BackendTraits {
    let section = &config.sections[index];
    let defaults = defaults_of(config, index);
    let setting = |kw: &str| section.find(kw).or_else(|| defaults.and_then(|d| d.find(kw)));
    let no_add = if setting("default-server").is_some() {
        Some("its backend has 'default-server' settings, which 'add server' does not apply".into())
    } else {
        let balance =
            setting("balance").and_then(|l| l.words.get(1)).map_or("roundrobin", String::as_str);
        let algorithm = balance.split('(').next().unwrap_or(balance);
        let consistent =
            setting("hash-type").and_then(|l| l.words.get(1)).is_some_and(|w| w == "consistent");
        match algorithm {
            "roundrobin" | "leastconn" | "first" | "random" => None,
            "static-rr" => Some("its backend balances with static-rr, which is not dynamic".into()),
            _ if consistent => None,
            other => Some(format!(
                "its backend balances with map-based hashing ({other}), which is not dynamic"
            )),
        }
    };
    BackendTraits { no_add }
}

/// Plans the change from `old` (what HAProxy runs) to `new` (what it should run).
pub fn plan(old: &Config, new: &Config) -> Plan {
    let titles = |c: &Config| c.sections.iter().map(Section::title).collect::<Vec<_>>();
    let (old_titles, new_titles) = (titles(old), titles(new));
    if old_titles != new_titles {
        return Plan::Reload(Reason::Sections { old: old_titles, new: new_titles });
    }
    let mut adds = Vec::new();
    let mut changes = Vec::new();
    let mut removes = Vec::new();
    for (i, (o, n)) in old.sections.iter().zip(&new.sections).enumerate() {
        let (ol, nl): (Vec<_>, Vec<_>) = (o.other_lines().collect(), n.other_lines().collect());
        if ol != nl {
            return Plan::Reload(Reason::Line {
                section: n.title(),
                change: describe_line_change(&ol, &nl),
            });
        }
        if !n.has_servers() {
            continue;
        }
        let backend = n.name().unwrap_or_default().to_owned();
        let old_servers = match by_name(&backend, o.servers()) {
            Ok(m) => m,
            Err(r) => return Plan::Reload(r),
        };
        let new_servers = match by_name(&backend, n.servers()) {
            Ok(m) => m,
            Err(r) => return Plan::Reload(r),
        };
        let backend_traits = traits(new, i);
        for (name, ns) in &new_servers {
            let target = format!("{backend}/{name}");
            let Some(os) = old_servers.get(name) else {
                if let Some(why) = backend_traits.no_add.clone().or_else(|| not_addable(ns)) {
                    return Plan::Reload(Reason::Server { target, why });
                }
                adds.push(Op::Add { backend: backend.clone(), server: ns.clone() });
                continue;
            };
            if os == ns {
                continue;
            }
            if let Err(why) = server_changes(&backend, os, ns, &mut changes) {
                return Plan::Reload(Reason::Server { target, why });
            }
        }
        for (name, os) in &old_servers {
            if !new_servers.contains_key(name) {
                if os.conditional {
                    let target = format!("{backend}/{name}");
                    return Plan::Reload(Reason::Server {
                        target,
                        why: "the line is inside a conditional block".into(),
                    });
                }
                removes.push(Op::Remove { backend: backend.clone(), server: os.clone() });
            }
        }
    }
    adds.extend(changes);
    adds.extend(removes);
    Plan::Runtime(adds)
}

/// The runtime changes that turn server line `old` into `new` (same backend and name).
fn server_changes(
    backend: &str,
    old: &Server,
    new: &Server,
    out: &mut Vec<Op>,
) -> Result<(), String> {
    if old.conditional || new.conditional {
        return Err("the line is inside a conditional block".into());
    }
    if old.keywords_without_weight() != new.keywords_without_weight() {
        return Err(format!(
            "keywords changed from '{}' to '{}'",
            old.keywords.join(" "),
            new.keywords.join(" ")
        ));
    }
    if let Some(why) = not_addable(new) {
        return Err(why);
    }
    if old.address != new.address {
        let (Some(oi), Some(op), Some(ni), Some(np)) = (old.ip, old.port, new.ip, new.port) else {
            return Err(format!(
                "address {} -> {} is not an IP and port change",
                old.address, new.address
            ));
        };
        if (oi, op) != (ni, np) {
            out.push(Op::SetAddr {
                backend: backend.into(),
                name: new.name.clone(),
                old: (oi, op),
                new: (ni, np),
            });
        }
    }
    let (Some(ow), Some(nw)) = (old.weight(), new.weight()) else {
        return Err("weight is not a number".into());
    };
    if ow != nw {
        out.push(Op::SetWeight {
            backend: backend.into(),
            name: new.name.clone(),
            old: ow,
            new: nw,
        });
    }
    Ok(())
}

fn by_name(backend: &str, servers: Vec<Server>) -> Result<BTreeMap<String, Server>, Reason> {
    let mut map = BTreeMap::new();
    for s in servers {
        let name = s.name.clone();
        if map.insert(name.clone(), s).is_some() {
            return Err(Reason::Server {
                target: format!("{backend}/{name}"),
                why: "the name is used twice".into(),
            });
        }
    }
    Ok(map)
}

fn describe_line_change(old: &[&crate::config::Line], new: &[&crate::config::Line]) -> String {
    let old_set: BTreeSet<String> = old.iter().map(ToString::to_string).collect();
    let new_set: BTreeSet<String> = new.iter().map(ToString::to_string).collect();
    if let Some(added) = new.iter().map(ToString::to_string).find(|l| !old_set.contains(l)) {
        return format!("'{added}' added or changed");
    }
    if let Some(removed) = old.iter().map(ToString::to_string).find(|l| !new_set.contains(l)) {
        return format!("'{removed}' removed");
    }
    "lines reordered or repeated".into()
}

/// The servers `config` declares, by backend name (backend and listen sections only).
pub fn servers_by_backend(config: &Config) -> BTreeMap<String, Vec<Server>> {
    config
        .sections
        .iter()
        .filter(|s| s.has_servers())
        .map(|s| (s.name().unwrap_or_default().to_owned(), s.servers()))
        .collect()
}

/// Whether servers can be added to backend `name` of `config` at run time (`None`) or why not.
pub fn backend_refuses_add(config: &Config, name: &str) -> Option<String> {
    let index = config.sections.iter().position(|s| s.has_servers() && s.name() == Some(name))?;
    traits(config, index).no_add
}
