//! A tiny HTTP backend for pipeline tests: answers every request with `hello from NAME`, one
//! thread per connection, HTTP/1.1 keep-alive supported. Stops accepting when dropped.
//! `GET /slow/MS` answers after MS milliseconds, as a slow application would.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A running backend.
pub struct Backend {
    /// Its name, echoed in every answer.
    pub name: String,
    /// Where it listens.
    pub addr: SocketAddr,
    served: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Backend {
    /// Starts a backend on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start(name: &str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        Self::serve(name, listener)
    }

    /// Starts a backend on `listener`.
    ///
    /// # Panics
    /// When the listener has no local address.
    pub fn serve(name: &str, listener: TcpListener) -> Backend {
        let addr = listener.local_addr().expect("bound listener");
        let served = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (n, s, st) = (name.to_owned(), served.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(c) = conn {
                    let (n, s) = (n.clone(), s.clone());
                    std::thread::spawn(move || handle(c, &n, &s));
                }
            }
        });
        Backend { name: name.to_owned(), addr, served, stop }
    }

    /// The body every answer carries.
    pub fn greeting(&self) -> String {
        format!("hello from {}\n", self.name)
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so that it sees the flag and closes the listener.
        let _ = TcpStream::connect(self.addr);
    }
}

fn handle(c: TcpStream, name: &str, served: &AtomicU64) {
    let Ok(read) = c.try_clone() else { return };
    let mut reader = BufReader::new(read);
    let mut out = c;
    loop {
        let mut line = String::new();
        let mut keep_alive = false;
        let mut first = true;
        let mut delay = std::time::Duration::ZERO;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if first {
                keep_alive = line.contains("HTTP/1.1");
                first = false;
                if let Some(ms) =
                    line.split_whitespace().nth(1).and_then(|p| p.strip_prefix("/slow/"))
                {
                    delay = std::time::Duration::from_millis(ms.parse().unwrap_or(0));
                }
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("connection:") {
                keep_alive = lower.contains("keep-alive");
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
        }
        // The slow application this backend plays for `/slow/MS` requests.
        std::thread::sleep(delay);
        served.fetch_add(1, Ordering::Relaxed);
        let body = format!("hello from {name}\n");
        let conn = if keep_alive { "keep-alive" } else { "close" };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {conn}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(resp.as_bytes()).is_err() || !keep_alive {
            return;
        }
    }
}
