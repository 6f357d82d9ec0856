//! Failing disks, through the fault-injecting file system: a full disk, a failed fdatasync, a failed
//! write, and a crash between any two file operations, each checked against what was acknowledged.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hecd_raft::fs::{CrashLoss, Fault, FaultFs};
use hecd_raft::{DiskHealth, Error, Handle};

use crate::support::{config, durable, single, Outbox, Recorder};

const DEADLINE: Duration = Duration::from_secs(20);

async fn faulty(dir: &Path, fs: &FaultFs, snapshot_count: u64) -> (Handle<Recorder>, Recorder) {
    let mut cfg = config(1).with_data_dir(dir).with_snapshot_count(snapshot_count);
    cfg.segment_bytes = 600;
    let (node, sm) = single(cfg.with_fs(Arc::new(fs.clone()))).await;
    node.read_index().await.expect("read barrier after start");
    (node, sm)
}

async fn wait_health(node: &Handle<Recorder>, want: DiskHealth) {
    let mut rx = node.watch_disk();
    tokio::time::timeout(DEADLINE, rx.wait_for(|h| *h == want))
        .await
        .unwrap_or_else(|_| panic!("disk health never became {want:?}"))
        .expect("node alive");
    assert_eq!(node.disk_health(), want);
}

fn data(i: usize) -> Vec<u8> {
    format!("write-{i}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_keeps_reads_and_resumes_without_losing_or_doubling() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, sm) = faulty(dir.path(), &fs, 0).await;
    for i in 0..3 {
        node.propose(data(i)).await.expect("propose before the disk fills");
    }
    fs.set_full(true);
    // This proposal's batch meets the full disk: rolled back and retried, not acknowledged meanwhile.
    let pending = tokio::spawn({
        let node = node.clone();
        async move { node.propose(data(3)).await }
    });
    wait_health(&node, DiskHealth::Full).await;
    assert!(!pending.is_finished(), "nothing is acknowledged while the disk is full");
    match node.propose(data(99)).await {
        Err(Error::NoSpace { path }) => assert_eq!(path, dir.path()),
        other => panic!("a new write on a full disk must fail at once: {other:?}"),
    }
    // Reads are served from what was applied.
    assert_eq!(sm.datas(), (0..3).map(data).collect::<Vec<_>>());
    fs.set_full(false);
    let applied = tokio::time::timeout(DEADLINE, pending).await.expect("resumes").unwrap();
    assert_eq!(applied.expect("the retried batch is written once space returns").output.1, data(3));
    assert_eq!(node.disk_health(), DiskHealth::Ok);
    node.propose(data(4)).await.expect("writes resume");
    node.shutdown().await.expect("clean shutdown");

    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas(), (0..5).map(data).collect::<Vec<_>>(), "each write exactly once");
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_during_a_snapshot_skips_it_and_keeps_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = faulty(dir.path(), &fs, 4).await;
    for i in 0..3 {
        node.propose(data(i)).await.unwrap();
    }
    // The snapshot due at index 4 (the third proposal) is taken by the driver's thread before it
    // handles the next command: a read barrier waits for it.
    node.read_index().await.unwrap();
    // The fourth entry triggers a snapshot; its temp file cannot be created.
    fs.inject_next("open", Fault::NoSpace);
    node.propose(data(3)).await.expect("the entry itself is durable");
    for i in 4..10 {
        node.propose(data(i)).await.expect("writes go on after the skipped snapshot");
    }
    node.shutdown().await.unwrap();
    let snaps = std::fs::read_dir(dir.path().join("snap")).unwrap().count();
    assert!(snaps >= 1, "the skipped snapshot is taken again later");
    let (node, sm) = durable(dir.path(), 4).await;
    assert_eq!(sm.datas(), (0..10).map(data).collect::<Vec<_>>());
    node.shutdown().await.unwrap();
}

/// The indexes of the snapshots in `dir`'s snapshot directory (named `<index>-<term>.snap`, hex).
fn snapshot_indexes(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = std::fs::read_dir(dir.join("snap"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let index = name.strip_suffix(".snap")?.split_once('-')?.0.to_owned();
            u64::from_str_radix(&index, 16).ok()
        })
        .collect();
    v.sort_unstable();
    v
}

/// A snapshot skipped for a full disk is tried again `snapshot_count` entries later: not at every
/// entry in between (each attempt serializes the whole state machine), and not later either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_skipped_for_a_full_disk_is_tried_again_snapshot_count_entries_later() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = faulty(dir.path(), &fs, 4).await;
    let mut i = 0;
    // A snapshot due after a proposal its caller ran is the driver thread's, which takes it
    // before the next command it is sent: a read barrier after each proposal waits for it.
    let mut propose = || {
        i += 1;
        let node = node.clone();
        async move {
            let index = node.propose(data(i)).await.unwrap().index;
            node.read_index().await.unwrap();
            index
        }
    };
    while propose().await < 3 {}
    // The entry at index 4 makes a snapshot due; its file cannot be created.
    fs.inject_next("open", Fault::NoSpace);
    assert_eq!(propose().await, 4);
    while propose().await < 7 {
        assert_eq!(snapshot_indexes(dir.path()), Vec::<u64>::new());
    }
    assert_eq!(snapshot_indexes(dir.path()), Vec::<u64>::new());
    assert_eq!(propose().await, 8);
    assert_eq!(snapshot_indexes(dir.path()), vec![8]);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fdatasync_stops_the_node_for_good_and_is_never_retried() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = faulty(dir.path(), &fs, 0).await;
    for i in 0..3 {
        node.propose(data(i)).await.unwrap();
    }
    fs.inject_next("sync_data", Fault::Eio);
    let before = fs.ops();
    let res = node.propose(data(3)).await;
    assert!(res.is_err(), "a write whose fdatasync failed is not acknowledged: {res:?}");
    wait_health(&node, DiskHealth::Failed).await;
    assert!(matches!(node.propose(data(4)).await, Err(Error::Stopped)));
    match node.shutdown().await {
        Err(Error::DiskFailed { path, source }) => {
            assert!(path.starts_with(dir.path()), "{path:?}");
            assert_eq!(source.raw_os_error(), Some(5));
        }
        other => panic!("shutdown reports the disk failure: {other:?}"),
    }
    // Not even the flush at shutdown syncs again: a second fdatasync may report success for pages
    // the kernel dropped.
    let syncs_after: Vec<String> =
        fs.log()[before as usize..].iter().filter(|l| l.contains(" sync")).cloned().collect();
    assert_eq!(syncs_after.len(), 1, "only the failed sync, never a retry: {syncs_after:?}");
    // The next start recovers from what is on disk: every acknowledged write.
    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas()[..3], (0..3).map(data).collect::<Vec<_>>()[..]);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_stops_the_node_and_a_short_write_is_completed() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = faulty(dir.path(), &fs, 0).await;
    fs.inject_next("write", Fault::ShortWrite);
    node.propose(data(0)).await.expect("a short write is completed by the next write");
    fs.inject_next("write", Fault::Eio);
    assert!(node.propose(data(1)).await.is_err());
    wait_health(&node, DiskHealth::Failed).await;
    assert!(node.shutdown().await.is_err());
    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas().first(), Some(&data(0)));
    node.shutdown().await.unwrap();
}

/// Crashes at operation `crash_at` while writing `total` entries; returns the acknowledged count, or
/// `None` when the workload finished before that operation.
async fn crash_run(dir: &Path, crash_at: u64, loss: CrashLoss, total: usize) -> Option<usize> {
    let fs = FaultFs::new();
    fs.inject(crash_at, Fault::Crash).crash_loss(loss);
    let mut cfg = config(1).with_data_dir(dir).with_snapshot_count(3);
    cfg.segment_bytes = 300;
    let sm = Recorder::default();
    let started = hecd_raft::start(
        cfg.with_fs(Arc::new(fs.clone())),
        sm,
        hecd_raft::NoopTransport,
        std::future::pending(),
    )
    .await;
    let mut acked = 0;
    if let Ok(node) = started {
        for i in 0..total {
            match tokio::time::timeout(DEADLINE, node.propose(data(i))).await {
                Ok(Ok(_)) => acked += 1,
                Ok(Err(_)) => break,
                Err(_) => panic!("crash at op {crash_at}: a proposal neither succeeded nor failed"),
            }
        }
        let _ = node.shutdown().await;
    }
    fs.crashed().then_some(acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_any_two_file_operations_keeps_every_acknowledged_write() {
    const TOTAL: usize = 10;
    let losses = |n: u64| {
        [CrashLoss::Unsynced, CrashLoss::Torn { seed: n }, CrashLoss::Nothing][n as usize % 3]
    };
    let mut crash_at = 1;
    let mut runs = 0;
    loop {
        let dir = tempfile::tempdir().unwrap();
        let Some(acked) = crash_run(dir.path(), crash_at, losses(crash_at), TOTAL).await else {
            break;
        };
        runs += 1;
        // Recovery with the real file system must start (no file left corrupt) and hold a prefix of
        // the writes that includes every acknowledged one.
        let cfg = config(1).with_data_dir(dir.path()).with_snapshot_count(3);
        let (node, sm) = single(cfg).await;
        node.read_index().await.expect("read barrier after recovery");
        let got = sm.datas();
        assert!(
            got.len() >= acked && got.len() <= TOTAL,
            "crash at op {crash_at} ({:?}): {} acknowledged, {} recovered",
            losses(crash_at),
            acked,
            got.len()
        );
        assert_eq!(got, (0..got.len()).map(data).collect::<Vec<_>>(), "crash at op {crash_at}");
        node.shutdown().await.unwrap();
        crash_at += 1;
    }
    assert!(runs > 50, "the workload spans many file operations ({runs} crash points)");
}

/// A single node on `fs` with segments large enough never to rotate in these tests.
async fn on_fs(dir: &Path, fs: &FaultFs) -> (Handle<Recorder>, Recorder) {
    let cfg = config(1).with_data_dir(dir).with_fs(Arc::new(fs.clone()));
    let (node, sm) = single(cfg).await;
    node.read_index().await.expect("read barrier after start");
    (node, sm)
}

/// Write attempts on WAL segments so far, from the file system's operation log.
fn wal_writes(fs: &FaultFs) -> usize {
    fs.log().iter().filter(|l| l.contains(" write ") && l.ends_with(".wal")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_hears_when_the_disk_fills_and_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = on_fs(dir.path(), &fs).await;
    node.propose(data(0)).await.unwrap();
    let mut rx = node.watch_disk();
    assert_eq!(*rx.borrow_and_update(), DiskHealth::Ok);
    fs.set_full(true);
    let pending = tokio::spawn({
        let node = node.clone();
        async move { node.propose(data(1)).await }
    });
    // Each change is announced: a watcher waiting for the next one is woken, not left polling.
    tokio::time::timeout(DEADLINE, rx.changed())
        .await
        .expect("told that the disk filled")
        .expect("node alive");
    assert_eq!(*rx.borrow_and_update(), DiskHealth::Full);
    // Retrying the batch is no change: watchers are not woken again while the disk stays full.
    let seen = wal_writes(&fs);
    let mut poll = tokio::time::interval(Duration::from_millis(5));
    tokio::time::timeout(DEADLINE, async {
        while wal_writes(&fs) < seen + 3 {
            poll.tick().await;
        }
    })
    .await
    .expect("the batch is retried while the disk is full");
    assert!(!rx.has_changed().unwrap(), "woken again for the same health");
    fs.set_full(false);
    tokio::time::timeout(DEADLINE, rx.changed())
        .await
        .expect("told that space returned")
        .expect("node alive");
    assert_eq!(*rx.borrow_and_update(), DiskHealth::Ok);
    let applied = tokio::time::timeout(DEADLINE, pending).await.expect("resumes").unwrap();
    assert_eq!(applied.expect("written once space returned").output.1, data(1));
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_retried_with_a_growing_pause_not_in_a_busy_loop() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = on_fs(dir.path(), &fs).await;
    node.propose(data(0)).await.unwrap();
    let before = wal_writes(&fs);
    let filled = std::time::Instant::now();
    fs.set_full(true);
    let pending = tokio::spawn({
        let node = node.clone();
        async move { node.propose(data(1)).await }
    });
    // Pauses of 10, 20, 40 and 80 ms (doubling up to a second) separate the first five attempts.
    let mut poll = tokio::time::interval(Duration::from_millis(5));
    let fifth = tokio::time::timeout(DEADLINE, async {
        loop {
            poll.tick().await;
            if wal_writes(&fs) - before >= 5 {
                return filled.elapsed();
            }
        }
    })
    .await
    .expect("the batch is retried while the disk is full");
    assert!(fifth >= Duration::from_millis(140), "five attempts within {fifth:?}");
    fs.set_full(false);
    let applied = tokio::time::timeout(DEADLINE, pending).await.expect("resumes").unwrap();
    assert_eq!(applied.expect("written once space returned").output.1, data(1));
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_the_disk_is_full_gives_up_the_pending_write() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = on_fs(dir.path(), &fs).await;
    node.propose(data(0)).await.unwrap();
    fs.set_full(true);
    let pending = tokio::spawn({
        let node = node.clone();
        async move { node.propose(data(1)).await }
    });
    wait_health(&node, DiskHealth::Full).await;
    // Nobody will free space: stopping must not wait for it.
    let stopped = tokio::time::timeout(Duration::from_secs(5), node.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown returns while the disk is still full");
    let res = tokio::time::timeout(DEADLINE, pending).await.expect("resolves").unwrap();
    assert!(res.is_err(), "a write that never reached the disk is not acknowledged: {res:?}");
    fs.set_full(false);
    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas(), vec![data(0)]);
    node.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_flush_at_shutdown_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let (node, _) = on_fs(dir.path(), &fs).await;
    node.propose(data(0)).await.unwrap();
    // The final flush of the WAL at shutdown fails: the caller must learn that its data may not
    // be on disk.
    fs.inject_next("sync_all", Fault::Eio);
    match node.shutdown().await {
        Err(Error::DiskFailed { path, source }) => {
            assert!(path.starts_with(dir.path()), "{path:?}");
            assert_eq!(source.raw_os_error(), Some(5));
        }
        other => panic!("shutdown reports the failed flush: {other:?}"),
    }
}

/// Member 2 of 3 asks for member 1's vote in `term`.
fn vote_request(from: u64, term: u64) -> Vec<u8> {
    use prost::Message as _;
    let mut m = raft::eraftpb::Message::default();
    m.set_msg_type(raft::eraftpb::MessageType::MsgRequestVote);
    (m.from, m.to, m.term) = (from, 1, term);
    m.encode_to_vec()
}

/// A vote is on disk before it is sent: a member that granted its vote and then lost everything
/// it had not synced in a crash still knows it voted, and refuses another candidate of that term.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_vote_is_on_disk_before_it_is_sent() {
    use raft::eraftpb::MessageType::MsgRequestVoteResponse;
    let dir = tempfile::tempdir().unwrap();
    // Ticks an hour long: member 1 never campaigns itself.
    let cfg = || {
        config(1)
            .with_peers((1..=3).map(|id| (id, format!("mem://{id}"))).collect())
            .with_data_dir(dir.path())
            .with_tick_interval(Duration::from_secs(3600))
    };
    let fs = FaultFs::new();
    let out = Outbox::default();
    let sm = Recorder::default();
    let node = hecd_raft::start(
        cfg().with_fs(Arc::new(fs.clone())),
        sm,
        out.clone(),
        std::future::pending(),
    )
    .await
    .unwrap();
    node.step(&vote_request(2, 2)).unwrap();
    assert!(!out.first(MsgRequestVoteResponse).await.reject, "member 1 votes for member 2");
    fs.crash();
    let _ = node.shutdown().await;

    let out = Outbox::default();
    let node = hecd_raft::start(cfg(), Recorder::default(), out.clone(), std::future::pending())
        .await
        .unwrap();
    let mut status = node.watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.term == 2))
        .await
        .expect("member 1 restarts in term 2")
        .unwrap();
    node.step(&vote_request(3, 2)).unwrap();
    assert!(out.first(MsgRequestVoteResponse).await.reject, "a second vote in term 2");
    node.shutdown().await.unwrap();
}

/// A proposal applied just before the node stops for a failed disk (here: the snapshot its entry
/// made due could not be created) still gets its result, not `Stopped`.
#[tokio::test]
async fn a_proposal_applied_before_a_fatal_snapshot_error_gets_its_result() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    // Default segments (no rotation here): the next file opened is the snapshot's.
    let cfg = config(1).with_data_dir(dir.path()).with_snapshot_count(3);
    let (node, _) = single(cfg.with_fs(Arc::new(fs.clone()))).await;
    node.read_index().await.expect("read barrier after start");
    assert_eq!(node.propose(data(0)).await.unwrap().index, 2);
    fs.inject_next("open", Fault::Eio);
    let applied = node.propose(data(1)).await.expect("applied before the snapshot failed");
    assert_eq!((applied.index, applied.output.1), (3, data(1)));
    wait_health(&node, DiskHealth::Failed).await;
    assert!(node.shutdown().await.is_err(), "the node stopped for the failed disk");
}
