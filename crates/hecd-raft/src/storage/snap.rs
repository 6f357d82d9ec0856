//! Snapshot files: `snap/<index:016x>-<term:016x>.snap`, one framed `Snapshot` record each, written atomically.

use std::path::{Path, PathBuf};

use prost::Message as _;
use raft::eraftpb::{Snapshot, SnapshotMetadata};

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::storage::fsutil;
use crate::storage::record::{self, Kind, Read};

/// How many snapshot files to keep (the newest and one fallback).
const KEEP: usize = 2;

fn file_name(index: u64, term: u64) -> String {
    format!("{index:016x}-{term:016x}.snap")
}

/// Writes a snapshot file atomically.
pub(crate) fn save(fs: &dyn Fs, dir: &Path, snap: &Snapshot) -> Result<PathBuf> {
    let meta = snap.get_metadata();
    let path = dir.join(file_name(meta.index, meta.term));
    let mut buf = Vec::with_capacity(snap.encoded_len() + record::HEADER + 1);
    record::encode(&mut buf, Kind::Snapshot, snap);
    fsutil::write_atomic(fs, &path, &buf)?;
    Ok(path)
}

fn load(fs: &dyn Fs, path: &Path) -> Result<Snapshot> {
    let data = fs.read(path).map_err(|e| Error::io(path, e))?;
    let corrupt =
        |reason: &str| Error::Corrupt { path: path.into(), offset: 0, reason: reason.into() };
    match record::read(&data, 0) {
        Read::Record { kind: Kind::Snapshot, body, next } if next == data.len() => {
            Snapshot::decode(body).map_err(|e| corrupt(&format!("undecodable snapshot: {e}")))
        }
        Read::Record { .. } => Err(corrupt("unexpected record in snapshot file")),
        Read::End => Err(corrupt("empty snapshot file")),
        Read::Damaged { reason, .. } => Err(corrupt(reason)),
    }
}

/// Reads back the snapshot file of a snapshot taken or installed earlier (its bytes are not kept in
/// memory).
pub(crate) fn load_for(fs: &dyn Fs, dir: &Path, meta: &SnapshotMetadata) -> Result<Snapshot> {
    let path = dir.join(file_name(meta.index, meta.term));
    let snap = load(fs, &path)?;
    if snap.get_metadata() != meta {
        return Err(Error::Corrupt {
            path,
            offset: 0,
            reason: "the snapshot file does not hold the snapshot its name says".into(),
        });
    }
    Ok(snap)
}

/// Loads the newest snapshot, removing leftover temp files.
///
/// Snapshot files are written whole (temp file, fsync, rename), so a crash never leaves one torn: a
/// damaged file is bit rot, and [`Error::Corrupt`] names it rather than falling back silently to an
/// older state.
pub(crate) fn load_latest(fs: &dyn Fs, dir: &Path) -> Result<Option<Snapshot>> {
    for tmp in fsutil::list(fs, dir, ".tmp")? {
        let path = dir.join(tmp);
        fs.remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    match fsutil::list(fs, dir, ".snap")?.last() {
        Some(name) => load(fs, &dir.join(name)).map(Some),
        None => Ok(None),
    }
}

/// Deletes all but the newest [`KEEP`] snapshot files.
pub(crate) fn purge(fs: &dyn Fs, dir: &Path) -> Result<()> {
    let names = fsutil::list(fs, dir, ".snap")?;
    if names.len() <= KEEP {
        return Ok(());
    }
    for name in &names[..names.len() - KEEP] {
        let path = dir.join(name);
        fs.remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    fsutil::sync_dir(fs, dir).map_err(fsutil::sync_failed)
}
