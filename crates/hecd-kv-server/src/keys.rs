//! `/v2/keys`: parse, then read locally or propose through the log, then answer as etcd does.

use std::time::{Duration, SystemTime};

use hecd_store::{GetOptions, WatchOptions};
use hyper::body::Bytes;
use hyper::Response;

use crate::body::{Body, WatchBody};
use crate::entry::{to_nanos, LogEntry};
use crate::reply::method_not_allowed;
use crate::request::{parse_key_request, KeyMethod, KeyRequest, KeyRequestError};
use crate::state::Parts;
use crate::state::State;

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
            let body =
                WatchBody::new(w, state.store.clone(), state.encoded_event.clone(), req.stream);
            let mut r = Response::new(Body::Watch(body));
            state.key_headers(r.headers_mut(), start, state.raft_position());
            r
        }
        Err(e) => state.v2_error(e.code, &e.cause, e.index),
    }
}

fn command(req: KeyRequest, now: SystemTime) -> LogEntry {
    let expiration =
        req.ttl.map(|t| to_nanos(now + Duration::from_secs(t.min(u64::from(u32::MAX)))));
    let now = to_nanos(now);
    match req.method {
        KeyMethod::Post => {
            LogEntry::Post { key: req.key, value: req.value, dir: req.dir, expiration, now }
        }
        KeyMethod::Delete => LogEntry::Delete {
            key: req.key,
            dir: req.dir,
            recursive: req.recursive,
            prev_value: req.prev_value,
            prev_index: req.prev_index,
            now,
        },
        _ => LogEntry::Put {
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
