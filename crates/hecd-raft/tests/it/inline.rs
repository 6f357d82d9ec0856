//! Where a proposal runs: a lone proposal in a multi-threaded runtime on its caller's thread (no
//! hand-over to the driver's thread and back), anything else on the driver's thread; and what the
//! caller's thread leaves to the driver's (snapshots), or to the runtime's other threads (a wait
//! for a full disk).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread::ThreadId;
use std::time::Duration;

use hecd_raft::fs::FaultFs;
use hecd_raft::{start, DiskHealth, Handle, NoopTransport, StateMachine};

use crate::gated::GatedFs;
use crate::support::config;

const DEADLINE: Duration = Duration::from_secs(20);

/// Which thread did what.
#[derive(Debug, Default)]
struct Seen {
    /// Each applied entry's data and the thread that applied it.
    applied: Vec<(Vec<u8>, ThreadId, Option<String>)>,
    /// The threads that took snapshots.
    snapshots: Vec<Option<String>>,
}

/// A state machine that remembers the thread of every call.
#[derive(Debug, Clone, Default)]
struct Threads(Arc<Mutex<Seen>>);

fn this_thread() -> (ThreadId, Option<String>) {
    let t = std::thread::current();
    (t.id(), t.name().map(str::to_owned))
}

impl StateMachine for Threads {
    type Output = ();

    fn apply(&mut self, _index: u64, _term: u64, data: &[u8]) {
        let (id, name) = this_thread();
        self.0.lock().unwrap().applied.push((data.to_vec(), id, name));
    }

    fn snapshot(&self) -> Vec<u8> {
        self.0.lock().unwrap().snapshots.push(this_thread().1);
        Vec::new()
    }

    fn restore(&mut self, _index: u64, _term: u64, _data: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

impl Threads {
    fn applied(&self) -> Vec<(Vec<u8>, ThreadId, Option<String>)> {
        self.0.lock().unwrap().applied.clone()
    }
}

/// A sole member whose ticks are an hour apart: no tick holds the driver while a test proposes,
/// so where a proposal runs depends on the load alone.
fn quiet() -> hecd_raft::Config {
    config(1).with_tick_interval(Duration::from_secs(3600))
}

async fn node(cfg: hecd_raft::Config) -> (Handle<Threads>, Threads) {
    let sm = Threads::default();
    let node = start(cfg, sm.clone(), NoopTransport, std::future::pending()).await.expect("start");
    node.read_index().await.expect("read barrier after start");
    (node, sm)
}

/// One after another, each proposal is appended, fdatasynced and applied by the thread that made
/// it, and is durable when acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_proposal_in_a_multi_threaded_runtime_runs_on_its_callers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = quiet().with_data_dir(dir.path()).with_snapshot_count(0);
    let (node, sm) = node(cfg.clone()).await;
    let before = node.wal_syncs();
    for i in 0..5u8 {
        let me = std::thread::current().id();
        node.propose(vec![i]).await.expect("propose");
        let applied = sm.applied();
        let (data, thread, _) = applied.last().expect("applied");
        assert_eq!((data, *thread), (&vec![i], me), "applied by the proposer's thread");
    }
    assert_eq!(node.wal_syncs() - before, 5, "each acknowledged proposal was fdatasynced");
    node.shutdown().await.unwrap();

    let (node, sm) = self::node(cfg).await;
    let replayed: Vec<Vec<u8>> = sm.applied().into_iter().map(|(d, _, _)| d).collect();
    assert_eq!(replayed, (0..5u8).map(|i| vec![i]).collect::<Vec<_>>());
    node.shutdown().await.unwrap();
}

/// On a current-thread runtime the caller's thread runs every other task: its proposals are the
/// driver thread's, which keeps the fdatasync off it.
#[tokio::test(flavor = "current_thread")]
async fn on_a_current_thread_runtime_proposals_run_on_the_drivers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let (node, sm) = node(quiet().with_data_dir(dir.path())).await;
    for i in 0..3u8 {
        node.propose(vec![i]).await.expect("propose");
    }
    let names: Vec<_> = sm.applied().into_iter().map(|(_, _, name)| name).collect();
    assert_eq!(names, vec![Some("hecd-raft".to_owned()); 3]);
    node.shutdown().await.unwrap();
}

/// Proposals made while another is in flight queue for the driver's thread; after a batch of more
/// than one (concurrent load), a lone proposal still queues, until a batch of one shows the load
/// is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_load_goes_to_the_drivers_thread_until_a_batch_of_one() {
    let dir = tempfile::tempdir().unwrap();
    let fs = GatedFs::default();
    let cfg = quiet().with_data_dir(dir.path()).with_snapshot_count(0);
    let (node, sm) = node(cfg.with_fs(Arc::new(fs.clone()))).await;
    // The first proposal, alone, stalls in its fdatasync on a worker thread.
    let _shut = fs.shut();
    let first = tokio::spawn({
        let node = node.clone();
        async move { node.propose(b"a".to_vec()).await.map(|_| std::thread::current().id()) }
    });
    let stalled = fs.clone();
    tokio::task::spawn_blocking(move || stalled.wait_for_a_waiting_sync()).await.unwrap();
    // Two more, each polled once: both are queued before the disk answers.
    let proposer = {
        let (b, c) = (node.propose(b"b".to_vec()), node.propose(b"c".to_vec()));
        tokio::pin!(b, c);
        std::future::poll_fn(|cx| {
            assert!(b.as_mut().poll(cx).is_pending() && c.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        fs.open();
        let proposer = first.await.unwrap().expect("first");
        b.await.expect("b");
        c.await.expect("c");
        proposer
    };
    let names = |from: usize| -> Vec<Option<String>> {
        sm.applied()[from..].iter().map(|(_, _, name)| name.clone()).collect()
    };
    assert_eq!(sm.applied()[0].1, proposer, "the first ran on its caller's thread");
    assert_eq!(names(1), vec![Some("hecd-raft".to_owned()); 2], "the others were queued");
    // The last batch held two proposals: the next lone one queues too, and makes a batch of one.
    node.propose(b"d".to_vec()).await.expect("d");
    assert_eq!(names(3), vec![Some("hecd-raft".to_owned())]);
    let me = std::thread::current().id();
    node.propose(b"e".to_vec()).await.expect("e");
    assert_eq!(sm.applied()[4].1, me, "the load is gone: back on the caller's thread");
    node.shutdown().await.unwrap();
}

/// A snapshot that falls due during a proposal run by its caller is taken by the driver's thread,
/// so the caller's reply does not wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_due_after_a_callers_proposal_is_taken_by_the_drivers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = quiet().with_data_dir(dir.path()).with_snapshot_count(4);
    let (node, sm) = node(cfg).await;
    let me = std::thread::current().id();
    for i in 0..6u8 {
        node.propose(vec![i]).await.expect("propose");
    }
    // Up to the one that made the snapshot due (index 4); later ones may find the driver's thread
    // busy with it, and queue.
    assert!(sm.applied()[..3].iter().all(|(_, t, _)| *t == me));
    // The node's log: its leader's empty entry, then the six; the snapshot is due at index 4.
    let mut status = node.watch_status();
    status.wait_for(|s| s.applied_index == 7).await.unwrap();
    node.shutdown().await.unwrap();
    // (A snapshot streams the state machine twice: to size it, then to write it.)
    let snapshots = sm.0.lock().unwrap().snapshots.clone();
    assert!(!snapshots.is_empty(), "a snapshot was taken");
    assert!(snapshots.iter().all(|t| t.as_deref() == Some("hecd-raft")), "{snapshots:?}");
}

/// A proposal that meets a full disk on its caller's thread is tried once there: the wait for
/// space is the driver thread's, so the caller's own timeout still fires (and its worker is free
/// for other tasks, here on a runtime of one worker). The write lands once, when space returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_full_disk_met_on_a_callers_thread_is_waited_for_by_the_drivers_thread() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let cfg = quiet().with_data_dir(dir.path()).with_snapshot_count(0);
    let (node, sm) = node(cfg.clone().with_fs(Arc::new(fs.clone()))).await;
    let applied = node.status().applied_index;
    fs.set_full(true);
    // Space returns even if the test fails, so the runtime's threads can end.
    let _refill = Refill(fs.clone());
    let caller = tokio::spawn({
        let node = node.clone();
        async move {
            let timed_out =
                tokio::time::timeout(Duration::from_millis(200), node.propose(b"w".to_vec()))
                    .await
                    .is_err();
            (timed_out, std::thread::current().name().map(str::to_owned))
        }
    });
    let (timed_out, thread) =
        tokio::time::timeout(DEADLINE, caller).await.expect("the caller returns").unwrap();
    assert!(timed_out, "nothing is acknowledged while the disk is full");
    assert_ne!(thread.as_deref(), Some("hecd-raft"));
    assert_eq!(node.disk_health(), DiskHealth::Full);
    assert!(sm.applied().is_empty());
    fs.set_full(false);
    let mut status = node.watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.applied_index > applied))
        .await
        .expect("the batch is written once space returns")
        .unwrap();
    assert_eq!(node.disk_health(), DiskHealth::Ok);
    assert_eq!(sm.applied().len(), 1);
    node.propose(b"x".to_vec()).await.expect("writes go on");
    node.shutdown().await.unwrap();

    let (node, sm) = self::node(cfg).await;
    let replayed: Vec<Vec<u8>> = sm.applied().into_iter().map(|(d, _, _)| d).collect();
    assert_eq!(replayed, vec![b"w".to_vec(), b"x".to_vec()], "each written exactly once");
    node.shutdown().await.unwrap();
}

/// Frees the fault-injecting disk when dropped.
struct Refill(FaultFs);

impl Drop for Refill {
    fn drop(&mut self) {
        self.0.set_full(false);
    }
}

/// A command that could not be queued (the inbox was full) is not counted as queued: once the
/// driver's thread has handled what was, a lone proposal runs on its caller's thread again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_refused_by_a_full_inbox_does_not_hold_proposals_back() {
    use prost::Message as _;
    let dir = tempfile::tempdir().unwrap();
    let fs = GatedFs::default();
    let mut cfg = quiet().with_data_dir(dir.path()).with_snapshot_count(0);
    cfg.inbox_capacity = 1;
    let (node, sm) = node(cfg.with_fs(Arc::new(fs.clone()))).await;
    // A proposal holds the driver in its fdatasync: nothing leaves the inbox meanwhile.
    let _shut = fs.shut();
    let first = tokio::spawn({
        let node = node.clone();
        async move { node.propose(b"a".to_vec()).await }
    });
    let stalled = fs.clone();
    tokio::task::spawn_blocking(move || stalled.wait_for_a_waiting_sync()).await.unwrap();
    // A message from no member: raft ignores it.
    let mut m = raft::eraftpb::Message::default();
    m.set_msg_type(raft::eraftpb::MessageType::MsgHeartbeatResponse);
    (m.from, m.to) = (9, 1);
    let bytes = m.encode_to_vec();
    // The driver's thread takes at most one message out before it waits for the driver: the
    // inbox (one place) is full after two at most.
    let mut queued = 0;
    loop {
        match node.step(&bytes) {
            Ok(()) => queued += 1,
            Err(hecd_raft::Error::Busy) => break,
            Err(other) => panic!("{other}"),
        }
        assert!(queued <= 2, "the inbox never fills");
    }
    fs.open();
    first.await.unwrap().expect("a");
    node.read_index().await.expect("everything queued is handled");
    let me = std::thread::current().id();
    node.propose(b"b".to_vec()).await.expect("b");
    assert_eq!(sm.applied()[1].1, me, "on the caller's thread again");
    node.shutdown().await.unwrap();
}
