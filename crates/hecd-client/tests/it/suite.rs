//! The checks, written once and run against each server kind.

use std::time::Duration;

use hecd_client::{
    Action, Client, DeleteOptions, Error, ErrorCode, GetOptions, SetOptions, WatchEvent,
};

#[track_caller]
fn assert_code<T: std::fmt::Debug>(r: Result<T, Error>, code: ErrorCode) {
    match r {
        Err(e) => assert_eq!(e.code(), Some(code), "{e}"),
        Ok(v) => panic!("expected error {code:?}, got {v:?}"),
    }
}

pub async fn crud_and_errors(c: Client) {
    let set = c.set("/crud/a", "1", SetOptions::default()).await.unwrap();
    assert_eq!(set.response.action, Action::Set);
    assert_eq!(set.status, 201);
    let node = set.response.node.clone().unwrap();
    assert_eq!(node.key, "/crud/a");
    assert_eq!(node.value.as_deref(), Some("1"));
    assert_eq!(set.etcd_index, node.modified_index);

    let got = c.get("/crud/a", GetOptions::default()).await.unwrap();
    assert_eq!(got.response.node.unwrap().value.as_deref(), Some("1"));

    let again = c.set("/crud/a", "2", SetOptions::default()).await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(again.response.prev_node.unwrap().value.as_deref(), Some("1"));

    assert_code(c.create("/crud/a", "x", None).await, ErrorCode::NodeExist);
    assert_code(c.update("/crud/missing", "x", None).await, ErrorCode::KeyNotFound);
    let e = c.get("/crud/missing", GetOptions::default()).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_code(c.set("/crud/a/b", "x", SetOptions::default()).await, ErrorCode::NotDir);

    let created = c.create("/crud/b", "new", None).await.unwrap();
    assert_eq!(created.response.action, Action::Create);
    let updated = c.update("/crud/b", "newer", None).await.unwrap();
    assert_eq!(updated.response.action, Action::Update);

    let listing = c.get("/crud", GetOptions::recursive_sorted()).await.unwrap();
    let keys: Vec<String> =
        listing.response.node.unwrap().nodes.unwrap().into_iter().map(|n| n.key).collect();
    assert_eq!(keys, ["/crud/a", "/crud/b"]);

    let quorum = c.get("/crud/b", GetOptions::default().quorum(true)).await.unwrap();
    assert_eq!(quorum.response.node.unwrap().value.as_deref(), Some("newer"));

    let del = c.delete("/crud/a", DeleteOptions::default()).await.unwrap();
    assert_eq!(del.response.action, Action::Delete);
    assert_code(
        c.delete("/crud", DeleteOptions { dir: true, ..Default::default() }).await,
        ErrorCode::DirNotEmpty,
    );
    c.delete("/crud", DeleteOptions { recursive: true, ..Default::default() }).await.unwrap();
    assert_code(c.get("/crud/b", GetOptions::default()).await, ErrorCode::KeyNotFound);

    // Values with characters that need escaping survive the round trip.
    let odd = "a b&c=d%e+f\n\"ü\"";
    c.set("/crud/odd key", odd, SetOptions::default()).await.unwrap();
    let got = c.get("/crud/odd key", GetOptions::default()).await.unwrap();
    assert_eq!(got.response.node.unwrap().value.as_deref(), Some(odd));
}

pub async fn compare_and_swap_and_delete(c: Client) {
    let first = c.set("/cas/k", "one", SetOptions::default()).await.unwrap();
    let idx = first.response.node.unwrap().modified_index;
    assert_code(
        c.compare_and_swap("/cas/k", "two", Some("wrong"), None).await,
        ErrorCode::TestFailed,
    );
    assert_code(
        c.compare_and_swap("/cas/k", "two", None, Some(idx + 100)).await,
        ErrorCode::TestFailed,
    );
    let swapped = c.compare_and_swap("/cas/k", "two", Some("one"), Some(idx)).await.unwrap();
    assert_eq!(swapped.response.action, Action::CompareAndSwap);
    let node = swapped.response.node.unwrap();
    assert_eq!(node.value.as_deref(), Some("two"));
    assert_code(c.compare_and_delete("/cas/k", Some("one"), None).await, ErrorCode::TestFailed);
    let cad = c.compare_and_delete("/cas/k", Some("two"), Some(node.modified_index)).await.unwrap();
    assert_eq!(cad.response.action, Action::CompareAndDelete);
    assert_code(c.get("/cas/k", GetOptions::default()).await, ErrorCode::KeyNotFound);
}

pub async fn dirs_in_order_and_ttl(c: Client) {
    let d = c.mkdir("/dirs/d", None).await.unwrap();
    assert!(d.response.node.unwrap().dir);
    assert_code(c.set("/dirs/d", "v", SetOptions::default()).await, ErrorCode::NotFile);

    let a = c.create_in_order("/dirs/q", "first", None).await.unwrap();
    let b = c.create_in_order("/dirs/q", "second", None).await.unwrap();
    let (ka, kb) = (a.response.node.unwrap().key, b.response.node.unwrap().key);
    assert!(ka < kb, "{ka} < {kb}");
    assert_eq!(ka.len(), kb.len(), "zero-padded names");
    let q = c.get("/dirs/q", GetOptions::recursive_sorted()).await.unwrap();
    let values: Vec<_> =
        q.response.node.unwrap().nodes.unwrap().into_iter().filter_map(|n| n.value).collect();
    assert_eq!(values, ["first", "second"]);

    let t = c.set("/dirs/ttl", "v", SetOptions::default().ttl(100)).await.unwrap();
    let n = t.response.node.unwrap();
    assert!(n.ttl > 0 && n.ttl <= 100, "ttl {}", n.ttl);
    assert!(n.expiration.is_some());
    let r = c.refresh("/dirs/ttl", 200).await.unwrap();
    let n = r.response.node.unwrap();
    assert_eq!(n.value.as_deref(), Some("v"), "refresh keeps the value");
    assert!(n.ttl > 100, "ttl {}", n.ttl);

    // A one-second TTL expires; the watch sees the expire event (awaited, not slept on).
    let short = c.set("/dirs/short", "v", SetOptions::default().ttl(1)).await.unwrap();
    let mut w = c.watcher("/dirs/short", false, short.etcd_index);
    let ev = tokio::time::timeout(Duration::from_secs(15), w.next())
        .await
        .expect("expiry within 15 s")
        .unwrap();
    match ev {
        WatchEvent::Changed(r) => assert_eq!(r.response.action, Action::Expire),
        other => panic!("unexpected {other:?}"),
    }
}

pub async fn watch_sees_every_change_in_order(c: Client) {
    let start = c.set("/w/seed", "0", SetOptions::default()).await.unwrap();
    let mut w = c.watcher("/w", true, start.etcd_index);
    // Writes made before the watcher polls are still delivered, in order.
    for i in 1..=5 {
        c.set(&format!("/w/k{i}"), &i.to_string(), SetOptions::default()).await.unwrap();
    }
    c.delete("/w/k3", DeleteOptions::default()).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..6 {
        match w.next().await.unwrap() {
            WatchEvent::Changed(r) => {
                let n = r.response.node.unwrap();
                seen.push((r.response.action, n.key));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let expect: Vec<(Action, String)> = (1..=5)
        .map(|i| (Action::Set, format!("/w/k{i}")))
        .chain([(Action::Delete, "/w/k3".to_string())])
        .collect();
    assert_eq!(seen, expect);

    // A watcher far behind the history window resynchronises instead of missing changes.
    for i in 0..1100 {
        c.set("/w/churn", &i.to_string(), SetOptions::default()).await.unwrap();
    }
    let mut stale = c.watcher("/w", true, start.etcd_index);
    match stale.next().await.unwrap() {
        WatchEvent::Resync { current: Some(r), index } => {
            assert_eq!(index, r.etcd_index);
            let keys: Vec<String> =
                r.response.node.unwrap().nodes.unwrap().into_iter().map(|n| n.key).collect();
            assert!(keys.contains(&"/w/churn".to_string()), "{keys:?}");
            assert_eq!(stale.next_index(), index + 1);
        }
        other => panic!("expected a resync, got {other:?}"),
    }
}

pub async fn failover_to_a_live_endpoint(url: String) {
    let dead = format!("http://127.0.0.1:{}", hecd_testkit::free_ports(1)[0]);
    let c = Client::builder().endpoints([dead.as_str(), url.as_str()]).build().unwrap();
    c.set("/fo/k", "v", SetOptions::default()).await.unwrap();
    let got = c.get("/fo/k", GetOptions::default()).await.unwrap();
    assert_eq!(got.response.node.unwrap().value.as_deref(), Some("v"));
}

pub async fn members_and_version(c: Client) {
    let members = c.members().await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].name, "t");
    assert_eq!(members[0].client_urls, c.endpoints());
    let v = c.version().await.unwrap();
    assert!(v.get("etcdserver").is_some(), "{v}");
}

pub async fn unreachable_store_is_a_clear_error() {
    let dead = format!("127.0.0.1:{}", hecd_testkit::free_ports(1)[0]);
    let c = Client::builder()
        .endpoints([dead.as_str()])
        .rounds(2)
        .backoff(Duration::from_millis(1))
        .build()
        .unwrap();
    let e = c.get("/k", GetOptions::default()).await.unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    assert!(e.to_string().contains(&dead), "{e}");
}
