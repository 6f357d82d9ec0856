//! The in-memory raft log: appends with conflicts, snapshots and the `raft::Storage` contract.

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot, SnapshotMetadata};
use raft::{GetEntriesContext, Storage, StorageError};

use super::LogStore;

fn entry(index: u64, term: u64) -> Entry {
    Entry { index, term, ..Default::default() }
}

fn snapshot(index: u64, term: u64) -> Snapshot {
    Snapshot {
        data: b"state".to_vec(),
        metadata: Some(SnapshotMetadata {
            index,
            term,
            conf_state: Some(ConfState { voters: vec![1], ..Default::default() }),
        }),
    }
}

fn store() -> LogStore {
    let mut s = LogStore::new(
        HardState::default(),
        ConfState::default(),
        Snapshot::default(),
        Vec::new(),
        None,
    );
    s.append(&[entry(1, 1), entry(2, 1), entry(3, 1)]);
    s
}

fn terms(s: &LogStore, lo: u64, hi: u64) -> Vec<u64> {
    s.entries(lo, hi, None, GetEntriesContext::empty(false))
        .unwrap()
        .iter()
        .map(|e| e.term)
        .collect()
}

#[test]
fn append_replaces_a_conflicting_suffix() {
    let mut s = store();
    s.append(&[entry(2, 2), entry(3, 2), entry(4, 2)]);
    assert_eq!(terms(&s, 1, 5), vec![1, 2, 2, 2]);
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (1, 4));
}

#[test]
fn compaction_keeps_the_tail_and_reports_compacted_indices() {
    let mut s = store();
    s.compact_to_snapshot(snapshot(2, 1));
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (3, 3));
    assert_eq!(s.term(2).unwrap(), 1);
    assert!(matches!(s.term(1), Err(raft::Error::Store(StorageError::Compacted))));
    assert!(matches!(
        s.entries(1, 3, None, GetEntriesContext::empty(false)),
        Err(raft::Error::Store(StorageError::Compacted))
    ));
    assert_eq!(s.snapshot(0, 2).unwrap().data, b"state".to_vec());
    assert!(matches!(
        s.snapshot(3, 2),
        Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable))
    ));
}

#[test]
fn an_installed_snapshot_replaces_the_log() {
    let mut s = store();
    s.apply_snapshot(snapshot(10, 4));
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (11, 10));
    assert_eq!(s.conf_state().voters, vec![1]);
    s.append(&[entry(11, 4)]);
    assert_eq!(s.last_index().unwrap(), 11);
}

#[test]
fn entries_respect_the_size_limit_but_return_at_least_one() {
    let s = store();
    let got = s.entries(1, 4, Some(0), GetEntriesContext::empty(false)).unwrap();
    assert_eq!(got.len(), 1);
    // As etcd's limitSize: entries are taken while their total size stays within the limit.
    let two = s.entries(1, 3, None, GetEntriesContext::empty(false)).unwrap();
    let size: u64 = two.iter().map(|e| prost::Message::encoded_len(e) as u64).sum();
    let got = s.entries(1, 4, Some(size), GetEntriesContext::empty(false)).unwrap();
    assert_eq!(got.len(), 2);
    let got = s.entries(1, 4, Some(size - 1), GetEntriesContext::empty(false)).unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn the_term_of_an_index_not_held_is_unknown() {
    let mut s = store();
    s.compact_to_snapshot(snapshot(1, 1));
    assert_eq!(s.term_of(0), None);
    assert_eq!(s.term_of(1), Some(1), "the last trimmed entry's term is kept");
    assert_eq!(s.term_of(3), Some(1));
    assert_eq!(s.term_of(4), None);
}

#[test]
fn a_snapshot_at_the_requested_index_is_given() {
    let mut s = store();
    s.compact_to_snapshot(snapshot(2, 1));
    assert_eq!(s.snapshot(2, 2).unwrap().get_metadata().index, 2);
    assert!(!s.wants_snapshot());
}

/// A burst of entries leaves a large buffer behind: trimming gives it back once a quarter of it is
/// in use, and only for a buffer of more than 1,024 entries (smaller ones are kept for reuse).
#[test]
fn trimming_gives_back_the_buffer_a_burst_left() {
    let burst = |n: u64| {
        let mut s = store();
        s.append(&(4..=n).map(|i| entry(i, 1)).collect::<Vec<_>>());
        s
    };
    let mut s = burst(4096);
    let cap = s.entries.capacity();
    assert!(cap >= 4096);
    s.trim_to(4096 - 10);
    assert_eq!(s.entries.len(), 10);
    // Room for as many again as stay.
    let shrunk = s.entries.capacity();
    assert!((20..cap / 4).contains(&shrunk), "{shrunk} of {cap}");

    let mut s = burst(4096);
    let cap = s.entries.capacity();
    s.trim_to(4096 - (cap as u64 / 4) - 1);
    assert_eq!(s.entries.capacity(), cap, "more than a quarter in use: kept");
    s.trim_to(4096 - (cap as u64 / 4));
    assert_eq!(s.entries.len(), cap / 4);
    assert_eq!(s.entries.capacity(), cap, "a quarter in use: kept");
    s.trim_to(4096 - (cap as u64 / 4) + 1);
    assert!(s.entries.capacity() < cap, "less than a quarter in use: given back");

    let mut s = burst(1024);
    let cap = s.entries.capacity();
    assert!(cap <= 1024, "{cap}");
    s.trim_to(1023);
    assert_eq!(s.entries.capacity(), cap, "a buffer of 1,024 entries at most is kept");
}

#[test]
fn trimmed_entries_are_compacted_and_a_snapshot_behind_them_is_asked_for() {
    let mut s = store();
    s.compact_to_snapshot(snapshot(1, 1));
    s.append(&[entry(4, 2), entry(5, 2)]);
    s.trim_to(4);
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (5, 5));
    assert_eq!(s.held(), 1);
    assert_eq!(s.term(4).unwrap(), 2, "the last trimmed entry's term is still known");
    assert!(matches!(s.term(3), Err(raft::Error::Store(StorageError::Compacted))));
    assert!(matches!(
        s.entries(4, 6, None, GetEntriesContext::empty(false)),
        Err(raft::Error::Store(StorageError::Compacted))
    ));
    assert_eq!(terms(&s, 5, 6), vec![2]);
    // The latest snapshot (index 1) cannot bring a follower to entry 5: a newer one is needed.
    assert!(!s.wants_snapshot());
    assert!(matches!(
        s.snapshot(0, 2),
        Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable))
    ));
    assert!(s.wants_snapshot());
    s.compact_to_snapshot(snapshot(5, 2));
    assert!(!s.wants_snapshot());
    assert_eq!(s.snapshot(0, 2).unwrap().get_metadata().index, 5);
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (6, 5));
}

#[test]
fn trimming_never_goes_past_the_last_entry() {
    let mut s = store();
    s.trim_to(99);
    assert_eq!((s.first_index().unwrap(), s.last_index().unwrap()), (4, 3));
    assert_eq!(s.term(3).unwrap(), 1);
    s.append(&[entry(4, 1)]);
    assert_eq!(terms(&s, 4, 5), vec![1]);
}

#[test]
fn snapshot_files_show_their_directory() {
    let files =
        super::SnapFiles { fs: std::sync::Arc::new(crate::fs::OsFs), dir: "/d/snap".into() };
    assert_eq!(format!("{files:?}"), "SnapFiles { dir: \"/d/snap\", .. }");
}
