//! `cargo xtask demo`: the main job, the whole pipeline on loopback.
//!
//! 1. builds the three binaries (release);
//! 2. starts `hecd-kv` with its data in a temporary directory;
//! 3. starts a few demo backends (tiny HTTP servers in this process, one thread each);
//! 4. writes a confd directory from `fixtures/haproxy/modern` (dest, pid file and check
//!    command pointed into the temporary directory), renders once, starts HAProxy in
//!    master-worker mode when it is installed, then `hecd-confd -watch`;
//! 5. registers each backend with `hecd-register` and shows requests through HAProxy
//!    reaching it, then deregisters one and shows that it leaves;
//! 6. keeps running until Ctrl-C (or stops at once with `--once`), then stops every process
//!    and removes the temporary directory.
//!
//! Without HAProxy it prints the rendered configuration and says that HAProxy is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ci::root;

const HAPROXY: &str = "/usr/sbin/haproxy";

struct Options {
    once: bool,
    backends: usize,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { once: false, backends: 3 };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--once" => o.once = true,
            "--backends" => {
                o.backends = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| (1..=20).contains(n))
                    .ok_or("--backends takes a number from 1 to 20")?;
            }
            other => return Err(format!("unknown demo option {other:?} (--once, --backends N)")),
        }
    }
    Ok(o)
}

/// Children stopped (SIGTERM, then SIGKILL) and the work dir removed on drop.
struct Stack {
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

impl Stack {
    fn spawn(&mut self, name: &str, cmd: &mut Command) -> Result<(), String> {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log")))
            .map_err(|e| format!("log file: {e}"))?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for (name, child) in self.children.iter_mut().rev() {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("demo: {name} did not stop; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::park_timeout(Duration::from_millis(20)),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Polls `f` until it returns `Some` or `secs` pass.
pub(crate) fn wait_for<T>(
    what: &str,
    secs: u64,
    mut f: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if Instant::now() > end {
            return Err(format!("timed out after {secs}s waiting for {what}"));
        }
        std::thread::park_timeout(Duration::from_millis(2));
    }
}

/// One HTTP/1.0 GET; returns the status and body.
fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    // One write: a request written in pieces waits on Nagle's algorithm and delayed ACKs.
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: demo\r\n\r\n").as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split_whitespace().nth(1)?.parse().ok()?;
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

/// One HTTP/1.0 PUT with a form body; returns the status.
fn put(addr: SocketAddr, path: &str, form: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let head = format!(
        "PUT {path} HTTP/1.0\r\nHost: demo\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_whitespace().nth(1)?.parse().ok()
}

/// A backend that answers every request with `hello from NAME`.
pub(crate) fn backend(name: String, stop: Arc<AtomicBool>) -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let Ok(mut c) = conn else { continue };
            let name = name.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(match c.try_clone() {
                    Ok(r) => r,
                    Err(_) => return,
                });
                let mut line = String::new();
                // Read the request head, then answer and close.
                while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                    line.clear();
                }
                let body = format!("hello from {name}\n");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = c.write_all(resp.as_bytes());
            });
        }
    });
    Ok(port)
}

fn register(bin: &Path, kv: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(bin.join("hecd-register"))
        .args(["--endpoints", kv])
        .args(args)
        .output()
        .map_err(|e| format!("hecd-register: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "hecd-register {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs the demo.
pub fn run(args: &[String]) -> Result<(), String> {
    let (docker, args) = crate::demo_docker::split_flag(args);
    let opts = parse(&args)?;
    // protoc builds the raft crate; HAProxy is what the demo shows traffic through.
    let needed: Vec<&str> = [
        ("protobuf-compiler", "/usr/bin/protoc"),
        ("haproxy", HAPROXY),
        ("socat", "/usr/bin/socat"),
    ]
    .iter()
    .filter(|(_, probe)| !Path::new(probe).exists())
    .map(|(pkg, _)| *pkg)
    .collect();
    if !needed.is_empty() {
        crate::deps::install_packages(&needed)?;
    }
    crate::ci::cargo_pub(&["build", "--release", "--bins", "--package", "hecd"])?;
    let bin = root().join("target/release");
    let dir = std::env::temp_dir().join(format!("hecd-demo-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("confd/conf.d")).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("confd/templates")).map_err(|e| e.to_string())?;
    let mut stack = Stack { dir: dir.clone(), children: Vec::new() };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
    }

    // 1. The store.
    let kv_port = free_port()?;
    let kv_url = format!("http://127.0.0.1:{kv_port}");
    stack.spawn(
        "hecd-kv",
        Command::new(bin.join("hecd-kv"))
            .args(["--name", "demo", "--data-dir"])
            .arg(dir.join("kv"))
            .args(["--listen-client-urls", &kv_url, "--advertise-client-urls", &kv_url]),
    )?;
    let kv_addr: SocketAddr = ([127, 0, 0, 1], kv_port).into();
    wait_for("hecd-kv", 30, || get(kv_addr, "/v2/keys/").filter(|(s, _)| *s == 200))?;
    println!(
        "hecd-kv      serving the etcd v2 API at {kv_url} (data in {})",
        dir.join("kv").display()
    );

    // 2. The backends.
    let stop = Arc::new(AtomicBool::new(false));
    let mut backends = Vec::new();
    for i in 1..=opts.backends {
        let name = format!("web{i}");
        let port = backend(name.clone(), stop.clone())?;
        backends.push((name, format!("127.0.0.1:{port}")));
    }
    println!(
        "backends     {}",
        backends.iter().map(|(n, a)| format!("{n}={a}")).collect::<Vec<_>>().join(" ")
    );

    // 3. The confd directory, HAProxy and hecd-confd.
    let (fe_port, stats_port) = (free_port()?, free_port()?);
    let fixtures = root().join("fixtures/haproxy/modern");
    let template = std::fs::read_to_string(fixtures.join("templates/haproxy.cfg.tmpl"))
        .map_err(|e| e.to_string())?;
    std::fs::write(dir.join("confd/templates/haproxy.cfg.tmpl"), template)
        .map_err(|e| e.to_string())?;
    let dest = dir.join("haproxy.cfg");
    let pid = dir.join("haproxy.pid");
    let have_haproxy = Path::new(HAPROXY).exists();
    let check =
        if have_haproxy { format!("{HAPROXY} -c -q -f {{{{.src}}}}") } else { "true".into() };
    let reload = if have_haproxy {
        format!(
            "/bin/sh {} {} {}",
            root().join("fixtures/haproxy/haproxy-reload.sh").display(),
            dir.join("master.sock").display(),
            pid.display()
        )
    } else {
        "true".into()
    };
    // The recommended setup: server changes through HAProxy's runtime API, no reload.
    let admin = dir.join("admin.sock");
    let runtime = if have_haproxy {
        format!("haproxy_socket = \"{}\"\n", admin.display())
    } else {
        String::new()
    };
    let toml = format!(
        "[template]\nsrc = \"haproxy.cfg.tmpl\"\ndest = \"{}\"\nmode = \"0644\"\nkeys = [\"/app/servers\", \"/config/haproxy\"]\ncheck_cmd = \"{check}\"\nreload_cmd = \"{reload}\"\n{runtime}",
        dest.display()
    );
    std::fs::write(dir.join("confd/conf.d/haproxy.toml"), toml).map_err(|e| e.to_string())?;
    // An empty /app/servers directory: no servers yet, rather than a missing key.
    put(kv_addr, "/v2/keys/app/servers", "dir=true")
        .filter(|s| *s == 201)
        .ok_or("cannot create /app/servers")?;
    register(
        &bin,
        &kv_url,
        &["--prefix", "/config/haproxy", "add", "bind", &format!("127.0.0.1:{fe_port}")],
    )?;
    register(
        &bin,
        &kv_url,
        &["--prefix", "/config/haproxy", "add", "stats_bind", &format!("127.0.0.1:{stats_port}")],
    )?;
    // A socket path is not a registration (HOST:PORT): a plain PUT.
    put(kv_addr, "/v2/keys/config/haproxy/admin_socket", &format!("value={}", admin.display()))
        .filter(|s| *s == 200 || *s == 201)
        .ok_or("cannot set /config/haproxy/admin_socket")?;
    let confd = bin.join("hecd-confd");
    let confdir = dir.join("confd");
    // HAProxy starts on what the template gives for the keys so far (no servers yet), rendered
    // by `hecd-confd render` from a snapshot; the daemon's first cycle then finds nothing to do.
    let snapshot = dir.join("bootstrap-keys.json");
    std::fs::write(
        &snapshot,
        format!(
            "{{\"/config/haproxy/bind\": \"127.0.0.1:{fe_port}\", \"/config/haproxy/stats_bind\": \"127.0.0.1:{stats_port}\", \"/config/haproxy/admin_socket\": \"{}\"}}",
            admin.display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let first = Command::new(&confd)
        .arg("render")
        .arg(confdir.join("templates/haproxy.cfg.tmpl"))
        .arg("--kv")
        .arg(&snapshot)
        .output()
        .map_err(|e| format!("hecd-confd: {e}"))?;
    if !first.status.success() {
        return Err(format!(
            "the first render failed: {}",
            String::from_utf8_lossy(&first.stderr).trim()
        ));
    }
    std::fs::write(&dest, &first.stdout).map_err(|e| e.to_string())?;
    let fe_addr: SocketAddr = ([127, 0, 0, 1], fe_port).into();
    if have_haproxy {
        stack.spawn(
            "haproxy",
            Command::new(HAPROXY)
                .arg("-W")
                .arg("-S")
                .arg(dir.join("master.sock"))
                .arg("-p")
                .arg(&pid)
                .arg("-f")
                .arg(&dest),
        )?;
        wait_for("HAProxy's pid file", 15, || pid.exists().then_some(()))?;
        wait_for("HAProxy's frontend", 15, || get(fe_addr, "/").map(|_| ()))?;
        println!(
            "haproxy      http://127.0.0.1:{fe_port}/ (stats: http://127.0.0.1:{stats_port}/stats)"
        );
    } else {
        println!("haproxy      MISSING: {HAPROXY} is not installed (apt-get install haproxy); showing the rendered configuration instead");
    }
    stack.spawn(
        "hecd-confd",
        Command::new(&confd)
            .args(["-watch", "-node", &kv_url, "-log-level", "info", "-confdir"])
            .arg(&confdir),
    )?;
    println!("hecd-confd   watching /app/servers, rendering {}", dest.display());
    if have_haproxy {
        println!(
            "             server changes through HAProxy's runtime API at {} (no reload)",
            admin.display()
        );
    }

    // 4. Registrations reach traffic.
    for (name, addr) in &backends {
        let t = Instant::now();
        register(&bin, &kv_url, &["add", name, addr])?;
        if have_haproxy {
            let want = format!("hello from {name}\n");
            // One round of round robin per look, so the figure is not the polling's.
            let round = backends.len();
            wait_for(&format!("{name} to get traffic"), 15, || {
                (0..round)
                    .any(|_| get(fe_addr, "/").is_some_and(|(s, b)| s == 200 && b == want))
                    .then_some(())
            })
            .map_err(|e| format!("{e}\nhecd-confd log:\n{}", stack.log("hecd-confd")))?;
            println!("registered   {name} -> {addr}: traffic after {} ms", t.elapsed().as_millis());
        } else {
            let needle = format!("server {name} {addr}");
            wait_for(&format!("{name} in the rendered file"), 15, || {
                std::fs::read_to_string(&dest).ok().filter(|c| c.contains(&needle)).map(|_| ())
            })?;
            println!(
                "registered   {name} -> {addr}: rendered after {} ms",
                t.elapsed().as_millis()
            );
        }
    }
    if have_haproxy {
        let mut counts = std::collections::BTreeMap::new();
        for _ in 0..(10 * backends.len()) {
            if let Some((200, body)) = get(fe_addr, "/") {
                *counts.entry(body.trim().to_owned()).or_insert(0) += 1;
            }
        }
        println!("requests     {counts:?}");
    } else {
        println!(
            "--- {} ---\n{}",
            dest.display(),
            std::fs::read_to_string(&dest).unwrap_or_default()
        );
    }
    if let Some((name, _)) = backends.first() {
        let t = Instant::now();
        register(&bin, &kv_url, &["rm", name])?;
        let needle = format!("server {name} ");
        wait_for(&format!("{name} to leave the configuration"), 15, || {
            std::fs::read_to_string(&dest).ok().filter(|c| !c.contains(&needle)).map(|_| ())
        })?;
        println!(
            "deregistered {name}: gone from the configuration after {} ms",
            t.elapsed().as_millis()
        );
    }

    let _docker = crate::demo_docker::run(&bin, &kv_url, fe_addr, have_haproxy, docker)?;
    if !opts.once {
        println!("\nrunning; try `target/release/hecd-register --endpoints {kv_url} add web9 127.0.0.1:PORT`. Ctrl-C stops everything.");
        while !interrupted.load(Ordering::SeqCst) {
            std::thread::park_timeout(Duration::from_millis(100));
        }
        println!("\nstopping");
    }
    stop.store(true, Ordering::Relaxed);
    drop(stack);
    println!("stopped; removed {}", dir.display());
    Ok(())
}
