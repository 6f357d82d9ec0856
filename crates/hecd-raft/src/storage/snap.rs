//! Snapshot files: `snap/<index:016x>-<term:016x>.snap`, one framed `Snapshot` record each, written atomically.

use std::fs;
use std::path::{Path, PathBuf};

use prost::Message as _;
use raft::eraftpb::Snapshot;

use crate::error::{Error, Result};
use crate::storage::fsutil;
use crate::storage::record::{self, Kind, Read};

/// How many snapshot files to keep (the newest and one fallback).
const KEEP: usize = 2;

fn file_name(index: u64, term: u64) -> String {
    format!("{index:016x}-{term:016x}.snap")
}

/// Writes a snapshot file atomically.
pub(crate) fn save(dir: &Path, snap: &Snapshot) -> Result<PathBuf> {
    let meta = snap.get_metadata();
    let path = dir.join(file_name(meta.index, meta.term));
    let mut buf = Vec::with_capacity(snap.encoded_len() + record::HEADER + 1);
    record::encode(&mut buf, Kind::Snapshot, snap);
    fsutil::write_atomic(&path, &buf)?;
    Ok(path)
}

fn load(path: &Path) -> Result<Snapshot> {
    let data = fs::read(path).map_err(|e| Error::io(path, e))?;
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

/// Loads the newest readable snapshot, removing leftover temp files. A damaged newer snapshot is
/// skipped with a warning (the WAL check that follows refuses to start if entries are then missing).
pub(crate) fn load_latest(dir: &Path) -> Result<Option<Snapshot>> {
    for tmp in fsutil::list(dir, ".tmp")? {
        let path = dir.join(tmp);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    for name in fsutil::list(dir, ".snap")?.iter().rev() {
        let path = dir.join(name);
        match load(&path) {
            Ok(snap) => return Ok(Some(snap)),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "skipping unreadable snapshot")
            }
        }
    }
    Ok(None)
}

/// Deletes all but the newest [`KEEP`] snapshot files.
pub(crate) fn purge(dir: &Path) -> Result<()> {
    let names = fsutil::list(dir, ".snap")?;
    if names.len() <= KEEP {
        return Ok(());
    }
    for name in &names[..names.len() - KEEP] {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    fsutil::sync_dir(dir)
}
