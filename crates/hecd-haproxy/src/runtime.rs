//! A client of HAProxy's runtime API: the stats socket (`stats socket … level admin`) and the
//! master CLI (`-S`), over a unix socket or TCP.
//!
//! Each command opens a connection, sends one line and reads the answer until HAProxy closes
//! the connection (the CLI's non-interactive mode). HAProxy's answers carry no status code:
//! each command knows which answer means success, and any other answer becomes
//! [`Error::Refused`] with HAProxy's text.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::Error;

/// Where the runtime API listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A unix socket path.
    Unix(PathBuf),
    /// A TCP address.
    Tcp(SocketAddr),
}

impl Endpoint {
    /// Parses `/path`, `unix@/path`, `tcp://IP:PORT`, `ipv4@IP:PORT`, `ipv6@[IP]:PORT` or
    /// `IP:PORT`.
    ///
    /// # Errors
    ///
    /// [`Error::Endpoint`] for anything else.
    pub fn parse(text: &str) -> Result<Endpoint, Error> {
        let bad = || Error::Endpoint(text.to_owned());
        if let Some(path) = text.strip_prefix("unix@").or_else(|| text.strip_prefix("unix://")) {
            return if path.is_empty() { Err(bad()) } else { Ok(Endpoint::Unix(path.into())) };
        }
        if text.starts_with('/') || text.starts_with("./") {
            return Ok(Endpoint::Unix(text.into()));
        }
        let addr = text
            .strip_prefix("tcp://")
            .or_else(|| text.strip_prefix("ipv4@"))
            .or_else(|| text.strip_prefix("ipv6@"))
            .unwrap_or(text);
        addr.parse::<SocketAddr>().map(Endpoint::Tcp).map_err(|_| bad())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

/// A server's administrative state, as `set server … state` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminState {
    /// Normal traffic.
    Ready,
    /// No new traffic but persistent connections; checks continue.
    Drain,
    /// No traffic, no checks.
    Maint,
}

impl AdminState {
    fn word(self) -> &'static str {
        match self {
            AdminState::Ready => "ready",
            AdminState::Drain => "drain",
            AdminState::Maint => "maint",
        }
    }
}

/// One row of `show servers state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveServer {
    /// The backend's name.
    pub backend: String,
    /// The server's name.
    pub name: String,
    /// The server's current address.
    pub addr: Option<IpAddr>,
    /// The server's current port.
    pub port: Option<u16>,
    /// The operational state (0 stopped, 1 starting, 2 running, 3 stopping).
    pub op_state: u32,
    /// The administrative state bits (1 forced maintenance, 8 forced drain, …).
    pub admin_state: u32,
    /// The user weight (`set weight` changes it).
    pub weight: u32,
}

impl LiveServer {
    /// Whether the server was put in maintenance (forced or inherited).
    pub fn in_maint(&self) -> bool {
        self.admin_state & 0x07 != 0
    }

    /// Whether the server was put in drain.
    pub fn in_drain(&self) -> bool {
        self.admin_state & 0x18 != 0
    }
}

/// One process of `show proc` on the master CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// The PID.
    pub pid: u32,
    /// `master` or `worker`.
    pub kind: String,
    /// The reload count (for the master: how many times it reloaded).
    pub reloads: u64,
}

/// A runtime API client.
#[derive(Debug, Clone)]
pub struct Runtime {
    endpoint: Endpoint,
    timeout: Duration,
    prefix: Option<String>,
}

impl Runtime {
    /// A client of the stats socket at `endpoint`, with a 5 s timeout per command.
    pub fn new(endpoint: Endpoint) -> Runtime {
        Runtime { endpoint, timeout: Duration::from_secs(5), prefix: None }
    }

    /// A client of the master CLI at `endpoint` whose commands go to the current worker
    /// (`@1` prefix); [`Runtime::master_command`] talks to the master itself.
    pub fn via_master(endpoint: Endpoint) -> Runtime {
        Runtime { endpoint, timeout: Duration::from_secs(5), prefix: Some("@1".into()) }
    }

    /// The same client with another timeout per command.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Runtime {
        self.timeout = timeout;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends one command and returns HAProxy's whole answer.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] when the socket cannot be reached, [`Error::Io`] when the exchange
    /// fails, [`Error::Timeout`] when the answer does not end in time.
    pub async fn command(&self, command: &str) -> Result<String, Error> {
        // The master CLI keeps a connection open until told to `quit`; the stats socket
        // closes it after one command.
        let line = match &self.prefix {
            Some(p) => format!("{p} {command}; quit\n"),
            None => format!("{command}\n"),
        };
        self.exchange(command, &line).await
    }

    /// Sends one command to the master process itself (master CLI only).
    ///
    /// # Errors
    ///
    /// As [`Runtime::command`].
    pub async fn master_command(&self, command: &str) -> Result<String, Error> {
        self.exchange(command, &format!("{command}; quit\n")).await
    }

    async fn exchange(&self, command: &str, line: &str) -> Result<String, Error> {
        let work = async {
            let mut answer = Vec::new();
            match &self.endpoint {
                Endpoint::Unix(path) => {
                    let mut s = tokio::net::UnixStream::connect(path).await.map_err(|source| {
                        Error::Connect { endpoint: self.endpoint.to_string(), source }
                    })?;
                    s.write_all(line.as_bytes()).await.map_err(Error::Io)?;
                    s.read_to_end(&mut answer).await.map_err(Error::Io)?;
                }
                Endpoint::Tcp(addr) => {
                    let mut s = tokio::net::TcpStream::connect(addr).await.map_err(|source| {
                        Error::Connect { endpoint: self.endpoint.to_string(), source }
                    })?;
                    s.write_all(line.as_bytes()).await.map_err(Error::Io)?;
                    s.read_to_end(&mut answer).await.map_err(Error::Io)?;
                }
            }
            Ok(String::from_utf8_lossy(&answer).into_owned())
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout { command: command.to_owned(), after: self.timeout }),
        }
    }

    /// Sends `command` and accepts the answer only when `ok` says it means success.
    async fn expect(&self, command: &str, ok: impl Fn(&str) -> bool) -> Result<String, Error> {
        let answer = self.command(command).await?;
        if ok(answer.trim()) {
            Ok(answer)
        } else {
            Err(Error::Refused { command: command.to_owned(), answer: answer.trim().to_owned() })
        }
    }

    /// `add server BACKEND/NAME ADDRESS KEYWORDS…`; the server starts in maintenance.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn add_server(
        &self,
        backend: &str,
        name: &str,
        address: &str,
        keywords: &[String],
    ) -> Result<(), Error> {
        let mut cmd = format!("add server {backend}/{name} {address}");
        for k in keywords {
            cmd.push(' ');
            cmd.push_str(k);
        }
        self.expect(&cmd, |a| a.starts_with("New server registered")).await.map(drop)
    }

    /// `del server BACKEND/NAME` (the server must be in maintenance without connections).
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn del_server(&self, backend: &str, name: &str) -> Result<(), Error> {
        self.expect(&format!("del server {backend}/{name}"), |a| a.starts_with("Server deleted"))
            .await
            .map(drop)
    }

    /// `enable server BACKEND/NAME`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn enable_server(&self, backend: &str, name: &str) -> Result<(), Error> {
        self.expect(&format!("enable server {backend}/{name}"), str::is_empty).await.map(drop)
    }

    /// `enable health BACKEND/NAME`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn enable_health(&self, backend: &str, name: &str) -> Result<(), Error> {
        self.expect(&format!("enable health {backend}/{name}"), str::is_empty).await.map(drop)
    }

    /// `set server BACKEND/NAME state ready|drain|maint`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn set_state(
        &self,
        backend: &str,
        name: &str,
        state: AdminState,
    ) -> Result<(), Error> {
        self.expect(&format!("set server {backend}/{name} state {}", state.word()), str::is_empty)
            .await
            .map(drop)
    }

    /// `set server BACKEND/NAME addr IP port PORT`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn set_addr(
        &self,
        backend: &str,
        name: &str,
        ip: IpAddr,
        port: u16,
    ) -> Result<(), Error> {
        let cmd = format!("set server {backend}/{name} addr {ip} port {port}");
        self.expect(&cmd, |a| a.contains("changed from") || a.starts_with("no need to change"))
            .await
            .map(drop)
    }

    /// `set weight BACKEND/NAME WEIGHT`.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn set_weight(&self, backend: &str, name: &str, weight: u32) -> Result<(), Error> {
        self.expect(&format!("set weight {backend}/{name} {weight}"), str::is_empty).await.map(drop)
    }

    /// `shutdown sessions server BACKEND/NAME`: closes the server's remaining sessions.
    ///
    /// # Errors
    ///
    /// [`Error::Refused`] with HAProxy's reason, or a transport error.
    pub async fn shutdown_sessions(&self, backend: &str, name: &str) -> Result<(), Error> {
        self.expect(&format!("shutdown sessions server {backend}/{name}"), str::is_empty)
            .await
            .map(drop)
    }

    /// `show servers state [BACKEND]`.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when the answer is not the state table, or a transport error.
    pub async fn servers_state(&self, backend: Option<&str>) -> Result<Vec<LiveServer>, Error> {
        let cmd = match backend {
            Some(b) => format!("show servers state {b}"),
            None => "show servers state".to_owned(),
        };
        let answer = self.command(&cmd).await?;
        parse_servers_state(&answer).map_err(|what| {
            if answer.trim().is_empty() || answer.starts_with('1') || answer.starts_with('#') {
                Error::Parse { command: cmd.clone(), what }
            } else {
                Error::Refused { command: cmd.clone(), answer: answer.trim().to_owned() }
            }
        })
    }

    /// The current sessions and queued requests of server `BACKEND/NAME` (`show stat`);
    /// `None` when the server does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when the answer is not CSV, or a transport error.
    pub async fn server_load(
        &self,
        backend: &str,
        name: &str,
    ) -> Result<Option<(u64, u64)>, Error> {
        let cmd = format!("show stat {backend} 4 -1");
        let answer = self.command(&cmd).await?;
        let rows =
            parse_csv(&answer).map_err(|what| Error::Parse { command: cmd.clone(), what })?;
        Ok(rows
            .iter()
            .find(|r| {
                r.get("pxname").map(String::as_str) == Some(backend)
                    && r.get("svname").map(String::as_str) == Some(name)
            })
            .map(|r| {
                let n = |k: &str| r.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
                (n("scur"), n("qcur"))
            }))
    }

    /// `show proc` on the master CLI.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when the answer is not the process table, or a transport error.
    pub async fn show_proc(&self) -> Result<Vec<Process>, Error> {
        let answer = self.master_command("show proc").await?;
        let procs = parse_show_proc(&answer);
        if procs.is_empty() {
            return Err(Error::Parse {
                command: "show proc".into(),
                what: "no process listed".into(),
            });
        }
        Ok(procs)
    }
}

/// Parses `show servers state` (format version 1).
///
/// # Errors
///
/// What is wrong, when the text is not that table.
pub fn parse_servers_state(text: &str) -> Result<Vec<LiveServer>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let version = lines.next().ok_or("empty answer")?;
    if version.trim() != "1" {
        return Err(format!("unknown format version {version:?}"));
    }
    let header = lines.next().ok_or("no header")?;
    let columns: Vec<&str> = header.trim_start_matches('#').split_whitespace().collect();
    let col =
        |name: &str| columns.iter().position(|c| *c == name).ok_or(format!("no column {name}"));
    let (be, srv, addr, port) =
        (col("be_name")?, col("srv_name")?, col("srv_addr")?, col("srv_port")?);
    let (op, admin, weight) = (col("srv_op_state")?, col("srv_admin_state")?, col("srv_uweight")?);
    let mut out = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split_whitespace().collect();
        let get = |i: usize| f.get(i).copied().ok_or(format!("short row {line:?}"));
        let num = |i: usize| {
            get(i).and_then(|v| v.parse::<u32>().map_err(|_| format!("bad number in {line:?}")))
        };
        out.push(LiveServer {
            backend: get(be)?.to_owned(),
            name: get(srv)?.to_owned(),
            addr: get(addr)?.parse().ok(),
            port: get(port)?.parse().ok().filter(|p| *p > 0),
            op_state: num(op)?,
            admin_state: num(admin)?,
            weight: num(weight)?,
        });
    }
    Ok(out)
}

/// Parses `show stat`'s CSV into rows keyed by column name.
///
/// # Errors
///
/// What is wrong, when the text has no `# ` header.
pub fn parse_csv(text: &str) -> Result<Vec<BTreeMap<String, String>>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("empty answer")?;
    let header =
        header.strip_prefix("# ").ok_or_else(|| format!("not a stat header: {header:?}"))?;
    let columns: Vec<&str> = header.split(',').collect();
    Ok(lines
        .map(|l| {
            columns.iter().zip(l.split(',')).map(|(c, v)| ((*c).to_owned(), v.to_owned())).collect()
        })
        .collect())
}

/// Parses `show proc`: one row per process, `PID TYPE RELOADS …`.
pub fn parse_show_proc(text: &str) -> Vec<Process> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let pid = f.next()?.parse().ok()?;
            let kind = f.next()?.to_owned();
            let reloads = f.next()?.parse().ok()?;
            Some(Process { pid, kind, reloads })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            Endpoint::parse("/run/haproxy/admin.sock").unwrap(),
            Endpoint::Unix("/run/haproxy/admin.sock".into())
        );
        assert_eq!(Endpoint::parse("unix@/x.sock").unwrap(), Endpoint::Unix("/x.sock".into()));
        let tcp = Endpoint::Tcp("127.0.0.1:9999".parse().unwrap());
        assert_eq!(Endpoint::parse("tcp://127.0.0.1:9999").unwrap(), tcp);
        assert_eq!(Endpoint::parse("ipv4@127.0.0.1:9999").unwrap(), tcp);
        assert_eq!(Endpoint::parse("127.0.0.1:9999").unwrap(), tcp);
        assert_eq!(
            Endpoint::parse("ipv6@[::1]:9").unwrap(),
            Endpoint::Tcp("[::1]:9".parse().unwrap())
        );
        assert!(Endpoint::parse("admin.sock").is_err());
        assert!(Endpoint::parse("tcp://localhost:1").is_err());
        assert!(Endpoint::parse("unix@").is_err());
    }

    #[test]
    fn servers_state_as_haproxy_2_6_prints_it() {
        let text = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 be_app 1 s1 127.0.0.1 2 0 7 1 3 6 3 3 6 0 0 0 - 18082 - 0 0 - - 0\n3 be_app 2 s2 10.0.0.2 0 1 1 1 0 1 0 0 2 0 0 0 - 18081 - 0 0 - - 0\n\n";
        let s = parse_servers_state(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "s1");
        assert_eq!(s[0].weight, 7);
        assert_eq!(s[0].port, Some(18082));
        assert!(!s[0].in_maint());
        assert!(s[1].in_maint());
        assert_eq!(s[1].addr, Some("10.0.0.2".parse().unwrap()));
        assert!(parse_servers_state("Unknown command\n").is_err());
        assert_eq!(parse_servers_state("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_port\n").unwrap(), vec![]);
    }

    #[test]
    fn show_proc_and_csv() {
        let procs = parse_show_proc("#<PID>          <type>          <reloads>       <uptime>        <version>\n12342           master          3 [failed: 0]   0d00h00m05s     2.6.12\n# workers\n12343           worker          0               0d00h00m05s     2.6.12\n# programs\n\n");
        assert_eq!(
            procs,
            vec![
                Process { pid: 12342, kind: "master".into(), reloads: 3 },
                Process { pid: 12343, kind: "worker".into(), reloads: 0 },
            ]
        );
        let rows = parse_csv("# pxname,svname,qcur,qmax,scur\nbe,s1,0,0,4\n\n").unwrap();
        assert_eq!(rows[0]["scur"], "4");
        assert!(parse_csv("No such proxy.\n").is_err());
    }
}
