//! Throw-away v2 servers on free loopback ports: Debian's etcd (`--enable-v2`, the reference)
//! or this project's `hecd-kv`, each with its data in a temp dir.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::{free_ports, http, wait_until, Proc};

/// Which server to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Debian's etcd 3.4 with the v2 API enabled.
    Etcd,
    /// This project's `hecd-kv`.
    HecdKv,
}

impl Kind {
    /// Both kinds, reference first.
    pub const ALL: [Kind; 2] = [Kind::Etcd, Kind::HecdKv];

    /// The binary this kind runs.
    pub fn binary(self) -> PathBuf {
        match self {
            Kind::Etcd => PathBuf::from("/usr/bin/etcd"),
            Kind::HecdKv => crate::bin("hecd-kv"),
        }
    }
}

/// A running single-member server; killed and its data removed on drop.
pub struct KvServer {
    /// The client URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// The client address.
    pub addr: SocketAddr,
    /// The member name (`t`).
    pub name: String,
    /// The process.
    pub proc: Proc,
    /// The temp dir holding the data dir (`data`).
    pub dir: tempfile::TempDir,
    kind: Kind,
    args: Vec<String>,
    scheme: String,
}

impl KvServer {
    /// Starts a server of `kind` and waits until `/v2/keys/` answers 200. Returns `None`
    /// (saying so on stderr) when the binary is missing outside CI; in CI (`CI` set) a missing
    /// binary is a failure, because `cargo xtask test` installs etcd.
    ///
    /// # Panics
    /// When the server does not start or exits early (its log is in the message).
    pub fn start(kind: Kind) -> Option<KvServer> {
        Self::start_with(kind, &[])
    }

    /// Starts a server serving HTTPS with the PKI's server certificate, requiring client
    /// certificates signed by its CA (`--client-cert-auth --trusted-ca-file`). Readiness is the
    /// client port accepting connections.
    ///
    /// # Panics
    /// When the server does not start or exits early.
    pub fn start_tls(kind: Kind, pki: &crate::pki::TestPki) -> Option<KvServer> {
        let files = [&pki.server_cert, &pki.server_key, &pki.ca].map(|p| p.display().to_string());
        let extra = [
            "--cert-file",
            files[0].as_str(),
            "--key-file",
            files[1].as_str(),
            "--client-cert-auth",
            "--trusted-ca-file",
            files[2].as_str(),
        ];
        Self::launch(kind, &extra, "https")
    }

    /// Like [`KvServer::start`], with extra flags.
    ///
    /// # Panics
    /// When the server does not start or exits early.
    pub fn start_with(kind: Kind, extra: &[&str]) -> Option<KvServer> {
        Self::launch(kind, extra, "http")
    }

    fn launch(kind: Kind, extra: &[&str], scheme: &str) -> Option<KvServer> {
        let bin = kind.binary();
        if !bin.exists() {
            let msg = format!("{kind:?} binary {} is missing", bin.display());
            assert!(std::env::var_os("CI").is_none(), "{msg} (CI must install it)");
            eprintln!("SKIPPING {kind:?}: {msg}");
            return None;
        }
        // Free ports can be taken by another process before the server binds them (a
        // check-then-use race); such a start is retried with new ports.
        for attempt in 1..=5 {
            match Self::try_launch(kind, extra, scheme) {
                Ok(s) => return Some(s),
                Err(e)
                    if e.to_ascii_lowercase().contains("address already in use") && attempt < 5 =>
                {
                    eprintln!("{kind:?} start hit a taken port (attempt {attempt}); retrying");
                }
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn try_launch(kind: Kind, extra: &[&str], scheme: &str) -> Result<KvServer, String> {
        let dir = crate::tempdir();
        let ports = free_ports(2);
        let url = format!("{scheme}://127.0.0.1:{}", ports[0]);
        let peer = format!("http://127.0.0.1:{}", ports[1]);
        let data = dir.path().join("data").display().to_string();
        let mut args: Vec<String> = ["--name", "t", "--data-dir", &data]
            .iter()
            .chain(&["--listen-client-urls", &url, "--advertise-client-urls", &url])
            .chain(&["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
            .chain(&["--initial-cluster", &format!("t={peer}"), "--initial-cluster-state", "new"])
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        if kind == Kind::Etcd {
            args.extend(["--enable-v2", "--log-level", "error"].map(String::from));
        }
        let addr: SocketAddr = ([127, 0, 0, 1], ports[0]).into();
        let proc = Self::try_spawn_ready(kind, &args, addr, scheme)?;
        Ok(KvServer { url, addr, name: "t".into(), proc, dir, kind, args, scheme: scheme.into() })
    }

    fn spawn_ready(kind: Kind, args: &[String], addr: SocketAddr, scheme: &str) -> Proc {
        Self::try_spawn_ready(kind, args, addr, scheme).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_spawn_ready(
        kind: Kind,
        args: &[String],
        addr: SocketAddr,
        scheme: &str,
    ) -> Result<Proc, String> {
        let mut cmd = Command::new(kind.binary());
        cmd.args(args);
        let mut proc = Proc::spawn(&format!("{kind:?}"), cmd).expect("server binary runs");
        let ready =
            wait_until(&format!("{kind:?} to answer /v2/keys"), Duration::from_secs(30), || {
                if let Some(st) = proc.try_wait() {
                    return Some(Err(format!("{kind:?} exited early with {st}")));
                }
                if scheme == "https" {
                    return std::net::TcpStream::connect(addr).ok().map(|_| Ok(()));
                }
                http(addr, "GET", "/v2/keys/", "").ok().filter(|(st, _)| *st == 200).map(|_| Ok(()))
            });
        match ready.and_then(|r| r) {
            Ok(()) => Ok(proc),
            Err(e) => Err(format!("{e}\n{}", proc.log())),
        }
    }

    /// Kills the server with `signal` (`"KILL"`, `"TERM"`) and waits for it to exit.
    ///
    /// # Panics
    /// When it does not exit within 30 s.
    pub fn stop(&mut self, signal: &str) -> std::process::ExitStatus {
        self.proc.signal(signal).expect("signal delivered");
        self.proc.wait_exit(Duration::from_secs(30)).expect("server exits")
    }

    /// Starts the server again with the same flags, ports and data dir, without waiting for it to
    /// answer (for a start that is expected to fail).
    ///
    /// # Panics
    /// When the binary cannot be run.
    pub fn spawn_again(&self) -> Proc {
        let mut cmd = Command::new(self.kind.binary());
        cmd.args(&self.args);
        Proc::spawn(&format!("{:?}", self.kind), cmd).expect("server binary runs")
    }

    /// Starts the server again with the same flags, ports and data dir (after [`KvServer::stop`]),
    /// and waits until it answers.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.proc = Self::spawn_ready(self.kind, &self.args, self.addr, &self.scheme);
    }
}
