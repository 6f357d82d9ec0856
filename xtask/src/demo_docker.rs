//! The demo's Docker part: when a Docker engine is reachable (`DOCKER_HOST`, else
//! `/var/run/docker.sock`), or with `--docker` (which starts a private engine when none is),
//! `hecd-register docker` follows the engine, two real containers are started, shown
//! registered and served through HAProxy, and one is stopped and shown leaving.
//!
//! The containers run an image imported offline from Debian's static busybox (no registry is
//! needed). Everything this part starts is stopped and removed when the returned guard drops.

use crate::demo::wait_for;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const IMAGE: &str = "hecd-demo-bb:1";
const DOCKERD: &str = "/usr/sbin/dockerd";
const BUSYBOX: &str = "/bin/busybox";

/// Splits `--docker` off the demo's arguments.
pub fn split_flag(args: &[String]) -> (bool, Vec<String>) {
    let docker = args.iter().any(|a| a == "--docker");
    (docker, args.iter().filter(|a| *a != "--docker").cloned().collect())
}

/// What the Docker part started; stopped and removed on drop.
pub struct DockerDemo {
    host: String,
    containers: Vec<String>,
    registrar: Option<Child>,
    engine: Option<(Child, PathBuf)>,
    log: Option<PathBuf>,
}

impl Drop for DockerDemo {
    fn drop(&mut self) {
        if let Some(mut r) = self.registrar.take() {
            let _ = Command::new("kill").arg("-TERM").arg(r.id().to_string()).status();
            let _ = r.wait();
        }
        if !self.containers.is_empty() {
            let mut args = vec!["rm".to_owned(), "-f".to_owned()];
            args.extend(self.containers.iter().cloned());
            let _ = docker(&self.host, &args.iter().map(String::as_str).collect::<Vec<_>>());
        }
        if let Some(log) = self.log.take() {
            let _ = std::fs::remove_file(log);
        }
        if let Some((mut child, dir)) = self.engine.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs the Docker part of the demo against the running pipeline, or says why it is skipped.
/// Returns what must stay alive until the demo ends.
pub fn run(
    bin: &Path,
    kv_url: &str,
    frontend: SocketAddr,
    have_haproxy: bool,
    wanted: bool,
) -> Result<Option<DockerDemo>, String> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let mut demo = DockerDemo {
        host: host.clone(),
        containers: Vec::new(),
        registrar: None,
        engine: None,
        log: None,
    };
    if !ping(&host) {
        if !wanted {
            println!("docker       no engine at {host}; `cargo xtask demo --docker` starts a private one");
            return Ok(None);
        }
        let missing: Vec<&str> = [("docker.io", DOCKERD), ("busybox-static", BUSYBOX)]
            .iter()
            .filter(|(_, probe)| !Path::new(probe).exists())
            .map(|(pkg, _)| *pkg)
            .collect();
        if !missing.is_empty() {
            crate::deps::install_packages(&missing)?;
        }
        let (child, dir, private) = start_engine()?;
        demo.host = private;
        demo.engine = Some((child, dir));
    }
    let host = demo.host.clone();
    if !Path::new(BUSYBOX).exists() {
        crate::deps::install_packages(&["busybox-static"])?;
    }
    import_image(&host)?;
    println!("docker       engine at {host}");

    let log = std::env::temp_dir().join(format!("hecd-demo-register-{}.log", std::process::id()));
    let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let registrar = Command::new(bin.join("hecd-register"))
        .args(["--endpoints", kv_url, "--log-level", "info", "docker", "--docker-host", &host])
        .args(["--ip", "127.0.0.1", "--hostname", "demo"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("hecd-register docker: {e}"))?;
    demo.registrar = Some(registrar);
    demo.log = Some(log.clone());
    println!("registrar    hecd-register docker --ip 127.0.0.1 (log: {})", log.display());

    let kv: SocketAddr =
        kv_url.trim_start_matches("http://").parse().map_err(|e| format!("{kv_url}: {e}"))?;
    for name in ["demo-web-1", "demo-web-2"] {
        let _ = docker(&host, &["rm", "-f", name]);
        let t = Instant::now();
        let script = format!(
            "/bin/busybox mkdir -p /www && echo 'hello from {name}' > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"
        );
        docker(
            &host,
            &[
                "run",
                "-d",
                "--name",
                name,
                "-p",
                "127.0.0.1::8080",
                IMAGE,
                "/bin/sh",
                "-c",
                &script,
            ],
        )?;
        demo.containers.push(name.to_owned());
        let key = format!("/v2/keys/app/servers/demo:{name}:8080");
        let value = wait_for(&format!("{name}'s key"), 20, || {
            let body = get(kv, &key)?;
            let v = body.split("\"value\":\"").nth(1)?.split('"').next()?.to_owned();
            Some(v)
        })?;
        print!(
            "container    {name} started: /app/servers/demo:{name}:8080 = {value} after {} ms",
            t.elapsed().as_millis()
        );
        if have_haproxy {
            let want = format!("hello from {name}\n");
            wait_for(&format!("{name} to get traffic"), 20, || {
                get(frontend, "/").filter(|b| *b == want).map(|_| ())
            })?;
            print!(", served through HAProxy after {} ms", t.elapsed().as_millis());
        }
        println!();
    }
    // `docker stop` sends SIGTERM, waits (httpd ignores it) and then SIGKILLs: the entry goes
    // at the SIGTERM, while the container still runs.
    let t = Instant::now();
    let stop_host = host.clone();
    let stop = std::thread::spawn(move || docker(&stop_host, &["stop", "-t", "2", "demo-web-1"]));
    wait_for("demo-web-1's key to go", 20, || {
        get(kv, "/v2/keys/app/servers/demo:demo-web-1:8080").is_none().then_some(())
    })?;
    let gone = t.elapsed();
    stop.join().map_err(|_| "docker stop panicked".to_owned())??;
    println!(
        "container    docker stop demo-web-1: deregistered after {} ms, the container exited after {} ms",
        gone.as_millis(),
        t.elapsed().as_millis()
    );
    Ok(Some(demo))
}

/// Starts a private engine in a temp dir; returns it, its dir and its `unix://` address.
fn start_engine() -> Result<(Child, PathBuf, String), String> {
    let dir = std::env::temp_dir().join(format!("hecd-demo-docker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let host = format!("unix://{}", dir.join("docker.sock").display());
    let log = std::fs::File::create(dir.join("dockerd.log")).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(DOCKERD)
        .arg("--data-root")
        .arg(dir.join("root"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg("--pidfile")
        .arg(dir.join("dockerd.pid"))
        .args(["--host", &host, "--storage-driver", "vfs", "--shutdown-timeout", "1"])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| {
            format!("cannot start {DOCKERD}: {e} (the demo needs root for a private engine)")
        })?;
    if let Err(e) = wait_for("the private Docker engine", 60, || ping(&host).then_some(())) {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!("{e}\n{log}"));
    }
    println!("docker       started a private engine at {host}");
    Ok((child, dir, host))
}

/// Imports the busybox image unless the engine has it.
fn import_image(host: &str) -> Result<(), String> {
    if docker(host, &["image", "inspect", IMAGE]).is_ok() {
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("hecd-demo-image-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("rootfs/bin")).map_err(|e| e.to_string())?;
    std::fs::copy(BUSYBOX, dir.join("rootfs/bin/busybox")).map_err(|e| e.to_string())?;
    let _ = std::os::unix::fs::symlink("busybox", dir.join("rootfs/bin/sh"));
    let tar = dir.join("image.tar");
    let st = Command::new("tar")
        .arg("-C")
        .arg(dir.join("rootfs"))
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    let r = if st.success() {
        docker(host, &["import", &tar.display().to_string(), IMAGE]).map(|_| ())
    } else {
        Err(format!("tar failed: {st}"))
    };
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn docker(host: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker")
        .arg("--host")
        .arg(host)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!("docker {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// `GET /_ping` on a `unix://` engine answers 200.
fn ping(host: &str) -> bool {
    let Some(path) = host.strip_prefix("unix://") else { return false };
    let Ok(mut s) = UnixStream::connect(path) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n").is_err() {
        return false;
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200")
}

/// One HTTP/1.0 GET; the body of a 200.
fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: demo\r\n\r\n").as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    if resp.split_whitespace().nth(1)? != "200" {
        return None;
    }
    resp.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}
