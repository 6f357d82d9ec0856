//! Three members in one process, talking Raft over loopback HTTP.

use crate::support::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_replicate_and_forward_writes() {
    let members = Server::cluster(3).await;
    for (i, m) in members.iter().enumerate() {
        let r = m.put(&format!("/v2/keys/c/k{i}"), &format!("value=v{i}")).await;
        assert!(r.status == 201, "write through m{i}: {} {}", r.status, r.body);
    }
    for m in &members {
        for i in 0..3 {
            let r = m.get(&format!("/v2/keys/c/k{i}?quorum=true")).await;
            assert_eq!(r.json()["node"]["value"], format!("v{i}"), "read k{i} on {}", m.addr);
        }
    }
    let listed = members[0].get("/v2/members").await.json();
    assert_eq!(listed["members"].as_array().map(Vec::len), Some(3));
    // Every member publishes its client URLs through the log; wait (bounded) until all arrived.
    let deadline = tokio::time::Instant::now() + crate::support::DEADLINE;
    let machines = loop {
        let body = members[0].get("/v2/machines").await.body;
        if body.split(", ").count() == 3 || tokio::time::Instant::now() > deadline {
            break body;
        }
    };
    for m in &members {
        assert!(machines.contains(&format!("http://{}", m.addr)), "{machines}");
    }
    let leaders = {
        let mut n = 0;
        for m in &members {
            n += usize::from(m.get("/v2/stats/self").await.json()["state"] == "StateLeader");
        }
        n
    };
    assert_eq!(leaders, 1);
    for m in members {
        m.shutdown().await.expect("clean shutdown");
    }
}
