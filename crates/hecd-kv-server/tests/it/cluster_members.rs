//! Runtime membership through `/v2/members`: add a member and start it with
//! `join_existing`, update and remove members, with etcd's statuses and bodies.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::support::{request, Reply, Server, DEADLINE};

/// A member started in-process to join a running cluster.
struct Joiner {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<hecd_kv_server::Result<()>>,
}

async fn json(addr: SocketAddr, method: &str, target: &str, ct: &str, body: &str) -> Reply {
    request(addr, method, target, &[("Content-Type", ct)], body).await
}

/// Retries `f` until it returns `Some`, for at most [`DEADLINE`].
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    // A back-off between polls, not a synchronisation sleep.
    let mut backoff = tokio::time::interval(Duration::from_millis(20));
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        backoff.tick().await;
    }
}

fn member_ids(r: &Reply) -> Vec<(String, String)> {
    r.json()["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (m["id"].as_str().unwrap_or("").to_owned(), m["name"].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

/// Waits until the cluster accepts membership changes: etcd's strict check wants every member
/// reachable for five seconds first (before that, an add is refused with 500).
async fn wait_reconfigurable(addr: SocketAddr, taken_url: &str) {
    let taken = format!(r#"{{"peerURLs":["{taken_url}"]}}"#);
    eventually("the cluster to accept membership changes", || async {
        let r = json(addr, "POST", "/v2/members", "application/json", &taken).await;
        assert!(r.status == 500 || r.status == 409, "{r:?}");
        (r.status == 409).then_some(())
    })
    .await;
}

#[track_caller]
fn check(r: &Reply, status: u16, body: &str) {
    assert_eq!((r.status, r.body.trim_end()), (status, body), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_join_update_remove() {
    let members = Server::cluster(3).await;
    let m0 = members[0].addr;
    let r = members[0].put("/v2/keys/before", "value=1").await;
    assert_eq!(r.status, 201, "{r:?}");
    let listed = members[0].get("/v2/members").await;
    let initial: Vec<(String, String)> = member_ids(&listed);
    let initial_urls: Vec<(String, String)> = listed.json()["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or("").to_owned(),
                m["peerURLs"][0].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();

    // Add a fourth member.
    let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let peer = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = client.local_addr().expect("addr");
    let peer_url = format!("http://{}", peer.local_addr().expect("addr"));
    let add = format!(r#"{{"peerURLs":["{peer_url}"]}}"#);
    wait_reconfigurable(m0, &initial_urls[1].1).await;
    check(
        &json(m0, "POST", "/v2/members", "text/plain", &add).await,
        415,
        r#"{"message":"Bad Content-Type text/plain, accept application/json"}"#,
    );
    let r = json(m0, "POST", "/v2/members", "application/json", &add).await;
    assert_eq!(r.status, 201, "{r:?}");
    let new_id = r.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(r.json()["name"], "");
    assert_eq!(r.json()["peerURLs"][0], peer_url.as_str());
    assert_eq!(r.json()["clientURLs"], serde_json::json!([]));
    assert!(r.header("X-Etcd-Cluster-Id").is_some());
    // With a member not started, the strict reconfiguration check refuses further adds.
    check(
        &json(m0, "POST", "/v2/members", "application/json", &add).await,
        500,
        r#"{"message":"Internal Server Error"}"#,
    );
    let listed = members[1].get("/v2/members").await;
    assert!(member_ids(&listed).contains(&(new_id.clone(), String::new())), "{listed:?}");

    // Start it with `existing`: it catches up and serves linearizable reads.
    let mut cfg = hecd_kv_server::Config::new("m3");
    cfg.advertise_client_urls = vec![format!("http://{addr}")];
    cfg.advertise_peer_urls = vec![peer_url.clone()];
    cfg.initial_cluster = initial_urls.clone();
    cfg.initial_cluster.push(("m3".into(), peer_url.clone()));
    cfg.join_existing = true;
    cfg.shutdown_grace = Duration::from_millis(200);
    let (tx, rx) = oneshot::channel::<()>();
    let task =
        tokio::spawn(hecd_kv_server::run_with_peers(cfg, vec![client], vec![peer], async move {
            let _ = rx.await;
        }));
    let joiner = Joiner { addr, _stop: tx, task };
    eventually("the joiner to read the old key", || async {
        let r = request(joiner.addr, "GET", "/v2/keys/before?quorum=true", &[], "").await;
        (r.status == 200).then_some(())
    })
    .await;
    let r = request(
        joiner.addr,
        "PUT",
        "/v2/keys/after",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        "value=2",
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = members[2].get("/v2/keys/after?quorum=true").await;
    assert_eq!(r.json()["node"]["value"], "2");
    eventually("the joiner to publish its name", || async {
        let l = members[0].get("/v2/members").await;
        member_ids(&l).contains(&(new_id.clone(), "m3".into())).then_some(())
    })
    .await;

    // The leader reports every follower, with round trips and counts of what it sent.
    let mut leader_stats = None;
    for m in &members {
        let r = m.get("/v2/stats/leader").await;
        if r.status == 200 {
            leader_stats = Some(r.json());
        }
    }
    let stats = leader_stats.expect("one member leads");
    let followers = stats["followers"].as_object().expect("followers");
    assert_eq!(followers.len(), 3, "{stats}");
    assert!(followers.values().all(|f| f["counts"]["success"].as_u64() > Some(0)), "{stats}");
    assert!(followers.values().all(|f| f["latency"]["maximum"].as_f64() > Some(0.0)), "{stats}");

    // Update: errors first, then a real change.
    let (id1, _) = initial[1].clone();
    let taken = format!(r#"{{"peerURLs":["{}"]}}"#, initial_urls[0].1);
    check(
        &json(m0, "PUT", &format!("/v2/members/{id1}"), "application/json", &taken).await,
        409,
        r#"{"message":"membership: peerURL exists"}"#,
    );
    check(
        &json(m0, "PUT", "/v2/members/1234", "application/json", &taken).await,
        404,
        r#"{"message":"No such member: 1234"}"#,
    );
    check(
        &json(m0, "PUT", &format!("/v2/members/{id1}"), "application/json", "{").await,
        400,
        r#"{"message":"unexpected end of JSON input"}"#,
    );
    let same = format!(r#"{{"peerURLs":["{}"]}}"#, initial_urls[1].1);
    check(
        &json(m0, "PUT", &format!("/v2/members/{id1}"), "application/json", &same).await,
        204,
        "",
    );

    // Remove the joiner: it stops by itself, the rest goes on.
    check(
        &json(m0, "DELETE", &format!("/v2/members/{new_id}"), "application/json", "").await,
        204,
        "",
    );
    let ended =
        tokio::time::timeout(DEADLINE, joiner.task).await.expect("the removed member stops");
    assert!(ended.expect("join").is_ok());
    check(
        &json(m0, "DELETE", &format!("/v2/members/{new_id}"), "application/json", "").await,
        410,
        &format!(r#"{{"message":"Member permanently removed: {new_id}"}}"#),
    );
    check(
        &json(m0, "DELETE", "/v2/members/1234", "application/json", "").await,
        404,
        r#"{"message":"No such member: 1234"}"#,
    );
    let listed = members[2].get("/v2/members").await;
    assert_eq!(member_ids(&listed), initial);
    let r = members[1].put("/v2/keys/last", "value=3").await;
    assert_eq!(r.status, 201, "{r:?}");
    for m in members {
        m.shutdown().await.expect("clean shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_with_another_token_is_refused() {
    let members = Server::cluster(3).await;
    let listed = members[0].get("/v2/members").await;
    let mut initial: Vec<(String, String)> = listed.json()["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or("").to_owned(),
                m["peerURLs"][0].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let client = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let peer = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let peer_url = format!("http://{}", peer.local_addr().expect("addr"));
    let add = format!(r#"{{"peerURLs":["{peer_url}"]}}"#);
    wait_reconfigurable(members[0].addr, &initial[1].1).await;
    let r = json(members[0].addr, "POST", "/v2/members", "application/json", &add).await;
    assert_eq!(r.status, 201, "{r:?}");
    initial.push(("m3".into(), peer_url.clone()));
    let mut cfg = hecd_kv_server::Config::new("m3");
    cfg.advertise_peer_urls = vec![peer_url];
    cfg.initial_cluster = initial;
    cfg.join_existing = true;
    cfg.cluster_token = "another-cluster".into();
    let res = tokio::time::timeout(
        DEADLINE,
        hecd_kv_server::run_with_peers(cfg, vec![client], vec![peer], std::future::pending()),
    )
    .await
    .expect("refused before serving");
    let err = res.expect_err("another token is refused");
    assert!(err.to_string().contains("is not in the cluster"), "{err}");

    // A raft message stamped with another cluster id is refused with 412.
    let peer0 = listed.json()["members"][0]["peerURLs"][0].as_str().expect("url").to_owned();
    let addr: SocketAddr = peer0.trim_start_matches("http://").parse().expect("addr");
    let r = request(addr, "POST", "/raft", &[("X-Etcd-Cluster-Id", "1234")], "").await;
    assert_eq!(r.status, 412, "{r:?}");
    for m in members {
        m.shutdown().await.expect("clean shutdown");
    }
}
