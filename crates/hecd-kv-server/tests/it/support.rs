//! A test server on 127.0.0.1:0 and a minimal HTTP/1.1 client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The longest any single test step may take before it fails loudly.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<hecd_kv_server::Result<()>>>,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(|_| {}).await
    }

    pub async fn start_with(f: impl FnOnce(&mut hecd_kv_server::Config)) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut cfg = hecd_kv_server::Config::new("test");
        cfg.advertise_client_urls = vec![format!("http://{addr}")];
        cfg.shutdown_grace = Duration::from_millis(200);
        f(&mut cfg);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(hecd_kv_server::run(cfg, vec![listener], async move {
            let _ = rx.await;
        }));
        Server { addr, stop: Some(tx), task: Some(task) }
    }

    /// Starts `n` members of one cluster (peer listeners bound first, so no port race).
    pub async fn cluster(n: usize) -> Vec<Server> {
        let mut clients = Vec::new();
        let mut peers = Vec::new();
        for _ in 0..n {
            clients.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind client"));
            peers.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind peer"));
        }
        let initial: Vec<(String, String)> = peers
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("m{i}"), format!("http://{}", l.local_addr().expect("addr"))))
            .collect();
        let mut out = Vec::new();
        for (i, (client, peer)) in clients.into_iter().zip(peers).enumerate() {
            let addr = client.local_addr().expect("addr");
            let mut cfg = hecd_kv_server::Config::new(format!("m{i}"));
            cfg.advertise_client_urls = vec![format!("http://{addr}")];
            cfg.advertise_peer_urls = vec![initial[i].1.clone()];
            cfg.initial_cluster = initial.clone();
            cfg.shutdown_grace = Duration::from_millis(200);
            let (tx, rx) = oneshot::channel::<()>();
            let task = tokio::spawn(hecd_kv_server::run_with_peers(
                cfg,
                vec![client],
                vec![peer],
                async move {
                    let _ = rx.await;
                },
            ));
            out.push(Server { addr, stop: Some(tx), task: Some(task) });
        }
        out
    }

    /// Stops the server and waits for `run` to return.
    pub async fn shutdown(mut self) -> hecd_kv_server::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let task = self.task.take().expect("task");
        tokio::time::timeout(DEADLINE, task)
            .await
            .expect("run returns after shutdown")
            .expect("join")
    }

    /// Waits for `run` to return by itself (without asking it to stop).
    pub async fn exited(mut self) -> hecd_kv_server::Result<()> {
        let task = self.task.take().expect("task");
        tokio::time::timeout(DEADLINE, task).await.expect("run returns by itself").expect("join")
    }

    pub async fn req(&self, method: &str, target: &str, body: &str) -> Reply {
        request(
            self.addr,
            method,
            target,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
        .await
    }

    pub async fn get(&self, target: &str) -> Reply {
        self.req("GET", target, "").await
    }

    pub async fn put(&self, target: &str, body: &str) -> Reply {
        self.req("PUT", target, body).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

pub fn encode_request(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s
}

/// Sends one request and reads the whole answer (the connection is closed after it).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let fut = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(encode_request(method, target, headers, body).as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("read");
        parse_reply(&raw, method == "HEAD")
    };
    tokio::time::timeout(DEADLINE, fut)
        .await
        .unwrap_or_else(|_| panic!("timeout: {method} {target}"))
}

/// Parses a complete HTTP/1.1 answer (Content-Length or chunked).
pub fn parse_reply(raw: &[u8], head: bool) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("complete head");
    let (status, headers) = parse_head(&String::from_utf8_lossy(&raw[..split]));
    let rest = &raw[split + 4..];
    let body = if head {
        Vec::new()
    } else if headers.get("transfer-encoding").is_some_and(|t| t == "chunked") {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

pub fn parse_head(head: &str) -> (u16, HashMap<String, String>) {
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(i) = b.windows(2).position(|w| w == b"\r\n") else { return out };
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[i + 4 + size..];
    }
}

/// A request whose answer is read in steps: head first, then body chunks (watches).
pub struct Pending {
    reader: BufReader<TcpStream>,
    pub status: u16,
    pub headers: HashMap<String, String>,
}

impl Pending {
    pub async fn open(addr: SocketAddr, target: &str) -> Pending {
        let fut = async {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.write_all(encode_request("GET", target, &[], "").as_bytes()).await.expect("write");
            let mut reader = BufReader::new(s);
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                let n = reader.read(&mut byte).await.expect("read head");
                assert!(
                    n > 0,
                    "connection closed before the head: {:?}",
                    String::from_utf8_lossy(&head)
                );
                head.push(byte[0]);
            }
            let (status, headers) = parse_head(&String::from_utf8_lossy(&head[..head.len() - 4]));
            Pending { reader, status, headers }
        };
        tokio::time::timeout(DEADLINE, fut).await.expect("watch head arrives")
    }

    /// Reads the next chunk of a chunked body (`None` at the end).
    pub async fn next_chunk(&mut self) -> Option<String> {
        let fut = async {
            let mut line = String::new();
            tokio::io::AsyncBufReadExt::read_line(&mut self.reader, &mut line)
                .await
                .expect("size line");
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            if size == 0 {
                return None;
            }
            let mut buf = vec![0u8; size + 2];
            self.reader.read_exact(&mut buf).await.expect("chunk");
            buf.truncate(size);
            Some(String::from_utf8_lossy(&buf).into_owned())
        };
        tokio::time::timeout(DEADLINE, fut).await.expect("next chunk arrives")
    }
}
