//! `/v2/keys`: parse, then read locally or propose through the log, then answer as etcd does.

use std::time::{Duration, SystemTime};

use hecd_store::{Event, GetOptions, WatchOptions};
use hecd_v2api::header::{X_ETCD_INDEX, X_RAFT_INDEX, X_RAFT_TERM};
use hecd_v2api::ErrorCode;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use crate::body::{Body, WatchBody};
use crate::command::{to_nanos, Command};
use crate::render::{error_json, event_json, is_created, status_of};
use crate::request::{parse_key_request, KeyMethod, KeyRequest, KeyRequestError};
use crate::server::{method_not_allowed, Parts, State};

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Handles one `/v2/keys` request.
pub(crate) async fn handle(state: &State, parts: &Parts, body: &Bytes) -> Response<Body> {
    let mut req = match parse_key_request(&parts.method, &parts.uri, &parts.headers, body) {
        Ok(r) => r,
        Err(KeyRequestError::MethodNotAllowed) => {
            return method_not_allowed("HEAD,GET,PUT,POST,DELETE");
        }
        Err(KeyRequestError::V2 { code, cause }) => return state.v2_error(code, &cause, 0),
    };
    if let Some(denied) = crate::auth::check_keys(state, parts, &mut req).await {
        return denied;
    }
    let now = SystemTime::now();
    match req.method {
        KeyMethod::Get | KeyMethod::Head if req.wait => watch(state, &req),
        KeyMethod::Get | KeyMethod::Head => get(state, &req, now).await,
        KeyMethod::Put | KeyMethod::Post | KeyMethod::Delete => write(state, req, now).await,
    }
}

impl State {
    /// A v2 error answer: etcd's status, `X-Etcd-Index` = the error's index, no Raft headers.
    pub(crate) fn v2_error(&self, code: ErrorCode, cause: &str, index: u64) -> Response<Body> {
        let mut r = Response::new(Body::full(error_json(code, cause, index)));
        *r.status_mut() = status_of(code);
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, JSON);
        h.insert(X_ETCD_INDEX, HeaderValue::from(index));
        self.cluster_header(h);
        r
    }

    fn event_response(&self, ev: &Event, raft: (u64, u64), no_value: bool) -> Response<Body> {
        let mut r = Response::new(Body::full(event_json(ev, no_value)));
        if is_created(ev) {
            *r.status_mut() = StatusCode::CREATED;
        }
        self.key_headers(r.headers_mut(), ev.index, raft);
        r
    }

    fn key_headers(
        &self,
        h: &mut hyper::HeaderMap,
        etcd_index: u64,
        (raft_index, term): (u64, u64),
    ) {
        h.insert(CONTENT_TYPE, JSON);
        h.insert(X_ETCD_INDEX, HeaderValue::from(etcd_index));
        h.insert(X_RAFT_INDEX, HeaderValue::from(raft_index));
        h.insert(X_RAFT_TERM, HeaderValue::from(term));
        self.cluster_header(h);
    }

    fn raft_position(&self) -> (u64, u64) {
        let s = self.log.status();
        (s.commit_index, s.term)
    }

    fn raft_error(&self, e: impl std::fmt::Display) -> Response<Body> {
        self.v2_error(ErrorCode::RaftInternal, &e.to_string(), 0)
    }
}

async fn get(state: &State, req: &KeyRequest, now: SystemTime) -> Response<Body> {
    if req.quorum {
        if let Err(e) = state.log.read_index().await {
            return state.raft_error(e);
        }
    }
    let opts = GetOptions { recursive: req.recursive, sorted: req.sorted };
    let result = state.store_read().get(&req.key, opts, now);
    match result {
        Ok(ev) => state.event_response(&ev, state.raft_position(), false),
        Err(e) => state.v2_error(e.code, &e.cause, e.index),
    }
}

fn watch(state: &State, req: &KeyRequest) -> Response<Body> {
    let opts = WatchOptions {
        recursive: req.recursive,
        stream: req.stream,
        since_index: (req.wait_index > 0).then_some(req.wait_index),
    };
    let result = state.store_read().watch(&req.key, opts);
    match result {
        Ok(w) => {
            let start = w.start_index;
            let mut r =
                Response::new(Body::Watch(WatchBody::new(w, state.store.clone(), req.stream)));
            state.key_headers(r.headers_mut(), start, state.raft_position());
            r
        }
        Err(e) => state.v2_error(e.code, &e.cause, e.index),
    }
}

fn command(req: KeyRequest, now: SystemTime) -> Command {
    let expiration =
        req.ttl.map(|t| to_nanos(now + Duration::from_secs(t.min(u64::from(u32::MAX)))));
    let now = to_nanos(now);
    match req.method {
        KeyMethod::Post => {
            Command::Post { key: req.key, value: req.value, dir: req.dir, expiration, now }
        }
        KeyMethod::Delete => Command::Delete {
            key: req.key,
            dir: req.dir,
            recursive: req.recursive,
            prev_value: req.prev_value,
            prev_index: req.prev_index,
            now,
        },
        _ => Command::Put {
            key: req.key,
            value: req.value,
            dir: req.dir,
            expiration,
            refresh: req.refresh,
            prev_exist: req.prev_exist,
            prev_value: req.prev_value,
            prev_index: req.prev_index,
            now,
        },
    }
}

async fn write(state: &State, req: KeyRequest, now: SystemTime) -> Response<Body> {
    let no_value = req.no_value_on_success;
    let data = command(req, now).encode();
    match state.log.propose(data).await {
        Err(e) => state.raft_error(e),
        Ok(applied) => match applied.output {
            Ok(Some(ev)) => state.event_response(&ev, (applied.index, applied.term), no_value),
            Ok(None) => state.raft_error("received response with no Event/Watcher!"),
            Err(e) => state.v2_error(e.code, &e.cause, e.index),
        },
    }
}
