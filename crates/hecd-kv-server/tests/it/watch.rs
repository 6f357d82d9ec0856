//! Watches over HTTP: long polls, streams, history, expiry events.

use crate::support::{Pending, Server};

#[track_caller]
fn check_event(chunk: &str, action: &str, key: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(chunk.trim_end()).expect("event JSON");
    assert_eq!(
        (v["action"].as_str(), v["node"]["key"].as_str()),
        (Some(action), Some(key)),
        "{chunk}"
    );
    v
}

#[tokio::test]
async fn long_poll_gets_headers_first_then_the_event() {
    let s = Server::start().await;
    s.put("/v2/keys/k", "value=1").await;
    let mut w = Pending::open(s.addr, "/v2/keys/k?wait=true").await;
    assert_eq!(w.status, 200);
    assert_eq!(w.headers.get("x-etcd-index").map(String::as_str), Some("1"));
    s.put("/v2/keys/k", "value=2").await;
    let ev = check_event(&w.next_chunk().await.expect("event"), "set", "/k");
    assert_eq!(ev["node"]["value"], "2");
    assert_eq!(w.next_chunk().await, None, "a long poll ends after one event");
}

#[tokio::test]
async fn recursive_stream_delivers_every_event() {
    let s = Server::start().await;
    let mut w = Pending::open(s.addr, "/v2/keys/d?wait=true&recursive=true&stream=true").await;
    s.put("/v2/keys/d/a", "value=1").await;
    s.put("/v2/keys/d/_hidden", "value=1").await;
    s.req("DELETE", "/v2/keys/d/a", "").await;
    check_event(&w.next_chunk().await.expect("first"), "set", "/d/a");
    check_event(&w.next_chunk().await.expect("second"), "delete", "/d/a");
}

#[tokio::test]
async fn past_wait_index_and_cleared_history() {
    let s = Server::start_with(|c| c.history_size = 5).await;
    for i in 0..8 {
        s.put("/v2/keys/k", &format!("value={i}")).await;
    }
    let mut w = Pending::open(s.addr, "/v2/keys/k?wait=true&waitIndex=5").await;
    let ev = check_event(&w.next_chunk().await.expect("from history"), "set", "/k");
    assert_eq!(ev["node"]["modifiedIndex"], 5);
    let r = s.get("/v2/keys/k?wait=true&waitIndex=3").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorCode"], 401);
    assert_eq!(r.json()["cause"], "the requested history has been cleared [4/3]");
    assert_eq!(r.header("x-etcd-index"), Some("8"));
}

#[tokio::test]
async fn ttl_expiry_is_a_watch_event() {
    let s = Server::start().await;
    let mut w = Pending::open(s.addr, "/v2/keys/e?wait=true&waitIndex=2").await;
    s.put("/v2/keys/e?ttl=1", "value=v").await;
    // waitIndex=2 skips the set (index 1): the next event is the expiry.
    let ev = check_event(&w.next_chunk().await.expect("expire"), "expire", "/e");
    assert_eq!(ev["prevNode"]["value"], "v");
    assert_eq!(s.get("/v2/keys/e").await.status, 404);
}

#[tokio::test]
async fn shutdown_ends_pending_watches() {
    let s = Server::start().await;
    let mut w = Pending::open(s.addr, "/v2/keys/never?wait=true").await;
    s.shutdown().await.expect("run returns");
    assert_eq!(w.next_chunk().await, None);
}
