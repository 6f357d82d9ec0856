//! Raft traffic between members: a [`Transport`](hecd_raft::Transport) that POSTs batches of
//! messages to `<peer url>/raft`, and the handler that hands received messages to the log.
//!
//! Body framing: a sequence of `u32` big-endian length + message bytes. Sending never blocks
//! the Raft task: messages go to a bounded per-peer queue and are dropped when it is full
//! (Raft retransmits).

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use crate::body::Body;
use crate::consensus::Consensus;

/// Path of the peer endpoint.
pub const RAFT_PATH: &str = "/raft";
const QUEUE: usize = 4096;
const MAX_BATCH: usize = 256;

/// Sends Raft messages to the other members over HTTP.
#[derive(Debug)]
pub struct HttpTransport {
    queues: Mutex<HashMap<u64, mpsc::Sender<Vec<u8>>>>,
}

impl HttpTransport {
    /// A transport to `peers` (`(id, peer url)`, this member excluded); spawns one sender task per peer.
    pub fn new(peers: &[(u64, String)]) -> Self {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let mut queues = HashMap::new();
        for (id, url) in peers {
            let (tx, rx) = mpsc::channel(QUEUE);
            queues.insert(*id, tx);
            tokio::spawn(send_loop(
                client.clone(),
                format!("{}{RAFT_PATH}", url.trim_end_matches('/')),
                rx,
            ));
        }
        HttpTransport { queues: Mutex::new(queues) }
    }
}

impl hecd_raft::Transport for HttpTransport {
    fn send(&self, to: u64, msg: Vec<u8>) {
        let queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(q) = queues.get(&to) {
            // Full or closed: drop; Raft retransmits.
            let _ = q.try_send(msg);
        }
    }
}

async fn send_loop(
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    url: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
) {
    let Ok(uri) = url.parse::<hyper::Uri>() else {
        tracing::warn!(%url, "bad peer URL; not sending to it");
        return;
    };
    let mut failing = false;
    while let Some(first) = rx.recv().await {
        let mut body = BytesMut::with_capacity(first.len() + 4);
        body.put_u32(first.len() as u32);
        body.put_slice(&first);
        let mut n = 1;
        while n < MAX_BATCH {
            match rx.try_recv() {
                Ok(m) => {
                    body.put_u32(m.len() as u32);
                    body.put_slice(&m);
                    n += 1;
                }
                Err(_) => break,
            }
        }
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header("Content-Type", "application/octet-stream")
            .body(Full::new(body.freeze()));
        let Ok(req) = req else { continue };
        match client.request(req).await {
            Ok(resp) if resp.status().is_success() => failing = false,
            Ok(resp) => {
                tracing::debug!(%url, status = resp.status().as_u16(), "peer refused messages")
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(%url, error = %e, "peer unreachable");
                }
                failing = true;
            }
        }
    }
}

/// Splits a framed body into messages.
pub fn decode_batch(mut body: Bytes) -> Option<Vec<Bytes>> {
    let mut out = Vec::new();
    while body.has_remaining() {
        if body.remaining() < 4 {
            return None;
        }
        let len = body.get_u32() as usize;
        if body.remaining() < len {
            return None;
        }
        out.push(body.split_to(len));
    }
    Some(out)
}

/// Handles `POST /raft` on the peer listener.
pub(crate) fn handle(log: &Consensus, method: &Method, path: &str, body: Bytes) -> Response<Body> {
    let status = if path != RAFT_PATH {
        StatusCode::NOT_FOUND
    } else if method != Method::POST {
        StatusCode::METHOD_NOT_ALLOWED
    } else {
        match decode_batch(body) {
            Some(msgs) => {
                for m in msgs {
                    if let Err(e) = log.step(&m) {
                        tracing::debug!(error = %e, "dropped a peer message");
                    }
                }
                StatusCode::NO_CONTENT
            }
            None => StatusCode::BAD_REQUEST,
        }
    };
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests;
