//! A single node on disk: restart, torn tails, corruption, snapshots and compaction.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hecd_raft::{start, Config, Error, NoopTransport};

use crate::support::{config, durable, expected, propose_seq, Recorder};

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("wal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "wal"))
        .collect();
    v.sort();
    v
}

fn snapshots(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("snap"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    v.sort();
    v
}

/// `(offset, kind)` of every record in a WAL segment (format in docs/storage.md).
fn records(path: &Path) -> Vec<(usize, u8)> {
    let data = fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut off = 0;
    while off + 8 <= data.len() {
        let len = u32::from_le_bytes(data[off..off + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break; // The zeroed tail written ahead of the records.
        }
        out.push((off, data[off + 8]));
        off += 8 + len;
    }
    out
}

const ENTRY: u8 = 1;

async fn start_err(dir: &Path) -> Error {
    let cfg = config(1).with_data_dir(dir);
    match start(cfg, Recorder::default(), NoopTransport, std::future::pending()).await {
        Ok(_) => panic!("start should have failed"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn restart_recovers_every_acknowledged_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    propose_seq(&node, "a", 50).await;
    node.shutdown().await.unwrap();

    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas(), expected("a", 50));
    propose_seq(&node, "b", 5).await;
    node.shutdown().await.unwrap();

    let (node, sm) = durable(dir.path(), 0).await;
    let mut want = expected("a", 50);
    want.extend(expected("b", 5));
    assert_eq!(sm.datas(), want);
    assert!(node.status().term >= 3, "each restart campaigns in a new term");
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_torn_last_record_is_dropped_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    propose_seq(&node, "a", 10).await;
    node.shutdown().await.unwrap();

    // Cut the WAL in the middle of its last entry record (as a crash during the write would).
    let seg = segments(dir.path()).pop().unwrap();
    let (off, _) = *records(&seg).iter().rfind(|(_, k)| *k == ENTRY).unwrap();
    let f = fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(off as u64 + 11).unwrap();
    drop(f);

    let (node, sm) = durable(dir.path(), 0).await;
    assert_eq!(sm.datas(), expected("a", 9), "only the torn entry is lost");
    // The torn bytes were truncated away: the records written since start right at `off`.
    assert!(
        records(&seg).iter().any(|(o, _)| *o == off),
        "a new record starts where the torn one did"
    );
    propose_seq(&node, "b", 2).await;
    node.shutdown().await.unwrap();

    let (node, sm) = durable(dir.path(), 0).await;
    let mut want = expected("a", 9);
    want.extend(expected("b", 2));
    assert_eq!(sm.datas(), want);
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn corruption_before_the_tail_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    propose_seq(&node, "a", 10).await;
    node.shutdown().await.unwrap();

    let seg = segments(dir.path()).pop().unwrap();
    let (off, _) = records(&seg).into_iter().filter(|(_, k)| *k == ENTRY).nth(2).unwrap();
    let mut data = fs::read(&seg).unwrap();
    data[off + 9] ^= 0xff;
    fs::write(&seg, &data).unwrap();

    match start_err(dir.path()).await {
        Error::Corrupt { path, offset, .. } => {
            assert_eq!(path, seg);
            assert_eq!(offset, off as u64);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_data_dir_that_lost_its_meta_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    propose_seq(&node, "a", 3).await;
    node.shutdown().await.unwrap();
    // Without the meta file the log's member and cluster are unknown: starting afresh on top of
    // the old WAL would mix two histories.
    fs::remove_file(dir.path().join("meta")).unwrap();
    match start_err(dir.path()).await {
        Error::Corrupt { path, .. } => assert_eq!(path, dir.path().join("meta")),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn a_data_dir_with_an_empty_wal_directory_and_no_meta_file_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    // A crash right after the WAL directory was created, before the meta file: nothing was
    // written, so the node starts as a new member.
    fs::create_dir_all(dir.path().join("wal")).unwrap();
    let (node, sm) = durable(dir.path(), 0).await;
    propose_seq(&node, "a", 2).await;
    assert_eq!(sm.datas(), expected("a", 2));
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn another_members_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    node.shutdown().await.unwrap();
    let cfg = Config::new(2).with_data_dir(dir.path());
    let res = start(cfg, Recorder::default(), NoopTransport, std::future::pending()).await;
    assert!(
        matches!(res, Err(Error::DataDirMismatch { found_member: 1, expected_member: 2, .. })),
        "{res:?}"
    );
}

#[tokio::test]
async fn snapshots_compact_the_log_and_restart_restores_then_replays() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 10).await;
    propose_seq(&node, "a", 45).await;
    node.shutdown().await.unwrap();

    let snaps = snapshots(dir.path());
    assert!(!snaps.is_empty() && snaps.len() <= 2, "{snaps:?}");
    // Old segments are deleted once a snapshot covers them; the live ones hold only recent entries.
    assert!(segments(dir.path()).len() <= 3, "{:?}", segments(dir.path()));

    let (node, sm) = durable(dir.path(), 10).await;
    let log = sm.log();
    let restored = log.restored_from.expect("restored from a snapshot");
    assert!(restored >= 40, "the latest snapshot is used: {restored}");
    assert_eq!(sm.datas(), expected("a", 45), "snapshot + replayed tail = everything");
    propose_seq(&node, "b", 3).await;
    node.shutdown().await.unwrap();

    let (node, sm) = durable(dir.path(), 10).await;
    let mut want = expected("a", 45);
    want.extend(expected("b", 3));
    assert_eq!(sm.datas(), want);
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_missing_snapshot_with_compacted_log_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 10).await;
    propose_seq(&node, "a", 25).await;
    node.shutdown().await.unwrap();
    for s in snapshots(dir.path()) {
        fs::remove_file(s).unwrap();
    }
    assert!(matches!(start_err(dir.path()).await, Error::Corrupt { .. }));
}

#[tokio::test]
async fn a_snapshot_file_with_bytes_after_its_record_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 5).await;
    propose_seq(&node, "a", 12).await;
    node.shutdown().await.unwrap();
    // A snapshot file is one record; anything after it means the file is not what was written.
    let newest = snapshots(dir.path()).pop().expect("a snapshot was taken");
    let mut data = fs::read(&newest).unwrap();
    data.extend_from_slice(b"junk");
    fs::write(&newest, &data).unwrap();
    match start_err(dir.path()).await {
        Error::Corrupt { path, .. } => assert_eq!(path, newest),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn leftover_snapshot_files_are_purged_down_to_the_newest_two() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 5).await;
    propose_seq(&node, "a", 6).await;
    node.shutdown().await.unwrap();
    // Older snapshot files left behind by runs that crashed between saving a snapshot and
    // deleting the ones it replaced.
    let newest = snapshots(dir.path()).pop().expect("a snapshot was taken");
    for term in 1..=3 {
        let name = format!("{:016x}-{term:016x}.snap", 0);
        fs::copy(&newest, dir.path().join("snap").join(name)).unwrap();
    }
    let (node, _) = durable(dir.path(), 5).await;
    let before = snapshots(dir.path());
    // Write until the next snapshot is taken: it purges all but the newest two files.
    for i in 0..20 {
        node.propose(format!("b-{i}").into_bytes()).await.unwrap();
        if snapshots(dir.path()).last() != before.last() {
            break;
        }
    }
    let after = snapshots(dir.path());
    assert_ne!(after.last(), before.last(), "a new snapshot was taken");
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0], newest, "the newest two are kept: {after:?}");
    node.shutdown().await.unwrap();
}

/// Proposals that arrive while an fdatasync runs go to disk together, with the next one: 64
/// proposals made during one slow fdatasync cost at most two more, not 64.
#[tokio::test(flavor = "current_thread")]
async fn proposals_made_during_an_fdatasync_share_the_next_one() {
    group_commit_around_a_slow_fdatasync().await;
}

/// The same in a multi-threaded runtime, where the first proposal, alone, is written by its
/// caller's thread: the others queue behind it and still share one fdatasync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proposals_made_during_a_callers_fdatasync_share_the_next_one() {
    group_commit_around_a_slow_fdatasync().await;
}

async fn group_commit_around_a_slow_fdatasync() {
    let dir = tempfile::tempdir().unwrap();
    let fs = crate::gated::GatedFs::default();
    let cfg = config(1).with_data_dir(dir.path()).with_snapshot_count(0);
    let (node, sm) = crate::support::single(cfg.with_fs(Arc::new(fs.clone()))).await;
    node.read_index().await.expect("read barrier after start");
    let before = node.wal_syncs();
    // The first proposal's fdatasync stalls at the gate.
    let _shut = fs.shut();
    let first = tokio::spawn({
        let node = node.clone();
        async move { node.propose(b"w0".to_vec()).await.map(|a| a.index) }
    });
    let stalled = fs.clone();
    tokio::task::spawn_blocking(move || stalled.wait_for_a_waiting_sync()).await.unwrap();
    // 63 more, all handed to the node while it waits on the disk: a task counts itself as it
    // first runs, in the same poll as its proposal enters the node's inbox (4,096 places).
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for i in 1..64 {
        let (node, started) = (node.clone(), started.clone());
        set.spawn(async move {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            node.propose(format!("w{i}").into_bytes()).await.map(|a| a.index)
        });
    }
    while started.load(std::sync::atomic::Ordering::SeqCst) < 63 {
        tokio::task::yield_now().await;
    }
    fs.open();
    first.await.unwrap().unwrap();
    while let Some(res) = set.join_next().await {
        res.unwrap().unwrap();
    }
    let syncs = node.wal_syncs() - before;
    assert!((2..=3).contains(&syncs), "64 proposals around one slow fdatasync took {syncs}");
    assert_eq!(sm.log().applied.len(), 64);
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn sequential_proposals_each_take_one_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _) = durable(dir.path(), 0).await;
    let before = node.wal_syncs();
    propose_seq(&node, "s", 10).await;
    assert_eq!(node.wal_syncs() - before, 10, "one fdatasync per acknowledged write");
    node.shutdown().await.unwrap();
}

/// Copies a data directory as a crash would leave it: the WAL segments that exist now, each with whatever
/// bytes it holds when read. Only the newest listed segment can still be growing (older ones were
/// finished before it was created), so the copy is a state a crash could produce.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to.join("wal")).unwrap();
    fs::create_dir_all(to.join("snap")).unwrap();
    fs::copy(from.join("meta"), to.join("meta")).unwrap();
    for seg in segments(from) {
        fs::copy(&seg, to.join("wal").join(seg.file_name().unwrap())).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_taken_mid_write_recovers_every_acknowledged_entry() {
    let dir = tempfile::tempdir().unwrap();
    let crash = tempfile::tempdir().unwrap();
    let cfg = config(1).with_data_dir(dir.path()).with_snapshot_count(0);
    let mut cfg = cfg;
    cfg.segment_bytes = 4096; // Rotate often, so the copy spans several segments.
    let sm = Recorder::default();
    let node = start(cfg, sm.clone(), NoopTransport, std::future::pending()).await.unwrap();
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (progress_tx, mut progress) = tokio::sync::watch::channel(0usize);
    let progress_tx = std::sync::Arc::new(progress_tx);
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let (node, acked, progress_tx) = (node.clone(), acked.clone(), progress_tx.clone());
        writers.spawn(async move {
            for i in 0..150 {
                let data = format!("w{w}-{i}").into_bytes();
                node.propose(data.clone()).await.unwrap();
                let n = {
                    let mut a = acked.lock().unwrap();
                    a.push(data);
                    a.len()
                };
                progress_tx.send_replace(n);
            }
        });
    }
    progress.wait_for(|n| *n >= 200).await.unwrap();
    let acked_before: Vec<Vec<u8>> = acked.lock().unwrap().clone();
    let dir_path = dir.path().to_owned();
    let crash_path = crash.path().to_owned();
    tokio::task::spawn_blocking(move || copy_dir(&dir_path, &crash_path)).await.unwrap();
    while let Some(res) = writers.join_next().await {
        res.unwrap();
    }
    node.shutdown().await.unwrap();
    let full = sm.datas();

    let (node, recovered) = durable(crash.path(), 0).await;
    let got = recovered.datas();
    assert_eq!(got[..], full[..got.len()], "the recovered log is a prefix of the real one");
    for data in &acked_before {
        assert!(got.contains(data), "acknowledged {:?} survived", String::from_utf8_lossy(data));
    }
    node.shutdown().await.unwrap();
}

#[tokio::test]
async fn has_state_tells_a_data_directory_from_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let fs = hecd_raft::fs::OsFs;
    assert!(!hecd_raft::has_state(&fs, dir.path()), "an empty directory has no state");
    let (node, _) = durable(dir.path(), 0).await;
    node.shutdown().await.unwrap();
    assert!(hecd_raft::has_state(&fs, dir.path()), "a directory a node ran on has state");
    assert!(!hecd_raft::has_state(&fs, &dir.path().join("elsewhere")));
}
