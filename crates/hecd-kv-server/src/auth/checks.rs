//! Who is calling (basic auth, a client certificate's Common Name, or the guest role) and the
//! access checks on `/v2/keys` and `/v2/members`.

use hecd_store::WatchOptions;
use hecd_v2api::ErrorCode;
use hyper::header::AUTHORIZATION;
use hyper::{HeaderMap, Method, Response, StatusCode};

use super::model::{parse_basic, User, GUEST_ROLE, ROOT_ROLE};
use super::records::*;
use crate::body::Body;
use crate::form::decode_path;
use crate::reply::message;
use crate::request::{KeyMethod, KeyRequest};
use crate::state::{Parts, State};

pub(crate) const NO_CREDENTIALS: &str = "Insufficient credentials";

/// Most auth events skipped when rebasing a history watch (more than any history holds).
pub(crate) const HISTORY_PROBES: usize = 10_000;

/// Who sent a request.
pub(crate) enum Caller {
    /// No `Authorization` header: the `guest` role applies.
    Guest,
    /// Valid basic-auth credentials.
    User(User),
    /// Credentials that are malformed, of an unknown user or with a wrong password.
    Rejected,
}

/// The subject Common Names of the client certificate chain a connection presented, leaf
/// first (a request extension on TLS connections).
#[derive(Debug, Clone)]
pub(crate) struct ClientCertNames(pub std::sync::Arc<[String]>);

/// etcd's `userFromClientCertificate`: with `--client-cert-auth`, the first certificate of the
/// chain whose Common Name is a user's name authenticates the request as that user.
pub(crate) fn user_from_client_cert(state: &State, parts: &Parts) -> Option<User> {
    let cert_auth = state.config.client_tls.as_ref().is_some_and(|t| t.client_cert_auth);
    if !cert_auth {
        return None;
    }
    let names = parts.extensions.get::<ClientCertNames>()?;
    let user = names.0.iter().find_map(|n| get_user(state, n));
    if let Some(u) = &user {
        tracing::debug!(user = %u.user, "authenticated a user via common name");
    }
    user
}

/// Who sent a request: basic auth when an `Authorization` header is given, else the client
/// certificate's user (etcd's order), else the guest.
pub(crate) async fn caller_of(state: &State, parts: &Parts) -> Caller {
    match caller(state, &parts.headers).await {
        Caller::Guest => user_from_client_cert(state, parts).map_or(Caller::Guest, Caller::User),
        c => c,
    }
}

pub(crate) async fn caller(state: &State, headers: &HeaderMap) -> Caller {
    let Some(h) = headers.get(AUTHORIZATION).filter(|h| !h.is_empty()) else {
        return Caller::Guest;
    };
    let Some((name, password)) = h.to_str().ok().and_then(parse_basic) else {
        tracing::debug!("malformed basic auth encoding");
        return Caller::Rejected;
    };
    let Some(user) = get_user(state, &name) else { return Caller::Rejected };
    if state.auth.check_password(&user, &password).await {
        Caller::User(user)
    } else {
        tracing::debug!(user = %name, "incorrect password");
        Caller::Rejected
    }
}

/// Whether the request may administer auth: always while auth is disabled, else only
/// with the credentials of a user holding the `root` role.
pub(crate) async fn has_root_access(state: &State, parts: &Parts) -> bool {
    if !enabled(state) {
        return true;
    }
    match caller_of(state, parts).await {
        Caller::User(u) => u.role_names().iter().any(|r| r == ROOT_ROLE),
        _ => false,
    }
}

/// The access check of `/v2/keys`, after request parsing: `Some(answer)` refuses.
///
/// The reserved [`AUTH_DIR`] is never reachable (reads answer "Key not found", writes
/// 401). With auth enabled, a request without credentials gets the `guest` role; one with
/// credentials needs a role whose read (GET, HEAD) or write patterns match the key path as
/// the client sent it, `*`-patterns only for recursive requests (etcd's rules).
///
/// A recursive watch on `/` with a `waitIndex` skips past the auth records' events in the
/// history (etcd keeps them in another namespace), so they are never delivered to clients.
pub(crate) async fn check_keys(
    state: &State,
    parts: &Parts,
    req: &mut KeyRequest,
) -> Option<Response<Body>> {
    let write = !matches!(req.method, KeyMethod::Get | KeyMethod::Head);
    if is_auth_key(&req.key) {
        if write {
            return Some(keys_no_auth(state));
        }
        let index = state.store_read().index();
        return Some(state.v2_error(ErrorCode::KeyNotFound, &req.key, index));
    }
    if req.wait && req.recursive && req.wait_index > 0 && req.key == "/" {
        req.wait_index = first_visible_event(state, req.wait_index);
    }
    if !enabled(state) {
        return None;
    }
    let path = decode_path(parts.uri.path()).unwrap_or_default();
    let key = path.strip_prefix("/v2/keys").unwrap_or_default();
    let allowed = match caller_of(state, parts).await {
        Caller::Guest => get_role(state, GUEST_ROLE).is_some_and(|r| r.has_key_access(key, write)),
        Caller::Rejected => false,
        Caller::User(u) => u.role_names().iter().filter_map(|n| get_role(state, n)).any(|r| {
            if req.recursive {
                r.has_recursive_access(key, write)
            } else {
                r.has_key_access(key, write)
            }
        }),
    };
    if !allowed {
        tracing::debug!(key, "insufficient credentials");
    }
    (!allowed).then(|| keys_no_auth(state))
}

pub(crate) fn is_auth_key(key: &str) -> bool {
    key.strip_prefix(AUTH_DIR).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The first index at or after `since` whose history event for a recursive watch on `/` is
/// not an auth record (`since` itself when there is none, or the history was cleared).
pub(crate) fn first_visible_event(state: &State, mut since: u64) -> u64 {
    let store = state.store_read();
    let opts = WatchOptions { recursive: true, stream: false, since_index: None };
    // Each round skips at least one auth event; the history holds a bounded number.
    for _ in 0..HISTORY_PROBES {
        let Ok(mut w) = store.watch("/", WatchOptions { since_index: Some(since), ..opts }) else {
            return since;
        };
        let first = w.events.try_recv().ok();
        store.unwatch(&w);
        match first {
            Some(e) if is_auth_key(&e.node.key) => since = e.index + 1,
            _ => return since,
        }
    }
    since
}

/// The access check of `/v2/members`: with auth enabled, only root may change members
/// (other methods are left to the members handler, which answers 405 first, as etcd).
pub(crate) async fn check_members(state: &State, parts: &Parts) -> Option<Response<Body>> {
    if ![Method::POST, Method::PUT, Method::DELETE].contains(&parts.method) {
        return None;
    }
    (!has_root_access(state, parts).await).then(no_auth)
}

/// etcd's `writeKeyNoAuth`: a v2 error 110 (etcd sends no `WWW-Authenticate` on any 401).
pub(crate) fn keys_no_auth(state: &State) -> Response<Body> {
    state.v2_error(ErrorCode::Unauthorized, NO_CREDENTIALS, 0)
}

/// etcd's `writeNoAuth`: 401 `{"message":"Insufficient credentials"}` (no cluster id, no
/// `WWW-Authenticate`).
pub(crate) fn no_auth() -> Response<Body> {
    message(StatusCode::UNAUTHORIZED, NO_CREDENTIALS)
}
