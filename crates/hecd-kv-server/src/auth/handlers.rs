//! The `/v2/auth/{enable,users,roles}` handlers.

use hecd_v2api::ErrorCode;
use hyper::body::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Response, StatusCode};
use serde::Serialize;

use super::checks::{has_root_access, no_auth};
use super::model::{Refusal, Role, User, GUEST_ROLE, ROOT_ROLE, ROOT_USER};
use super::records::*;
use crate::body::Body;
use crate::form::decode_path;
use crate::reply::{message, method_not_allowed, not_found, JSON};
use crate::state::{Parts, State};

/// bcrypt cost of new hashes (Go's `bcrypt.DefaultCost`, what etcd uses).
pub const BCRYPT_COST: u32 = 10;

fn refusal(state: &State, e: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = message(status, &e.message);
    state.cluster_header(r.headers_mut());
    r
}

fn reply(state: &State, status: StatusCode, v: &impl Serialize) -> Response<Body> {
    let mut b = crate::wire::go_json_plain(v);
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
