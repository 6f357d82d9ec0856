//! Sending Raft messages to peers: one queue and sender task per peer, batches of framed
//! messages in `POST /raft`, reachability probes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::Full;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use crate::members::Membership;
use hecd_v2api::header::X_ETCD_CLUSTER_ID;

/// Path of the peer endpoint.
pub const RAFT_PATH: &str = "/raft";

const QUEUE: usize = 4096;

const MAX_BATCH: usize = 256;

/// Header naming the sending member (hex id), as etcd's rafthttp sends it.
pub const X_SERVER_FROM: &str = "X-Server-From";

/// Sends Raft messages to the other members over HTTP.
///
/// Peers are looked up in the shared [`Membership`] when a message is sent, so members added
/// (or whose peer URLs change) at run time are reached without restarting anything.
#[derive(Debug)]
pub struct HttpTransport {
    client: PeerClient,
    membership: Arc<Membership>,
    /// Per peer: the URL its sender task posts to, and the queue feeding that task.
    queues: Mutex<HashMap<u64, PeerQueue>>,
    /// The server's runtime: raft calls `send` from its own thread, whose runtime is only the
    /// driver's; the sender tasks run with the rest of the server's network I/O.
    runtime: tokio::runtime::Handle,
}

/// A peer's URL and the queue of its sender task.
type PeerQueue = (String, mpsc::Sender<Vec<u8>>);

/// The HTTP(S) client members use to reach each other.
pub type PeerClient = Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// A client for peer traffic: plain HTTP, or HTTPS to `https://` peer URLs with the peer TLS
/// files (`--peer-trusted-ca-file` verifies the other members, `--peer-cert-file` and
/// `--peer-key-file` authenticate this one, as etcd does).
///
/// # Errors
/// [`crate::Error::Tls`] naming a file that cannot be read or used.
pub fn peer_client(tls: Option<&crate::TlsFiles>) -> crate::Result<PeerClient> {
    let err = |path: &std::path::Path, e: &dyn std::fmt::Display| crate::Error::Tls {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match tls.and_then(|t| t.trusted_ca_file.as_deref()) {
        Some(ca) => crate::tls::roots(ca)?,
        None => rustls::RootCertStore::empty(),
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(std::path::Path::new("peer TLS"), &e))?
        .with_root_certificates(roots);
    let config = match tls {
        Some(t) => {
            let key = crate::tls::private_key(&t.key_file)?;
            builder
                .with_client_auth_cert(crate::tls::certs(&t.cert_file)?, key)
                .map_err(|e| err(&t.cert_file, &e))?
        }
        None => builder.with_no_client_auth(),
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

impl HttpTransport {
    /// A transport to every member of `membership` but this one, through `client`. Call it inside the
    /// tokio runtime its sender tasks are to run on (it panics outside one).
    pub fn with_membership(membership: Arc<Membership>, client: PeerClient) -> Self {
        HttpTransport {
            client,
            membership,
            queues: Mutex::new(HashMap::new()),
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

impl hecd_raft::Transport for HttpTransport {
    fn send(&self, to: u64, msg: Vec<u8>) {
        let Some(url) = self.membership.peer_urls(to).and_then(|u| u.into_iter().next()) else {
            return;
        };
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let stale = queues.get(&to).is_none_or(|(u, q)| *u != url || q.is_closed());
        if stale {
            let (tx, rx) = mpsc::channel(QUEUE);
            let target = format!("{}{RAFT_PATH}", url.trim_end_matches('/'));
            let m = self.membership.clone();
            self.runtime.spawn(send_loop(self.client.clone(), to, target, rx, m));
            // Replacing the sender ends the old task once its queue drains.
            queues.insert(to, (url, tx));
        }
        if let Some((_, q)) = queues.get(&to) {
            // Full: drop; Raft retransmits.
            let _ = q.try_send(msg);
        }
    }
}

async fn send_loop(
    client: PeerClient,
    to: u64,
    url: String,
    mut rx: mpsc::Receiver<Vec<u8>>,
    membership: Arc<Membership>,
) {
    let Ok(uri) = url.parse::<hyper::Uri>() else {
        tracing::warn!(%url, "bad peer URL; not sending to it");
        return;
    };
    let from = format!("{:x}", membership.self_id());
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
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header("Content-Type", "application/octet-stream")
            .header(X_SERVER_FROM, from.as_str());
        if let Some(cid) = membership.cluster_id() {
            req = req.header(X_ETCD_CLUSTER_ID, format!("{cid:x}"));
        }
        let Ok(req) = req.body(Full::new(body.freeze())) else { continue };
        let started = std::time::Instant::now();
        let answer = client.request(req).await;
        let ok = answer.as_ref().is_ok_and(|r| r.status().is_success());
        membership.note_sent(to, ok.then(|| started.elapsed()));
        match answer {
            Ok(resp) if resp.status().is_success() => failing = false,
            Ok(resp) if resp.status() == StatusCode::GONE => {
                tracing::error!(%url, "the member has been permanently removed from the cluster");
                membership.mark_self_removed();
            }
            Ok(resp) if resp.status() == StatusCode::PRECONDITION_FAILED => {
                if !failing {
                    tracing::error!(%url, "request sent was ignored (cluster ID mismatch)");
                }
                failing = true;
            }
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

/// How often every peer is probed (an empty `POST /raft`), for the reconfiguration checks.
const PROBE_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Probes every other member until `stop` turns true, recording who answers in `membership`.
pub(crate) async fn probe_loop(
    membership: Arc<Membership>,
    client: PeerClient,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let from = format!("{:x}", membership.self_id());
    let mut tick = tokio::time::interval(PROBE_INTERVAL);
    loop {
        tokio::select! {
            r = stop.wait_for(|s| *s) => { let _ = r.is_ok(); return }
            _ = tick.tick() => {}
        }
        let peers = membership.get().peers;
        for (id, urls) in peers.into_iter().filter(|(id, _)| *id != membership.self_id()) {
            let Some(url) = urls.first() else { continue };
            let target = format!("{}{RAFT_PATH}", url.trim_end_matches('/'));
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(target)
                .header(X_SERVER_FROM, from.as_str());
            if let Some(cid) = membership.cluster_id() {
                req = req.header(X_ETCD_CLUSTER_ID, format!("{cid:x}"));
            }
            let Ok(req) = req.body(Full::new(Bytes::new())) else { continue };
            let answer = tokio::time::timeout(PROBE_INTERVAL, client.request(req))
                .await
                .ok()
                .and_then(Result::ok);
            membership.note_reachable(id, answer.is_some_and(|r| r.status().is_success()));
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
