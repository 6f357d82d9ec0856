//! v2 auth: users and roles, enable/disable, key permissions, the guest role, the
//! credential cache and auth state across a restart (expected bodies observed on etcd 3.4).

use base64::Engine as _;

use crate::support::{request, Reply, Server};

/// `None` = no `Authorization` header; `Some((user, password))` = basic auth.
type Creds<'a> = Option<(&'a str, &'a str)>;

const ROOT: Creds = Some(("root", "rootpw"));

async fn call(s: &Server, creds: Creds<'_>, method: &str, target: &str, body: &str) -> Reply {
    let auth = creds.map(|(u, p)| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")))
    });
    let ctype = if target.starts_with("/v2/keys") {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let mut headers = vec![("Content-Type", ctype)];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    request(s.addr, method, target, &headers, body).await
}

/// Sends one request and checks the status and the exact body.
#[track_caller]
fn check(r: &Reply, status: u16, body: &str) {
    assert_eq!((r.status, r.body.as_str()), (status, body), "headers: {:?}", r.headers);
}

/// etcd's `/v2/keys` answer to a refused request.
#[track_caller]
fn check_denied(r: &Reply) {
    check(
        r,
        401,
        "{\"errorCode\":110,\"message\":\"The request requires user authentication\",\
         \"cause\":\"Insufficient credentials\",\"index\":0}\n",
    );
    assert_eq!(r.header("x-etcd-index"), Some("0"));
    // etcd 3.4 sends no WWW-Authenticate on any 401.
    assert_eq!(r.header("www-authenticate"), None);
    assert!(r.header("x-etcd-cluster-id").is_some());
}

/// etcd's answer on `/v2/auth` and `/v2/members` without root credentials.
#[track_caller]
fn check_no_root(r: &Reply) {
    check(r, 401, r#"{"message":"Insufficient credentials"}"#);
    assert_eq!(r.header("x-etcd-cluster-id"), None);
}

/// root (password `rootpw`), role `rw` (read `/r/*`, write `/w/*`), user alice/pw with
/// `rw`, auth enabled and the default guest role emptied.
async fn setup(s: &Server) {
    check(
        &call(s, None, "PUT", "/v2/auth/users/root", r#"{"user":"root","password":"rootpw"}"#)
            .await,
        201,
        "{\"user\":\"root\",\"roles\":[\"root\"]}\n",
    );
    let rw = r#"{"role":"rw","permissions":{"kv":{"read":["/r/*"],"write":["/w/*"]}}}"#;
    check(&call(s, None, "PUT", "/v2/auth/roles/rw", rw).await, 201, &format!("{rw}\n"));
    let alice = r#"{"user":"alice","password":"pw","roles":["rw"]}"#;
    check(
        &call(s, None, "PUT", "/v2/auth/users/alice", alice).await,
        200,
        "{\"user\":\"alice\",\"roles\":[\"rw\"]}\n",
    );
    check(&call(s, None, "PUT", "/v2/auth/enable", "").await, 200, "");
    let revoke = r#"{"role":"guest","revoke":{"kv":{"read":["/*"],"write":["/*"]}}}"#;
    check(
        &call(s, ROOT, "PUT", "/v2/auth/roles/guest", revoke).await,
        200,
        "{\"role\":\"guest\",\"permissions\":{\"kv\":{\"read\":[],\"write\":[]}}}\n",
    );
}

#[tokio::test]
async fn users_and_roles_crud() {
    let s = Server::start().await;
    check(&call(&s, None, "GET", "/v2/auth/users", "").await, 200, "{\"users\":null}\n");
    let r = call(&s, None, "GET", "/v2/auth/roles", "").await;
    check(&r, 200, "{\"roles\":[{\"role\":\"root\",\"permissions\":{\"kv\":{\"read\":[\"/*\"],\"write\":[\"/*\"]}}}]}\n");
    assert!(r.header("x-etcd-cluster-id").is_some());
    let alice = r#"{"user":"alice","password":"pw"}"#;
    let r = call(&s, None, "PUT", "/v2/auth/users/alice", alice).await;
    check(&r, 201, "{\"user\":\"alice\",\"roles\":null}\n");
    let r = call(&s, None, "PUT", "/v2/auth/users/alice", alice).await;
    check(&r, 200, "{\"user\":\"alice\",\"roles\":[]}\n");
    let r = call(&s, None, "PUT", "/v2/auth/users/bob", alice).await;
    check(&r, 400, r#"{"message":"User JSON name does not match the name in the URL"}"#);
    let r = call(&s, None, "PUT", "/v2/auth/users/bob", "garbage").await;
    check(&r, 400, r#"{"message":"Invalid JSON in request body."}"#);
    let r = call(&s, None, "PUT", "/v2/auth/users/bob", r#"{"user":"bob"}"#).await;
    check(&r, 400, r#"{"message":"auth: Cannot create user bob with an empty password"}"#);
    check(&call(&s, None, "GET", "/v2/auth/users/alice", "").await, 200, "{\"user\":\"alice\"}\n");
    let r = call(&s, None, "GET", "/v2/auth/users/nobody", "").await;
    check(&r, 404, r#"{"message":"auth: User nobody does not exist."}"#);

    let rw = r#"{"role":"rw","permissions":{"kv":{"read":["/r/*"],"write":["/w/*"]}}}"#;
    check(&call(&s, None, "PUT", "/v2/auth/roles/rw", rw).await, 201, &format!("{rw}\n"));
    let r = call(&s, None, "PUT", "/v2/auth/roles/rw", rw).await;
    check(&r, 409, r#"{"message":"auth: Role rw already exists."}"#);
    let grant = r#"{"role":"rw","grant":{"kv":{"read":["/x"]}}}"#;
    let r = call(&s, None, "PUT", "/v2/auth/roles/rw", grant).await;
    check(&r, 200, "{\"role\":\"rw\",\"permissions\":{\"kv\":{\"read\":[\"/r/*\",\"/x\"],\"write\":[\"/w/*\"]}}}\n");
    let revoke = r#"{"role":"rw","revoke":{"kv":{"read":["/x"]}}}"#;
    check(&call(&s, None, "PUT", "/v2/auth/roles/rw", revoke).await, 200, &format!("{rw}\n"));
    let r = call(&s, None, "PUT", "/v2/auth/roles/rw", revoke).await;
    check(&r, 400, r#"{"message":"auth: Role not updated. Use grant/revoke to update the role."}"#);
    let r = call(&s, None, "PUT", "/v2/auth/roles/nor", grant.replace("rw", "nor").as_str()).await;
    check(&r, 404, r#"{"message":"auth: Role nor does not exist."}"#);
    let r = call(&s, None, "PUT", "/v2/auth/roles/r2", r#"{"role":"r2"}"#).await;
    check(&r, 201, "{\"role\":\"r2\",\"permissions\":{\"kv\":{\"read\":null,\"write\":null}}}\n");
    let r = call(&s, None, "PUT", "/v2/auth/roles/root", r#"{"role":"root"}"#).await;
    check(&r, 403, r#"{"message":"auth: Cannot modify role root: is root role."}"#);
    let r = call(&s, None, "DELETE", "/v2/auth/roles/root", "").await;
    check(&r, 403, r#"{"message":"auth: Cannot modify role root: is root role."}"#);

    let g = r#"{"user":"alice","grant":["rw"]}"#;
    let r = call(&s, None, "PUT", "/v2/auth/users/alice", g).await;
    check(&r, 200, "{\"user\":\"alice\",\"roles\":[\"rw\"]}\n");
    let r = call(&s, None, "PUT", "/v2/auth/users/alice", g).await;
    check(&r, 409, r#"{"message":"auth: Granting duplicate role rw for user alice"}"#);
    let r =
        call(&s, None, "PUT", "/v2/auth/users/alice", r#"{"user":"alice","revoke":["r2"]}"#).await;
    check(&r, 409, r#"{"message":"auth: Revoking ungranted role r2 for user alice"}"#);
    let r = call(&s, None, "GET", "/v2/auth/users", "").await;
    check(&r, 200, &format!("{{\"users\":[{{\"user\":\"alice\",\"roles\":[{rw}]}}]}}\n"));
    // Unknown role names are accepted when written; reading the user then fails.
    let dan = r#"{"user":"dan","password":"d","roles":["nosuch"]}"#;
    let r = call(&s, None, "PUT", "/v2/auth/users/dan", dan).await;
    check(&r, 200, "{\"user\":\"dan\",\"roles\":[\"nosuch\"]}\n");
    let r = call(&s, None, "GET", "/v2/auth/users/dan", "").await;
    check(&r, 404, r#"{"message":"auth: Role nosuch does not exist."}"#);

    check(&call(&s, None, "DELETE", "/v2/auth/roles/r2", "").await, 200, "");
    let r = call(&s, None, "DELETE", "/v2/auth/roles/r2", "").await;
    check(&r, 404, r#"{"message":"auth: Role r2 doesn't exist."}"#);
    check(&call(&s, None, "DELETE", "/v2/auth/users/dan", "").await, 200, "");
    let r = call(&s, None, "DELETE", "/v2/auth/users/dan", "").await;
    check(&r, 404, r#"{"message":"auth: User dan does not exist"}"#);
    let r = call(&s, None, "POST", "/v2/auth/users/dan", "").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET,PUT,DELETE")));
    let r = call(&s, None, "GET", "/v2/auth/users/a/b", "").await;
    check(&r, 400, r#"{"message":"Invalid path"}"#);
    check(&call(&s, None, "GET", "/v2/auth", "").await, 404, "404 page not found\n");
}

#[tokio::test]
async fn enable_needs_root_user_and_then_root_credentials() {
    let s = Server::start().await;
    check(&call(&s, None, "GET", "/v2/auth/enable", "").await, 200, "{\"enabled\":false}\n");
    let r = call(&s, None, "PUT", "/v2/auth/enable", "").await;
    check(&r, 409, r#"{"message":"auth: No root user available, please create one"}"#);
    setup(&s).await;
    check(&call(&s, None, "GET", "/v2/auth/enable", "").await, 200, "{\"enabled\":true}\n");
    check_no_root(&call(&s, None, "GET", "/v2/auth/users", "").await);
    check_no_root(&call(&s, Some(("root", "bad")), "GET", "/v2/auth/roles", "").await);
    check_no_root(&call(&s, Some(("alice", "pw")), "DELETE", "/v2/auth/enable", "").await);
    check_no_root(&call(&s, None, "DELETE", "/v2/members/1", "").await);
    assert_eq!(call(&s, None, "GET", "/v2/members", "").await.status, 200);
    let r = call(&s, ROOT, "PUT", "/v2/auth/enable", "").await;
    check(&r, 409, r#"{"message":"auth: already enabled"}"#);
    let r = call(&s, ROOT, "DELETE", "/v2/auth/users/root", "").await;
    check(&r, 403, r#"{"message":"auth: Cannot delete root user while auth is enabled."}"#);
    let r = call(&s, ROOT, "GET", "/v2/auth/roles/guest", "").await;
    check(&r, 200, "{\"role\":\"guest\",\"permissions\":{\"kv\":{\"read\":[],\"write\":[]}}}\n");
    check(&call(&s, ROOT, "DELETE", "/v2/auth/enable", "").await, 200, "");
    let r = call(&s, None, "DELETE", "/v2/auth/enable", "").await;
    check(&r, 409, r#"{"message":"auth: already disabled"}"#);
    // Disabled again: everyone may read and write.
    assert_eq!(call(&s, None, "PUT", "/v2/keys/x", "value=1").await.status, 201);
}

#[tokio::test]
async fn key_permissions_read_write_and_prefixes() {
    let s = Server::start().await;
    assert_eq!(call(&s, None, "PUT", "/v2/keys/r/a", "value=1").await.status, 201);
    setup(&s).await;
    let alice = Some(("alice", "pw"));
    let r = call(&s, alice, "GET", "/v2/keys/r/a", "").await;
    assert_eq!((r.status, r.json()["node"]["value"].as_str()), (200, Some("1")));
    check_denied(&call(&s, alice, "PUT", "/v2/keys/r/a", "value=2").await);
    assert_eq!(call(&s, alice, "PUT", "/v2/keys/w/a", "value=2").await.status, 201);
    check_denied(&call(&s, alice, "GET", "/v2/keys/w/a", "").await);
    // `/r/*` covers keys below /r, not /r itself; recursive requests need a `*` pattern.
    check_denied(&call(&s, alice, "GET", "/v2/keys/r", "").await);
    check_denied(&call(&s, alice, "GET", "/v2/keys/?recursive=true", "").await);
    assert_eq!(call(&s, alice, "GET", "/v2/keys/r/?recursive=true", "").await.status, 200);
    check_denied(&call(&s, alice, "DELETE", "/v2/keys/w?recursive=true", "").await);
    // Wrong password, unknown user, malformed and foreign schemes.
    check_denied(&call(&s, Some(("alice", "bad")), "GET", "/v2/keys/r/a", "").await);
    check_denied(&call(&s, Some(("nobody", "pw")), "GET", "/v2/keys/r/a", "").await);
    let bad = [("Authorization", "Basic !!!")];
    check_denied(&request(s.addr, "GET", "/v2/keys/r/a", &bad, "").await);
    let bearer = [("Authorization", "Bearer x")];
    check_denied(&request(s.addr, "GET", "/v2/keys/r/a", &bearer, "").await);
    // root may do anything; errors after the check are ordinary store errors.
    let r = call(&s, ROOT, "GET", "/v2/keys/zz", "").await;
    assert_eq!((r.status, r.json()["errorCode"].as_u64()), (404, Some(100)));
    assert_eq!(call(&s, ROOT, "PUT", "/v2/keys/any/where", "value=1").await.status, 201);
}

#[tokio::test]
async fn guest_role_applies_without_credentials() {
    let s = Server::start().await;
    setup(&s).await;
    check_denied(&call(&s, None, "GET", "/v2/keys/pub/a", "").await);
    let grant = r#"{"role":"guest","grant":{"kv":{"read":["/pub/*"]}}}"#;
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/roles/guest", grant).await.status, 200);
    let r = call(&s, None, "GET", "/v2/keys/pub/a", "").await;
    assert_eq!((r.status, r.json()["errorCode"].as_u64()), (404, Some(100)));
    check_denied(&call(&s, None, "PUT", "/v2/keys/pub/a", "value=1").await);
    // Without a guest role nothing is allowed without credentials.
    check(&call(&s, ROOT, "DELETE", "/v2/auth/roles/guest", "").await, 200, "");
    check_denied(&call(&s, None, "GET", "/v2/keys/pub/a", "").await);
}

#[tokio::test]
async fn credential_changes_take_effect_immediately() {
    let s = Server::start().await;
    assert_eq!(call(&s, None, "PUT", "/v2/keys/r/a", "value=1").await.status, 201);
    setup(&s).await;
    let old = Some(("alice", "pw"));
    let new = Some(("alice", "pw2"));
    for _ in 0..3 {
        assert_eq!(call(&s, old, "GET", "/v2/keys/r/a", "").await.status, 200);
    }
    let change = r#"{"user":"alice","password":"pw2"}"#;
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/users/alice", change).await.status, 200);
    check_denied(&call(&s, old, "GET", "/v2/keys/r/a", "").await);
    assert_eq!(call(&s, new, "GET", "/v2/keys/r/a", "").await.status, 200);
    let revoke = r#"{"user":"alice","revoke":["rw"]}"#;
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/users/alice", revoke).await.status, 200);
    check_denied(&call(&s, new, "GET", "/v2/keys/r/a", "").await);
    let grant = r#"{"user":"alice","grant":["rw"]}"#;
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/users/alice", grant).await.status, 200);
    assert_eq!(call(&s, new, "GET", "/v2/keys/r/a", "").await.status, 200);
    let narrow = r#"{"role":"rw","revoke":{"kv":{"read":["/r/*"]}}}"#;
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/roles/rw", narrow).await.status, 200);
    check_denied(&call(&s, new, "GET", "/v2/keys/r/a", "").await);
    check(&call(&s, ROOT, "DELETE", "/v2/auth/users/alice", "").await, 200, "");
    check_denied(&call(&s, new, "PUT", "/v2/keys/w/a", "value=1").await);
}

#[tokio::test]
async fn auth_writes_consume_indices_and_the_store_hides_them() {
    let s = Server::start().await;
    let index = |r: &Reply| r.header("x-etcd-index").and_then(|i| i.parse::<u64>().ok());
    let first = index(&call(&s, None, "PUT", "/v2/keys/k", "value=1").await).expect("index");
    // The first auth write also creates the auth directories and flag (4 writes, as etcd).
    assert_eq!(call(&s, None, "PUT", "/v2/auth/roles/a", r#"{"role":"a"}"#).await.status, 201);
    let second = index(&call(&s, None, "PUT", "/v2/keys/k", "value=2").await);
    assert_eq!(second, Some(first + 6));
    assert_eq!(call(&s, None, "PUT", "/v2/auth/roles/b", r#"{"role":"b"}"#).await.status, 201);
    let third = index(&call(&s, None, "PUT", "/v2/keys/k", "value=3").await);
    assert_eq!(third, Some(first + 8));
    // The records are neither listed nor reachable through /v2/keys.
    let r = call(&s, None, "GET", "/v2/keys/?recursive=true", "").await;
    assert!(!r.body.contains("hecd"), "{}", r.body);
    let r = call(&s, None, "GET", "/v2/keys/_hecd_v2auth/roles/a", "").await;
    assert_eq!((r.status, r.json()["errorCode"].as_u64()), (404, Some(100)));
    check_denied(&call(&s, None, "PUT", "/v2/keys/_hecd_v2auth/enabled", "value=false").await);
    check_denied(&call(&s, None, "DELETE", "/v2/keys/_hecd_v2auth?recursive=true", "").await);
}

#[tokio::test]
async fn auth_state_survives_a_restart() {
    check_restart(None).await;
}

#[tokio::test]
async fn auth_state_survives_a_restart_from_a_snapshot() {
    check_restart(Some(3)).await;
}

/// Auth state written before a restart (replayed from the log, or restored from a snapshot
/// taken every `snapshot_count` entries) is enforced after it.
async fn check_restart(snapshot_count: Option<u64>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let config = |c: &mut hecd_kv_server::Config| {
        c.data_dir = Some(data.clone());
        if let Some(n) = snapshot_count {
            c.snapshot_count = n;
        }
    };
    let s = Server::start_with(config).await;
    assert_eq!(call(&s, None, "PUT", "/v2/keys/r/a", "value=1").await.status, 201);
    setup(&s).await;
    s.shutdown().await.expect("clean shutdown");

    let s = Server::start_with(config).await;
    check(&call(&s, None, "GET", "/v2/auth/enable", "").await, 200, "{\"enabled\":true}\n");
    check_denied(&call(&s, None, "GET", "/v2/keys/r/a", "").await);
    check_denied(&call(&s, Some(("alice", "bad")), "GET", "/v2/keys/r/a", "").await);
    assert_eq!(call(&s, Some(("alice", "pw")), "GET", "/v2/keys/r/a", "").await.status, 200);
    // A restarted member writes auth records without re-creating the directories.
    let before = call(&s, ROOT, "GET", "/v2/keys/r/a", "").await;
    let before = before.header("x-etcd-index").and_then(|i| i.parse::<u64>().ok()).expect("i");
    assert_eq!(call(&s, ROOT, "PUT", "/v2/auth/roles/c", r#"{"role":"c"}"#).await.status, 201);
    let after = call(&s, ROOT, "PUT", "/v2/keys/w/b", "value=1").await;
    assert_eq!(after.header("x-etcd-index"), Some((before + 2).to_string().as_str()));
    s.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn history_watches_skip_auth_records() {
    let s = Server::start().await;
    assert_eq!(call(&s, None, "PUT", "/v2/keys/k", "value=1").await.status, 201);
    assert_eq!(call(&s, None, "PUT", "/v2/auth/roles/a", r#"{"role":"a"}"#).await.status, 201);
    let r = call(&s, None, "PUT", "/v2/keys/k", "value=2").await;
    let next = r.json()["node"]["modifiedIndex"].as_u64().expect("index");
    // Indices 2..next-1 are auth writes: a recursive history watch on / skips them.
    let r = call(&s, None, "GET", "/v2/keys/?wait=true&recursive=true&waitIndex=2", "").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ev = r.json();
    assert_eq!(
        (ev["node"]["key"].as_str(), ev["node"]["modifiedIndex"].as_u64()),
        (Some("/k"), Some(next))
    );
    assert!(!r.body.contains("password"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_changes_apply_on_every_member() {
    let members = Server::cluster(3).await;
    assert_eq!(call(&members[0], None, "PUT", "/v2/keys/r/a", "value=1").await.status, 201);
    setup(&members[1]).await;
    for m in &members {
        // A quorum read by root brings the member up to date with the log first.
        assert_eq!(call(m, ROOT, "GET", "/v2/keys/r/a?quorum=true", "").await.status, 200);
        check(&call(m, None, "GET", "/v2/auth/enable", "").await, 200, "{\"enabled\":true}\n");
        check_denied(&call(m, None, "GET", "/v2/keys/r/a", "").await);
        check_denied(&call(m, Some(("alice", "bad")), "GET", "/v2/keys/r/a", "").await);
        assert_eq!(call(m, Some(("alice", "pw")), "GET", "/v2/keys/r/a", "").await.status, 200);
    }
    // A password changed through one member is refused by the others' caches at once
    // (after they applied the change).
    let change = r#"{"user":"alice","password":"pw2"}"#;
    assert_eq!(call(&members[2], ROOT, "PUT", "/v2/auth/users/alice", change).await.status, 200);
    for m in &members {
        assert_eq!(call(m, ROOT, "GET", "/v2/keys/r/a?quorum=true", "").await.status, 200);
        check_denied(&call(m, Some(("alice", "pw")), "GET", "/v2/keys/r/a", "").await);
        assert_eq!(call(m, Some(("alice", "pw2")), "GET", "/v2/keys/r/a", "").await.status, 200);
    }
    for m in members {
        m.shutdown().await.expect("clean shutdown");
    }
}
