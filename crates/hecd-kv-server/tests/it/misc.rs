//! Cluster endpoints, metrics and connection hygiene.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Server, DEADLINE};

#[tokio::test]
async fn version_health_machines_members() {
    let s = Server::start().await;
    let r = s.get("/version").await;
    assert_eq!(r.json(), serde_json::json!({"etcdserver":"3.4.23","etcdcluster":"3.4.0"}));
    let r = s.get("/health").await;
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"health":"true"}"#));
    let r = s.get("/v2/machines").await;
    assert_eq!(r.body, format!("http://{}", s.addr));
    let r = s.get("/v2/members").await;
    let m = &r.json()["members"][0];
    assert_eq!(m["name"], "test");
    assert_eq!(m["clientURLs"][0], format!("http://{}", s.addr));
    assert!(r.header("x-etcd-cluster-id").is_some());
    let r = s.get("/v2/members/leader").await;
    assert_eq!(r.json()["id"], m["id"]);
    let r = s.req("DELETE", "/v2/members", "").await;
    assert_eq!(r.status, 405);
    let r = s.req("POST", "/v2/members", "{}").await;
    assert_eq!(r.status, 415);
    let r = s.req("PUT", "/v2/stats/store", "").await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
}

#[tokio::test]
async fn stats_and_metrics_count_requests() {
    let s = Server::start().await;
    s.put("/v2/keys/a", "value=1").await;
    s.get("/v2/keys/a").await;
    s.get("/v2/keys/missing").await;
    let st = s.get("/v2/stats/store").await.json();
    // As in etcd, every /v2/keys request also reads the (absent) auth flag: 3 more failed gets.
    assert_eq!(
        (st["setsSuccess"].as_u64(), st["getsSuccess"].as_u64(), st["getsFail"].as_u64()),
        (Some(1), Some(1), Some(4))
    );
    let self_ = s.get("/v2/stats/self").await.json();
    assert_eq!(self_["state"], "StateLeader");
    let m = s.get("/metrics").await.body;
    assert!(m.contains("hecd_http_requests_total{method=\"PUT\",code=\"2xx\"} 1"), "{m}");
    assert!(m.contains("hecd_store_index 1"), "{m}");
}

#[tokio::test]
async fn slow_clients_are_cut_by_the_header_timeout() {
    let s =
        Server::start_with(|c| c.header_read_timeout = std::time::Duration::from_millis(100)).await;
    let mut c = tokio::net::TcpStream::connect(s.addr).await.expect("connect");
    c.write_all(b"GET /v2/keys/ HTTP/1.1\r\nHost: x\r\n").await.expect("partial head");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(DEADLINE, c.read_to_end(&mut buf))
        .await
        .expect("server closes the connection");
    assert!(read.is_ok());
    // The server still serves others.
    assert_eq!(s.get("/version").await.status, 200);
}

#[tokio::test]
async fn oversized_form_body_is_refused() {
    let s = Server::start().await;
    let body = format!("value={}", "x".repeat(10 << 20));
    let r = s.put("/v2/keys/big", &body).await;
    assert_eq!((r.status, r.json()["errorCode"].as_u64()), (400, Some(210)));
    assert_eq!(r.json()["cause"], "http: POST too large");
    assert_eq!(s.get("/v2/keys/big").await.status, 404);
}
