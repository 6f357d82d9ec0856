//! etcd v2 authentication: `/v2/auth/{enable,users,roles}` and the access checks on
//! `/v2/keys` (read/write key-prefix permissions) and on `/v2/members` writes (root only).
//!
//! **Replication.** As in etcd, users, roles and the enabled flag live in the store itself,
//! as JSON values below the hidden directory [`AUTH_DIR`] (etcd uses its internal `/2`):
//! every change is an ordinary `Put`/`Delete` command proposed through the log, so it is
//! applied on every member, consumes one etcd index, is carried by snapshots and survives
//! restarts. Clients cannot reach that directory through `/v2/keys`.
//!
//! **Passwords** are bcrypt hashes (cost 10, `$2a$`, etcd's format; see ADR 0003).
//! Hashing and verification run on the blocking pool.
//!
//! **Credential cache.** etcd 2 runs bcrypt on every authenticated request (~100 ms).
//! Here a verified `(user, password)` pair is remembered as a salted SHA-256 digest of the
//! password next to the stored hash it was checked against. An entry only counts while
//! the user's stored hash is still that hash, so a password change (or the user's
//! deletion) invalidates it at once; roles and permissions are read from the store on
//! every request, so a revoked role takes effect immediately too.

mod model;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;

use hecd_store::{GetOptions, WatchOptions};
use hecd_v2api::ErrorCode;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Response, StatusCode};
use serde::Serialize;

use model::{parse_basic, Refusal, Role, User, GUEST_ROLE, ROOT_ROLE, ROOT_USER};

use crate::body::Body;
use crate::command::{to_nanos, Command};
use crate::form::decode_path;
use crate::request::{KeyMethod, KeyRequest};
use crate::server::{method_not_allowed, not_found, Parts, State};

/// The hidden store directory holding the auth records (etcd's `/2`).
pub const AUTH_DIR: &str = "/_hecd_v2auth";
const USERS_DIR: &str = "/_hecd_v2auth/users";
const ROLES_DIR: &str = "/_hecd_v2auth/roles";
const ENABLED_KEY: &str = "/_hecd_v2auth/enabled";

/// bcrypt cost of new hashes (Go's `bcrypt.DefaultCost`, what etcd uses).
pub const BCRYPT_COST: u32 = 10;
/// Most remembered verified credentials; the cache starts over when full.
const MAX_CACHED: usize = 4096;
/// Most auth events skipped when rebasing a history watch (more than any history holds).
const HISTORY_PROBES: usize = 10_000;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_CREDENTIALS: &str = "Insufficient credentials";

/// Per-member auth state that is not replicated: the verified-credentials cache and
/// whether the auth directories were ensured by this process (etcd's `ensuredOnce`).
#[derive(Debug)]
pub(crate) struct Auth {
    verified: Mutex<HashMap<String, Verified>>,
    /// Random per process, so cached digests mean nothing outside it.
    salt: Option<[u8; 32]>,
    ensured: AtomicBool,
}

#[derive(Debug)]
struct Verified {
    /// The stored bcrypt hash the password was verified against.
    hash: String,
    digest: [u8; 32],
}

impl Default for Auth {
    fn default() -> Self {
        use ring::rand::SecureRandom as _;
        let mut salt = [0u8; 32];
        // Without randomness the cache stays off and every request pays for bcrypt.
        let salt = ring::rand::SystemRandom::new().fill(&mut salt).ok().map(|()| salt);
        Auth { verified: Mutex::default(), salt, ensured: AtomicBool::new(false) }
    }
}

impl Auth {
    fn digest(&self, password: &str) -> Option<[u8; 32]> {
        let salt = self.salt?;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&salt);
        ctx.update(password.as_bytes());
        let d = ctx.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Some(out)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Verified>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` is the user's, from the cache when this exact pair was verified
    /// against the user's current hash, else with bcrypt (then remembered).
    async fn check_password(&self, user: &User, password: &str) -> bool {
        let digest = self.digest(password);
        if let Some(d) = digest {
            let cache = self.cache();
            if cache.get(&user.user).is_some_and(|v| v.hash == user.password && v.digest == d) {
                return true;
            }
        }
        let (hash, pw) = (user.password.clone(), password.to_owned());
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(pw, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
        if let (true, Some(digest)) = (ok, digest) {
            let mut cache = self.cache();
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(user.user.clone(), Verified { hash: user.password.clone(), digest });
        }
        ok
    }
}

/// Who sent a request.
enum Caller {
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
fn user_from_client_cert(state: &State, parts: &Parts) -> Option<User> {
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
async fn caller_of(state: &State, parts: &Parts) -> Caller {
    match caller(state, &parts.headers).await {
        Caller::Guest => user_from_client_cert(state, parts).map_or(Caller::Guest, Caller::User),
        c => c,
    }
}

async fn caller(state: &State, headers: &HeaderMap) -> Caller {
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
async fn has_root_access(state: &State, parts: &Parts) -> bool {
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

fn is_auth_key(key: &str) -> bool {
    key.strip_prefix(AUTH_DIR).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The first index at or after `since` whose history event for a recursive watch on `/` is
/// not an auth record (`since` itself when there is none, or the history was cleared).
fn first_visible_event(state: &State, mut since: u64) -> u64 {
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
fn keys_no_auth(state: &State) -> Response<Body> {
    state.v2_error(ErrorCode::Unauthorized, NO_CREDENTIALS, 0)
}

/// etcd's `writeNoAuth`: 401 `{"message":"Insufficient credentials"}` (no cluster id, no
/// `WWW-Authenticate`).
fn no_auth() -> Response<Body> {
    message(StatusCode::UNAUTHORIZED, NO_CREDENTIALS)
}

/// An HTTP error body `{"message":...}` (no trailing newline, as etcd's `HTTPError`).
fn message(status: StatusCode, msg: &str) -> Response<Body> {
    #[derive(Serialize)]
    struct Msg<'a> {
        message: &'a str,
    }
    let mut r = Response::new(Body::full(crate::render::go_json_plain(&Msg { message: msg })));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, JSON);
    r
}

fn refusal(state: &State, e: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = message(status, &e.message);
    state.cluster_header(r.headers_mut());
    r
}

fn reply(state: &State, status: StatusCode, v: &impl Serialize) -> Response<Body> {
    let mut b = crate::render::go_json_plain(v);
    b.push(b'\n');
    let mut r = Response::new(Body::full(b));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, JSON);
    state.cluster_header(r.headers_mut());
    r
}

fn reply_empty(state: &State) -> Response<Body> {
    let mut r = Response::new(Body::full(Bytes::new()));
    r.headers_mut().insert(CONTENT_TYPE, JSON);
    state.cluster_header(r.headers_mut());
    r
}

fn internal() -> Refusal {
    Refusal::plain(500, "Internal Server Error")
}

/// A mutation first catches up with the log, as etcd reads the records it changes with a
/// quorum read: a follower must not decide from stale records.
async fn sync_for_write(state: &State, parts: &Parts) -> Result<(), Refusal> {
    if parts.method == Method::GET {
        return Ok(());
    }
    state.log.read_index().await.map(|_| ()).map_err(|e| {
        tracing::warn!(error = %e, "auth read barrier failed");
        internal()
    })
}

/// Handles every `/v2/auth...` request.
pub(crate) async fn handle(state: &State, parts: &Parts, body: &Bytes) -> Response<Body> {
    let path = decode_path(parts.uri.path()).unwrap_or_default();
    let Some(sub) = path.strip_prefix("/v2/auth") else { return not_found() };
    let (kind, rest) = match sub {
        "/enable" => return enable(state, parts).await,
        "/users" => ("users", None),
        "/roles" => ("roles", None),
        s => match (s.strip_prefix("/users/"), s.strip_prefix("/roles/")) {
            (Some(r), _) => ("users", Some(r.trim_end_matches('/'))),
            (_, Some(r)) => ("roles", Some(r.trim_end_matches('/'))),
            _ => return not_found(),
        },
    };
    let name = match rest {
        None | Some("") => None,
        Some(n) if n.contains('/') => {
            return message(StatusCode::BAD_REQUEST, "Invalid path");
        }
        Some(n) => Some(n),
    };
    match (kind, name) {
        ("users", None) => base_users(state, parts).await,
        ("users", Some(n)) => for_user(state, parts, body, n).await,
        (_, None) => base_roles(state, parts).await,
        (_, Some(n)) => for_role(state, parts, body, n).await,
    }
}

// --- store access ---------------------------------------------------------------------

fn read_value(state: &State, key: &str) -> Option<String> {
    let got = state.store_read().get(key, GetOptions::default(), SystemTime::now());
    got.ok()?.node.value
}

fn list(state: &State, dir: &str) -> Vec<String> {
    let got = state.store_read().get(dir, GetOptions::default(), SystemTime::now());
    let mut names: Vec<String> = got
        .ok()
        .and_then(|e| e.node.nodes)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| n.key.rsplit('/').next().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Whether auth is enabled (the replicated flag).
pub(crate) fn enabled(state: &State) -> bool {
    read_value(state, ENABLED_KEY).and_then(|v| serde_json::from_str(&v).ok()).unwrap_or(false)
}

fn get_user(state: &State, name: &str) -> Option<User> {
    let v = read_value(state, &format!("{USERS_DIR}/{name}"))?;
    let user: User = serde_json::from_str(&v).ok()?;
    Some(user.with_root_role())
}

fn get_role(state: &State, name: &str) -> Option<Role> {
    if name == ROOT_ROLE {
        return Some(Role::root());
    }
    let v = read_value(state, &format!("{ROLES_DIR}/{name}"))?;
    serde_json::from_str(&v).ok()
}

/// A write failed in the store (its code) or never got there.
enum WriteError {
    Store(ErrorCode),
    Log,
}

async fn propose(state: &State, cmd: Command) -> Result<(), WriteError> {
    let applied = state.log.propose(cmd.encode()).await.map_err(|e| {
        tracing::warn!(error = %e, "auth write failed");
        WriteError::Log
    })?;
    applied.output.map(|_| ()).map_err(|e| WriteError::Store(e.code))
}

fn put_command(key: &str, value: String, dir: bool, prev_exist: bool) -> Command {
    Command::Put {
        key: key.to_owned(),
        value,
        dir,
        expiration: None,
        refresh: false,
        prev_exist: Some(prev_exist),
        prev_value: None,
        prev_index: 0,
        now: to_nanos(SystemTime::now()),
    }
}

/// etcd's `ensureAuthDirectories`: once per process, before the first auth write, create
/// the directories and the `enabled=false` flag unless they exist.
async fn ensure_dirs(state: &State) -> Result<(), WriteError> {
    if state.auth.ensured.load(Ordering::Acquire) {
        return Ok(());
    }
    let steps = [
        (AUTH_DIR, String::new(), true),
        (USERS_DIR, String::new(), true),
        (ROLES_DIR, String::new(), true),
        (ENABLED_KEY, "false".to_owned(), false),
    ];
    for (key, value, dir) in steps {
        match propose(state, put_command(key, value, dir, false)).await {
            Ok(()) | Err(WriteError::Store(ErrorCode::NodeExist)) => {}
            Err(e) => return Err(e),
        }
    }
    state.auth.ensured.store(true, Ordering::Release);
    Ok(())
}

async fn put(state: &State, key: &str, value: String, prev_exist: bool) -> Result<(), WriteError> {
    ensure_dirs(state).await?;
    propose(state, put_command(key, value, false, prev_exist)).await
}

async fn delete(state: &State, key: &str) -> Result<(), WriteError> {
    ensure_dirs(state).await?;
    let cmd = Command::Delete {
        key: key.to_owned(),
        dir: false,
        recursive: false,
        prev_value: None,
        prev_index: 0,
        now: to_nanos(SystemTime::now()),
    };
    propose(state, cmd).await
}

fn to_json(v: &impl Serialize) -> String {
    // Plain structs of strings and lists always serialize.
    serde_json::to_string(v).unwrap_or_default()
}

/// Go's `json.NewDecoder(body).Decode(&v)`: the first JSON value, trailing data ignored.
fn decode<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
    serde_json::Deserializer::from_slice(body).into_iter::<T>().next()?.ok()
}

async fn hash_password(password: String) -> Result<String, Refusal> {
    tokio::task::spawn_blocking(move || {
        bcrypt::hash_with_result(password, BCRYPT_COST)
            .map(|h| h.format_for_version(bcrypt::Version::TwoA))
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(internal)
}

// --- /v2/auth/enable --------------------------------------------------------------------

async fn enable(state: &State, parts: &Parts) -> Response<Body> {
    if ![Method::GET, Method::PUT, Method::DELETE].contains(&parts.method) {
        return method_not_allowed("GET,PUT,DELETE");
    }
    if parts.method != Method::GET && !has_root_access(state, parts).await {
        return no_auth();
    }
    if let Err(e) = sync_for_write(state, parts).await {
        return refusal(state, e);
    }
    let on = enabled(state);
    let result = match parts.method {
        Method::GET => {
            #[derive(Serialize)]
            struct Enabled {
                enabled: bool,
            }
            return reply(state, StatusCode::OK, &Enabled { enabled: on });
        }
        Method::PUT => enable_auth(state, on).await,
        _ if !on => Err(Refusal::auth(409, "already disabled")),
        _ => put(state, ENABLED_KEY, "false".to_owned(), true).await.map_err(|_| internal()),
    };
    match result {
        Ok(()) => reply_empty(state),
        Err(e) => refusal(state, e),
    }
}

async fn enable_auth(state: &State, on: bool) -> Result<(), Refusal> {
    if on {
        return Err(Refusal::auth(409, "already enabled"));
    }
    if get_user(state, ROOT_USER).is_none() {
        return Err(Refusal::auth(409, "No root user available, please create one"));
    }
    if get_role(state, GUEST_ROLE).is_none() {
        tracing::info!("no guest role access found; creating the default");
        create_role(state, &Role::default_guest()).await?;
    }
    put(state, ENABLED_KEY, "true".to_owned(), true).await.map_err(|_| internal())?;
    tracing::info!("enabled auth");
    Ok(())
}

// --- users ------------------------------------------------------------------------------

/// A user as answered by GET: its roles expanded (omitted when none).
#[derive(Serialize)]
struct UserWithRoles {
    user: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
}

async fn base_users(state: &State, parts: &Parts) -> Response<Body> {
    if parts.method != Method::GET {
        return method_not_allowed("GET");
    }
    if !has_root_access(state, parts).await {
        return no_auth();
    }
    #[derive(Serialize)]
    struct Users {
        users: Option<Vec<UserWithRoles>>,
    }
    let users: Vec<UserWithRoles> = list(state, USERS_DIR)
        .iter()
        .filter_map(|n| get_user(state, n))
        .map(|u| UserWithRoles {
            roles: u.role_names().iter().filter_map(|r| get_role(state, r)).collect(),
            user: u.user,
        })
        .collect();
    reply(state, StatusCode::OK, &Users { users: (!users.is_empty()).then_some(users) })
}

/// The checks shared by `/v2/auth/users/NAME` and `/v2/auth/roles/NAME`, in etcd's order:
/// the method, root credentials, then catching up with the log before a change.
async fn admin_request(state: &State, parts: &Parts) -> Result<(), Response<Body>> {
    if ![Method::GET, Method::PUT, Method::DELETE].contains(&parts.method) {
        return Err(method_not_allowed("GET,PUT,DELETE"));
    }
    if !has_root_access(state, parts).await {
        return Err(no_auth());
    }
    sync_for_write(state, parts).await.map_err(|e| refusal(state, e))
}

async fn for_user(state: &State, parts: &Parts, body: &Bytes, name: &str) -> Response<Body> {
    if let Err(refused) = admin_request(state, parts).await {
        return refused;
    }
    let result = match parts.method {
        Method::GET => get_user_with_roles(state, name).map(|u| reply(state, StatusCode::OK, &u)),
        Method::PUT => put_user(state, body, name).await.map(|(status, mut u)| {
            u.password.clear();
            reply(state, status, &u)
        }),
        _ => delete_user(state, name).await.map(|()| reply_empty(state)),
    };
    result.unwrap_or_else(|e| refusal(state, e))
}

fn get_user_with_roles(state: &State, name: &str) -> Result<UserWithRoles, Refusal> {
    let u = get_user(state, name)
        .ok_or_else(|| Refusal::auth(404, format_args!("User {name} does not exist.")))?;
    let roles = u
        .role_names()
        .iter()
        .map(|r| {
            get_role(state, r)
                .ok_or_else(|| Refusal::auth(404, format_args!("Role {r} does not exist.")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UserWithRoles { user: u.user, roles })
}

async fn put_user(state: &State, body: &Bytes, name: &str) -> Result<(StatusCode, User), Refusal> {
    let u: User =
        decode(body).ok_or_else(|| Refusal::plain(400, "Invalid JSON in request body."))?;
    if u.user != name {
        return Err(Refusal::plain(400, "User JSON name does not match the name in the URL"));
    }
    let has_roles = !u.role_names().is_empty();
    if u.grant.is_empty() && u.revoke.is_empty() {
        if has_roles {
            // Password and roles together can only be a create (etcd answers 200 here).
            return Ok((StatusCode::OK, create_user(state, u).await?));
        }
        if get_user(state, name).is_some() {
            return Ok((StatusCode::OK, update_user(state, u).await?));
        }
        return Ok((StatusCode::CREATED, create_user(state, u).await?));
    }
    if has_roles {
        return Err(Refusal::plain(400, "User JSON contains both roles and grant/revoke"));
    }
    Ok((StatusCode::OK, update_user(state, u).await?))
}

async fn create_user(state: &State, u: User) -> Result<User, Refusal> {
    let mut u = u.with_root_role();
    if u.password.is_empty() {
        let msg = format!("Cannot create user {} with an empty password", u.user);
        return Err(Refusal::auth(400, msg));
    }
    u.password = hash_password(std::mem::take(&mut u.password)).await?;
    match put(state, &format!("{USERS_DIR}/{}", u.user), to_json(&u), false).await {
        Ok(()) => {
            tracing::info!(user = %u.user, "created a user");
            Ok(u)
        }
        Err(WriteError::Store(ErrorCode::NodeExist)) => {
            Err(Refusal::auth(409, format_args!("User {} already exists.", u.user)))
        }
        Err(_) => Err(internal()),
    }
}

async fn update_user(state: &State, change: User) -> Result<User, Refusal> {
    let name = &change.user;
    let old = get_user(state, name)
        .ok_or_else(|| Refusal::auth(404, format_args!("User {name} does not exist.")))?;
    let mut new = old.merge_roles(&change)?;
    if !change.password.is_empty() {
        new.password = hash_password(change.password.clone()).await?;
    }
    if new == old {
        return Err(Refusal::auth(
            400,
            "User not updated. Use grant/revoke/password to update the user.",
        ));
    }
    put(state, &format!("{USERS_DIR}/{name}"), to_json(&new), true)
        .await
        .map_err(|_| internal())?;
    tracing::info!(user = %name, "updated a user");
    Ok(new)
}

async fn delete_user(state: &State, name: &str) -> Result<(), Refusal> {
    if name == ROOT_USER && enabled(state) {
        return Err(Refusal::auth(403, "Cannot delete root user while auth is enabled."));
    }
    match delete(state, &format!("{USERS_DIR}/{name}")).await {
        Ok(()) => Ok(()),
        Err(WriteError::Store(ErrorCode::KeyNotFound)) => {
            Err(Refusal::auth(404, format_args!("User {name} does not exist")))
        }
        Err(_) => Err(internal()),
    }
}

// --- roles ------------------------------------------------------------------------------

async fn base_roles(state: &State, parts: &Parts) -> Response<Body> {
    if parts.method != Method::GET {
        return method_not_allowed("GET");
    }
    if !has_root_access(state, parts).await {
        return no_auth();
    }
    #[derive(Serialize)]
    struct Roles {
        roles: Vec<Role>,
    }
    let mut names = list(state, ROLES_DIR);
    names.push(ROOT_ROLE.to_owned());
    names.sort();
    let roles = names.iter().filter_map(|n| get_role(state, n)).collect();
    reply(state, StatusCode::OK, &Roles { roles })
}

async fn for_role(state: &State, parts: &Parts, body: &Bytes, name: &str) -> Response<Body> {
    if let Err(refused) = admin_request(state, parts).await {
        return refused;
    }
    let result = match parts.method {
        Method::GET => get_role(state, name)
            .map(|r| reply(state, StatusCode::OK, &r))
            .ok_or_else(|| Refusal::auth(404, format_args!("Role {name} does not exist."))),
        Method::PUT => put_role(state, body, name).await.map(|(s, r)| reply(state, s, &r)),
        _ => delete_role(state, name).await.map(|()| reply_empty(state)),
    };
    result.unwrap_or_else(|e| refusal(state, e))
}

async fn put_role(state: &State, body: &Bytes, name: &str) -> Result<(StatusCode, Role), Refusal> {
    let r: Role =
        decode(body).ok_or_else(|| Refusal::plain(400, "Invalid JSON in request body."))?;
    if r.role != name {
        return Err(Refusal::plain(400, "Role JSON name does not match the name in the URL"));
    }
    if !r.is_change() {
        create_role(state, &r).await?;
        return Ok((StatusCode::CREATED, r));
    }
    if !r.permissions.is_empty() {
        return Err(Refusal::plain(400, "Role JSON contains both permissions and grant/revoke"));
    }
    if name == ROOT_ROLE {
        return Err(root_role_refusal());
    }
    let old = get_role(state, name)
        .ok_or_else(|| Refusal::auth(404, format_args!("Role {name} does not exist.")))?;
    let new = old.merge(&r)?;
    if new == old {
        return Err(Refusal::auth(400, "Role not updated. Use grant/revoke to update the role."));
    }
    put(state, &format!("{ROLES_DIR}/{name}"), to_json(&new), true)
        .await
        .map_err(|_| internal())?;
    tracing::info!(role = %name, "updated a role");
    Ok((StatusCode::OK, new))
}

fn root_role_refusal() -> Refusal {
    Refusal::auth(403, format_args!("Cannot modify role {ROOT_ROLE}: is root role."))
}

async fn create_role(state: &State, r: &Role) -> Result<(), Refusal> {
    if r.role == ROOT_ROLE {
        return Err(root_role_refusal());
    }
    match put(state, &format!("{ROLES_DIR}/{}", r.role), to_json(r), false).await {
        Ok(()) => {
            tracing::info!(role = %r.role, "created a role");
            Ok(())
        }
        Err(WriteError::Store(ErrorCode::NodeExist)) => {
            Err(Refusal::auth(409, format_args!("Role {} already exists.", r.role)))
        }
        Err(_) => Err(internal()),
    }
}

async fn delete_role(state: &State, name: &str) -> Result<(), Refusal> {
    if name == ROOT_ROLE {
        return Err(root_role_refusal());
    }
    match delete(state, &format!("{ROLES_DIR}/{name}")).await {
        Ok(()) => Ok(()),
        Err(WriteError::Store(ErrorCode::KeyNotFound)) => {
            Err(Refusal::auth(404, format_args!("Role {name} doesn't exist.")))
        }
        Err(_) => Err(internal()),
    }
}

#[cfg(test)]
mod tests;
