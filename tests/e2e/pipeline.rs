//! The whole pipeline with the real binaries and a real HAProxy (Debian's 2.6): registrations
//! reach traffic, deregistrations leave it, no request fails while backends churn, and a
//! broken template or a configuration HAProxy rejects leaves the running HAProxy and the old
//! file untouched.
//!
//! HAProxy (and socat, for the reload script) are required: outside CI a missing one skips the
//! test loudly; in CI it fails, because `cargo xtask test` installs both.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hecd_testkit::backend::Backend;
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{free_ports, wait_until, Proc};

pub(crate) const HAPROXY: &str = "/usr/sbin/haproxy";
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

pub(crate) fn haproxy_available() -> bool {
    if Path::new(HAPROXY).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{HAPROXY} is missing in CI: `cargo xtask test` must install haproxy"
    );
    eprintln!("SKIPPING the pipeline test: {HAPROXY} is not installed (apt-get install haproxy)");
    false
}

/// One HTTP/1.0 request through HAProxy: `Some(body)` for a 200, `None` for anything else.
pub(crate) fn fetch(addr: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: pipeline\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    if !resp.starts_with("HTTP/1.0 200") && !resp.starts_with("HTTP/1.1 200") {
        return None;
    }
    resp.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

pub(crate) struct Pipeline {
    pub(crate) kv: KvServer,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) confd: Option<Proc>,
    pub(crate) haproxy: Option<Proc>,
    pub(crate) frontend: SocketAddr,
    pub(crate) dest: PathBuf,
    pub(crate) template: PathBuf,
    pub(crate) reloads: PathBuf,
    pub(crate) confdir: PathBuf,
    /// HAProxy's admin-level stats socket (always declared; used by hecd-confd in runtime mode).
    pub(crate) admin: PathBuf,
    pub(crate) master: PathBuf,
}

/// How hecd-confd updates HAProxy.
pub(crate) enum Mode {
    /// check_cmd, rename, reload_cmd (no `haproxy_socket`).
    Reload,
    /// `haproxy_socket` at HAProxy's admin socket.
    Runtime,
    /// `haproxy_socket` at another path (a socket that does not exist, say).
    RuntimeAt(PathBuf),
}

impl Pipeline {
    fn start() -> Pipeline {
        Pipeline::start_with(Mode::Reload)
    }

    /// The pipeline, with `haproxy_socket` in the resource as `mode` says.
    pub(crate) fn start_with(mode: Mode) -> Pipeline {
        let kv = KvServer::start(Kind::HecdKv).expect("hecd-kv is built with the tests");
        let dir = hecd_testkit::tempdir();
        let ports = free_ports(2);
        let frontend: SocketAddr = ([127, 0, 0, 1], ports[0]).into();
        let confdir = dir.path().join("confd");
        std::fs::create_dir_all(confdir.join("conf.d")).unwrap();
        std::fs::create_dir_all(confdir.join("templates")).unwrap();
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/haproxy/modern/templates/haproxy.cfg.tmpl"
        );
        let template = confdir.join("templates/haproxy.cfg.tmpl");
        std::fs::copy(fixture, &template).unwrap();
        let dest = dir.path().join("haproxy.cfg");
        let pid = dir.path().join("haproxy.pid");
        let reloads = dir.path().join("reloads.log");
        let admin = dir.path().join("admin.sock");
        let master = dir.path().join("master.sock");
        let mut toml = format!(
            "[template]\nsrc = \"haproxy.cfg.tmpl\"\ndest = \"{}\"\nmode = \"0644\"\nkeys = [\"/app/servers\", \"/config/haproxy\"]\n\
             check_cmd = \"{HAPROXY} -c -q -f {{{{.src}}}}\"\nreload_cmd = \"echo reload >> {} && /bin/sh {} {} {}\"\n",
            dest.display(),
            reloads.display(),
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/haproxy/haproxy-reload.sh"),
            master.display(),
            pid.display()
        );
        let socket = match mode {
            Mode::Reload => None,
            Mode::Runtime => Some(admin.clone()),
            Mode::RuntimeAt(p) => Some(p),
        };
        if let Some(socket) = socket {
            toml.push_str(&format!(
                "haproxy_socket = \"{}\"\ndrain_timeout = \"10s\"\n",
                socket.display()
            ));
        }
        std::fs::write(confdir.join("conf.d/haproxy.toml"), toml).unwrap();
        put(&kv, "/v2/keys/app/servers", "dir=true");
        put(&kv, "/v2/keys/config/haproxy/bind", &format!("value=127.0.0.1:{}", ports[0]));
        put(&kv, "/v2/keys/config/haproxy/stats_bind", &format!("value=127.0.0.1:{}", ports[1]));
        put(&kv, "/v2/keys/config/haproxy/admin_socket", &format!("value={}", admin.display()));

        // HAProxy starts on the configuration the template gives for the current keys, so the
        // renderer's first cycle finds nothing to change.
        let kv_json = dir.path().join("kv.json");
        let snapshot = format!(
            "{{\"/config/haproxy/bind\": \"127.0.0.1:{}\", \"/config/haproxy/stats_bind\": \"127.0.0.1:{}\", \"/config/haproxy/admin_socket\": \"{}\"}}",
            ports[0],
            ports[1],
            admin.display()
        );
        std::fs::write(&kv_json, snapshot).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_hecd-confd"))
            .arg("render")
            .arg(&template)
            .arg("--kv")
            .arg(&kv_json)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(&dest, &out.stdout).unwrap();

        let haproxy = start_haproxy(&master, &pid, &dest, frontend);

        let confd = start_confd(&kv, &confdir);
        Pipeline {
            kv,
            dir,
            confd: Some(confd),
            haproxy: Some(haproxy),
            frontend,
            dest,
            template,
            reloads,
            confdir,
            admin,
            master,
        }
    }

    pub(crate) fn register(&self, args: &[&str]) {
        let out = Command::new(env!("CARGO_BIN_EXE_hecd-register"))
            .args(["--endpoints", &self.kv.url])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hecd-register {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(crate) fn reload_count(&self) -> usize {
        std::fs::read_to_string(&self.reloads).map(|s| s.lines().count()).unwrap_or(0)
    }

    pub(crate) fn dest(&self) -> String {
        std::fs::read_to_string(&self.dest).unwrap()
    }

    pub(crate) fn logs(&self) -> String {
        let c = self.confd.as_ref().map(|p| p.log()).unwrap_or_default();
        let h = self.haproxy.as_ref().map(|p| p.log()).unwrap_or_default();
        format!("--- hecd-confd ---\n{c}\n--- haproxy ---\n{h}")
    }

    /// Waits until `backend` answers through HAProxy; returns how long that took.
    pub(crate) fn await_traffic(&self, backend: &Backend, since: Instant) -> Duration {
        let want = backend.greeting();
        wait_until(&format!("{} to get traffic", backend.name), DEADLINE, || {
            (fetch(self.frontend)? == want).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", self.logs()));
        since.elapsed()
    }

    /// Waits until `backend` is out of the configuration HAProxy runs, then checks that a
    /// round of requests no longer reaches it.
    pub(crate) fn await_gone(&self, backend: &Backend) {
        let needle = format!("server {} ", backend.name);
        wait_until(&format!("{} to leave dest", backend.name), DEADLINE, || {
            (!self.dest().contains(&needle)).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", self.logs()));
        let want = backend.greeting();
        // The reload follows the rename; once 20 requests in a row miss the backend, HAProxy
        // runs the new configuration.
        let mut streak = 0;
        wait_until(&format!("{} to get no traffic", backend.name), DEADLINE, || {
            let body = fetch(self.frontend)?;
            streak = if body == want { 0 } else { streak + 1 };
            (streak >= 20).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", self.logs()));
        for _ in 0..30 {
            assert_ne!(
                fetch(self.frontend).as_deref(),
                Some(want.as_str()),
                "stale traffic to {}",
                backend.name
            );
        }
    }
}

/// Starts hecd-confd in watch mode on `confdir`.
pub(crate) fn start_confd(kv: &KvServer, confdir: &Path) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hecd-confd"));
    cmd.args(["-watch", "-log-level", "debug", "-node", &kv.url, "-confdir"]).arg(confdir);
    Proc::spawn("hecd-confd", cmd).unwrap()
}

/// Starts HAProxy in master-worker mode on `dest` and waits until it serves `frontend`.
pub(crate) fn start_haproxy(master: &Path, pid: &Path, dest: &Path, frontend: SocketAddr) -> Proc {
    let _ = std::fs::remove_file(pid);
    let mut cmd = Command::new(HAPROXY);
    cmd.arg("-W").arg("-S").arg(master).arg("-p").arg(pid).arg("-f").arg(dest);
    let haproxy = Proc::spawn("haproxy", cmd).unwrap();
    wait_until("HAProxy's frontend", DEADLINE, || TcpStream::connect(frontend).ok()).unwrap();
    wait_until("HAProxy's pid file", DEADLINE, || pid.exists().then_some(())).unwrap();
    wait_until("HAProxy's master CLI", DEADLINE, || {
        std::os::unix::net::UnixStream::connect(master).ok()
    })
    .unwrap();
    haproxy
}

pub(crate) fn put(kv: &KvServer, path: &str, form: &str) {
    let (status, body) = hecd_testkit::http(kv.addr, "PUT", path, form).unwrap();
    assert!(status == 200 || status == 201, "{path}: {status} {body}");
}

/// Runs request loops through HAProxy until stopped, counting answers per body and failures.
pub(crate) struct Load {
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
    seen: Arc<Mutex<BTreeMap<String, u64>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    pub(crate) fn start(frontend: SocketAddr, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicU64::new(0));
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let threads = (0..clients)
            .map(|_| {
                let (stop, failures, seen) = (stop.clone(), failures.clone(), seen.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match fetch(frontend) {
                            Some(body) => *seen.lock().unwrap().entry(body).or_insert(0) += 1,
                            None => {
                                failures.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        Load { stop, failures, seen, threads }
    }

    pub(crate) fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let total: u64 = self.seen.lock().unwrap().values().sum();
        (total, self.failures.load(Ordering::Relaxed))
    }
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn registration_to_traffic_with_real_haproxy() {
    if !haproxy_available() {
        return;
    }
    let p = Pipeline::start();
    let backends: Vec<Backend> = (1..=4).map(|i| Backend::start(&format!("web{i}"))).collect();
    let mut latencies = Vec::new();

    // Registration reaches traffic, one backend at a time.
    for b in &backends {
        let t = Instant::now();
        p.register(&["add", &b.name, &b.addr.to_string()]);
        latencies.push(p.await_traffic(b, t));
    }
    // Round robin: every backend answers.
    let mut seen = std::collections::BTreeSet::new();
    wait_until("every backend to answer", DEADLINE, || {
        seen.insert(fetch(p.frontend)?);
        (seen.len() == backends.len()).then_some(())
    })
    .unwrap();

    // Idle: no change, no reload (the quiescent store is watched, not polled into reloads).
    let reloads = p.reload_count();
    let idle_until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < idle_until {
        assert!(fetch(p.frontend).is_some(), "requests keep succeeding while idle");
    }
    assert_eq!(p.reload_count(), reloads, "no reload without a store change");

    // Deregistration leaves traffic.
    p.register(&["rm", "web1"]);
    p.await_gone(&backends[0]);

    // Churn under load: web4 leaves and comes back repeatedly; no request may fail.
    let load = Load::start(p.frontend, 3);
    let reloads_before = p.reload_count();
    for round in 0..6 {
        if round % 2 == 0 {
            p.register(&["rm", "web4"]);
            p.await_gone(&backends[3]);
        } else {
            let t = Instant::now();
            p.register(&["add", "web4", &backends[3].addr.to_string()]);
            latencies.push(p.await_traffic(&backends[3], t));
        }
    }
    let (total, failed) = load.finish();
    assert_eq!(failed, 0, "failed requests during churn ({total} succeeded)\n{}", p.logs());
    let churn_reloads = p.reload_count() - reloads_before;
    assert!(churn_reloads >= 6, "each change reloaded HAProxy ({churn_reloads} reloads)");

    latencies.sort();
    eprintln!(
        "pipeline figures: registration→traffic p50 {:?} p99 {:?} (n={}); churn: {total} requests, {failed} failed, {churn_reloads} reloads for 6 changes",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    );
}

#[test]
fn broken_template_and_rejected_config_leave_haproxy_and_dest_alone() {
    if !haproxy_available() {
        return;
    }
    let p = Pipeline::start();
    let web1 = Backend::start("web1");
    let web2 = Backend::start("web2");
    p.register(&["add", "web1", &web1.addr.to_string()]);
    p.register(&["add", "web2", &web2.addr.to_string()]);
    p.await_traffic(&web1, Instant::now());
    p.await_traffic(&web2, Instant::now());
    let good = std::fs::read_to_string(&p.template).unwrap();

    for (what, broken, needle) in [
        (
            "a template Go's parser rejects",
            good.replace("{{base .Key}}", "{{nosuchfunc .Key}}"),
            "nosuchfunc",
        ),
        (
            "a configuration haproxy -c rejects",
            good.replace("balance roundrobin", "balance roundrobin\n    no-such-keyword 1"),
            "check",
        ),
    ] {
        let before = p.dest();
        let reloads = p.reload_count();
        std::fs::write(&p.template, &broken).unwrap();
        let log_len = p.confd.as_ref().unwrap().log().len();
        p.register(&["rm", "web2"]);
        // The renderer reports the failure in its log; dest and HAProxy stay as they were.
        wait_until(&format!("hecd-confd to report {what}"), DEADLINE, || {
            let log = p.confd.as_ref().unwrap().log();
            log[log_len..].to_ascii_lowercase().contains(needle).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", p.logs()));
        assert_eq!(p.dest(), before, "{what}: dest unchanged");
        assert_eq!(p.reload_count(), reloads, "{what}: no reload");
        let st = Command::new(HAPROXY).args(["-c", "-q", "-f"]).arg(&p.dest).status().unwrap();
        assert!(st.success(), "{what}: dest still passes haproxy -c");
        for _ in 0..20 {
            assert!(fetch(p.frontend).is_some(), "{what}: HAProxy keeps serving");
        }
        // Repaired, the renderer applies the pending change (one more store event wakes a
        // watcher that only renders on events).
        std::fs::write(&p.template, &good).unwrap();
        p.register(&["add", "web1", &web1.addr.to_string()]);
        p.await_gone(&web2);
        p.register(&["add", "web2", &web2.addr.to_string()]);
        p.await_traffic(&web2, Instant::now());
    }
    let haproxy_log = p.haproxy.as_ref().unwrap().log();
    assert!(
        !haproxy_log.contains("Loading failure"),
        "HAProxy never failed to load a config:\n{haproxy_log}"
    );
}
