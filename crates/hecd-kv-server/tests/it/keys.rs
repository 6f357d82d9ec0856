//! `/v2/keys` reads, writes and errors over HTTP.

use serde_json::json;

use crate::support::{request, Reply, Server};

#[track_caller]
fn check(r: &Reply, status: u16, body: serde_json::Value) {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.body.ends_with('\n'), "etcd bodies end with a newline");
    assert_eq!(r.json(), body);
}

#[tokio::test]
async fn set_get_delete_with_headers() {
    let s = Server::start().await;
    let r = s.put("/v2/keys/a/b", "value=x").await;
    check(
        &r,
        201,
        json!({"action":"set","node":{"key":"/a/b","value":"x","modifiedIndex":1,"createdIndex":1}}),
    );
    assert_eq!(r.header("x-etcd-index"), Some("1"));
    assert!(r.header("x-raft-index").is_some() && r.header("x-raft-term").is_some());
    assert!(r.header("x-etcd-cluster-id").is_some());

    let r = s.put("/v2/keys/a/b", "value=y").await;
    check(
        &r,
        200,
        json!({"action":"set","node":{"key":"/a/b","value":"y","modifiedIndex":2,"createdIndex":2},
               "prevNode":{"key":"/a/b","value":"x","modifiedIndex":1,"createdIndex":1}}),
    );
    let r = s.get("/v2/keys/?recursive=true&sorted=true").await;
    check(
        &r,
        200,
        json!({"action":"get","node":{"dir":true,"nodes":[{"key":"/a","dir":true,"nodes":[
            {"key":"/a/b","value":"y","modifiedIndex":2,"createdIndex":2}],"modifiedIndex":1,"createdIndex":1}]}}),
    );
    let r = s.req("DELETE", "/v2/keys/a?recursive=true", "").await;
    check(
        &r,
        200,
        json!({"action":"delete","node":{"key":"/a","dir":true,"modifiedIndex":3,"createdIndex":1},
               "prevNode":{"key":"/a","dir":true,"modifiedIndex":1,"createdIndex":1}}),
    );
    s.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn store_errors_carry_current_index() {
    let s = Server::start().await;
    s.put("/v2/keys/f", "value=v").await;
    let r = s.get("/v2/keys/no/a").await;
    check(&r, 404, json!({"errorCode":100,"message":"Key not found","cause":"/no","index":1}));
    assert_eq!(r.header("x-etcd-index"), Some("1"));
    assert_eq!(r.header("x-raft-index"), None, "no Raft headers on errors");
    let r = s.put("/v2/keys/f?prevExist=false", "value=w").await;
    check(&r, 412, json!({"errorCode":105,"message":"Key already exists","cause":"/f","index":1}));
    let r = s.put("/v2/keys/f?prevValue=nope", "value=w").await;
    check(
        &r,
        412,
        json!({"errorCode":101,"message":"Compare failed","cause":"[nope != v]","index":1}),
    );
    let r = s.put("/v2/keys/f/x", "value=w").await;
    check(&r, 400, json!({"errorCode":104,"message":"Not a directory","cause":"/f","index":1}));
    let r = s.req("DELETE", "/v2/keys/", "").await;
    check(&r, 400, json!({"errorCode":107,"message":"Root is read only","cause":"/","index":1}));
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let s = Server::start().await;
    s.put("/v2/keys/k", "value=v").await;
    let cases: &[(&str, &str, u16, u16)] = &[
        ("/v2/keys/k?ttl=abc", "value=x", 400, 202),
        ("/v2/keys/k?ttl=-1", "value=x", 400, 202),
        ("/v2/keys/k?prevIndex=x", "value=x", 400, 203),
        ("/v2/keys/k?prevExist=maybe", "value=x", 400, 209),
        ("/v2/keys/k?prevValue=", "value=x", 400, 201),
        ("/v2/keys/k?wait=true", "value=x", 400, 209),
        ("/v2/keys/k?refresh=true&ttl=5", "value=x", 400, 211),
        ("/v2/keys/k?refresh=true", "", 400, 212),
        ("/v2/keys/k?a=%zz", "value=x", 400, 210),
    ];
    for (target, body, status, code) in cases {
        let r = s.put(target, body).await;
        assert_eq!(
            (r.status, r.json()["errorCode"].as_u64()),
            (*status, Some(u64::from(*code))),
            "{target}"
        );
        assert_eq!(r.header("x-etcd-index"), Some("0"), "{target}: request errors have index 0");
    }
    let r = s.get("/v2/keys/k").await;
    assert_eq!(r.json()["node"]["value"], "v");
    assert_eq!(r.header("x-etcd-index"), Some("1"), "no index was consumed");
}

#[tokio::test]
async fn methods_and_paths() {
    let s = Server::start().await;
    let r = s.req("PATCH", "/v2/keys/k", "").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("HEAD,GET,PUT,POST,DELETE"));
    let r = s.get("/v2/keys//a/../b?x=1").await;
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/v2/keys/b?x=1"));
    let r = s.get("/v2/keys/%zz").await;
    assert_eq!(r.status, 400);
    let r = s.put("/v2/keys/a%2Fb+c", "value=1").await;
    assert_eq!(r.json()["node"]["key"], "/a/b+c");
    let r = request(s.addr, "HEAD", "/v2/keys/a/b+c", &[], "").await;
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = s.get("/nothing/here").await;
    assert_eq!((r.status, r.body.as_str()), (404, "404 page not found\n"));
}

#[tokio::test]
async fn in_order_keys_and_no_value_on_success() {
    let s = Server::start().await;
    s.put("/v2/keys/x", "value=1").await;
    let r = s.req("POST", "/v2/keys/q", "value=job").await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["node"]["key"], "/q/00000000000000000002");
    let r = s.put("/v2/keys/k?noValueOnSuccess=true", "value=v").await;
    check(&r, 201, json!({"action":"set"}));
}

#[tokio::test]
async fn form_body_first_then_query() {
    let s = Server::start().await;
    let r = s.put("/v2/keys/k?value=query", "value=body").await;
    assert_eq!(r.json()["node"]["value"], "body");
    let r = request(
        s.addr,
        "PUT",
        "/v2/keys/j",
        &[("Content-Type", "application/json")],
        r#"{"value":"x"}"#,
    )
    .await;
    assert_eq!(r.json()["node"]["value"], "", "JSON bodies are not parsed");
}

#[tokio::test]
async fn ttl_fields_and_expiry_through_sync() {
    let s = Server::start().await;
    let r = s.put("/v2/keys/t?ttl=100", "value=v").await;
    let n = &r.json()["node"];
    assert_eq!(n["ttl"], 100);
    let exp = n["expiration"].as_str().expect("expiration");
    assert!(exp.ends_with('Z') && hecd_v2api::time::parse_rfc3339(exp).is_some(), "{exp}");
    let r = s.put("/v2/keys/t?prevExist=true&ttl=", "value=w").await;
    assert!(r.json()["node"].get("ttl").is_none(), "an empty ttl clears the TTL");
}

#[tokio::test]
async fn data_survives_a_restart_through_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_owned();
    let s = Server::start_with(|c| c.data_dir = Some(path.clone())).await;
    s.put("/v2/keys/a", "value=1").await;
    s.put("/v2/keys/d/b?ttl=1000", "value=2").await;
    s.req("DELETE", "/v2/keys/a", "").await;
    s.put("/v2/keys/a", "value=3").await;
    s.shutdown().await.expect("clean shutdown");

    let s = Server::start_with(|c| c.data_dir = Some(path.clone())).await;
    let r = s.get("/v2/keys/?recursive=true").await;
    assert_eq!(r.header("x-etcd-index"), Some("4"), "indices are rebuilt from the log");
    let root = r.json();
    assert_eq!(root["node"]["nodes"][0]["value"], "3");
    assert_eq!(root["node"]["nodes"][1]["nodes"][0]["ttl"].as_i64().map(|t| t > 900), Some(true));
    s.shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn restart_from_a_raft_snapshot_and_later_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_owned();
    let config = |c: &mut hecd_kv_server::Config| {
        c.data_dir = Some(path.clone());
        c.snapshot_count = 3;
    };
    let s = Server::start_with(config).await;
    for i in 0..10 {
        s.put(&format!("/v2/keys/k{i}"), &format!("value={i}")).await;
    }
    s.shutdown().await.expect("clean shutdown");
    let s = Server::start_with(config).await;
    let r = s.get("/v2/keys/k9").await;
    assert_eq!((r.status, r.header("x-etcd-index")), (200, Some("10")), "{}", r.body);
    assert_eq!(s.get("/v2/keys/k0").await.json()["node"]["value"], "0");
    s.shutdown().await.expect("clean shutdown");
}
