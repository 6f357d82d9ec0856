//! Test harness for multi-process tests: spawn the project's binaries, wait for readiness with a
//! deadline, hand out temp dirs and free loopback ports, and kill children on drop.
//!
//! Dev-dependency only. Nothing here sleeps to synchronise: [`wait_until`] polls a condition with
//! a short back-off until a deadline and fails with a clear message when the deadline passes.

pub mod backend;
pub mod cluster;
pub mod docker;
pub mod kv;
pub mod linearizability;
pub mod logs;
pub mod pki;
pub mod proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Polls `cond` until it returns `Some`, or fails after `deadline` with `what` in the message.
///
/// # Errors
/// Returns a message naming `what` when the deadline passes first.
pub fn wait_until<T>(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = cond() {
            return Ok(v);
        }
        if start.elapsed() > deadline {
            return Err(format!("timed out after {deadline:?} waiting for {what}"));
        }
        // Back-off between polls of an external process's state; not a synchronisation sleep.
        std::thread::park_timeout(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Picks `n` distinct free loopback ports.
///
/// The ports are free when this returns, but another process may take one before the caller
/// binds it (a check-then-use race): callers that cannot bind port 0 themselves retry on
/// `EADDRINUSE`.
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> =
        (0..n).filter_map(|_| TcpListener::bind("127.0.0.1:0").ok()).collect();
    listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.port()).collect()
}

/// A child process that is killed when dropped, with its stdout and stderr captured.
pub struct Proc {
    name: String,
    child: Child,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Proc {
    /// Spawns `cmd` with stdout and stderr captured into one log.
    ///
    /// # Errors
    /// Returns the spawn error with the program's name.
    pub fn spawn(name: &str, mut cmd: Command) -> Result<Proc, String> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {name}: {e}"))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            pump(out, log.clone());
        }
        if let Some(err) = child.stderr.take() {
            pump(err, log.clone());
        }
        Ok(Proc { name: name.to_string(), child, log })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the process wrote so far (stdout and stderr interleaved by line).
    pub fn log(&self) -> String {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&log).into_owned()
    }

    /// Waits until the log contains `needle`.
    ///
    /// # Errors
    /// Times out with the log attached.
    pub fn wait_for_log(&self, needle: &str, deadline: Duration) -> Result<String, String> {
        wait_until(&format!("{} to log {needle:?}", self.name), deadline, || {
            let log = self.log();
            log.contains(needle).then_some(log)
        })
        .map_err(|e| format!("{e}\n--- {} log ---\n{}", self.name, self.log()))
    }

    /// Returns the exit status if the process has exited.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the process to exit, up to `deadline`.
    ///
    /// # Errors
    /// Times out with the log attached.
    pub fn wait_exit(&mut self, deadline: Duration) -> Result<std::process::ExitStatus, String> {
        let name = self.name.clone();
        let r = wait_until(&format!("{name} to exit"), deadline, || self.try_wait());
        r.map_err(|e| format!("{e}\n--- {name} log ---\n{}", self.log()))
    }

    /// Sends a signal (e.g. `"TERM"`, `"KILL"`, `"HUP"`) with the system's `kill`.
    ///
    /// # Errors
    /// When `kill` cannot be run or fails.
    pub fn signal(&self, sig: &str) -> Result<(), String> {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .map_err(|e| format!("kill: {e}"))?;
        if st.success() {
            Ok(())
        } else {
            Err(format!("kill -{sig} {} failed", self.child.id()))
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} log ---\n{}", self.name, self.log());
        }
    }
}

fn pump(stream: impl Read + Send + 'static, log: Arc<Mutex<Vec<u8>>>) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).map(|n| n > 0).unwrap_or(false) {
            log.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(&line);
            line.clear();
        }
    });
}

/// A fresh temporary directory, removed on drop.
///
/// # Panics
/// When the system temp dir is not writable (the test cannot run at all then).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("the system temp dir is writable")
}

/// A minimal blocking HTTP/1.1 request on loopback, for readiness checks and simple assertions.
///
/// Returns the status code and body.
///
/// # Errors
/// Connection and protocol errors as text.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    http_full(addr, method, path, body).map(|r| (r.status, r.body))
}

/// An HTTP answer with its headers (names lower-cased).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: String,
}

impl HttpResponse {
    /// The first header called `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Like [`http`], with the headers.
///
/// # Errors
/// Connection and protocol errors as text.
pub fn http_full(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<HttpResponse, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&resp).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(rest) } else { rest.to_string() };
    Ok(HttpResponse { status, headers, body })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The path of a binary built by cargo for this workspace's integration tests
/// (`CARGO_BIN_EXE_<name>` when set, else `target/<profile>/<name>` next to the test binary).
pub fn bin(name: &str) -> PathBuf {
    if let Ok(p) = std::env::var(format!("CARGO_BIN_EXE_{name}")) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
    dir.join(name)
}

#[cfg(test)]
mod tests;

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit and returns the soft limit now in
/// force (`u64::MAX` when unlimited), for tests that open thousands of connections.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum
        && setrlimit(Resource::Nofile, Rlimit { current: lim.maximum, maximum: lim.maximum })
            .is_ok()
    {
        return lim.maximum.unwrap_or(u64::MAX);
    }
    lim.current.unwrap_or(u64::MAX)
}

/// Whether the reference program at `path` is installed. Outside CI a missing one skips the
/// calling test (saying so on stderr); in CI (`CI` set) it is a failure, because
/// `cargo xtask test` installs every reference.
///
/// # Panics
/// In CI, when the program is missing.
pub fn require_program(path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{path} is missing in CI (cargo xtask deps installs it)"
    );
    eprintln!("SKIPPING: {path} is missing");
    false
}
