//! A scripted HTTP/1.1 server on loopback: it records each request the client sends and
//! answers, hangs up, or never answers, as the test's script says. One request per connection
//! (`Connection: close`), so the requests seen are the attempts the client made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as it reached the server.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    pub body: String,
    /// When it arrived.
    pub at: Instant,
}

/// What the server does with a request.
pub enum Answer {
    /// An HTTP answer: status, extra headers, body.
    Reply(u16, Vec<(&'static str, String)>, String),
    /// Reads the request, then closes the connection without answering.
    HangUp,
    /// Reads the request and never answers.
    Stall,
}

impl Answer {
    /// A JSON answer with `X-Etcd-Index`.
    pub fn json(status: u16, etcd_index: u64, body: &str) -> Answer {
        Answer::Reply(status, vec![("X-Etcd-Index", etcd_index.to_string())], body.to_owned())
    }
}

type Script = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// A running fake; it stops with the test's runtime.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    /// Starts a fake that answers each request with `script`.
    pub async fn start(script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Script = Arc::new(script);
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else { return };
                tokio::spawn(serve(conn, script.clone(), log.clone()));
            }
        });
        Fake { url, seen }
    }

    /// A fake that hangs up on every request.
    pub async fn hang_up() -> Fake {
        Fake::start(|_| Answer::HangUp).await
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// The last request seen.
    pub fn last(&self) -> Seen {
        self.seen().pop().expect("a request reached the fake")
    }
}

async fn serve(mut conn: TcpStream, script: Script, log: Arc<Mutex<Vec<Seen>>>) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < len {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let seen = Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    };
    let answer = script(&seen);
    log.lock().expect("lock").push(seen);
    match answer {
        Answer::Reply(status, headers, body) => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            let _ = conn.write_all(out.as_bytes()).await;
            let _ = conn.shutdown().await;
        }
        Answer::HangUp => drop(conn),
        Answer::Stall => {
            // Hold the connection without ever answering (until the runtime ends the task).
            std::future::pending::<()>().await;
            drop(conn);
        }
    }
}
