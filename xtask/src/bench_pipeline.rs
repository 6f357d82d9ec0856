//! `cargo xtask bench pipeline`: registration → first request served by the new backend,
//! through a real HAProxy, with hecd-confd applying changes through HAProxy's runtime API
//! (`haproxy_socket`) and with the ordinary check → reload path, in the same run.
//!
//! Each round registers a fresh backend with a PUT to hecd-kv while two clients keep
//! requesting through HAProxy; the backend notes the instant of its first request. The
//! backend is then deregistered (and its removal awaited in dest) so that the backend set
//! stays small and the figure is not diluted by round robin over many servers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::ci::root;
use crate::demo::wait_for;

const HAPROXY: &str = "/usr/sbin/haproxy";

/// Processes killed and the work dir removed on drop.
struct Stack {
    dir: PathBuf,
    children: Vec<Child>,
}

impl Drop for Stack {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A backend that records when it served its first request.
struct Probe {
    addr: SocketAddr,
    first: Arc<OnceLock<Instant>>,
    stop: Arc<AtomicBool>,
}

impl Probe {
    fn start() -> Result<Probe, String> {
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = l.local_addr().map_err(|e| e.to_string())?;
        let first = Arc::new(OnceLock::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (f, st) = (first.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in l.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                let f = f.clone();
                std::thread::spawn(move || {
                    let Ok(r) = c.try_clone() else { return };
                    let mut reader = BufReader::new(r);
                    let mut line = String::new();
                    let mut got = false;
                    while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                        got = true;
                        line.clear();
                    }
                    if got {
                        let _ = f.set(Instant::now());
                        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
                    }
                });
            }
        });
        Ok(Probe { addr, first, stop })
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn request(addr: SocketAddr, method: &str, path: &str, form: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.set_nodelay(true).ok()?;
    // One write: pieces written apart would wait on Nagle's algorithm and delayed ACKs.
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_whitespace().nth(1)?.parse().ok()
}

fn spawn(stack: &mut Stack, name: &str, cmd: &mut Command) -> Result<(), String> {
    let log =
        std::fs::File::create(stack.dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{name}: {e}"))?;
    stack.children.push(child);
    Ok(())
}

/// One mode's figures.
struct Figures {
    latencies: Vec<Duration>,
    reloads: usize,
    failed: u64,
    requests: u64,
}

fn measure(bin: &Path, runtime: bool, rounds: usize) -> Result<Figures, String> {
    let dir =
        std::env::temp_dir().join(format!("hecd-bench-pipeline-{}-{runtime}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("confd/conf.d")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("confd/templates")).map_err(|e| e.to_string())?;
    let mut stack = Stack { dir: dir.clone(), children: Vec::new() };
    let kv_port = free_port()?;
    let kv_url = format!("http://127.0.0.1:{kv_port}");
    let kv: SocketAddr = ([127, 0, 0, 1], kv_port).into();
    spawn(
        &mut stack,
        "hecd-kv",
        Command::new(bin.join("hecd-kv"))
            .args(["--name", "bench", "--log-level", "warn", "--data-dir"])
            .arg(dir.join("kv"))
            .args(["--listen-client-urls", &kv_url, "--advertise-client-urls", &kv_url]),
    )?;
    wait_for("hecd-kv", 30, || request(kv, "GET", "/v2/keys/", "").filter(|s| *s == 200))?;
    let (fe_port, stats_port) = (free_port()?, free_port()?);
    let fe: SocketAddr = ([127, 0, 0, 1], fe_port).into();
    let (admin, master, pid, dest) = (
        dir.join("admin.sock"),
        dir.join("master.sock"),
        dir.join("haproxy.pid"),
        dir.join("haproxy.cfg"),
    );
    let reloads = dir.join("reloads.log");
    let keys = [
        ("bind", format!("127.0.0.1:{fe_port}")),
        ("stats_bind", format!("127.0.0.1:{stats_port}")),
        ("admin_socket", admin.display().to_string()),
    ];
    request(kv, "PUT", "/v2/keys/app/servers", "dir=true").ok_or("cannot create /app/servers")?;
    for (k, v) in &keys {
        request(kv, "PUT", &format!("/v2/keys/config/haproxy/{k}"), &format!("value={v}"))
            .ok_or("cannot set a key")?;
    }
    let template = root().join("fixtures/haproxy/modern/templates/haproxy.cfg.tmpl");
    std::fs::copy(&template, dir.join("confd/templates/haproxy.cfg.tmpl"))
        .map_err(|e| e.to_string())?;
    let socket_line =
        if runtime { format!("haproxy_socket = \"{}\"\n", admin.display()) } else { String::new() };
    let toml = format!(
        "[template]\nsrc = \"haproxy.cfg.tmpl\"\ndest = \"{}\"\nkeys = [\"/app/servers\", \"/config/haproxy\"]\ncheck_cmd = \"{HAPROXY} -c -q -f {{{{.src}}}}\"\nreload_cmd = \"echo reload >> {} && /bin/sh {} {} {}\"\n{socket_line}",
        dest.display(),
        reloads.display(),
        root().join("fixtures/haproxy/haproxy-reload.sh").display(),
        master.display(),
        pid.display()
    );
    std::fs::write(dir.join("confd/conf.d/haproxy.toml"), toml).map_err(|e| e.to_string())?;
    let snapshot: Vec<String> =
        keys.iter().map(|(k, v)| format!("\"/config/haproxy/{k}\": \"{v}\"")).collect();
    std::fs::write(dir.join("keys.json"), format!("{{{}}}", snapshot.join(", ")))
        .map_err(|e| e.to_string())?;
    let first = Command::new(bin.join("hecd-confd"))
        .arg("render")
        .arg(&template)
        .arg("--kv")
        .arg(dir.join("keys.json"))
        .output()
        .map_err(|e| e.to_string())?;
    std::fs::write(&dest, &first.stdout).map_err(|e| e.to_string())?;
    spawn(
        &mut stack,
        "haproxy",
        Command::new(HAPROXY)
            .arg("-W")
            .arg("-S")
            .arg(&master)
            .arg("-p")
            .arg(&pid)
            .arg("-f")
            .arg(&dest),
    )?;
    wait_for("HAProxy", 15, || TcpStream::connect(fe).ok())?;
    wait_for("HAProxy's master CLI", 15, || std::os::unix::net::UnixStream::connect(&master).ok())?;
    spawn(
        &mut stack,
        "hecd-confd",
        Command::new(bin.join("hecd-confd"))
            .args(["-watch", "-log-level", "warn", "-node", &kv_url, "-confdir"])
            .arg(dir.join("confd")),
    )?;
    // One server that stays, and two clients that keep requesting through HAProxy.
    let base = Probe::start()?;
    request(kv, "PUT", "/v2/keys/app/servers/base", &format!("value={}", base.addr))
        .ok_or("cannot register")?;
    wait_for("the base server to get traffic", 15, || {
        request(fe, "GET", "/", "");
        base.first.get().copied()
    })
    .map_err(|e| format!("{e}\n{}", logs(&dir)))?;
    let stop = Arc::new(AtomicBool::new(false));
    let counts =
        Arc::new((std::sync::atomic::AtomicU64::new(0), std::sync::atomic::AtomicU64::new(0)));
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (stop, counts) = (stop.clone(), counts.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match request(fe, "GET", "/", "") {
                        Some(200) => counts.0.fetch_add(1, Ordering::Relaxed),
                        _ => counts.1.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    let reloads_before = std::fs::read_to_string(&reloads).map(|s| s.lines().count()).unwrap_or(0);
    let mut latencies = Vec::with_capacity(rounds);
    // Deregistered backends keep running: HAProxy may still finish requests on them while a
    // reload is under way, and a backend that vanished would count against the mode.
    let mut retired = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let probe = Probe::start()?;
        let key = format!("/v2/keys/app/servers/r{i}");
        let t0 = Instant::now();
        request(kv, "PUT", &key, &format!("value={}", probe.addr)).ok_or("cannot register")?;
        let hit = wait_for(&format!("r{i} to get traffic"), 20, || probe.first.get().copied())?;
        latencies.push(hit.saturating_duration_since(t0));
        request(kv, "DELETE", &key, "").ok_or("cannot deregister")?;
        let needle = format!("server r{i} ");
        wait_for(&format!("r{i} to leave dest"), 20, || {
            std::fs::read_to_string(&dest).ok().filter(|d| !d.contains(&needle))
        })?;
        retired.push(probe);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    let reloads_after = std::fs::read_to_string(&reloads).map(|s| s.lines().count()).unwrap_or(0);
    latencies.sort();
    Ok(Figures {
        latencies,
        reloads: reloads_after - reloads_before,
        requests: counts.0.load(Ordering::Relaxed),
        failed: counts.1.load(Ordering::Relaxed),
    })
}

fn logs(dir: &Path) -> String {
    ["hecd-confd", "haproxy", "hecd-kv"]
        .iter()
        .map(|n| {
            format!(
                "--- {n} ---\n{}",
                std::fs::read_to_string(dir.join(format!("{n}.log"))).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

/// Runs the benchmark: `--rounds N` registrations per mode (default 100).
pub fn run(args: &[String]) -> Result<(), String> {
    let rounds = match args {
        [] => 100,
        [flag, n] if flag == "--rounds" => {
            n.parse().ok().filter(|n| *n > 0).ok_or("--rounds takes a positive number")?
        }
        _ => return Err("usage: cargo xtask bench pipeline [--rounds N]".into()),
    };
    crate::deps::install()?;
    crate::ci::cargo_pub(&["build", "--release", "--bins", "--package", "hecd"])?;
    let bin = root().join("target/release");
    let mut rows = Vec::new();
    for (name, runtime) in [("runtime API", true), ("reload", false)] {
        eprintln!("xtask: bench pipeline: {name} mode, {rounds} registrations");
        let f = measure(&bin, runtime, rounds)?;
        rows.push((name, f));
    }
    println!("registration -> first request served by the new backend ({rounds} registrations per mode, HAProxy 2.6, 2 clients)");
    println!(
        "{:<12} {:>9} {:>9} {:>9} {:>8} {:>10} {:>7}",
        "mode", "p50 ms", "p99 ms", "max ms", "reloads", "requests", "failed"
    );
    for (name, f) in &rows {
        println!(
            "{:<12} {:>9.1} {:>9.1} {:>9.1} {:>8} {:>10} {:>7}",
            name,
            pct(&f.latencies, 0.5),
            pct(&f.latencies, 0.99),
            pct(&f.latencies, 1.0),
            f.reloads,
            f.requests,
            f.failed
        );
    }
    Ok(())
}
