//! A single in-memory node: proposals, ordering, reads, status and shutdown.

use std::collections::HashSet;

use hecd_raft::{Error, Role};
use tokio::task::JoinSet;

use crate::support::{config, single};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_proposals_each_get_their_output_in_log_order() {
    let (node, sm) = single(config(1)).await;
    let mut set = JoinSet::new();
    for i in 0..200u32 {
        let node = node.clone();
        set.spawn(async move {
            let data = format!("p{i}").into_bytes();
            let applied = node.propose(data.clone()).await.expect("propose");
            (data, applied)
        });
    }
    let mut indices = HashSet::new();
    while let Some(res) = set.join_next().await {
        let (data, applied) = res.expect("task");
        assert_eq!(applied.output, (applied.index, data), "each proposal gets its own output");
        assert!(applied.term >= 1);
        assert!(indices.insert(applied.index), "indices are unique");
    }
    let log = sm.log();
    assert_eq!(log.applied.len(), 200);
    let order: Vec<u64> = log.applied.iter().map(|(i, _)| *i).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "entries are applied in log order");
    let max = *indices.iter().max().unwrap();
    let st = node.status();
    assert!(st.applied_index >= max && st.commit_index >= st.applied_index, "{st:?}");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn single_node_elects_itself_and_reports_status() {
    let (node, _sm) = single(config(7)).await;
    let first = node.propose(b"x".to_vec()).await.expect("propose");
    let st = node.status();
    assert_eq!(st.id, 7);
    assert_eq!(st.role, Role::Leader);
    assert_eq!(st.leader_id, Some(7));
    assert_eq!(st.voters, vec![7]);
    assert!(st.term >= 1);
    assert_eq!(st.applied_index, first.index);
    assert_eq!(st.commit_index, first.index);
    node.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn read_index_waits_for_everything_committed() {
    let (node, sm) = single(config(1)).await;
    let read0 = node.read_index().await.expect("read index on a fresh leader");
    let a = node.propose(b"a".to_vec()).await.expect("propose");
    assert!(a.index > read0);
    let read = node.read_index().await.expect("read index");
    assert!(read >= a.index);
    assert!(node.status().applied_index >= read);
    assert_eq!(sm.datas(), vec![b"a".to_vec()]);
    node.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn proposals_after_shutdown_fail_with_stopped() {
    let (node, _sm) = single(config(1)).await;
    let other = node.clone();
    node.shutdown().await.expect("shutdown");
    assert!(matches!(other.propose(b"late".to_vec()).await, Err(Error::Stopped)));
    assert!(matches!(other.read_index().await, Err(Error::Stopped)));
}

#[tokio::test]
async fn invalid_config_is_rejected() {
    let sm = crate::support::Recorder::default();
    let res = hecd_raft::start(
        hecd_raft::Config::new(0),
        sm,
        hecd_raft::NoopTransport,
        std::future::pending(),
    )
    .await;
    assert!(matches!(res, Err(Error::InvalidConfig { .. })));
}

#[tokio::test]
async fn undecodable_peer_messages_are_rejected() {
    let (node, _sm) = single(config(1)).await;
    assert!(matches!(node.step(&[0xff, 0xff, 0xff]), Err(Error::BadMessage { .. })));
    // The node is unaffected.
    node.propose(b"still works".to_vec()).await.expect("propose");
    node.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn a_node_reports_the_configured_cluster_id_in_memory_and_on_disk() {
    let mut cfg = config(1);
    cfg.cluster_id = Some(0x00c0_ffee_1234_5678);
    let (node, _) = single(cfg.clone()).await;
    assert_eq!(node.cluster_id(), 0x00c0_ffee_1234_5678);
    node.shutdown().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (node, _) = single(cfg.with_data_dir(dir.path())).await;
    assert_eq!(node.cluster_id(), 0x00c0_ffee_1234_5678);
    node.shutdown().await.unwrap();
}

/// Empty data is a proposal like any other (only raft's own entries carry neither data nor a
/// context): it is applied and its caller answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_of_empty_data_is_applied() {
    let (node, sm) = single(config(1)).await;
    let wait = std::time::Duration::from_secs(20);
    let applied = tokio::time::timeout(wait, node.propose(Vec::new()))
        .await
        .expect("the empty proposal is answered")
        .expect("propose");
    assert_eq!(applied.output, (applied.index, Vec::new()));
    assert_eq!(sm.datas(), vec![Vec::<u8>::new()]);
    node.shutdown().await.expect("shutdown");
}
