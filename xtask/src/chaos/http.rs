//! A blocking HTTP/1.1 client for the campaign's workload and watchers: one loopback
//! connection per request (`Connection: close`), with an overall deadline, and an answer that
//! tells a request that never reached a server apart from one whose outcome is unknown.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a connection attempt may take.
const CONNECT: Duration = Duration::from_secs(1);
/// How often a blocked read wakes up to look at the stop flag and the deadline.
const POLL: Duration = Duration::from_millis(500);

/// What came back.
#[derive(Debug)]
pub enum Answer {
    /// The connection was refused or timed out: the request never reached a server.
    Refused,
    /// Sent, but no (complete) answer: the outcome is unknown.
    Lost,
    /// Abandoned because the campaign is stopping.
    Stopped,
    /// A complete answer.
    Got(Reply),
}

/// A complete HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The `X-Etcd-Index` header, when present.
    pub etcd_index: Option<u64>,
    /// The body, parsed as JSON (`Null` when empty or not JSON).
    pub json: serde_json::Value,
}

impl Reply {
    /// The v2 `errorCode`, when the body is an error.
    pub fn error_code(&self) -> Option<u64> {
        self.json["errorCode"].as_u64()
    }
}

/// Sends one request and reads the whole answer before `timeout` passes; with `stop`, gives up
/// (answering [`Answer::Stopped`]) once it is set.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    timeout: Duration,
    stop: Option<&AtomicBool>,
) -> Answer {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, CONNECT) else { return Answer::Refused };
    let deadline = Instant::now() + timeout;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = s.set_write_timeout(Some(timeout));
    if s.write_all(req.as_bytes()).is_err() || s.set_read_timeout(Some(POLL)).is_err() {
        return Answer::Lost;
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if stop.is_some_and(|f| f.load(Ordering::SeqCst)) {
                    return Answer::Stopped;
                }
                if Instant::now() > deadline {
                    return Answer::Lost;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Answer::Lost,
        }
    }
    parse(&out).map_or(Answer::Lost, Answer::Got)
}

/// Parses a complete answer (headers, then a plain or chunked body).
fn parse(raw: &[u8]) -> Option<Reply> {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut chunked = false;
    let mut etcd_index = None;
    let mut length = None;
    for l in lines {
        let Some((n, v)) = l.split_once(':') else { continue };
        let (n, v) = (n.trim().to_ascii_lowercase(), v.trim());
        match n.as_str() {
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            "x-etcd-index" => etcd_index = v.parse().ok(),
            "content-length" => length = v.parse::<usize>().ok(),
            _ => {}
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else {
        match length {
            // A body cut short is no answer.
            Some(n) if rest.len() < n => return None,
            Some(n) => rest[..n].to_owned(),
            None => rest.to_owned(),
        }
    };
    let json = serde_json::from_str(body.trim()).unwrap_or(serde_json::Value::Null);
    Some(Reply { status, etcd_index, json })
}

/// Decodes a chunked body; `None` when it is incomplete (no final zero-size chunk).
fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n..)?.strip_prefix("\r\n")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_answers() {
        let plain = b"HTTP/1.1 201 Created\r\nX-Etcd-Index: 7\r\nContent-Length: 15\r\n\r\n{\"action\":\"x\"}\n";
        let r = parse(plain).expect("complete");
        assert_eq!((r.status, r.etcd_index, r.json["action"].as_str()), (201, Some(7), Some("x")));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n4\r\n:12}\r\n0\r\n\r\n";
        assert_eq!(parse(chunked).expect("complete").json["a"], 12);
        // A watch cut before its event arrived is no answer.
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_none());
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}").is_none());
    }
}
