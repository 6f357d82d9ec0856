//! A private Docker engine for tests: Debian's `dockerd` with its data, runtime state and
//! socket in a temp dir, and an image imported offline from a tar that holds `/bin/busybox`
//! (Debian's `busybox-static`), so no registry is needed.
//!
//! Several engines on one machine fight over the `docker0` bridge and its iptables rules, so
//! one engine is started lazily per test process and shared: [`shared`] hands out a guard that
//! many tests hold at once, and [`exclusive`] one that waits for all of them (for a test that
//! restarts the engine).
//!
//! A process-wide engine is never dropped, so it is stopped by a watchdog: a small `sh`
//! process whose stdin is a pipe held by this process. When the test process exits (normally
//! or not) the pipe closes, and the watchdog stops `dockerd` (which stops its containers) and
//! removes the temp dir.
//!
//! When `dockerd` is missing outside CI the tests skip loudly; in CI (`CI` set) a missing or
//! failing engine is a failure, because `cargo xtask test` installs `docker.io`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::wait_until;

/// Debian's engine.
pub const DOCKERD: &str = "/usr/sbin/dockerd";
/// Debian's static busybox, the only file of the test image.
pub const BUSYBOX: &str = "/bin/busybox";
/// Debian's `docker` CLI (from `docker.io`, the engine's own version), rather than whichever
/// `docker` comes first on `PATH`.
pub const DOCKER_CLI: &str = "/usr/bin/docker";
/// The test image's name.
pub const IMAGE: &str = "hecd-bb:test";

/// A running private engine.
pub struct DockerEngine {
    /// `unix:///…/docker.sock`, for `--docker-host` and `DOCKER_HOST`.
    pub host: String,
    /// The socket path.
    pub socket: PathBuf,
    dir: PathBuf,
    child: Mutex<Option<Child>>,
    /// Holding the write end keeps the watchdog waiting.
    _watchdog: Mutex<ChildStdin>,
}

static ENGINE: OnceLock<Result<DockerEngine, String>> = OnceLock::new();
static USERS: RwLock<()> = RwLock::new(());

/// A shared hold on the engine; many tests hold one at once.
pub struct Shared {
    _guard: RwLockReadGuard<'static, ()>,
    /// The engine.
    pub engine: &'static DockerEngine,
}

/// The only hold on the engine, for a test that stops and restarts it.
pub struct Exclusive {
    _guard: RwLockWriteGuard<'static, ()>,
    /// The engine.
    pub engine: &'static DockerEngine,
}

impl std::ops::Deref for Shared {
    type Target = DockerEngine;
    fn deref(&self) -> &DockerEngine {
        self.engine
    }
}

impl Exclusive {
    /// Stops the engine (SIGTERM; it stops its containers) and waits until it is gone.
    ///
    /// # Panics
    /// When it does not stop within 60 s.
    pub fn stop(&self) {
        self.engine.stop();
    }

    /// Starts the engine again after [`Exclusive::stop`], with the same data.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&self) {
        self.engine.restart();
    }
}

impl std::ops::Deref for Exclusive {
    type Target = DockerEngine;
    fn deref(&self) -> &DockerEngine {
        self.engine
    }
}

/// The process's engine (started on first use) for a test that shares it. `None`, said on
/// stderr, when `dockerd` is not installed outside CI.
///
/// # Panics
/// When the engine cannot start, or `dockerd` is missing in CI.
pub fn shared() -> Option<Shared> {
    let engine = engine()?;
    let guard = USERS.read().unwrap_or_else(|p| p.into_inner());
    Some(Shared { _guard: guard, engine })
}

/// Like [`shared`], waiting until no other test holds the engine.
///
/// # Panics
/// As [`shared`].
pub fn exclusive() -> Option<Exclusive> {
    let engine = engine()?;
    let guard = USERS.write().unwrap_or_else(|p| p.into_inner());
    Some(Exclusive { _guard: guard, engine })
}

fn engine() -> Option<&'static DockerEngine> {
    if !Path::new(DOCKERD).exists() || !Path::new(BUSYBOX).exists() {
        let msg =
            format!("{DOCKERD} or {BUSYBOX} is missing (apt-get install docker.io busybox-static)");
        assert!(std::env::var_os("CI").is_none(), "{msg}: CI must install them");
        eprintln!("SKIPPING a Docker test: {msg}");
        return None;
    }
    match ENGINE.get_or_init(DockerEngine::start) {
        Ok(e) => Some(e),
        Err(e) => panic!("the private Docker engine did not start: {e}"),
    }
}

impl DockerEngine {
    fn start() -> Result<DockerEngine, String> {
        // A short path: the socket path must fit in a sockaddr_un (108 bytes).
        let dir = std::env::temp_dir().join(format!("hecd-docker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let socket = dir.join("docker.sock");
        let pidfile = dir.join("dockerd.pid");
        let script = format!(
            "read _ignored; pid=$(cat '{pid}' 2>/dev/null); \
             if [ -n \"$pid\" ]; then kill -TERM \"$pid\" 2>/dev/null; i=0; \
             while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
             kill -KILL \"$pid\" 2>/dev/null; fi; rm -rf '{dir}'",
            pid = pidfile.display(),
            dir = dir.display()
        );
        let mut watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the engine's watchdog: {e}"))?;
        let stdin = watchdog.stdin.take().ok_or("the watchdog has no stdin")?;
        let engine = DockerEngine {
            host: format!("unix://{}", socket.display()),
            socket,
            dir,
            child: Mutex::new(None),
            _watchdog: Mutex::new(stdin),
        };
        engine.start_daemon()?;
        engine.import_image()?;
        Ok(engine)
    }

    fn start_daemon(&self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("dockerd.log"))
            .map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let d = &self.dir;
        let mut child = Command::new(DOCKERD)
            .arg("--data-root")
            .arg(d.join("root"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("dockerd.pid"))
            .arg("--host")
            .arg(&self.host)
            // vfs: plain directories, no overlay mounts left behind if the engine is killed.
            .args(["--storage-driver", "vfs", "--shutdown-timeout", "1", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {DOCKERD}: {e}"))?;
        let ready = wait_until("dockerd to answer /_ping", Duration::from_secs(60), || {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(Err(format!("dockerd exited with {st}")));
            }
            ping(&self.socket).then_some(Ok(()))
        });
        match ready.and_then(|r| r) {
            Ok(()) => {
                *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
                Ok(())
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("{e}\n--- dockerd log ---\n{}", self.log()))
            }
        }
    }

    /// Stops the engine (SIGTERM; it stops its containers) and waits until it is gone.
    ///
    /// # Panics
    /// When it does not stop within 60 s.
    fn stop(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut c) = child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            wait_until("dockerd to exit", Duration::from_secs(60), || c.try_wait().ok().flatten())
                .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        }
    }

    /// Starts the engine again after `stop`, with the same data.
    ///
    /// # Panics
    /// When it does not come back.
    fn restart(&self) {
        self.start_daemon().unwrap_or_else(|e| panic!("{e}"));
    }

    /// The engine's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default()
    }

    fn import_image(&self) -> Result<(), String> {
        let root = self.dir.join("image");
        std::fs::create_dir_all(root.join("bin")).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(root.join("tmp")).map_err(|e| e.to_string())?;
        std::fs::copy(BUSYBOX, root.join("bin/busybox")).map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).map_err(|e| e.to_string())?;
        let tar = self.dir.join("image.tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .map_err(|e| format!("tar: {e}"))?;
        if !st.success() {
            return Err(format!("tar failed: {st}"));
        }
        self.docker(&["import", &tar.display().to_string(), IMAGE]).map(|_| ())
    }

    /// Runs the `docker` CLI against this engine; returns its trimmed stdout.
    ///
    /// # Errors
    /// Its stderr when it fails.
    pub fn docker(&self, args: &[&str]) -> Result<String, String> {
        let cli = if Path::new(DOCKER_CLI).exists() { DOCKER_CLI } else { "docker" };
        let out = Command::new(cli)
            .arg("--host")
            .arg(&self.host)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run docker: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(format!(
                "docker {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Like [`DockerEngine::docker`], panicking on failure.
    ///
    /// # Panics
    /// When the command fails.
    #[track_caller]
    pub fn must(&self, args: &[&str]) -> String {
        self.docker(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `docker run -d --name NAME EXTRA… IMAGE CMD…`; returns the container id.
    ///
    /// # Panics
    /// When the container does not start.
    #[track_caller]
    pub fn run(&self, name: &str, extra: &[&str], cmd: &[&str]) -> String {
        let mut args = vec!["run", "-d", "--name", name];
        args.extend_from_slice(extra);
        args.push(IMAGE);
        args.extend_from_slice(cmd);
        self.must(&args)
    }

    /// A busybox HTTP server on 8080 answering `GET /` with [`greeting`]`(name)`, published on
    /// a random loopback port; returns the id.
    ///
    /// # Panics
    /// When the container does not start.
    #[track_caller]
    pub fn run_httpd(&self, name: &str, extra: &[&str]) -> String {
        let mut e = vec!["-p", "127.0.0.1::8080"];
        e.extend_from_slice(extra);
        let script = format!(
            "/bin/busybox mkdir -p /www && echo 'hello from {name}' > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"
        );
        self.run(name, &e, &["/bin/sh", "-c", &script])
    }

    /// The host port a container port is published on (`8080/tcp`).
    ///
    /// # Panics
    /// When it is not published.
    #[track_caller]
    pub fn host_port(&self, name: &str, port: &str) -> u16 {
        let out = self.must(&["port", name, port]);
        out.lines()
            .filter_map(|l| l.rsplit(':').next()?.trim().parse().ok())
            .next()
            .unwrap_or_else(|| panic!("{name} {port} is not published: {out:?}"))
    }

    /// Removes containers by name, ignoring those that do not exist.
    pub fn remove(&self, names: &[&str]) {
        if names.is_empty() {
            return;
        }
        let mut args = vec!["rm", "-f"];
        args.extend_from_slice(names);
        let _ = self.docker(&args);
    }
}

/// What a container started with [`DockerEngine::run_httpd`] answers.
pub fn greeting(name: &str) -> String {
    format!("hello from {name}\n")
}

/// `GET /_ping` answers 200.
fn ping(socket: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(socket) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n").is_err() {
        return false;
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200")
}
