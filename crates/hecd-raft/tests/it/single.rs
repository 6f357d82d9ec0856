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

/// Ticks an hour long: no election timeout fires during a test.
fn no_ticks(cfg: hecd_raft::Config) -> hecd_raft::Config {
    cfg.with_tick_interval(std::time::Duration::from_secs(3600))
}

const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// A fresh node has no snapshot to restore its state machine from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_node_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (node, sm) = single(config(1).with_data_dir(dir.path())).await;
    node.propose(b"x".to_vec()).await.expect("propose");
    assert_eq!(sm.log().restored_from, None);
    assert!(format!("{node:?}").contains("Leader"), "{node:?}");
    node.shutdown().await.expect("shutdown");
}

/// A single-member cluster restarted on its data elects itself at once, without waiting for an
/// election timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sole_member_restarted_on_its_data_leads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = || no_ticks(config(1).with_data_dir(dir.path()));
    let (node, _) = single(cfg()).await;
    node.propose(b"a".to_vec()).await.expect("propose");
    node.shutdown().await.expect("shutdown");
    let (node, sm) = single(cfg()).await;
    tokio::time::timeout(DEADLINE, node.propose(b"b".to_vec()))
        .await
        .expect("the restarted member leads without an election timeout")
        .expect("propose");
    assert_eq!(sm.datas(), vec![b"a".to_vec(), b"b".to_vec()]);
    node.shutdown().await.expect("shutdown");
}

/// A member of a three-member cluster does not start an election as it starts: it waits for an
/// election timeout like the others (all campaigning at once would split the vote).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_a_larger_cluster_does_not_campaign_as_it_starts() {
    let peers = (1..=3).map(|id| (id, format!("mem://{id}"))).collect();
    let (node, _) = single(no_ticks(config(1).with_peers(peers))).await;
    let status = node.watch_status();
    // The driver handles its shutdown after anything it did as it started.
    node.shutdown().await.expect("shutdown");
    let status = status.borrow().clone();
    assert_eq!((status.role, status.term), (Role::Follower, 0), "{status:?}");
}

/// A sole voter whose log adds a second member does not elect itself alone when it restarts:
/// until that entry is applied again its configuration is not known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sole_voter_whose_log_adds_a_member_does_not_elect_itself_at_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = single(config(1).with_data_dir(dir.path())).await;
    let added = node
        .change_member(hecd_raft::MemberChange::Add { id: 2, url: "mem://2".into() })
        .await
        .expect("add member 2");
    node.shutdown().await.expect("shutdown");
    let (node, _) = single(no_ticks(config(1).with_data_dir(dir.path()))).await;
    let mut status = node.watch_status();
    let status =
        tokio::time::timeout(DEADLINE, status.wait_for(|s| s.applied_index >= added.index))
            .await
            .expect("the log is replayed")
            .expect("node alive")
            .clone();
    assert_eq!(status.voters, vec![1, 2]);
    assert_ne!(status.role, Role::Leader, "{status:?}");
    node.shutdown().await.expect("shutdown");
}
