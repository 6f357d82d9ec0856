//! WAL replay: overwrites, snapshot resets, torn tails, corruption, rotation and compaction.

use std::fs;

use raft::eraftpb::{Entry, HardState, SnapshotMetadata};

use super::Wal;
use crate::error::Error;
use crate::fs::{Fs, OsFs};

fn os() -> std::sync::Arc<dyn Fs> {
    std::sync::Arc::new(OsFs)
}

fn entry(index: u64, term: u64) -> Entry {
    Entry { index, term, data: format!("{index}@{term}").into_bytes(), ..Default::default() }
}

fn entries(range: std::ops::RangeInclusive<u64>, term: u64) -> Vec<Entry> {
    range.map(|i| entry(i, term)).collect()
}

/// `(index, term)` of the replayed entries.
fn ids(es: &[Entry]) -> Vec<(u64, u64)> {
    es.iter().map(|e| (e.index, e.term)).collect()
}

fn segment_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn replay_returns_entries_and_the_last_hard_state() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert!(rep.entries.is_empty());
    wal.append(None, &entries(1..=3, 1), Some(&HardState { term: 1, vote: 1, commit: 2 }), true)
        .unwrap();
    // A new leader overwrites entry 3 onwards.
    wal.append(None, &entries(3..=4, 2), Some(&HardState { term: 2, vote: 1, commit: 3 }), true)
        .unwrap();
    drop(wal);
    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(ids(&rep.entries), vec![(1, 1), (2, 1), (3, 2), (4, 2)]);
    assert_eq!(rep.hard_state, Some(HardState { term: 2, vote: 1, commit: 3 }));
    assert_eq!(rep.torn_bytes, 0);
}

#[test]
fn a_snapshot_reset_discards_earlier_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=5, 1), None, true).unwrap();
    let meta = SnapshotMetadata { index: 3, term: 2, ..Default::default() };
    wal.append(Some(&meta), &entries(4..=4, 2), None, true).unwrap();
    drop(wal);
    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(ids(&rep.entries), vec![(4, 2)]);
    assert_eq!(rep.reset.map(|m| m.index), Some(3));
}

#[test]
fn a_torn_tail_is_truncated_at_the_last_good_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=2, 1), None, true).unwrap();
    drop(wal);
    let seg = segment_files(dir.path()).pop().unwrap();
    let good = records_end(&fs::read(&seg).unwrap()) as u64;
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(3..=3, 1), None, true).unwrap();
    drop(wal);
    let full = records_end(&fs::read(&seg).unwrap()) as u64;
    fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(full - 4).unwrap();

    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(ids(&rep.entries), vec![(1, 1), (2, 1)]);
    assert_eq!(rep.torn_bytes, full - 4 - good);
    assert_eq!(fs::metadata(&seg).unwrap().len(), good);
}

#[test]
fn damage_in_an_older_segment_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    // Tiny segments: every append after the first rotates.
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1).unwrap();
    for i in 1..=3 {
        wal.append(None, &entries(i..=i, 1), None, true).unwrap();
    }
    drop(wal);
    let segs = segment_files(dir.path());
    assert!(segs.len() >= 3, "{segs:?}");
    let first = &segs[0];
    let len = fs::metadata(first).unwrap().len();
    fs::OpenOptions::new().write(true).open(first).unwrap().set_len(len - 1).unwrap();
    match Wal::open(&os(), dir.path(), 1) {
        Err(Error::Corrupt { path, .. }) => assert_eq!(&path, first),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn compaction_deletes_covered_segments_and_keeps_the_hard_state() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1).unwrap();
    let hs = HardState { term: 3, vote: 1, commit: 6 };
    for i in 1..=6 {
        wal.append(None, &entries(i..=i, 3), Some(&hs), true).unwrap();
    }
    wal.compact(4).unwrap();
    drop(wal);
    let (_, rep) = Wal::open(&os(), dir.path(), 1).unwrap();
    assert_eq!(rep.hard_state, Some(hs));
    let first = rep.entries.first().map(|e| e.index).unwrap();
    assert!(first <= 5, "entries after the snapshot survive: first = {first}");
    assert_eq!(rep.entries.last().map(|e| e.index), Some(6));
    assert!(first > 1, "segments covered by the snapshot were deleted");
}

#[test]
fn a_gap_between_entries_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=2, 1), None, true).unwrap();
    wal.append(None, &entries(5..=5, 1), None, true).unwrap();
    drop(wal);
    assert!(matches!(Wal::open(&os(), dir.path(), 1 << 20), Err(Error::Corrupt { .. })));
}

#[test]
fn a_single_missing_entry_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=3, 1), None, true).unwrap();
    wal.append(None, &entries(5..=6, 1), None, true).unwrap();
    drop(wal);
    assert!(matches!(Wal::open(&os(), dir.path(), 1 << 20), Err(Error::Corrupt { .. })));
}

#[test]
fn a_missing_entry_right_after_a_snapshot_reset_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=2, 1), None, true).unwrap();
    let meta = SnapshotMetadata { index: 4, term: 1, ..Default::default() };
    // Entry 5 is missing between the snapshot and entry 6.
    wal.append(Some(&meta), &entries(6..=7, 1), None, true).unwrap();
    drop(wal);
    assert!(matches!(Wal::open(&os(), dir.path(), 1 << 20), Err(Error::Corrupt { .. })));
}

/// A WAL directory holding one segment with entries 1..=5, and the segment's bytes.
fn five_entries() -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    for i in 1..=5 {
        wal.append(None, &entries(i..=i, 1), None, true).unwrap();
    }
    drop(wal);
    let seg = segment_files(dir.path()).pop().unwrap();
    let mut data = fs::read(&seg).unwrap();
    data.truncate(records_end(&data));
    (dir, seg, data)
}

/// Where the records of a segment end (its zeroed tail starts).
fn records_end(data: &[u8]) -> usize {
    let mut off = 0;
    while off + 8 <= data.len() && data[off..off + 4] != [0; 4] {
        off += 8 + u32::from_le_bytes(data[off..off + 4].try_into().unwrap()) as usize;
    }
    off
}

/// Start offsets of the records in a segment.
fn offsets(data: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < data.len() {
        out.push(off);
        off += 8 + u32::from_le_bytes(data[off..off + 4].try_into().unwrap()) as usize;
    }
    out
}

#[test]
fn every_cut_point_recovers_a_prefix() {
    let (dir, seg, data) = five_entries();
    let starts = offsets(&data);
    // Record 0 is the segment's hard state; records 1..=5 are the entries.
    let ends: Vec<usize> =
        (0..starts.len()).map(|k| starts.get(k + 1).copied().unwrap_or(data.len())).collect();
    for cut in 0..=data.len() {
        fs::write(&seg, &data[..cut]).unwrap();
        let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20)
            .unwrap_or_else(|e| panic!("cut at {cut} must recover: {e}"));
        let complete = (1..starts.len()).filter(|k| ends[*k] <= cut).count() as u64;
        let want: Vec<(u64, u64)> = (1..=complete).map(|i| (i, 1)).collect();
        assert_eq!(ids(&rep.entries), want, "cut at {cut}");
    }
}

#[test]
fn every_flipped_byte_is_refused_with_its_file_and_record_offset() {
    let (dir, seg, data) = five_entries();
    let starts = offsets(&data);
    let last = *starts.last().unwrap();
    for pos in 0..data.len() {
        let mut bad = data.clone();
        bad[pos] ^= 0x40;
        fs::write(&seg, &bad).unwrap();
        let res = Wal::open(&os(), dir.path(), 1 << 20);
        // A flipped length of the last record that makes it run past the end of the file cannot be
        // told apart from a torn write (etcd's WAL has the same limit): that record is dropped.
        let grows_past_end = pos >= last && pos < last + 4 && {
            let len = u32::from_le_bytes(bad[last..last + 4].try_into().unwrap()) as usize;
            last + 8 + len > bad.len()
        };
        if grows_past_end {
            let (_, rep) = res.unwrap_or_else(|e| panic!("flip at {pos} in the last length: {e}"));
            assert_eq!(ids(&rep.entries), (1..=4).map(|i| (i, 1)).collect::<Vec<_>>());
            continue;
        }
        let record = *starts.iter().rev().find(|s| **s <= pos).unwrap() as u64;
        match res {
            Err(Error::Corrupt { path, offset, .. }) => {
                assert_eq!((path, offset), (seg.clone(), record), "flip at {pos}");
            }
            other => panic!("flip at {pos} must be refused: {other:?}"),
        }
    }
}

#[test]
fn segments_are_written_ahead_with_zeros_that_replay_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=3, 1), None, true).unwrap();
    drop(wal);
    let seg = segment_files(dir.path()).pop().unwrap();
    let data = fs::read(&seg).unwrap();
    let end = records_end(&data);
    assert!(data.len() > end, "zeros are written ahead of the records");
    assert!(data[end..].iter().all(|b| *b == 0));
    // Reopened, the zeros are no torn write, and the next records overwrite them.
    let (mut wal, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!((ids(&rep.entries).len(), rep.torn_bytes), (3, 0));
    wal.append(None, &entries(4..=4, 1), None, true).unwrap();
    drop(wal);
    assert_eq!(fs::metadata(&seg).unwrap().len(), data.len() as u64, "written in place");
    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(ids(&rep.entries), (1..=4).map(|i| (i, 1)).collect::<Vec<_>>());
}

/// A batch written into the zeroed tail after the record at `synced`, cut by a crash at any sector
/// boundary (what was not written reads back as zeros): the WAL recovers the records before the
/// cut, with a torn tail or a clean end.
#[test]
fn every_torn_write_into_the_zeroed_tail_recovers_a_prefix() {
    // Eight records of ~330 bytes: batches that span sectors.
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    for i in 1..=8 {
        let e =
            Entry { index: i, term: 1, data: vec![b'x'; 300 + i as usize], ..Default::default() };
        wal.append(None, &[e], None, true).unwrap();
    }
    drop(wal);
    let seg = segment_files(dir.path()).pop().unwrap();
    let mut data = fs::read(&seg).unwrap();
    data.truncate(records_end(&data));
    assert!(data.len() > 2048);
    let starts = offsets(&data);
    let ends: Vec<usize> =
        (0..starts.len()).map(|k| starts.get(k + 1).copied().unwrap_or(data.len())).collect();
    let padded = data.len() + 4096;
    for synced in starts[1..].iter().copied().chain([data.len()]) {
        let cuts =
            std::iter::once(synced).chain((synced.div_ceil(512) * 512..=data.len()).step_by(512));
        for cut in cuts {
            let mut file = data[..cut].to_vec();
            file.resize(padded, 0);
            fs::write(&seg, &file).unwrap();
            let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20)
                .unwrap_or_else(|e| panic!("synced {synced}, cut at {cut} must recover: {e}"));
            let complete = (1..starts.len()).filter(|k| ends[*k] <= cut).count() as u64;
            let want: Vec<(u64, u64)> = (1..=complete).map(|i| (i, 1)).collect();
            assert_eq!(ids(&rep.entries), want, "synced {synced}, cut at {cut}");
        }
    }
}

/// Bit rot in a written record stays corruption when the segment has a zeroed tail after it.
#[test]
fn a_flipped_byte_before_a_zeroed_tail_is_refused() {
    let (dir, seg, data) = five_entries();
    let starts = offsets(&data);
    let last = *starts.last().unwrap();
    for pos in (0..data.len()).filter(|p| !(last..last + 4).contains(p)) {
        let mut bad = data.clone();
        bad[pos] ^= 0x40;
        bad.resize(data.len() + 4096, 0);
        fs::write(&seg, &bad).unwrap();
        let record = *starts.iter().rev().find(|s| **s <= pos).unwrap() as u64;
        match Wal::open(&os(), dir.path(), 1 << 20) {
            Err(Error::Corrupt { path, offset, .. }) => {
                assert_eq!((path, offset), (seg.clone(), record), "flip at {pos}");
            }
            other => panic!("flip at {pos} must be refused: {other:?}"),
        }
    }
}

/// An entry whose WAL record takes exactly `bytes` bytes (at least 32).
fn entry_of_record_size(index: u64, bytes: usize) -> Entry {
    let size = |e: &Entry| {
        let mut buf = Vec::new();
        crate::storage::record::encode(&mut buf, crate::storage::record::Kind::Entry, e);
        buf.len()
    };
    let mut e = Entry { index, term: 1, ..Default::default() };
    e.data = vec![7; bytes.saturating_sub(size(&e))];
    while size(&e) > bytes {
        e.data.pop();
    }
    assert_eq!(size(&e), bytes, "a record of {bytes} bytes can be made");
    e
}

/// The segment grows 64 KiB at a time, ahead of its records: a batch that fits in the zeros
/// (exactly fills them, included) leaves the file's size alone, so its fdatasync has no size to
/// journal; a batch that passes them writes the next 64 KiB of zeros with it.
#[test]
fn the_segment_grows_in_steps_of_zeros_ahead_of_its_records() {
    const AHEAD: u64 = 64 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    let seg = segment_files(dir.path()).pop().unwrap();
    let len = || fs::metadata(&seg).unwrap().len();
    let records = |wal: &Wal| wal.size;
    let mut index = 1;
    let mut append = |wal: &mut Wal, bytes: usize| {
        wal.append(None, &[entry_of_record_size(index, bytes)], None, true).unwrap();
        index += 1;
    };
    append(&mut wal, 100);
    assert_eq!(len(), records(&wal) + AHEAD, "the first batch writes 64 KiB of zeros ahead");
    let mut steps = 0;
    while steps < 3 {
        let before = len();
        let room = (before - records(&wal)) as usize;
        // Fill the zeros exactly (in two batches when there is room for two), then pass them.
        if room >= 64 {
            append(&mut wal, room - 32);
            append(&mut wal, 32);
        } else {
            append(&mut wal, room.max(32));
        }
        assert_eq!(records(&wal), before, "the records end where the zeros ended");
        assert_eq!(len(), before, "batches within the zeros do not grow the file");
        append(&mut wal, 40);
        assert_eq!(len(), records(&wal) + AHEAD, "passing the zeros writes 64 KiB more");
        steps += 1;
    }
    drop(wal);
    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(rep.entries.len(), 1 + 3 * 3);
}

/// A segment closed early, by a compaction whose snapshot does not cover all of it (entries
/// appended beyond the applied index), is cut back to its last record: its zeros ahead are not
/// kept on disk.
#[test]
fn a_segment_closed_by_compaction_keeps_no_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    wal.append(None, &entries(1..=10, 1), None, true).unwrap();
    wal.compact(5).unwrap();
    wal.append(None, &entries(11..=12, 1), None, true).unwrap();
    drop(wal);
    let segs = segment_files(dir.path());
    assert_eq!(segs.len(), 2, "{segs:?}");
    let data = fs::read(&segs[0]).unwrap();
    assert_eq!(records_end(&data), data.len(), "the closed segment ends at its last record");
    let (_, rep) = Wal::open(&os(), dir.path(), 1 << 20).unwrap();
    assert_eq!(ids(&rep.entries), (1..=12).map(|i| (i, 1)).collect::<Vec<_>>());
}
