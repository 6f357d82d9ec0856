//! raft-rs logs through slog; the bridge must turn those records into `tracing` events.

use crate::support::{config, single};

#[tokio::test]
async fn raft_library_logs_arrive_as_tracing_events() {
    // Global (the only capture in this test binary; the other tests' nodes log into it too, which
    // the assertions below allow): see hecd_testkit::logs for why not a thread-scoped one.
    let logs = hecd_testkit::logs::Logs::capture(tracing::Level::DEBUG);
    let (node, _) = single(config(1)).await;
    node.propose(b"x".to_vec()).await.unwrap();
    node.shutdown().await.unwrap();
    let text = logs.text();
    assert!(text.contains("hecd_raft::raft"), "{text}");
    let line =
        text.lines().find(|l| l.contains("became leader")).unwrap_or_else(|| panic!("{text}"));
    // raft-rs's key/value pairs, `k=v` separated by single spaces.
    let kv = line.split_once("kv=").map(|(_, kv)| kv).unwrap_or_else(|| panic!("{line}"));
    let pairs: Vec<&str> = kv.split(' ').collect();
    assert!(pairs.len() >= 2, "{line}");
    assert!(pairs.iter().all(|p| p.matches('=').count() == 1 && !p.starts_with('=')), "{line}");
    assert!(pairs.contains(&"raft_id=1"), "{line}");
    assert!(text.contains("raft_ready"), "the ready cycle has a span: {text}");
}
