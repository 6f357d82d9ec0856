//! Durable storage: the data directory (meta file, WAL segments, snapshot files), written by the driver.
//!
//! See `docs/storage.md` for the on-disk layout. File I/O happens on the driver's dedicated thread
//! (`hecd-raft`), inside `spawn_blocking`, or, for an uncontended proposal, on its caller's thread
//! in a multi-threaded runtime (one attempt at one append and fdatasync; a full disk is waited for
//! by the driver's thread), never on a current-thread executor.

mod fsutil;
mod meta;
pub(crate) mod record;
pub(crate) mod snap;
mod wal;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot, SnapshotMetadata};
use tokio::sync::watch;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::status::DiskHealth;
use meta::Meta;
use wal::Wal;

/// What was found in the data directory at start.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    pub(crate) hard_state: HardState,
    pub(crate) conf_state: ConfState,
    /// The latest snapshot (default, index 0, when there is none).
    pub(crate) snapshot: Snapshot,
    /// Entries after the snapshot, contiguous.
    pub(crate) entries: Vec<Entry>,
    /// Bytes of a torn WAL tail that were dropped.
    pub(crate) torn_bytes: u64,
    /// The cluster id recorded in the data directory.
    pub(crate) cluster_id: u64,
}

/// The initial state of a node without a data directory.
pub(crate) fn fresh(cfg: &Config) -> Recovered {
    Recovered {
        conf_state: ConfState { voters: cfg.initial_voters(), ..Default::default() },
        cluster_id: cfg.cluster_id(),
        ..Default::default()
    }
}

/// Whether `dir` holds a node's state (a data directory this crate created), so that a starting
/// member recovers it instead of bootstrapping or joining.
pub fn has_state(fs: &dyn Fs, dir: &Path) -> bool {
    fs.exists(&dir.join("meta"))
}

/// Opens (creating it if needed) the data directory and recovers its content. Blocking.
pub(crate) fn open(cfg: &Config, dir: &Path) -> Result<(Wal, Recovered, PathBuf)> {
    let fs = &*cfg.fs;
    fsutil::ensure_dir(fs, dir)?;
    let meta_path = dir.join("meta");
    let wal_dir = dir.join("wal");
    let snap_dir = dir.join("snap");
    let meta = if fs.exists(&meta_path) {
        let meta = Meta::read(fs, &meta_path)?;
        if meta.member_id != cfg.id {
            return Err(Error::DataDirMismatch {
                path: dir.into(),
                found_member: meta.member_id,
                found_cluster: meta.cluster_id,
                expected_member: cfg.id,
            });
        }
        meta
    } else {
        if fs.exists(&wal_dir) && !fsutil::list(fs, &wal_dir, ".wal")?.is_empty() {
            return Err(Error::Corrupt {
                path: meta_path,
                offset: 0,
                reason: "WAL segments exist but the meta file is missing".into(),
            });
        }
        let meta =
            Meta { member_id: cfg.id, cluster_id: cfg.cluster_id(), voters: cfg.initial_voters() };
        meta.write(fs, &meta_path)?;
        meta
    };
    fsutil::ensure_dir(fs, &snap_dir)?;
    let snapshot = snap::load_latest(fs, &snap_dir)?.unwrap_or_default();
    let (wal, replayed) = Wal::open(&cfg.fs, &wal_dir, cfg.segment_bytes)?;
    let snap_index = snapshot.get_metadata().index;
    if let Some(reset) = &replayed.reset {
        if reset.index > snap_index {
            return Err(Error::Corrupt {
                path: snap_dir,
                offset: 0,
                reason: format!(
                    "the WAL installs snapshot {} but the newest readable snapshot file is {snap_index}",
                    reset.index
                ),
            });
        }
    }
    let entries: Vec<Entry> =
        replayed.entries.into_iter().filter(|e| e.index > snap_index).collect();
    if let Some(first) = entries.first() {
        if first.index != snap_index + 1 {
            return Err(Error::Corrupt {
                path: wal_dir,
                offset: 0,
                reason: format!(
                    "entries {}..{} are missing after snapshot {snap_index}",
                    snap_index + 1,
                    first.index
                ),
            });
        }
    }
    let last = snap_index + entries.len() as u64;
    let mut hard_state = replayed.hard_state.unwrap_or_default();
    hard_state.commit = hard_state.commit.max(snap_index);
    if hard_state.commit > last {
        return Err(Error::Corrupt {
            path: wal_dir,
            offset: 0,
            reason: format!("commit index {} is beyond the last entry {last}", hard_state.commit),
        });
    }
    hard_state.term = hard_state.term.max(snapshot.get_metadata().term);
    let conf_state = if snap_index > 0 {
        snapshot.get_metadata().get_conf_state().clone()
    } else {
        ConfState { voters: meta.voters.clone(), ..Default::default() }
    };
    let recovered = Recovered {
        hard_state,
        conf_state,
        snapshot,
        entries,
        torn_bytes: replayed.torn_bytes,
        cluster_id: meta.cluster_id,
    };
    Ok((wal, recovered, snap_dir))
}

/// How [`Disk::write`] meets a full disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempts {
    /// One attempt (a proposal's caller: the wait for space is the driver thread's).
    Once,
    /// Retried, with a growing pause, until written or the node stops.
    UntilWritten,
    /// As `UntilWritten`, for a batch an attempt already found the disk full for: the first
    /// attempt comes after the first pause.
    AgainAfterFull,
}

/// The driver's access to durable storage: nothing (in-memory mode) or the data directory, written
/// by whichever thread holds the driver (its own, or the caller of an uncontended proposal: see
/// `driver::shared`), so a batch costs no hand-over to another thread.
pub(crate) enum Disk {
    Memory,
    File(Box<Io>),
}

/// The data directory's state: the WAL, and whether the disk has failed for good.
pub(crate) struct Io {
    wal: Wal,
    fs: Arc<dyn Fs>,
    snap_dir: PathBuf,
    health: watch::Sender<DiskHealth>,
    stopping: Arc<AtomicBool>,
    failed: bool,
}

/// First pause between two attempts to write a batch to a full disk (doubling after each).
const FULL_DISK_RETRY_MIN: Duration = Duration::from_millis(10);
/// Longest pause between two attempts to write a batch to a full disk.
const FULL_DISK_RETRY_MAX: Duration = Duration::from_secs(1);

impl Io {
    /// Runs one storage operation, unless the disk has failed; records the disk's health after it. A
    /// full disk marks the health [`DiskHealth::Full`] only for a batch that will be retried (`retried`):
    /// its success is what marks the disk healthy again.
    fn guard(&mut self, retried: bool, op: impl FnOnce(&mut Io) -> Result<()>) -> Result<()> {
        if self.failed {
            return Err(Error::Stopped);
        }
        match op(self).map_err(Error::fatal) {
            Ok(()) => {
                self.health
                    .send_if_modified(|h| std::mem::replace(h, DiskHealth::Ok) != DiskHealth::Ok);
                Ok(())
            }
            Err(err @ Error::NoSpace { .. }) if !retried => {
                tracing::warn!(error = %err, "disk full");
                Err(err)
            }
            Err(err @ Error::NoSpace { .. }) => {
                if self.health.send_if_modified(|h| {
                    std::mem::replace(h, DiskHealth::Full) != DiskHealth::Full
                }) {
                    tracing::warn!(error = %err, "disk full: writes are refused until space is freed");
                }
                Err(err)
            }
            Err(err) => {
                tracing::error!(error = %err, source = ?std::error::Error::source(&err), "raft storage failed; no more writes");
                self.failed = true;
                self.health.send_replace(DiskHealth::Failed);
                Err(err)
            }
        }
    }

    /// Runs `op` until it succeeds, fails for good, or the node stops; a full disk is retried with a
    /// growing pause (each failed attempt was rolled back, so retrying writes the batch once).
    /// `failed_once`: an attempt already met a full disk, so the first one here comes after a pause.
    fn until_written(
        &mut self,
        failed_once: bool,
        mut op: impl FnMut(&mut Io) -> Result<()>,
    ) -> Result<()> {
        let mut pause = FULL_DISK_RETRY_MIN;
        if failed_once {
            pause = self.pause(pause);
        }
        loop {
            match self.guard(true, &mut op) {
                Err(Error::NoSpace { .. }) if !self.stopping.load(Ordering::Acquire) => {
                    pause = self.pause(pause);
                }
                res => return res,
            }
        }
    }

    /// Waits `pause` for an operator to free space (nothing else can be done meanwhile), unless the
    /// node is stopping; returns the next, longer pause.
    fn pause(&self, pause: Duration) -> Duration {
        if !self.stopping.load(Ordering::Acquire) {
            std::thread::park_timeout(pause);
        }
        (pause * 2).min(FULL_DISK_RETRY_MAX)
    }
}

impl Disk {
    /// Storage over an open WAL. It reports the disk's health on `health` and gives up retrying a full
    /// disk once `stopping` is set.
    pub(crate) fn open(
        wal: Wal,
        fs: Arc<dyn Fs>,
        snap_dir: PathBuf,
        health: watch::Sender<DiskHealth>,
        stopping: Arc<AtomicBool>,
    ) -> Disk {
        Disk::File(Box::new(Io { wal, fs, snap_dir, health, stopping, failed: false }))
    }

    /// Writes a Ready's snapshot, entries and hard state, made durable by one fdatasync when `sync`,
    /// with as many attempts as `attempts` allows on a full disk. Blocks the calling thread until
    /// then.
    pub(crate) fn write(
        &mut self,
        attempts: Attempts,
        snapshot: Option<&Snapshot>,
        entries: &[Entry],
        hard_state: Option<&HardState>,
        sync: bool,
    ) -> Result<()> {
        let Disk::File(io) = self else { return Ok(()) };
        if snapshot.is_none() && entries.is_empty() && hard_state.is_none() {
            return Ok(());
        }
        let op = |io: &mut Io| {
            let reset = match snapshot {
                Some(snap) => {
                    snap::save(&*io.fs, &io.snap_dir, snap)?;
                    snap::purge(&*io.fs, &io.snap_dir)?;
                    Some(snap.get_metadata())
                }
                None => None,
            };
            io.wal.append(reset, entries, hard_state, sync)
        };
        match attempts {
            // A full disk returns `Error::NoSpace` (the disk is then reported full; the batch, rolled
            // back, is to be written again with `Attempts::AgainAfterFull`).
            Attempts::Once => io.guard(true, op),
            Attempts::UntilWritten => io.until_written(false, op),
            Attempts::AgainAfterFull => io.until_written(true, op),
        }
    }

    /// Streams a locally taken snapshot to its file (see [`snap::save_streamed`]) and deletes the WAL
    /// segments it covers; returns the size of the state machine's bytes. Not retried: a snapshot
    /// that does not fit is taken again later.
    pub(crate) fn compact_streamed(
        &mut self,
        meta: &SnapshotMetadata,
        produce: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<u64> {
        let Disk::File(io) = self else { return Ok(0) };
        let mut bytes = 0;
        io.guard(false, |io| {
            bytes = snap::save_streamed(&*io.fs, &io.snap_dir, meta, produce)?.1;
            io.wal.compact(meta.index)?;
            snap::purge(&*io.fs, &io.snap_dir)
        })?;
        Ok(bytes)
    }

    /// Syncs what is written, unless the disk failed (after a failure nothing is synced again: a
    /// retried sync may lie).
    pub(crate) fn close(&mut self) -> Result<()> {
        match self {
            // `guard` refuses (and syncs nothing) once the disk failed.
            Disk::File(io) => io.guard(false, |io| io.wal.sync()),
            Disk::Memory => Ok(()),
        }
    }
}
