//! Receiving Raft messages: `POST /raft` on the peer listener.

use bytes::Bytes;
use hyper::{Method, Response, StatusCode};

use crate::body::Body;
use crate::consensus::Consensus;
use crate::members::Membership;
use crate::peer::transport::{decode_batch, RAFT_PATH, X_SERVER_FROM};
use hecd_v2api::header::X_ETCD_CLUSTER_ID;

/// Handles `POST /raft` on the peer listener. Messages from another cluster are refused with
/// 412, messages from a removed member with 410 (which makes it stop, as in etcd).
pub(crate) fn handle(
    log: &Consensus,
    membership: &Membership,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Response<Body> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (status, text) = if parts.uri.path() != RAFT_PATH {
        (StatusCode::NOT_FOUND, "")
    } else if parts.method != Method::POST {
        (StatusCode::METHOD_NOT_ALLOWED, "")
    } else if header(X_ETCD_CLUSTER_ID)
        .is_some_and(|c| u64::from_str_radix(c, 16).ok() != Some(log.cluster_id()))
    {
        tracing::warn!(
            remote = header(X_ETCD_CLUSTER_ID).unwrap_or(""),
            local = format_args!("{:x}", log.cluster_id()),
            "refusing messages from another cluster (cluster ID mismatch)"
        );
        (StatusCode::PRECONDITION_FAILED, "cluster ID mismatch\n")
    } else if header(X_SERVER_FROM)
        .and_then(|f| u64::from_str_radix(f, 16).ok())
        .is_some_and(|from| membership.is_removed(from))
    {
        (StatusCode::GONE, "the member has been permanently removed from the cluster\n")
    } else {
        match decode_batch(body) {
            Some(msgs) => {
                if !msgs.is_empty() {
                    membership.note_received();
                }
                for m in msgs {
                    if let Err(e) = log.step(&m) {
                        tracing::debug!(error = %e, "dropped a peer message");
                    }
                }
                (StatusCode::NO_CONTENT, "")
            }
            None => (StatusCode::BAD_REQUEST, ""),
        }
    };
    let mut r = Response::new(if text.is_empty() { Body::empty() } else { Body::full(text) });
    *r.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(&format!("{:x}", log.cluster_id())) {
        r.headers_mut().insert(X_ETCD_CLUSTER_ID, v);
    }
    r
}
