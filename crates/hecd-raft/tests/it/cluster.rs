//! Three nodes over an in-memory transport: election, replication, forwarding, failover, snapshots to a
//! lagging follower and membership changes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hecd_raft::fs::{Fault, FaultFs};
use hecd_raft::{start, Config, DiskHealth, Error, Handle, MemberChange, Role, Transport};

use crate::support::{config, expected, propose_seq, Recorder};

/// Upper bound for waiting on elections and replication (a deadline, not a sleep).
const DEADLINE: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Net {
    nodes: Mutex<HashMap<u64, Handle<Recorder>>>,
    /// Members cut off from everyone.
    isolated: Mutex<HashSet<u64>>,
    /// Members that get no log entries (appends and snapshots) but every other message: they
    /// know the leader and forward proposals to it, yet apply nothing new.
    starved: Mutex<HashSet<u64>>,
    /// How many of the next snapshots sent are lost on the way.
    lose_snapshots: Mutex<u32>,
}

/// Whether `msg` is a snapshot.
fn is_snapshot(msg: &[u8]) -> bool {
    use prost::Message as _;
    let msg = raft::eraftpb::Message::decode(msg).expect("a raft message");
    msg.get_msg_type() == raft::eraftpb::MessageType::MsgSnapshot
}

/// Whether `msg` carries log entries (an append or a snapshot).
fn carries_entries(msg: &[u8]) -> bool {
    use prost::Message as _;
    use raft::eraftpb::{Message, MessageType};
    let msg = Message::decode(msg).expect("a raft message");
    matches!(msg.get_msg_type(), MessageType::MsgAppend | MessageType::MsgSnapshot)
}

/// One member's view of the network.
struct Link {
    from: u64,
    net: Arc<Net>,
}

impl Transport for Link {
    fn send(&self, to: u64, msg: Vec<u8>) {
        {
            let isolated = self.net.isolated.lock().unwrap();
            if isolated.contains(&self.from) || isolated.contains(&to) {
                return;
            }
        }
        if self.net.starved.lock().unwrap().contains(&to) && carries_entries(&msg) {
            return;
        }
        if is_snapshot(&msg) {
            let mut lose = self.net.lose_snapshots.lock().unwrap();
            if *lose > 0 {
                *lose -= 1;
                return;
            }
        }
        let node = self.net.nodes.lock().unwrap().get(&to).cloned();
        if let Some(node) = node {
            let _ = node.step(&msg);
        }
    }
}

struct Cluster {
    net: Arc<Net>,
    sms: HashMap<u64, Recorder>,
}

impl Cluster {
    async fn start(n: u64, snapshot_count: u64) -> Cluster {
        Cluster::start_in(n, snapshot_count, None).await
    }

    /// Starts `n` members; with `base`, member `id` keeps its data in `base/<id>`.
    async fn start_in(n: u64, snapshot_count: u64, base: Option<&std::path::Path>) -> Cluster {
        Cluster::start_on(n, snapshot_count, base, &HashMap::new()).await
    }

    /// As [`Cluster::start_in`], each member's configuration passed through `tweak`.
    async fn start_with(
        n: u64,
        snapshot_count: u64,
        base: Option<&std::path::Path>,
        tweak: impl Fn(Config) -> Config,
    ) -> Cluster {
        Cluster::start_tweaked(n, snapshot_count, base, &HashMap::new(), tweak).await
    }

    /// As [`Cluster::start_in`], member `id` on the file system `fss[id]` when there is one.
    async fn start_on(
        n: u64,
        snapshot_count: u64,
        base: Option<&std::path::Path>,
        fss: &HashMap<u64, FaultFs>,
    ) -> Cluster {
        Cluster::start_tweaked(n, snapshot_count, base, fss, |cfg| cfg).await
    }

    async fn start_tweaked(
        n: u64,
        snapshot_count: u64,
        base: Option<&std::path::Path>,
        fss: &HashMap<u64, FaultFs>,
        tweak: impl Fn(Config) -> Config,
    ) -> Cluster {
        let net = Arc::new(Net::default());
        let peers: Vec<(u64, String)> = (1..=n).map(|id| (id, format!("mem://{id}"))).collect();
        let mut sms = HashMap::new();
        for id in 1..=n {
            let sm = Recorder::default();
            let mut cfg =
                tweak(config(id).with_peers(peers.clone()).with_snapshot_count(snapshot_count));
            if let Some(base) = base {
                cfg = cfg.with_data_dir(base.join(id.to_string()));
            }
            if let Some(fs) = fss.get(&id) {
                cfg = cfg.with_fs(Arc::new(fs.clone()));
            }
            let link = Link { from: id, net: Arc::clone(&net) };
            let node = start(cfg, sm.clone(), link, std::future::pending()).await.expect("start");
            net.nodes.lock().unwrap().insert(id, node);
            sms.insert(id, sm);
        }
        Cluster { net, sms }
    }

    /// Starts member `id` to join the running cluster (after it was added with `change_member`).
    async fn join(&mut self, id: u64, snapshot_count: u64) {
        let mut ids: Vec<u64> = self.sms.keys().copied().collect();
        ids.push(id);
        let peers = ids.iter().map(|id| (*id, format!("mem://{id}"))).collect();
        let sm = Recorder::default();
        let cfg = config(id).with_peers(peers).with_snapshot_count(snapshot_count);
        let link = Link { from: id, net: Arc::clone(&self.net) };
        let node = start(cfg, sm.clone(), link, std::future::pending()).await.expect("start");
        self.net.nodes.lock().unwrap().insert(id, node);
        self.sms.insert(id, sm);
    }

    /// Starts member `id` again on its data directory `base/<id>` (after it was shut down).
    async fn restart(&mut self, id: u64, n: u64, base: &std::path::Path) {
        let peers: Vec<(u64, String)> = (1..=n).map(|id| (id, format!("mem://{id}"))).collect();
        let sm = Recorder::default();
        let cfg = config(id).with_peers(peers).with_data_dir(base.join(id.to_string()));
        let link = Link { from: id, net: Arc::clone(&self.net) };
        let node = start(cfg, sm.clone(), link, std::future::pending()).await.expect("restart");
        self.net.nodes.lock().unwrap().insert(id, node);
        self.sms.insert(id, sm);
    }

    /// Waits until member `id` has applied an entry holding `data`.
    async fn applied(&self, id: u64, data: &[u8]) {
        let mut status = self.node(id).watch_status();
        let sm = &self.sms[&id];
        tokio::time::timeout(DEADLINE, status.wait_for(|_| sm.datas().iter().any(|d| d == data)))
            .await
            .unwrap_or_else(|_| panic!("member {id} never applied {data:?}"))
            .expect("status");
    }

    fn node(&self, id: u64) -> Handle<Recorder> {
        self.net.nodes.lock().unwrap()[&id].clone()
    }

    /// Waits until a live, connected member is leader and returns its id.
    async fn leader(&self, among: &[u64]) -> u64 {
        let wait = async {
            loop {
                let mut changes = Vec::new();
                for id in among {
                    let node = self.node(*id);
                    if node.status().is_leader() {
                        return *id;
                    }
                    changes.push(node.watch_status());
                }
                // Wait for any status change of any member.
                let mut set = tokio::task::JoinSet::new();
                for mut rx in changes {
                    set.spawn(async move { rx.changed().await.is_ok() });
                }
                set.join_next().await;
            }
        };
        tokio::time::timeout(DEADLINE, wait).await.expect("a leader is elected before the deadline")
    }

    fn isolate(&self, id: u64) {
        self.net.isolated.lock().unwrap().insert(id);
    }

    fn heal(&self) {
        self.net.isolated.lock().unwrap().clear();
    }

    /// A read barrier on `id`: once it returns, `id` has applied everything committed before.
    async fn sync(&self, id: u64) {
        tokio::time::timeout(DEADLINE, self.node(id).read_index())
            .await
            .expect("read index before the deadline")
            .expect("read index");
    }

    async fn stop(self) {
        let nodes: Vec<_> = self.net.nodes.lock().unwrap().drain().collect();
        for (_, node) in nodes {
            node.shutdown().await.expect("shutdown");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_elect_a_leader_and_replicate() {
    let c = Cluster::start(3, 0).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "a", 10).await;
    for id in 1..=3 {
        c.sync(id).await;
        assert_eq!(c.sms[&id].datas(), expected("a", 10), "member {id}");
        assert_eq!(c.node(id).status().leader_id, Some(leader));
    }

    // A follower's proposal is forwarded to the leader and resolves on the follower once applied there.
    let follower = (1..=3).find(|id| *id != leader).unwrap();
    let applied = c.node(follower).propose(b"from-follower".to_vec()).await.expect("propose");
    assert_eq!(applied.output.1, b"from-follower".to_vec());
    c.stop().await;
}

/// With ticks an hour long no election timeout fires: `campaign` alone makes a member leader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_starts_an_election_at_once() {
    let c =
        Cluster::start_with(3, 0, None, |cfg| cfg.with_tick_interval(Duration::from_secs(3600)))
            .await;
    c.node(2).campaign().await.unwrap();
    assert_eq!(c.leader(&[1, 2, 3]).await, 2);
    propose_seq(&c.node(2), "a", 2).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_takes_over_when_the_leader_is_cut_off() {
    let c = Cluster::start(3, 0).await;
    let old = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(old), "a", 3).await;
    c.isolate(old);
    let rest: Vec<u64> = (1..=3).filter(|id| *id != old).collect();
    let new = c.leader(&rest).await;
    assert_ne!(new, old);
    propose_seq(&c.node(new), "b", 3).await;
    // Cut off from a quorum, the old leader stops claiming to lead (raft's check_quorum), before
    // it hears of the new term.
    let mut status = c.node(old).watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.role != Role::Leader))
        .await
        .expect("the cut-off leader steps down")
        .expect("status");
    c.heal();
    // The old leader catches up, and has the same log.
    c.sync(old).await;
    let mut want = expected("a", 3);
    want.extend(expected("b", 3));
    for id in 1..=3 {
        c.sync(id).await;
        assert_eq!(c.sms[&id].datas(), want, "member {id}");
    }
    c.stop().await;
}

/// A follower cut off while 20 entries were written (a snapshot every 5) catches up from a snapshot
/// when it is back, even when the first `lose` snapshots sent to it are lost on the way.
async fn a_lagging_follower_catches_up(lose: u32) {
    let c = Cluster::start(3, 5).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let lagging = (1..=3).find(|id| *id != leader).unwrap();
    c.isolate(lagging);
    propose_seq(&c.node(leader), "a", 20).await;
    *c.net.lose_snapshots.lock().unwrap() = lose;
    c.heal();
    c.sync(lagging).await;
    assert_eq!(*c.net.lose_snapshots.lock().unwrap(), 0, "{lose} snapshots were lost");
    let log = c.sms[&lagging].log();
    assert!(log.restored_from.is_some(), "the follower was sent a snapshot");
    assert_eq!(c.sms[&lagging].datas(), expected("a", 20));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_follower_catches_up_from_a_snapshot() {
    a_lagging_follower_catches_up(0).await;
}

/// A snapshot lost on its way is sent again: the leader takes it as sent, and the follower's
/// answers to what follows show it what is still missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_snapshot_is_sent_again() {
    a_lagging_follower_catches_up(1).await;
}

/// Snapshots are rare (every 10,000 entries) but the leader keeps only 3 applied entries for
/// laggards: a follower that missed 40 must be sent a snapshot taken for it, read back from the
/// snapshot file (the leader does not hold its bytes), and then the entries after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_behind_the_trimmed_log_gets_a_snapshot_taken_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let c =
        Cluster::start_with(3, 10_000, Some(dir.path()), |cfg| cfg.with_catchup_entries(3)).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "a", 5).await;
    let lagging = (1..=3).find(|id| *id != leader).unwrap();
    c.sync(lagging).await;
    c.isolate(lagging);
    propose_seq(&c.node(leader), "b", 40).await;
    c.heal();
    propose_seq(&c.node(leader), "c", 2).await;
    c.sync(lagging).await;
    let mut want = expected("a", 5);
    want.extend(expected("b", 40));
    want.extend(expected("c", 2));
    assert!(c.sms[&lagging].log().restored_from.is_some(), "the follower was sent a snapshot");
    assert_eq!(c.sms[&lagging].datas(), want);
    let snaps =
        std::fs::read_dir(dir.path().join(leader.to_string()).join("snap")).unwrap().count();
    assert!(snaps >= 1, "the leader wrote the snapshot it sent");
    c.stop().await;
}

/// Without snapshots (`snapshot_count` 0) nothing is trimmed: a laggard catches up from the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_snapshots_a_follower_catches_up_from_the_whole_log() {
    let c = Cluster::start_with(3, 0, None, |cfg| cfg.with_catchup_entries(1)).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let lagging = (1..=3).find(|id| *id != leader).unwrap();
    c.isolate(lagging);
    propose_seq(&c.node(leader), "a", 30).await;
    c.heal();
    c.sync(lagging).await;
    assert!(c.sms[&lagging].log().restored_from.is_none(), "no snapshot was needed");
    assert_eq!(c.sms[&lagging].datas(), expected("a", 30));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_member_shrinks_the_voters() {
    let c = Cluster::start(3, 0).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let gone = (1..=3).find(|id| *id != leader).unwrap();
    let applied =
        c.node(leader).change_member(MemberChange::Remove { id: gone }).await.expect("change");
    assert_eq!(applied.output, MemberChange::Remove { id: gone });
    let mut voters: Vec<u64> = (1..=3).filter(|id| *id != gone).collect();
    voters.sort_unstable();
    assert_eq!(c.node(leader).status().voters, voters);
    // The two remaining members still make progress.
    c.isolate(gone);
    propose_seq(&c.node(leader), "after", 2).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_member_catches_up_and_votes() {
    let mut c = Cluster::start(3, 5).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "a", 12).await;
    let change = MemberChange::Add { id: 4, url: "mem://4".into() };
    let applied = c.node(leader).change_member(change.clone()).await.expect("change");
    assert_eq!(applied.output, change);
    assert_eq!(c.node(leader).status().voters, vec![1, 2, 3, 4]);
    c.join(4, 5).await;
    propose_seq(&c.node(leader), "b", 3).await;
    c.sync(4).await;
    let mut want = expected("a", 12);
    want.extend(expected("b", 3));
    assert_eq!(c.sms[&4].datas(), want);
    assert_eq!(c.node(4).status().voters, vec![1, 2, 3, 4]);
    // With four voters, losing one still leaves a quorum that includes the new member.
    let other = (1..=3).find(|id| *id != leader).unwrap();
    c.isolate(other);
    propose_seq(&c.node(leader), "c", 2).await;
    c.sync(4).await;
    assert_eq!(c.sms[&4].datas().len(), 17);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_member_change_while_one_is_pending_fails_instead_of_hanging() {
    // Two changes proposed together usually overlap (the second arrives while the first is
    // pending); on a loaded machine the first may be applied before the second is read, and
    // both succeed. Try (each time on a fresh cluster) until they overlap; an overlapping
    // second change must fail, not hang.
    for _ in 0..10 {
        let c = Cluster::start(3, 0).await;
        let leader = c.node(c.leader(&[1, 2, 3]).await);
        let (first, second) = tokio::join!(
            leader.change_member(MemberChange::Add { id: 4, url: "mem://4".into() }),
            leader.change_member(MemberChange::Add { id: 5, url: "mem://5".into() }),
        );
        assert_eq!(first.expect("first change").output.id(), 4);
        match second {
            Err(Error::ProposalLost { .. }) => {
                assert_eq!(leader.status().voters, vec![1, 2, 3, 4]);
                c.stop().await;
                return;
            }
            Ok(applied) => assert_eq!(applied.output.id(), 5, "applied after the first"),
            Err(other) => panic!("the second change failed otherwise: {other:?}"),
        }
        c.stop().await;
    }
    panic!("two changes proposed together never overlapped in 10 tries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_on_a_deposed_leader_fails_once_the_new_leader_overwrites_it() {
    let c = Cluster::start(3, 0).await;
    let old = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(old), "a", 2).await;
    c.isolate(old);
    let old_node = c.node(old);
    let pending = tokio::spawn(async move { old_node.propose(b"orphan".to_vec()).await });
    let rest: Vec<u64> = (1..=3).filter(|id| *id != old).collect();
    let new = c.leader(&rest).await;
    propose_seq(&c.node(new), "b", 2).await;
    c.heal();
    let res = tokio::time::timeout(DEADLINE, pending).await.expect("resolves").expect("task");
    assert!(matches!(res, Err(Error::ProposalLost { .. })), "{res:?}");
    c.sync(old).await;
    assert!(!c.sms[&old].datas().contains(&b"orphan".to_vec()));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_durable_cluster_restarts_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::start_in(3, 4, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "a", 10).await;
    for id in 1..=3 {
        c.sync(id).await;
    }
    c.stop().await;

    let c = Cluster::start_in(3, 4, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "b", 2).await;
    let mut want = expected("a", 10);
    want.extend(expected("b", 2));
    for id in 1..=3 {
        c.sync(id).await;
        assert_eq!(c.sms[&id].datas(), want, "member {id}");
        assert!(c.sms[&id].log().restored_from.is_some(), "member {id} restarted from a snapshot");
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leadership_can_be_handed_over() {
    let c = Cluster::start(3, 0).await;
    let old = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(old), "a", 2).await;
    let to = (1..=3).find(|id| *id != old).unwrap();
    c.sync(to).await;
    c.node(old).transfer_leader(to).await.expect("transfer");
    let mut status = c.node(to).watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.is_leader()))
        .await
        .expect("the target becomes leader before the deadline")
        .expect("status");
    propose_seq(&c.node(to), "b", 1).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_fdatasync_failed_no_longer_counts_toward_the_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let fss: HashMap<u64, FaultFs> = (1..=3).map(|id| (id, FaultFs::new())).collect();
    let c = Cluster::start_on(3, 0, Some(dir.path()), &fss).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let followers: Vec<u64> = (1..=3).filter(|id| *id != leader).collect();
    let node = c.node(leader);
    propose_seq(&node, "before", 2).await;

    // One follower's disk fails: the other follower and the leader still make a quorum.
    fss[&followers[0]].inject_next("sync_data", Fault::Eio);
    propose_seq(&node, "one-failed", 3).await;
    let mut health = c.node(followers[0]).watch_disk();
    tokio::time::timeout(DEADLINE, health.wait_for(|h| *h == DiskHealth::Failed))
        .await
        .expect("the follower saw its disk fail")
        .unwrap();

    // The second follower's disk fails too: the failed members cannot acknowledge, so nothing commits.
    fss[&followers[1]].inject_next("sync_data", Fault::Eio);
    let res =
        tokio::time::timeout(Duration::from_secs(3), node.propose(b"no-quorum".to_vec())).await;
    assert!(
        !matches!(res, Ok(Ok(_))),
        "a write must not be acknowledged by members whose disk failed: {res:?}"
    );
    let committed: Vec<Vec<u8>> = c.sms[&leader].datas();
    assert!(!committed.contains(&b"no-quorum".to_vec()), "{committed:?}");
    let nodes: Vec<_> = c.net.nodes.lock().unwrap().drain().collect();
    for (id, node) in nodes {
        let res = node.shutdown().await;
        assert_eq!(res.is_err(), id != leader, "member {id}: {res:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_stays_removed_after_a_restart_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::start_in(3, 100, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let gone = (1..=3).find(|id| *id != leader).unwrap();
    c.node(leader).change_member(MemberChange::Remove { id: gone }).await.expect("change");
    let remaining: Vec<u64> = (1..=3).filter(|id| *id != gone).collect();
    propose_seq(&c.node(leader), "a", 2).await;
    for id in &remaining {
        c.sync(*id).await;
    }
    c.stop().await;

    // The change is compacted into the snapshot taken right after it: after a restart the
    // membership comes from the snapshot, not from the members the data directory began with.
    let c = Cluster::start_in(3, 100, Some(dir.path())).await;
    let leader = c.leader(&remaining).await;
    propose_seq(&c.node(leader), "b", 1).await;
    for id in &remaining {
        c.sync(*id).await;
        assert_eq!(c.node(*id).status().voters, remaining, "member {id}");
        assert!(c.sms[id].log().restored_from.is_some(), "member {id} restarted from a snapshot");
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_restarts_after_installing_a_snapshot_and_after_a_crash_while_compacting() {
    let dir = tempfile::tempdir().unwrap();
    let fss: HashMap<u64, FaultFs> = (1..=3).map(|id| (id, FaultFs::new())).collect();
    let c = Cluster::start_on(3, 5, Some(dir.path()), &fss).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let lagging = (1..=3).find(|id| *id != leader).unwrap();
    c.isolate(lagging);
    propose_seq(&c.node(leader), "a", 20).await;
    c.heal();
    c.sync(lagging).await;
    assert!(c.sms[&lagging].log().restored_from.is_some(), "the follower was sent a snapshot");
    c.stop().await;

    // Its WAL records the installed snapshot, which is also its newest snapshot file.
    let fss: HashMap<u64, FaultFs> = (1..=3).map(|id| (id, FaultFs::new())).collect();
    let c = Cluster::start_on(3, 5, Some(dir.path()), &fss).await;
    let mut leader = c.leader(&[1, 2, 3]).await;
    if leader == lagging {
        let to = (1..=3).find(|id| *id != lagging).unwrap();
        c.node(lagging).transfer_leader(to).await.unwrap();
        let mut status = c.node(to).watch_status();
        tokio::time::timeout(DEADLINE, status.wait_for(|s| s.is_leader()))
            .await
            .expect("leadership handed over")
            .unwrap();
        leader = to;
    }
    c.sync(lagging).await;
    assert_eq!(c.sms[&lagging].datas(), expected("a", 20));

    // Its own next snapshot is saved, then it crashes before deleting the WAL segments the
    // snapshot covers: the WAL still records the older installed snapshot.
    fss[&lagging].inject_next("remove_file", Fault::Crash);
    propose_seq(&c.node(leader), "b", 10).await;
    let mut health = c.node(lagging).watch_disk();
    tokio::time::timeout(DEADLINE, health.wait_for(|h| *h == DiskHealth::Failed))
        .await
        .expect("the follower crashed while compacting")
        .unwrap();
    assert!(fss[&lagging].crashed());
    let nodes: Vec<_> = c.net.nodes.lock().unwrap().drain().collect();
    for (id, node) in nodes {
        let res = node.shutdown().await;
        assert_eq!(res.is_err(), id == lagging, "member {id}: {res:?}");
    }

    let c = Cluster::start_in(3, 5, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "c", 1).await;
    let mut want = expected("a", 20);
    want.extend(expected("b", 10));
    want.extend(expected("c", 1));
    for id in 1..=3 {
        c.sync(id).await;
        assert_eq!(c.sms[&id].datas(), want, "member {id}");
    }
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_of_an_earlier_run_does_not_complete_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Cluster::start_in(3, 0, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let f = (1..=3).find(|id| *id != leader).unwrap();
    propose_seq(&c.node(leader), "a", 2).await;

    // The follower forwards proposals to the leader, which commits them with the third member,
    // but it receives no entries: its proposals stay pending until it stops.
    c.net.starved.lock().unwrap().insert(f);
    let olds: Vec<Vec<u8>> = (0..3).map(|i| format!("old-{i}").into_bytes()).collect();
    let mut forwarded = tokio::task::JoinSet::new();
    for data in &olds {
        let (node, data) = (c.node(f), data.clone());
        forwarded.spawn(async move { node.propose(data).await });
    }
    for data in &olds {
        c.applied(leader, data).await;
    }
    let node = c.net.nodes.lock().unwrap().remove(&f).unwrap();
    node.shutdown().await.expect("shutdown");
    while let Some(res) = forwarded.join_next().await {
        assert!(res.unwrap().is_err(), "not applied on the follower before it stopped");
    }

    // Restarted, it numbers its proposals from the start again. Its new proposal is pending
    // when the entries it proposed before the restart reach it: they are not this proposal.
    c.restart(f, 3, dir.path()).await;
    let mut status = c.node(f).watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.leader_id == Some(leader)))
        .await
        .expect("the restarted follower hears from the leader")
        .unwrap();
    let pending = tokio::spawn({
        let node = c.node(f);
        async move { node.propose(b"new".to_vec()).await }
    });
    c.applied(leader, b"new").await;
    c.net.starved.lock().unwrap().clear();
    let applied = tokio::time::timeout(DEADLINE, pending)
        .await
        .expect("the new proposal resolves")
        .unwrap()
        .expect("applied");
    assert_eq!(applied.output.1, b"new".to_vec(), "completed by its own entry");
    c.sync(f).await;
    // Every entry once: the earlier run's (in the order the leader received them), then the new one.
    let mut got = c.sms[&f].datas();
    assert_eq!(got[..2], expected("a", 2)[..]);
    assert_eq!(got.pop(), Some(b"new".to_vec()));
    let mut middle = got.split_off(2);
    middle.sort();
    assert_eq!(middle, olds);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_restarted_without_a_quorum_applies_everything_it_knew_committed() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cluster::start_in(3, 0, Some(dir.path())).await;
    let leader = c.leader(&[1, 2, 3]).await;
    let f = (1..=3).find(|id| *id != leader).unwrap();
    propose_seq(&c.node(leader), "a", 5).await;
    // The follower learns that the last entry is committed after it wrote that entry: only the
    // commit index moves, and shutdown must still record it.
    c.sync(f).await;
    assert_eq!(c.sms[&f].datas(), expected("a", 5));
    c.stop().await;

    // Alone it cannot elect a leader or learn anything new: what it applies is what it had
    // recorded as committed.
    let mut alone = Cluster { net: Arc::new(Net::default()), sms: HashMap::new() };
    alone.restart(f, 3, dir.path()).await;
    let node = alone.node(f);
    let mut status = node.watch_status();
    let sm = alone.sms[&f].clone();
    tokio::time::timeout(Duration::from_secs(5), status.wait_for(|_| sm.datas().len() == 5))
        .await
        .unwrap_or_else(|_| panic!("applied after a restart without a quorum: {:?}", sm.datas()))
        .unwrap();
    assert_eq!(sm.datas(), expected("a", 5));
    alone.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_follower_does_not_raise_the_term_or_depose_the_leader_when_it_returns() {
    let c = Cluster::start(3, 0).await;
    let leader = c.leader(&[1, 2, 3]).await;
    propose_seq(&c.node(leader), "a", 2).await;
    let term = c.node(leader).status().term;
    let f = (1..=3).find(|id| *id != leader).unwrap();
    c.isolate(f);
    // Hearing nothing, it tries to start an election, but first asks whether it could win
    // (pre-vote): cut off, it cannot, so it does not raise its term.
    let mut status = c.node(f).watch_status();
    let st = tokio::time::timeout(DEADLINE, status.wait_for(|s| s.role != Role::Follower))
        .await
        .expect("the cut-off follower tries to start an election")
        .unwrap()
        .clone();
    assert_eq!(st.term, term, "{st:?}");
    c.heal();
    propose_seq(&c.node(leader), "b", 1).await;
    c.sync(f).await;
    assert_eq!(c.node(leader).status().term, term);
    assert!(c.node(leader).status().is_leader());
    c.stop().await;
}
