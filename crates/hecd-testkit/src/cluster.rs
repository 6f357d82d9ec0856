//! Multi-process clusters on loopback: `n` members of hecd-kv or etcd, each behind a
//! fault-injecting [`Proxy`] for its peer traffic, with helpers to find the leader, kill and
//! restart members, partition them, and add or remove members at run time.
//!
//! Client and peer listen ports are picked with [`free_ports`] before the members start (their
//! peer URLs must be known up front): another process could take one first. A start that fails
//! that way ("address already in use") is retried whole with new ports, up to five times;
//! any other failure fails the test loudly with the member's log.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::kv::Kind;
use crate::proxy::Proxy;
use crate::{free_ports, http, wait_until, Proc};

/// How long a member may take to start answering.
const START: Duration = Duration::from_secs(30);

/// One member of a [`Cluster`].
pub struct Member {
    /// Its name (`m0`, `m1`, ...).
    pub name: String,
    /// Its client address.
    pub client: SocketAddr,
    /// The proxy in front of its peer listener; its address is the advertised peer URL.
    pub proxy: Proxy,
    /// The running process (`None` while killed or after removal).
    pub proc: Option<Proc>,
    args: Vec<String>,
    scheme: &'static str,
    /// Client and peer listen ports.
    ports: Vec<u16>,
}

impl Member {
    /// The advertised peer URL (the proxy).
    pub fn peer_url(&self) -> String {
        format!("{}://{}", self.scheme, self.proxy.addr())
    }
}

/// A running cluster; every process is killed and the data removed on drop.
pub struct Cluster {
    /// Which server runs.
    pub kind: Kind,
    /// Members by index (removed ones stay, with `proc: None`).
    pub members: Vec<Member>,
    dir: tempfile::TempDir,
    token: String,
    extra: Vec<String>,
    /// `http` or `https` for peer traffic.
    peer_scheme: &'static str,
}

impl Cluster {
    /// Starts `n` members of `kind` with `extra` flags and waits until each answers and a
    /// leader is elected. `None` (said on stderr) when the binary is missing outside CI.
    ///
    /// # Panics
    /// When a member does not start (its log is in the message).
    pub fn start(kind: Kind, n: usize, extra: &[&str]) -> Option<Cluster> {
        Self::start_with_peer_tls(kind, n, extra, None)
    }

    /// Like [`Cluster::start`]; with `pki`, peers talk HTTPS with client certificates
    /// (`--peer-cert-file`, `--peer-key-file`, `--peer-trusted-ca-file`, `--peer-client-cert-auth`).
    ///
    /// # Panics
    /// As [`Cluster::start`].
    pub fn start_with_peer_tls(
        kind: Kind,
        n: usize,
        extra: &[&str],
        pki: Option<&crate::pki::TestPki>,
    ) -> Option<Cluster> {
        // The ports are picked free but may be taken by another test's process before a member
        // binds them (a check-then-use race): a start that fails that way is retried whole.
        for attempt in 1..=5 {
            match Self::try_start(kind, n, extra, pki)? {
                Ok(c) => return Some(c),
                Err(e)
                    if e.to_ascii_lowercase().contains("address already in use") && attempt < 5 =>
                {
                    eprintln!("cluster start hit a taken port (attempt {attempt}); retrying");
                }
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// One start attempt: `None` when the binary is missing, `Err` when a member failed.
    fn try_start(
        kind: Kind,
        n: usize,
        extra: &[&str],
        pki: Option<&crate::pki::TestPki>,
    ) -> Option<Result<Cluster, String>> {
        let mut extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        if let Some(pki) = pki {
            for (flag, path) in [
                ("--peer-cert-file", &pki.server_cert),
                ("--peer-key-file", &pki.server_key),
                ("--peer-trusted-ca-file", &pki.ca),
            ] {
                extra.push(flag.into());
                extra.push(path.display().to_string());
            }
            extra.push("--peer-client-cert-auth".into());
        }
        if !kind.binary().exists() {
            let msg = format!("{kind:?} binary {} is missing", kind.binary().display());
            assert!(std::env::var_os("CI").is_none(), "{msg} (CI must install it)");
            eprintln!("SKIPPING {kind:?} cluster: {msg}");
            return None;
        }
        let mut c = Cluster {
            kind,
            members: Vec::new(),
            dir: crate::tempdir(),
            token: format!("hecd-test-{}", std::process::id()),
            extra,
            peer_scheme: if pki.is_some() { "https" } else { "http" },
        };
        let mut planned = Vec::new();
        for i in 0..n {
            let ports = free_ports(2);
            let peer: SocketAddr = ([127, 0, 0, 1], ports[1]).into();
            let proxy = Proxy::start(peer).expect("proxy binds");
            planned.push((format!("m{i}"), ports, proxy));
        }
        let scheme = c.peer_scheme;
        let initial: Vec<String> =
            planned.iter().map(|(n, _, p)| format!("{n}={scheme}://{}", p.addr())).collect();
        for (name, ports, proxy) in planned {
            let args = c.args(&name, &ports, &proxy, &initial.join(","), "new");
            let client = ([127, 0, 0, 1], ports[0]).into();
            c.members.push(Member { name, client, proxy, proc: None, args, scheme, ports });
        }
        for i in 0..n {
            let proc = c.spawn(i);
            c.members[i].proc = Some(proc);
        }
        for i in 0..n {
            if let Err(e) = c.try_wait_answering(i) {
                return Some(Err(e));
            }
        }
        c.wait_leader(START);
        Some(Ok(c))
    }

    fn args(
        &self,
        name: &str,
        ports: &[u16],
        proxy: &Proxy,
        initial: &str,
        state: &str,
    ) -> Vec<String> {
        let client = format!("http://127.0.0.1:{}", ports[0]);
        let listen_peer = format!("{}://127.0.0.1:{}", self.peer_scheme, ports[1]);
        let data = self.dir.path().join(name).display().to_string();
        let mut args: Vec<String> = [
            "--name",
            name,
            "--data-dir",
            &data,
            "--listen-client-urls",
            &client,
            "--advertise-client-urls",
            &client,
            "--listen-peer-urls",
            &listen_peer,
            "--initial-advertise-peer-urls",
            &format!("{}://{}", self.peer_scheme, proxy.addr()),
            "--initial-cluster",
            initial,
            "--initial-cluster-state",
            state,
            "--initial-cluster-token",
            &self.token,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if self.kind == Kind::Etcd {
            args.extend(["--enable-v2", "--log-level", "info"].map(String::from));
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    fn spawn(&self, i: usize) -> Proc {
        let mut cmd = Command::new(self.kind.binary());
        cmd.args(&self.members[i].args);
        if self.kind == Kind::HecdKv && std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        Proc::spawn(&format!("{:?} {}", self.kind, self.members[i].name), cmd)
            .expect("server binary runs")
    }

    fn wait_answering(&mut self, i: usize) {
        if let Err(e) = self.try_wait_answering(i) {
            panic!("{e}");
        }
    }

    /// Waits until member `i` answers; the error carries its log.
    fn try_wait_answering(&mut self, i: usize) -> Result<(), String> {
        let addr = self.members[i].client;
        let m = &mut self.members[i];
        let ready = wait_until(&format!("{} to answer", m.name), START, || {
            let proc = m.proc.as_mut()?;
            if let Some(st) = proc.try_wait() {
                return Some(Err(format!("{} exited early with {st}", m.name)));
            }
            http(addr, "GET", "/v2/keys/", "").ok().filter(|(st, _)| *st == 200).map(|_| Ok(()))
        });
        ready.and_then(|r| r).map_err(|e| {
            let log = m.proc.as_ref().map(Proc::log).unwrap_or_default();
            format!("{e}\n{log}")
        })
    }

    /// The indices of the members currently running.
    pub fn running(&self) -> Vec<usize> {
        (0..self.members.len()).filter(|&i| self.members[i].proc.is_some()).collect()
    }

    /// The member that says it is the leader, if exactly one running member does.
    pub fn leader(&self) -> Option<usize> {
        let leaders: Vec<usize> = self
            .running()
            .into_iter()
            .filter(|&i| {
                http(self.members[i].client, "GET", "/v2/stats/self", "")
                    .is_ok_and(|(st, b)| st == 200 && b.contains("\"StateLeader\""))
            })
            .collect();
        (leaders.len() == 1).then(|| leaders[0])
    }

    /// Waits until one member leads.
    ///
    /// # Panics
    /// After `deadline`.
    pub fn wait_leader(&self, deadline: Duration) -> usize {
        wait_until("a leader", deadline, || self.leader()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The member id (hex) of member `i`, as `/v2/members` on member `via` lists it.
    pub fn member_id(&self, via: usize, i: usize) -> Option<String> {
        let (_, body) = http(self.members[via].client, "GET", "/v2/members", "").ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let url = self.members[i].peer_url();
        v["members"].as_array()?.iter().find_map(|m| {
            let urls = m["peerURLs"].as_array()?;
            urls.iter()
                .any(|u| u.as_str() == Some(&url))
                .then(|| m["id"].as_str().map(String::from))?
        })
    }

    /// SIGKILLs member `i` and waits for it to exit.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.members[i].proc.take() {
            p.signal("KILL").expect("signal delivered");
            p.wait_exit(START).expect("member exits");
        }
    }

    /// Starts member `i` again with the same flags and data dir and waits until it answers.
    pub fn restart(&mut self, i: usize) {
        let proc = self.spawn(i);
        self.members[i].proc = Some(proc);
        self.wait_answering(i);
    }

    /// Starts member `i` again with the same flags and data dir, without waiting for it to answer
    /// (for a start that is expected to fail); the caller owns the process.
    pub fn spawn_member(&self, i: usize) -> Proc {
        self.spawn(i)
    }

    /// Member `i`'s data dir.
    pub fn data_dir(&self, i: usize) -> std::path::PathBuf {
        self.dir.path().join(&self.members[i].name)
    }

    /// Deletes member `i`'s data dir (it must be stopped).
    pub fn wipe(&self, i: usize) {
        let _ = std::fs::remove_dir_all(self.dir.path().join(&self.members[i].name));
    }

    /// Cuts member `i` off from every other member, both ways.
    pub fn isolate(&self, i: usize, via: usize) {
        let id = self.member_id(via, i).expect("member id");
        self.members[i].proxy.isolate(true);
        for (j, m) in self.members.iter().enumerate() {
            if j != i {
                m.proxy.block_from(&id, true);
            }
        }
    }

    /// Freezes member `i` with SIGSTOP (its sockets stay open; it answers nothing).
    ///
    /// # Panics
    /// When the signal cannot be delivered.
    pub fn pause(&self, i: usize) {
        if let Some(p) = &self.members[i].proc {
            p.signal("STOP").expect("signal delivered");
        }
    }

    /// Lets member `i` run again after [`Cluster::pause`] (SIGCONT).
    ///
    /// # Panics
    /// When the signal cannot be delivered.
    pub fn resume(&self, i: usize) {
        if let Some(p) = &self.members[i].proc {
            p.signal("CONT").expect("signal delivered");
        }
    }

    /// Cuts (`on`) or restores the peer connections member `from` opens to member `to` (one
    /// way: `to` still reaches `from`). `from_id` is `from`'s member id ([`Cluster::member_id`]).
    /// hecd-kv sends every Raft message in a request from sender to receiver, so this drops
    /// exactly the messages `from` sends to `to`.
    pub fn block(&self, from_id: &str, to: usize, on: bool) {
        self.members[to].proxy.block_from(from_id, on);
    }

    /// Splits the members into `groups`: every peer connection between members of different
    /// groups is cut, both ways. `ids[i]` is member `i`'s id. Members in no group keep talking
    /// to everyone (a bridge).
    pub fn partition(&self, groups: &[Vec<usize>], ids: &[String]) {
        for (g, group) in groups.iter().enumerate() {
            for (h, other) in groups.iter().enumerate() {
                if g == h {
                    continue;
                }
                for &a in group {
                    for &b in other {
                        self.block(&ids[a], b, true);
                    }
                }
            }
        }
    }

    /// Restores all peer traffic.
    pub fn heal(&self) {
        for m in &self.members {
            m.proxy.heal();
        }
    }

    /// Adds a member through `POST /v2/members` on member `via`, then starts it with
    /// `--initial-cluster-state existing`; returns its index.
    ///
    /// # Panics
    /// When the add is refused or the member does not start.
    pub fn add_member(&mut self, via: usize) -> usize {
        let ports = free_ports(2);
        let proxy = Proxy::start(([127, 0, 0, 1], ports[1]).into()).expect("proxy binds");
        let name = format!("m{}", self.members.len());
        let client = ([127, 0, 0, 1], ports[0]).into();
        let scheme = self.peer_scheme;
        self.members.push(Member { name, client, proxy, proc: None, args: vec![], scheme, ports });
        let i = self.members.len() - 1;
        self.join(via, i);
        i
    }

    /// Adds member `i` back (it must be stopped and removed) with the same name and peer URL
    /// and an empty data dir, as an operator does after losing a member's disk.
    ///
    /// # Panics
    /// When the add is refused or the member does not start.
    pub fn rejoin(&mut self, via: usize, i: usize) {
        self.wipe(i);
        self.join(via, i);
    }

    /// `POST /v2/members` with member `i`'s peer URL on `via`, then starts it with
    /// `--initial-cluster-state existing` and the member list `via` reports.
    fn join(&mut self, via: usize, i: usize) {
        let url = self.members[i].peer_url();
        let body = format!(r#"{{"peerURLs":["{url}"]}}"#);
        // etcd's strict reconfiguration check refuses an add (500) until every member has been
        // reachable for five seconds.
        let r = wait_until("the member add to be accepted", START, || {
            let r = post_json(self.members[via].client, "/v2/members", &body);
            match &r {
                Ok((500, _)) => None,
                _ => Some(r),
            }
        });
        assert!(matches!(r, Ok(Ok((201, _)))), "member add: {r:?}");
        let (_, listed) = http(self.members[via].client, "GET", "/v2/members", "").expect("list");
        let v: serde_json::Value = serde_json::from_str(&listed).expect("JSON");
        let mut initial: Vec<String> = Vec::new();
        for m in v["members"].as_array().into_iter().flatten() {
            let u = m["peerURLs"][0].as_str().unwrap_or("");
            let found = self.members.iter().find(|x| x.peer_url() == u);
            initial.push(format!("{}={u}", found.map(|x| x.name.as_str()).unwrap_or("")));
        }
        let m = &self.members[i];
        let args = self.args(&m.name, &m.ports, &m.proxy, &initial.join(","), "existing");
        self.members[i].args = args;
        let proc = self.spawn(i);
        self.members[i].proc = Some(proc);
        self.wait_answering(i);
    }

    /// Removes member `i` through `DELETE /v2/members/<id>` on member `via` (retrying while the
    /// strict reconfiguration check refuses it with 500); returns the status.
    pub fn remove_member(&mut self, via: usize, i: usize) -> u16 {
        let id = self.member_id(via, i).expect("member id");
        let path = format!("/v2/members/{id}");
        wait_until("the member removal to be accepted", START, || {
            let st = http(self.members[via].client, "DELETE", &path, "").map(|r| r.0).unwrap_or(0);
            (st != 500).then_some(st)
        })
        .unwrap_or(500)
    }

    /// The client URLs of the running members, comma-separated (for `etcdctl --endpoints`).
    pub fn endpoints(&self) -> String {
        let urls: Vec<String> =
            self.running().iter().map(|&i| format!("http://{}", self.members[i].client)).collect();
        urls.join(",")
    }
}

/// `POST` a JSON body; returns the status and body.
fn post_json(addr: SocketAddr, path: &str, body: &str) -> Result<(u16, String), String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(15))).map_err(|e| e.to_string())?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}
