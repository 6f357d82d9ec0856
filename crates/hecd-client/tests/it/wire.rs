//! The client against a scripted server ([`Fake`]): what goes on the wire for each call, which
//! failures move on to the next endpoint and which must not (a write that may have reached a
//! server is never sent twice), rounds and backoff, error answers, and the watcher's resync.

use std::time::{Duration, Instant};

use hecd_client::{
    Client, DeleteOptions, Error, ErrorCode, GetOptions, Precondition, SetOptions, TlsOptions,
    WatchEvent,
};

use crate::fake::{Answer, Fake};

const NODE: &str =
    r#"{"action":"get","node":{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":3}}"#;

fn client(endpoints: &[&str]) -> Client {
    Client::builder().endpoints(endpoints).build().expect("client")
}

/// A fake that answers every request with `NODE`, as etcd would with index headers.
async fn good() -> Fake {
    Fake::start(|_| {
        Answer::Reply(
            200,
            vec![
                ("X-Etcd-Index", "7".into()),
                ("X-Raft-Index", "11".into()),
                ("X-Raft-Term", "2".into()),
            ],
            NODE.into(),
        )
    })
    .await
}

/// The form (or query) a request carried, as `(method, target, body)`.
fn sent(f: &Fake) -> (String, String, String) {
    let s = f.last();
    (s.method, s.target, s.body)
}

#[tokio::test]
async fn each_call_sends_etcds_fields() {
    let f = good().await;
    let c = client(&[&f.url]);
    assert!(format!("{c:?}").contains(&f.url), "a client shows its endpoints: {c:?}");

    let r = c.get("/k", GetOptions { recursive: true, sorted: true, quorum: true }).await.unwrap();
    assert_eq!(
        sent(&f),
        ("GET".into(), "/v2/keys/k?recursive=true&sorted=true&quorum=true".into(), String::new())
    );
    assert_eq!((r.status, r.etcd_index, r.raft_index, r.raft_term), (200, 7, 11, 2));
    assert_eq!(r.response.node.unwrap().value.as_deref(), Some("v"));
    assert!(!f.last().headers.contains_key("content-type"), "a GET carries no form");
    assert!(!f.last().headers.contains_key("authorization"), "no credentials unless configured");

    c.get("/k", GetOptions::recursive_sorted()).await.unwrap();
    assert_eq!(f.last().target, "/v2/keys/k?recursive=true&sorted=true");
    c.get("k", GetOptions::default().quorum(true)).await.unwrap();
    assert_eq!(f.last().target, "/v2/keys/k?quorum=true", "a relative key is below /v2/keys/");

    let opts = SetOptions::default().prev_value("old").prev_index(4).ttl(9);
    c.set("/k", "v", opts).await.unwrap();
    assert_eq!(
        sent(&f),
        ("PUT".into(), "/v2/keys/k".into(), "value=v&ttl=9&prevValue=old&prevIndex=4".into())
    );
    assert_eq!(
        f.last().headers.get("content-type").map(String::as_str),
        Some("application/x-www-form-urlencoded")
    );

    let opts = SetOptions { clear_ttl: true, no_value_on_success: true, ..SetOptions::default() };
    c.set("/k", "v", opts).await.unwrap();
    assert_eq!(f.last().body, "value=v&ttl=&noValueOnSuccess=true", "an empty ttl clears the TTL");

    // A directory and a refresh carry no value: etcd refuses a value on a refresh (211).
    c.mkdir("/d", Some(5)).await.unwrap();
    assert_eq!(f.last().body, "ttl=5&dir=true");
    c.refresh("/k", 30).await.unwrap();
    assert_eq!(f.last().body, "ttl=30&refresh=true&prevExist=true");

    c.create("/k", "v", None).await.unwrap();
    assert_eq!(f.last().body, "value=v&prevExist=false");
    c.create("/k", "v", Some(4)).await.unwrap();
    assert_eq!(f.last().body, "value=v&ttl=4&prevExist=false");
    c.update("/k", "v", Some(3)).await.unwrap();
    assert_eq!(f.last().body, "value=v&ttl=3&prevExist=true");
    c.compare_and_swap("/k", "new", Some("old"), None).await.unwrap();
    assert_eq!(f.last().body, "value=new&prevValue=old");

    c.create_in_order("/q", "x", Some(3)).await.unwrap();
    assert_eq!(sent(&f), ("POST".into(), "/v2/keys/q".into(), "value=x&ttl=3".into()));

    let prev = Precondition { exists: None, value: Some("a".into()), index: Some(4) };
    c.delete("/d", DeleteOptions { recursive: true, dir: true, prev }).await.unwrap();
    assert_eq!(
        sent(&f),
        (
            "DELETE".into(),
            "/v2/keys/d?recursive=true&dir=true&prevValue=a&prevIndex=4".into(),
            String::new()
        )
    );
    c.compare_and_delete("/k", None, Some(8)).await.unwrap();
    assert_eq!(f.last().target, "/v2/keys/k?prevIndex=8");

    c.watch_once("/w", true, Some(5)).await.unwrap();
    assert_eq!(f.last().target, "/v2/keys/w?wait=true&recursive=true&waitIndex=5");
    c.watch_once("/w", false, None).await.unwrap();
    assert_eq!(f.last().target, "/v2/keys/w?wait=true");
}

#[tokio::test]
async fn basic_auth_is_sent_with_every_request() {
    let f = good().await;
    let c = Client::builder().endpoints([&f.url]).basic_auth("root", "pa:ss").build().unwrap();
    c.get("/k", GetOptions::default()).await.unwrap();
    // base64("root:pa:ss")
    assert_eq!(
        f.last().headers.get("authorization").map(String::as_str),
        Some("Basic cm9vdDpwYTpzcw==")
    );
    c.set("/k", "v", SetOptions::default()).await.unwrap();
    assert_eq!(
        f.last().headers.get("authorization").map(String::as_str),
        Some("Basic cm9vdDpwYTpzcw==")
    );
}

#[tokio::test]
async fn a_read_moves_on_after_a_hang_up_and_the_next_request_starts_at_the_endpoint_that_answered()
{
    let (bad, ok) = (Fake::hang_up().await, good().await);
    let c = client(&[&bad.url, &ok.url]);
    c.get("/k", GetOptions::default()).await.expect("served by the second endpoint");
    assert_eq!((bad.seen().len(), ok.seen().len()), (1, 1));
    c.get("/k", GetOptions::default()).await.unwrap();
    c.set("/k", "v", SetOptions::default()).await.unwrap();
    assert_eq!(
        (bad.seen().len(), ok.seen().len()),
        (1, 3),
        "the endpoint that answered is tried first"
    );
}

#[tokio::test]
async fn a_write_that_reached_a_server_is_never_sent_again() {
    let (bad, ok) = (Fake::hang_up().await, good().await);
    let c = client(&[&bad.url, &ok.url]);
    for r in [
        c.set("/k", "v", SetOptions::default()).await,
        c.delete("/k", DeleteOptions::default()).await,
        c.create_in_order("/q", "v", None).await,
    ] {
        match r {
            Err(Error::Unavailable { endpoints, last }) => {
                assert_eq!(endpoints, bad.url, "only the endpoint that hung up");
                assert!(last.contains("closed"), "says what happened: {last}");
            }
            other => panic!("a write must not fail over after sending: {other:?}"),
        }
    }
    assert_eq!(bad.seen().len(), 3);
    assert!(ok.seen().is_empty(), "{:?}", ok.seen());
}

#[tokio::test]
async fn a_timed_out_read_moves_on_a_timed_out_write_does_not() {
    let (slow, ok) = (Fake::start(|_| Answer::Stall).await, good().await);
    let c = Client::builder()
        .endpoints([&slow.url, &ok.url])
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    c.get("/k", GetOptions::default()).await.expect("served by the second endpoint");
    assert_eq!(ok.seen().len(), 1);

    let c = Client::builder()
        .endpoints([&slow.url, &ok.url])
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    match c.set("/k", "v", SetOptions::default()).await {
        Err(Error::Timeout { endpoint, millis }) => {
            assert_eq!((endpoint, millis), (slow.url.clone(), 300))
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(ok.seen().len(), 1, "the write was not sent to the second endpoint");

    // Reads that all time out say so.
    let c = Client::builder()
        .endpoints([&slow.url])
        .timeout(Duration::from_millis(200))
        .rounds(1)
        .build()
        .unwrap();
    match c.get("/k", GetOptions::default()).await {
        Err(Error::Unavailable { last, .. }) => {
            assert!(last.contains("timed out after 200 ms"), "{last}")
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn every_endpoint_is_tried_each_round_with_a_doubling_pause_between_rounds() {
    let (a, b) = (Fake::hang_up().await, Fake::hang_up().await);
    let backoff = Duration::from_millis(400);
    let c =
        Client::builder().endpoints([&a.url, &b.url]).rounds(3).backoff(backoff).build().unwrap();
    let start = Instant::now();
    match c.get("/k", GetOptions::default()).await {
        Err(Error::Unavailable { endpoints, .. }) => {
            assert_eq!(endpoints, format!("{},{}", a.url, b.url))
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    let took = start.elapsed();
    let (sa, sb) = (a.seen(), b.seen());
    assert_eq!((sa.len(), sb.len()), (3, 3), "3 rounds over both endpoints");
    assert!(sa[0].at - start < backoff, "the first round starts at once");
    assert!(sb[0].at < sa[1].at, "a round tries every endpoint before the next");
    // Pauses of 400 ms then 800 ms.
    assert!(took >= backoff * 3, "{took:?}");
    assert!(sa[2].at - sa[1].at >= backoff * 2, "the pause doubles");
}

#[tokio::test]
async fn error_answers_are_told_apart() {
    let f = Fake::start(|s| match s.target.as_str() {
        "/v2/keys/missing" => Answer::json(
            404,
            9,
            r#"{"errorCode":100,"message":"Key not found","cause":"/missing","index":9}"#,
        ),
        "/v2/keys/proxy" => Answer::Reply(502, vec![], "bad gateway\n".into()),
        _ => Answer::Reply(200, vec![], "<html>".into()),
    })
    .await;
    let c = client(&[&f.url]);
    let e = c.get("/missing", GetOptions::default()).await.unwrap_err();
    assert!(matches!(&e, Error::Etcd { status: 404, body } if body.index == 9), "{e:?}");
    assert_eq!(e.code(), Some(ErrorCode::KeyNotFound));
    assert!(e.is_not_found() && !e.is_index_cleared());
    match c.get("/proxy", GetOptions::default()).await {
        Err(e @ Error::Http { .. }) => {
            assert!(!e.is_not_found() && !e.is_index_cleared() && e.code().is_none());
            let Error::Http { endpoint, status, body } = e else { unreachable!() };
            assert_eq!((endpoint, status, body.as_str()), (f.url.clone(), 502, "bad gateway"));
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
    let r = c.get("/other", GetOptions::default()).await;
    assert!(matches!(r, Err(Error::Decode { .. })), "{r:?}");
    assert!(matches!(c.members().await, Err(Error::Decode { .. })));
    assert!(matches!(c.version().await, Err(Error::Decode { .. })));
}

#[tokio::test]
async fn a_connection_refused_is_named_in_the_error() {
    let dead = format!("http://127.0.0.1:{}", hecd_testkit::free_ports(1)[0]);
    let c = Client::builder().endpoints([&dead]).rounds(1).build().unwrap();
    let e = c.get("/k", GetOptions::default()).await.unwrap_err();
    assert!(e.to_string().to_ascii_lowercase().contains("refused"), "{e}");
}

#[tokio::test]
async fn the_watcher_resyncs_on_401_even_when_the_key_is_gone_and_reports_other_errors() {
    const CLEARED: &str = r#"{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [40/3]","index":50}"#;
    const RAFT: &str = r#"{"errorCode":300,"message":"Raft Internal Error","index":50}"#;
    const MISSING: &str =
        r#"{"errorCode":100,"message":"Key not found","cause":"/gone","index":42}"#;
    let f = Fake::start(|s| {
        let watch = s.target.contains("wait=true");
        match (s.target.split('?').next().unwrap_or(""), watch) {
            ("/v2/keys/gone" | "/v2/keys/busy", true) => Answer::json(400, 50, CLEARED),
            ("/v2/keys/gone", false) => Answer::json(404, 42, MISSING),
            ("/v2/keys/other", false) => Answer::json(200, 60, NODE),
            _ => Answer::json(500, 50, RAFT),
        }
    })
    .await;
    let c = client(&[&f.url]);
    let mut w = c.watcher("/gone", true, 2);
    assert_eq!(w.next_index(), 3);
    match w.next().await.unwrap() {
        WatchEvent::Resync { current: None, index: 42 } => {}
        other => panic!("expected a resync with the key gone, got {other:?}"),
    }
    assert_eq!(w.next_index(), 43, "resumes after the index of the not-found answer");
    assert_eq!(f.last().target, "/v2/keys/gone?recursive=true&sorted=true&quorum=true");

    // An error other than 401 on the watch (though a re-read would succeed), or other than 100
    // on the re-read, is the caller's.
    let mut w = c.watcher("/other", false, 2);
    let e = w.next().await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RaftInternal), "{e}");
    assert_eq!(w.next_index(), 3, "the position is kept");
    let mut w = c.watcher("/busy", false, 2);
    let e = w.next().await.unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::RaftInternal), "{e}");
    assert_eq!(w.next_index(), 3, "the position is kept");
}

#[test]
fn tls_options_say_whether_any_is_set() {
    assert!(!TlsOptions::default().is_set());
    for t in [
        TlsOptions { ca_file: Some("ca".into()), ..Default::default() },
        TlsOptions { cert_file: Some("c".into()), ..Default::default() },
        TlsOptions { key_file: Some("k".into()), ..Default::default() },
    ] {
        assert!(t.is_set(), "{t:?}");
    }
}
