//! Table tests for the store functions; expectations were checked against Go (the
//! conformance oracle's memkv, which follows confd master).

use super::{normalise_key, KvPair, KvStore};
use crate::error::StoreError;

fn store() -> KvStore {
    KvStore::from_pairs([
        ("/app/name", "shop"),
        ("/app/port", "8080"),
        ("/app/servers/web1", "10.0.0.1:80"),
        ("/app/servers/web10", "10.0.0.10:80"),
        ("/app/servers/web2", "10.0.0.2:80"),
        ("/app/db/host", "db1.local"),
        ("/app/db/port", "5432"),
        ("/app/empty", ""),
        ("/a", "leaf"),
        ("/a/b/c", "1"),
        ("/a/d", "2"),
        ("/top", "t"),
    ])
}

#[track_caller]
fn check_ls(dir: &str, want: &[&str]) {
    assert_eq!(store().list(dir), want, "ls {dir:?}");
}

#[track_caller]
fn check_lsdir(dir: &str, want: &[&str]) {
    assert_eq!(store().list_dir(dir), want, "lsdir {dir:?}");
}

#[track_caller]
fn check_gets(pattern: &str, want: &[&str]) {
    let keys: Vec<String> = store().get_all(pattern).unwrap().into_iter().map(|p| p.key).collect();
    assert_eq!(keys, want, "gets {pattern:?}");
}

#[test]
fn get_is_exact() {
    let s = store();
    assert_eq!(s.get("/app/name"), Ok(KvPair { key: "/app/name".into(), value: "shop".into() }));
    assert_eq!(s.get("/app/name/"), Err(StoreError::KeyNotFound { key: "/app/name/".into() }));
    assert_eq!(s.get("/nope").unwrap_err().to_string(), "key does not exist: /nope");
    assert!(s.exists("/app/name"));
    assert!(!s.exists("/app"));
}

#[test]
fn getv_defaults() {
    let s = store();
    assert_eq!(s.get_value("/app/port", None).unwrap(), "8080");
    assert_eq!(s.get_value("/nope", Some("d1")).unwrap(), "d1");
    assert_eq!(s.get_value("/app/empty", Some("dflt")).unwrap(), "");
    assert!(s.get_value("/nope", None).is_err());
}

#[test]
fn gets_sorts_bytewise_and_globs() {
    check_gets("/app/servers/*", &["/app/servers/web1", "/app/servers/web10", "/app/servers/web2"]);
    check_gets("/app/servers/web?", &["/app/servers/web1", "/app/servers/web2"]);
    check_gets("/app/*", &["/app/empty", "/app/name", "/app/port"]);
    check_gets("/*", &["/a", "/top"]);
    check_gets("/x/*", &[]);
    check_gets("/app/db/[^h]*", &["/app/db/port"]);
}

#[test]
fn gets_bad_pattern_needs_a_key() {
    assert_eq!(store().get_all("/app/[").unwrap_err().to_string(), "syntax error in pattern");
    assert_eq!(KvStore::new().get_all("/app/[").unwrap(), vec![]);
}

#[test]
fn getvs_sorts_by_value() {
    let s = KvStore::from_pairs([
        ("/v/a", "zed"),
        ("/v/b", "Mid"),
        ("/v/c", "alpha"),
        ("/n/1", "9"),
        ("/n/2", "10"),
        ("/n/3", "100"),
    ]);
    assert_eq!(s.get_all_values("/v/*").unwrap(), ["Mid", "alpha", "zed"]);
    assert_eq!(s.get_all_values("/n/*").unwrap(), ["10", "100", "9"]);
}

#[test]
fn ls_is_component_based() {
    check_ls("/app", &["db", "empty", "name", "port", "servers"]);
    check_ls("/app/", &["db", "empty", "name", "port", "servers"]);
    check_ls("/a", &["a", "b", "d"]);
    check_ls("/", &["a", "top"]);
    check_ls("/ap", &[]);
    check_ls("/nope", &[]);
    check_ls("app", &[]);
    check_ls("/a/b", &["c"]);
}

#[test]
fn lsdir_lists_only_parents() {
    check_lsdir("/app", &["db", "servers"]);
    check_lsdir("/a", &["b"]);
    check_lsdir("/", &[]);
    check_lsdir("", &[]);
    check_lsdir("/top", &[]);
    check_lsdir("/zz", &[]);
}

#[test]
fn keys_normalise_like_confd() {
    assert_eq!(normalise_key("/app/x", "/"), "/app/x");
    assert_eq!(normalise_key("//a/b/", "/"), "/a/b");
    assert_eq!(normalise_key("/prod/db", "/prod"), "/db");
    assert_eq!(normalise_key("/production/x", "/prod"), "/uction/x");
    assert_eq!(normalise_key("/other", "/prod"), "/other");
}

#[test]
fn mutation() {
    let s = KvStore::new();
    s.set("/k", "v");
    assert_eq!(s.len(), 1);
    s.replace_all([("/a", "1"), ("/b", "2")]);
    assert!(!s.exists("/k"));
    s.del("/a");
    assert_eq!(s.len(), 1);
    s.purge();
    assert!(s.is_empty());
}
