//! Unit tests of the auth records: pattern matching, grant/revoke merges, JSON shapes.

use super::model::{parse_basic, Permissions, Role, RwPermission, User};

fn role(read: &[&str], write: &[&str]) -> Role {
    let list = |l: &[&str]| Some(l.iter().map(|s| s.to_string()).collect());
    Role {
        role: "r".into(),
        permissions: Permissions { kv: RwPermission { read: list(read), write: list(write) } },
        grant: None,
        revoke: None,
    }
}

#[track_caller]
fn check_access(r: &Role, key: &str, recursive: bool, write: bool, want: bool) {
    let got =
        if recursive { r.has_recursive_access(key, write) } else { r.has_key_access(key, write) };
    assert_eq!(got, want, "key {key:?} recursive={recursive} write={write}");
}

#[test]
fn patterns_match_exact_keys_and_star_prefixes() {
    let r = role(&["/r/*", "/exact"], &["/w*"]);
    check_access(&r, "/r/a", false, false, true);
    check_access(&r, "/r/", false, false, true);
    check_access(&r, "/r", false, false, false);
    check_access(&r, "/exact", false, false, true);
    check_access(&r, "/exact/x", false, false, false);
    check_access(&r, "/r/a", false, true, false);
    check_access(&r, "/wide/x", false, true, true);
    // Recursive requests need a `*` pattern.
    check_access(&r, "/exact", true, false, false);
    check_access(&r, "/r/sub", true, false, true);
    check_access(&Role::root(), "/anything", true, true, true);
}

#[test]
fn role_grant_sorts_dedups_and_refuses_duplicates() {
    let old = role(&["/b", "/a"], &[]);
    let change = Role { grant: Some(role(&["/c"], &[]).permissions), ..Role::default() };
    let new = old.merge(&change).expect("grant");
    assert_eq!(new.permissions.kv.read, Some(vec!["/a".into(), "/b".into(), "/c".into()]));
    assert_eq!(new.permissions.kv.write, Some(vec![]));
    let dup = Role { grant: Some(role(&["/a"], &[]).permissions), ..Role::default() };
    let e = old.merge(&dup).expect_err("duplicate");
    assert_eq!(
        (e.status, e.message.as_str()),
        (409, "auth: Granting duplicate read permission /a")
    );
}

#[test]
fn role_revoke_ignores_missing_patterns() {
    let old = role(&["/a"], &["/w"]);
    let change = Role { revoke: Some(role(&["/zz"], &[]).permissions), ..Role::default() };
    assert_eq!(old.merge(&change).expect("revoke"), old);
}

#[test]
fn user_roles_merge_like_etcd() {
    let old = User { user: "u".into(), roles: None, ..User::default() };
    let change = User { user: "u".into(), grant: vec!["b".into(), "a".into()], ..User::default() };
    let new = old.merge_roles(&change).expect("grant");
    assert_eq!(new.roles, Some(vec!["a".into(), "b".into()]));
    let again = new.merge_roles(&change).expect_err("duplicate");
    assert_eq!(again.message, "auth: Granting duplicate role b for user u");
    let revoke = User { user: "u".into(), revoke: vec!["c".into()], ..User::default() };
    assert_eq!(
        new.merge_roles(&revoke).expect_err("ungranted").message,
        "auth: Revoking ungranted role c for user u"
    );
}

#[test]
fn root_user_always_has_root_role() {
    let u = User { user: "root".into(), roles: Some(vec![]), ..User::default() }.with_root_role();
    assert_eq!(u.roles, Some(vec!["root".into()]));
    let other = User { user: "x".into(), ..User::default() }.with_root_role();
    assert_eq!(other.roles, None);
}

#[test]
fn json_shapes_follow_go() {
    let r: Role = serde_json::from_str(r#"{"role":"r2"}"#).expect("role");
    assert_eq!(
        serde_json::to_string(&r).expect("json"),
        r#"{"role":"r2","permissions":{"kv":{"read":null,"write":null}}}"#
    );
    let u: User = serde_json::from_str(r#"{"user":"a","password":"p","grant":null}"#).expect("u");
    let out = User { password: String::new(), ..u };
    assert_eq!(serde_json::to_string(&out).expect("json"), r#"{"user":"a","roles":null}"#);
}

#[test]
fn basic_auth_header_parsing() {
    // "alice:pa:ss" in base64.
    assert_eq!(
        parse_basic("Basic YWxpY2U6cGE6c3M="),
        Some(("alice".to_owned(), "pa:ss".to_owned()))
    );
    assert_eq!(parse_basic("basic YWxpY2U6cGE6c3M=").map(|c| c.0), Some("alice".to_owned()));
    assert_eq!(parse_basic("Bearer x"), None);
    assert_eq!(parse_basic("Basic !!!"), None);
    // "nocolon"
    assert_eq!(parse_basic("Basic bm9jb2xvbg=="), None);
}
