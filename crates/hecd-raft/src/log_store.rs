//! The in-memory raft log (`raft::Storage`) that mirrors what the WAL holds on disk.
//!
//! Only the entries raft may still need are held: those not yet applied, and a window behind
//! them for followers that are catching up (see [`LogStore::trim_to`]). Older entries stay in
//! the WAL until the next snapshot; a follower that needs one of them gets a snapshot instead,
//! taken on demand when the latest one is older than the trimmed entries.
//!
//! With a data directory the snapshot's bytes are not kept in memory either: they are read back
//! from the snapshot file when raft sends one to a follower.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;

use prost::Message as _;
use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, StorageError};

use crate::fs::Fs;

/// Where the snapshot files are, so a snapshot's bytes can be read back when raft asks for them.
#[derive(Clone)]
pub(crate) struct SnapFiles {
    pub(crate) fs: Arc<dyn Fs>,
    pub(crate) dir: PathBuf,
}

impl std::fmt::Debug for SnapFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapFiles").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Entries after the latest snapshot (less those trimmed), the hard state and the latest snapshot.
///
/// Owned by the driver (inside `RawNode`); every change is made durable by the WAL before raft is told
/// it is persisted.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    hard_state: HardState,
    conf_state: ConfState,
    /// The latest snapshot (index 0 when none was taken); its bytes are empty when `files` is set.
    snapshot: Snapshot,
    /// Index and term of the last entry no longer held (at or after the snapshot's index).
    trimmed: (u64, u64),
    /// `entries[i].index == first_index() + i`.
    entries: Vec<Entry>,
    files: Option<SnapFiles>,
    /// Raft asked for a snapshot newer than the latest one (the entries after it were trimmed).
    wants_snapshot: Cell<bool>,
}

impl LogStore {
    /// A store recovered from (or bootstrapped into) the given state. With `files`, the snapshot's bytes
    /// are read from its file when needed instead of being held.
    pub(crate) fn new(
        hard_state: HardState,
        conf_state: ConfState,
        snapshot: Snapshot,
        entries: Vec<Entry>,
        files: Option<SnapFiles>,
    ) -> Self {
        let mut s = LogStore {
            hard_state,
            conf_state,
            snapshot: Snapshot::default(),
            trimmed: (0, 0),
            entries,
            files,
            wants_snapshot: Cell::new(false),
        };
        s.keep_snapshot(snapshot);
        s
    }

    fn keep_snapshot(&mut self, mut snap: Snapshot) {
        let meta = snap.get_metadata();
        if meta.index >= self.trimmed.0 {
            self.trimmed = (meta.index, meta.term);
        }
        if self.files.is_some() {
            snap.data = Vec::new();
        }
        self.snapshot = snap;
    }

    pub(crate) fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    pub(crate) fn first(&self) -> u64 {
        self.trimmed.0 + 1
    }

    pub(crate) fn last(&self) -> u64 {
        self.trimmed.0 + self.entries.len() as u64
    }

    /// Entries held in memory.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.entries.len()
    }

    /// Raft asked for a snapshot that covers entries no longer held: the driver should take one.
    pub(crate) fn wants_snapshot(&self) -> bool {
        self.wants_snapshot.get()
    }

    pub(crate) fn conf_state(&self) -> &ConfState {
        &self.conf_state
    }

    pub(crate) fn set_conf_state(&mut self, cs: ConfState) {
        self.conf_state = cs;
    }

    /// Appends entries, replacing any conflicting suffix.
    pub(crate) fn append(&mut self, ents: &[Entry]) {
        let Some(first_new) = ents.first().map(|e| e.index) else { return };
        let first = self.first();
        if first_new + ents.len() as u64 <= first {
            return; // Entirely covered by the snapshot or already trimmed (hence applied).
        }
        let skip = first.saturating_sub(first_new) as usize;
        let ents = &ents[skip..];
        let start = ents[0].index;
        let keep = (start - first) as usize;
        self.entries.truncate(keep);
        self.entries.extend_from_slice(ents);
    }

    /// Whether the snapshot's bytes are held in memory (no snapshot files to read them back from).
    pub(crate) fn holds_snapshot_bytes(&self) -> bool {
        self.files.is_none()
    }

    /// What to keep of a snapshot: all of it without snapshot files, its metadata otherwise.
    pub(crate) fn to_keep(&self, snap: &Snapshot) -> Snapshot {
        if self.holds_snapshot_bytes() {
            snap.clone()
        } else {
            Snapshot { data: Vec::new(), metadata: snap.metadata.clone() }
        }
    }

    /// Installs a snapshot received from the leader (or recovered): the log restarts after it.
    pub(crate) fn apply_snapshot(&mut self, snap: Snapshot) {
        let meta = snap.get_metadata();
        let (index, term) = (meta.index, meta.term);
        self.conf_state = meta.get_conf_state().clone();
        self.entries.clear();
        self.trimmed = (index, term);
        self.keep_snapshot(snap);
        self.wants_snapshot.set(false);
    }

    /// Records a locally taken snapshot at its index and drops the entries it covers.
    pub(crate) fn compact_to_snapshot(&mut self, snap: Snapshot) {
        let meta = snap.get_metadata();
        if meta.index <= self.snapshot_index() {
            return;
        }
        self.trim_to(meta.index);
        self.keep_snapshot(snap);
        self.wants_snapshot.set(false);
    }

    /// Drops the entries up to `index` (at most the last one held). The caller makes sure raft no longer
    /// needs them: they are applied, and persisted, and no follower it replicates to lacks them (or that
    /// follower gets a snapshot).
    pub(crate) fn trim_to(&mut self, index: u64) {
        let index = index.min(self.last());
        if index <= self.trimmed.0 {
            return;
        }
        let n = (index - self.trimmed.0) as usize;
        self.trimmed = (index, self.entries[n - 1].term);
        self.entries.drain(..n);
        // A burst of entries (a load, a lagging follower) leaves a large buffer behind: give it back.
        if self.entries.capacity() > 1024 && self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to(self.entries.len() * 2);
        }
    }

    /// The term of the entry at `idx` if it is still held (or is the last trimmed one).
    pub(crate) fn term_of(&self, idx: u64) -> Option<u64> {
        if idx == self.trimmed.0 {
            return Some(self.trimmed.1);
        }
        if idx < self.first() || idx > self.last() {
            return None;
        }
        Some(self.entries[(idx - self.first()) as usize].term)
    }
}

impl raft::Storage for LogStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState::new(self.hard_state.clone(), self.conf_state.clone()))
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        if low < self.first() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last() + 1 {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let lo = (low - self.first()) as usize;
        let hi = (high - self.first()) as usize;
        let max = max_size.into().unwrap_or(u64::MAX);
        let mut out = Vec::with_capacity(hi - lo);
        let mut size = 0u64;
        for e in &self.entries[lo..hi] {
            size += e.encoded_len() as u64;
            // Always return at least one entry, as raft requires.
            if !out.is_empty() && size > max {
                break;
            }
            out.push(e.clone());
        }
        Ok(out)
    }

    fn term(&self, idx: u64) -> raft::Result<u64> {
        if idx < self.trimmed.0 {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        self.term_of(idx).ok_or(raft::Error::Store(StorageError::Unavailable))
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.first())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.last())
    }

    fn snapshot(&self, request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        let index = self.snapshot_index();
        if index < request_index || index < self.trimmed.0 {
            // The entries after the latest snapshot are no longer all held: a newer one is needed.
            self.wants_snapshot.set(true);
            return Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable));
        }
        let Some(files) = &self.files else { return Ok(self.snapshot.clone()) };
        match crate::storage::snap::load_for(&*files.fs, &files.dir, self.snapshot.get_metadata()) {
            Ok(snap) => Ok(snap),
            Err(err) => {
                tracing::error!(error = %err, "cannot read the snapshot to send");
                Err(raft::Error::Store(StorageError::SnapshotTemporarilyUnavailable))
            }
        }
    }
}

#[cfg(test)]
mod tests;
