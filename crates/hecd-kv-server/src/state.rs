//! The state every request handler reads (store, log, membership, configuration) and the
//! answers built from it that carry etcd's headers: v2 errors and events.

use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::SystemTime;

use hecd_store::{Event, Store};
use hecd_v2api::header::{X_ETCD_CLUSTER_ID, X_ETCD_INDEX, X_RAFT_INDEX, X_RAFT_TERM};
use hecd_v2api::ErrorCode;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::body::Body;
use crate::consensus::Consensus;
use crate::metrics::Metrics;
use crate::state_machine::MemberAttributes;
use crate::wire::{error_json, event_json, is_created, status_of};
use crate::Config;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The request head.
pub(crate) type Parts = hyper::http::request::Parts;

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct State {
    pub store: Arc<RwLock<Store>>,
    /// Member attributes published through the log.
    pub published: MemberAttributes,
    pub log: Consensus,
    pub config: Config,
    pub member_id: u64,
    pub cluster_id: HeaderValue,
    pub metrics: Metrics,
    pub start_time: SystemTime,
    /// TLS for the client listeners, when configured.
    pub client_tls: Option<crate::tls::ServerTls>,
    /// Every member's peer URLs, as the log says.
    pub membership: Arc<crate::members::Membership>,
    /// TLS for the peer listeners, when configured.
    pub peer_tls: Option<crate::tls::ServerTls>,
    /// The client for peer traffic (HTTPS when peer TLS is configured).
    pub peer_client: crate::peer::PeerClient,
    /// v2 auth: the verified-credentials cache.
    pub auth: crate::auth::cache::Auth,
    /// The JSON of the latest event sent to watchers, shared by all of them.
    pub encoded_event: Arc<crate::body::EncodedEvent>,
}

impl State {
    /// A short shared lock on the store; never held across an `.await`.
    pub fn store_read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn cluster_header(&self, h: &mut hyper::HeaderMap) {
        h.insert(X_ETCD_CLUSTER_ID, self.cluster_id.clone());
    }
}

impl State {
    /// A v2 error answer: etcd's status, `X-Etcd-Index` = the error's index, no Raft headers.
    pub(crate) fn v2_error(&self, code: ErrorCode, cause: &str, index: u64) -> Response<Body> {
        let mut r = Response::new(Body::full(error_json(code, cause, index)));
        *r.status_mut() = status_of(code);
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, JSON);
        h.insert(X_ETCD_INDEX, number(index));
        self.cluster_header(h);
        r
    }

    pub(crate) fn event_response(
        &self,
        ev: &Event,
        raft: (u64, u64),
        no_value: bool,
    ) -> Response<Body> {
        let mut r = Response::new(Body::full(event_json(ev, no_value)));
        if is_created(ev) {
            *r.status_mut() = StatusCode::CREATED;
        }
        self.key_headers(r.headers_mut(), ev.index, raft);
        r
    }

    pub(crate) fn key_headers(
        &self,
        h: &mut hyper::HeaderMap,
        etcd_index: u64,
        (raft_index, term): (u64, u64),
    ) {
        h.reserve(5); // one allocation for the five, not a growth on the way
        h.insert(CONTENT_TYPE, JSON);
        h.insert(X_ETCD_INDEX, number(etcd_index));
        h.insert(X_RAFT_INDEX, number(raft_index));
        h.insert(X_RAFT_TERM, number(term));
        self.cluster_header(h);
    }

    pub(crate) fn raft_position(&self) -> (u64, u64) {
        let s = self.log.status();
        (s.commit_index, s.term)
    }

    pub(crate) fn raft_error(&self, e: impl std::fmt::Display) -> Response<Body> {
        self.v2_error(ErrorCode::RaftInternal, &e.to_string(), 0)
    }
}

/// A decimal header value in one exact-size allocation (`HeaderValue::from(u64)` makes two: a
/// 20-byte buffer, then a box to share it).
fn number(n: u64) -> HeaderValue {
    use std::io::Write as _;
    let mut buf = [0u8; 20]; // u64::MAX has 20 digits
    let mut rest = &mut buf[..];
    let _ = write!(rest, "{n}");
    let len = 20 - rest.len();
    // Digits are always a valid header value.
    HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests;
