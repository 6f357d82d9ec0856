//! Starts a throw-away v2 server (etcd or hecd-kv) on free loopback ports.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use hecd_client::Client;
use hecd_testkit::{free_ports, http, wait_until, Proc};

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Etcd,
    HecdKv,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Etcd, Kind::HecdKv];
}

pub struct Server {
    url: String,
    client: Client,
    rt: tokio::runtime::Runtime,
    _proc: Proc,
    _dir: tempfile::TempDir,
}

fn binary(kind: Kind) -> PathBuf {
    match kind {
        Kind::Etcd => PathBuf::from("/usr/bin/etcd"),
        Kind::HecdKv => hecd_testkit::bin("hecd-kv"),
    }
}

impl Server {
    /// Starts a server, or returns `None` (saying so loudly) when its binary is missing outside
    /// CI. In CI (`CI` set) a missing binary fails the test: `cargo xtask test` installs etcd.
    pub fn start(kind: Kind) -> Option<Server> {
        let bin = binary(kind);
        if !bin.exists() {
            let msg = format!("{kind:?} binary {} is missing", bin.display());
            assert!(std::env::var_os("CI").is_none(), "{msg} (CI must install it)");
            eprintln!("SKIPPING {kind:?}: {msg}");
            return None;
        }
        let dir = hecd_testkit::tempdir();
        let ports = free_ports(2);
        let client_url = format!("http://127.0.0.1:{}", ports[0]);
        let peer_url = format!("http://127.0.0.1:{}", ports[1]);
        let mut cmd = Command::new(&bin);
        cmd.args(["--name", "t", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args([
                "--initial-cluster",
                &format!("t={peer_url}"),
                "--initial-cluster-state",
                "new",
            ]);
        if matches!(kind, Kind::Etcd) {
            cmd.args(["--enable-v2", "--log-level", "error"]);
        }
        let mut proc = Proc::spawn(&format!("{kind:?}"), cmd).expect("server starts");
        let addr: SocketAddr = format!("127.0.0.1:{}", ports[0]).parse().expect("valid address");
        let ready =
            wait_until(&format!("{kind:?} to answer /v2/keys"), Duration::from_secs(30), || {
                if let Some(st) = proc.try_wait() {
                    return Some(Err(format!("{kind:?} exited early with {st}")));
                }
                http(addr, "GET", "/v2/keys/", "").ok().filter(|(st, _)| *st == 200).map(|_| Ok(()))
            });
        if let Err(e) = ready.and_then(|r| r) {
            panic!("{e}\n{}", proc.log());
        }
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let client = Client::builder().endpoints([client_url.as_str()]).build().expect("client");
        Some(Server { url: client_url, client, rt, _proc: proc, _dir: dir })
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}
