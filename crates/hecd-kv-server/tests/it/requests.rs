//! Request parsing as a client sees it: the edges of etcd's form rules (Go's `ParseForm` and
//! `strconv`), each answered as etcd 3.4 answers it.

use serde_json::json;

use crate::support::Server;

/// Go's `ParseForm` limit: a body of exactly 10 MiB is read, one byte more is refused.
#[tokio::test]
async fn a_form_of_exactly_ten_mib_is_accepted_one_byte_more_is_not() {
    let s = Server::start().await;
    let head = "value=v&pad=";
    let exact = format!("{head}{}", "x".repeat((10 << 20) - head.len()));
    assert_eq!(exact.len(), 10 << 20);
    let r = s.put("/v2/keys/big", &exact).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["node"]["value"], "v");

    let over = format!("{exact}x");
    let r = s.put("/v2/keys/big", &over).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"errorCode":210,"message":"Invalid POST form","cause":"http: POST too large","index":0})
    );
    assert_eq!(s.get("/v2/keys/big").await.json()["node"]["modifiedIndex"], 1, "nothing written");
    s.shutdown().await.expect("clean shutdown");
}

/// `strconv.ParseUint` takes digits only: a sign is not a number.
#[tokio::test]
async fn a_signed_number_is_not_an_index_or_a_ttl() {
    let s = Server::start().await;
    s.put("/v2/keys/k", "value=v").await;
    let r = s.put("/v2/keys/k?prevIndex=%2B1", "value=w").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["errorCode"], 203);
    assert_eq!(r.json()["cause"], "invalid value for \"prevIndex\"");
    let r = s.get("/v2/keys/k?wait=true&waitIndex=%2B1").await;
    assert_eq!((r.status, r.json()["errorCode"].clone()), (400, json!(203)), "{}", r.body);
    let r = s.put("/v2/keys/k", "value=w&ttl=%2B5").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["errorCode"], 202);
    assert_eq!(s.get("/v2/keys/k").await.json()["node"]["value"], "v", "nothing written");
    s.shutdown().await.expect("clean shutdown");
}

/// `refresh=false` is an ordinary write: a value is allowed and no TTL is needed.
#[tokio::test]
async fn refresh_false_is_an_ordinary_write() {
    let s = Server::start().await;
    let r = s.put("/v2/keys/k?refresh=false", "value=v").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["node"]["value"], "v");
    s.shutdown().await.expect("clean shutdown");
}
