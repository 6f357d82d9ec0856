//! The write-ahead log: numbered segment files `wal/<seq:016x>.wal` of framed records.
//!
//! Every segment starts with the hard state current when it was created, so deleting old segments never
//! loses it. Segments are deleted only as a prefix, and only once a snapshot covers all their entries.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prost::Message as _;
use raft::eraftpb::{Entry, HardState, SnapshotMetadata};

use crate::error::{Error, Result};
use crate::fs::{AppendFile, Fs, Open};
use crate::storage::fsutil;
use crate::storage::record::{self, Kind, Read};

#[derive(Debug)]
struct Segment {
    seq: u64,
    path: PathBuf,
    /// The highest entry index written to this segment (0 if none).
    max_index: u64,
}

/// What replaying the WAL produced.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    pub(crate) hard_state: Option<HardState>,
    /// Contiguous entries, in order, possibly starting at or before the snapshot.
    pub(crate) entries: Vec<Entry>,
    /// The last snapshot installed from a leader, if its record is still in the WAL.
    pub(crate) reset: Option<SnapshotMetadata>,
    /// Bytes dropped from a torn tail (0 if the WAL ended cleanly).
    pub(crate) torn_bytes: u64,
}

/// An open WAL, appending to its last segment.
#[derive(Debug)]
pub(crate) struct Wal {
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    segments: Vec<Segment>,
    file: Box<dyn AppendFile>,
    /// Where the current segment's records end.
    size: u64,
    /// The current segment's length: the bytes from `size` to here are zeros, written ahead so that a
    /// batch overwrites them instead of growing the file (an `fdatasync` that need not record a new
    /// file size is cheaper).
    zeroed: u64,
    /// A zeroed tail did not fit on the disk: batches are written without one until the next segment.
    no_pad: bool,
    segment_bytes: u64,
    hard_state: HardState,
    buf: Vec<u8>,
    /// Number of batch fdatasyncs, shared with the handle for observability and tests.
    pub(crate) syncs: Arc<AtomicU64>,
}

/// Zeros written ahead of the records (at most to the segment's size).
const ZERO_AHEAD: u64 = 64 * 1024;

fn segment_name(seq: u64) -> String {
    format!("{seq:016x}.wal")
}

fn corrupt(path: &Path, offset: usize, reason: impl Into<String>) -> Error {
    Error::Corrupt { path: path.into(), offset: offset as u64, reason: reason.into() }
}

impl Replayed {
    fn push(&mut self, e: Entry, path: &Path, off: usize) -> Result<()> {
        if let Some(first) = self.entries.first().map(|f| f.index) {
            if e.index < first {
                self.entries.clear();
            } else {
                let last = first + self.entries.len() as u64 - 1;
                if e.index > last + 1 {
                    return Err(corrupt(
                        path,
                        off,
                        format!("gap in the log: entry {} follows entry {last}", e.index),
                    ));
                }
                self.entries.truncate((e.index - first) as usize);
            }
        } else if let Some(reset) = &self.reset {
            if e.index <= reset.index {
                return Ok(());
            }
            if e.index > reset.index + 1 {
                return Err(corrupt(
                    path,
                    off,
                    format!("gap in the log: entry {} follows snapshot {}", e.index, reset.index),
                ));
            }
        }
        self.entries.push(e);
        Ok(())
    }
}

impl Wal {
    /// Opens (or creates) the WAL in `dir`, replaying every segment.
    ///
    /// A damaged record at the very end of the last segment is a torn write: the file is truncated there
    /// and the record dropped. Damage anywhere else is [`Error::Corrupt`].
    pub(crate) fn open(
        fs: &Arc<dyn Fs>,
        dir: &Path,
        segment_bytes: u64,
    ) -> Result<(Wal, Replayed)> {
        fsutil::ensure_dir(&**fs, dir)?;
        for tmp in fsutil::list(&**fs, dir, ".tmp")? {
            let path = dir.join(tmp);
            fs.remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
        let names = fsutil::list(&**fs, dir, ".wal")?;
        let mut segments = Vec::with_capacity(names.len());
        // The last segment's end of records and length.
        let (mut last_end, mut last_len) = (0, u64::MAX);
        let mut replayed = Replayed::default();
        for (i, name) in names.iter().enumerate() {
            let path = dir.join(name);
            let seq = name
                .strip_suffix(".wal")
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| corrupt(&path, 0, "unexpected WAL file name"))?;
            let is_last = i + 1 == names.len();
            let data = fs.read(&path).map_err(|e| Error::io(&path, e))?;
            let mut off = 0;
            let mut max_index = 0;
            loop {
                match record::read(&data, off) {
                    Read::End => break,
                    // The zeroed tail written ahead of the records.
                    Read::Damaged { .. } if record::zeros_from(&data, off) => break,
                    Read::Record { kind, body, next } => {
                        let bad = |e: prost::DecodeError| corrupt(&path, off, e.to_string());
                        match kind {
                            Kind::Entry => {
                                let e = Entry::decode(body).map_err(bad)?;
                                max_index = max_index.max(e.index);
                                replayed.push(e, &path, off)?;
                            }
                            Kind::HardState => {
                                replayed.hard_state = Some(HardState::decode(body).map_err(bad)?);
                            }
                            Kind::SnapshotReset => {
                                let meta = SnapshotMetadata::decode(body).map_err(bad)?;
                                max_index = max_index.max(meta.index);
                                replayed.entries.clear();
                                replayed.reset = Some(meta);
                            }
                            Kind::Snapshot => {
                                return Err(corrupt(&path, off, "snapshot record inside the WAL"))
                            }
                        }
                        off = next;
                    }
                    Read::Damaged { reason, reaches_end } => {
                        // A torn write leaves damage at the very end of the last segment and nothing valid
                        // after it; a damaged length field in the middle can also seem to reach the end,
                        // so look for intact records past the damage.
                        let is_torn =
                            is_last && reaches_end && !record::valid_record_after(&data, off + 1);
                        if !is_torn {
                            return Err(corrupt(&path, off, reason));
                        }
                        let torn = data.len() - off;
                        tracing::warn!(
                            path = %path.display(),
                            offset = off,
                            bytes = torn,
                            reason,
                            "dropping torn record at the end of the WAL"
                        );
                        let mut f = fs
                            .open_append(&path, Open::Existing)
                            .map_err(|e| Error::io(&path, e))?;
                        f.set_len(off as u64)
                            .and_then(|()| f.sync_all())
                            .map_err(|e| Error::io(&path, e))?;
                        replayed.torn_bytes = torn as u64;
                        last_len = off as u64;
                        break;
                    }
                }
            }
            if is_last {
                last_end = off as u64;
                last_len = last_len.min(data.len() as u64);
            }
            segments.push(Segment { seq, path, max_index });
        }
        let hard_state = replayed.hard_state.clone().unwrap_or_default();
        let wal = match segments.last() {
            Some(last) => {
                let file = fs
                    .open_append(&last.path, Open::Existing)
                    .map_err(|e| Error::io(&last.path, e))?;
                Wal {
                    fs: Arc::clone(fs),
                    dir: dir.into(),
                    segments,
                    file,
                    size: last_end,
                    zeroed: last_len,
                    no_pad: false,
                    segment_bytes,
                    hard_state,
                    buf: Vec::new(),
                    syncs: Arc::default(),
                }
            }
            None => Wal::create_segment(fs, dir, 1, segment_bytes, hard_state)?,
        };
        Ok((wal, replayed))
    }

    /// Creates segment `seq`, starting with `hard_state`, synced, with its directory entry synced.
    ///
    /// A full disk removes the half-created file and returns [`Error::NoSpace`]; a failed sync is
    /// [`Error::DiskFailed`].
    fn new_segment(
        fs: &dyn Fs,
        dir: &Path,
        seq: u64,
        hard_state: &HardState,
    ) -> Result<(PathBuf, Box<dyn AppendFile>, u64)> {
        let path = dir.join(segment_name(seq));
        let mut file = fs.open_append(&path, Open::CreateNew).map_err(|e| Error::io(&path, e))?;
        let mut buf = Vec::new();
        record::encode(&mut buf, Kind::HardState, hard_state);
        if let Err(e) = file.write_all(&buf) {
            drop(file);
            let _ = fs.remove_file(&path);
            return Err(Error::io(&path, e).fatal());
        }
        if let Err(e) = file.sync_data() {
            return Err(Error::DiskFailed { path, source: e });
        }
        fsutil::sync_dir(fs, dir).map_err(fsutil::sync_failed)?;
        Ok((path, file, buf.len() as u64))
    }

    fn create_segment(
        fs: &Arc<dyn Fs>,
        dir: &Path,
        seq: u64,
        segment_bytes: u64,
        hard_state: HardState,
    ) -> Result<Wal> {
        let (path, file, size) = Wal::new_segment(&**fs, dir, seq, &hard_state)?;
        Ok(Wal {
            fs: Arc::clone(fs),
            dir: dir.into(),
            segments: vec![Segment { seq, path, max_index: 0 }],
            file,
            size,
            zeroed: size,
            no_pad: false,
            segment_bytes,
            hard_state,
            buf: Vec::new(),
            syncs: Arc::default(),
        })
    }

    /// Cuts the current segment's zeroed tail, syncs it and starts a new one.
    fn rotate(&mut self) -> Result<()> {
        if self.zeroed > self.size {
            let path = &self.segments.last().expect("the WAL always has a current segment").path;
            self.file.set_len(self.size).map_err(|e| Error::io(path, e).fatal())?;
            self.zeroed = self.size;
        }
        self.sync()?;
        let seq = self.segments.last().map_or(1, |s| s.seq + 1);
        let (path, file, size) = Wal::new_segment(&*self.fs, &self.dir, seq, &self.hard_state)?;
        self.segments.push(Segment { seq, path, max_index: 0 });
        self.file = file;
        self.size = size;
        self.zeroed = size;
        self.no_pad = false;
        Ok(())
    }

    /// Appends a batch and, when `sync` is set, makes it durable with a single `fdatasync`.
    ///
    /// `reset` (a snapshot installed from the leader, already saved as a file) is written first, then the
    /// entries, then the hard state. Without `sync` (a hard state whose commit index alone moved) the
    /// bytes reach the disk with the next synced batch.
    pub(crate) fn append(
        &mut self,
        reset: Option<&SnapshotMetadata>,
        entries: &[Entry],
        hard_state: Option<&HardState>,
        sync: bool,
    ) -> Result<()> {
        if reset.is_none() && entries.is_empty() && hard_state.is_none() {
            return Ok(());
        }
        if self.size >= self.segment_bytes {
            self.rotate()?;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let mut max_index = 0;
        if let Some(meta) = reset {
            record::encode(&mut buf, Kind::SnapshotReset, meta);
            max_index = meta.index;
        }
        for e in entries {
            record::encode(&mut buf, Kind::Entry, e);
            max_index = max_index.max(e.index);
        }
        if let Some(hs) = hard_state {
            record::encode(&mut buf, Kind::HardState, hs);
        }
        let seg = self.segments.last_mut().expect("the WAL always has a current segment");
        let records = buf.len();
        let end = self.size + records as u64;
        if end > self.zeroed && !self.no_pad {
            // Zeros ahead of the records, written with them: the next batches overwrite them.
            let pad = ZERO_AHEAD.min(self.segment_bytes.saturating_sub(end)) as usize;
            buf.resize(records + pad, 0);
        }
        let written = self.file.write_all_at(self.size, &buf);
        let padded_to = self.size + buf.len() as u64;
        buf.truncate(records);
        if let Err(e) = written {
            let err = Error::io(&seg.path, e);
            if !matches!(err, Error::NoSpace { .. }) {
                // The node stops. The batch may be partly written over the zeroed tail, where a
                // record cut short before zeros reads as bit rot: cut the segment back to its last
                // record (best effort; nothing of the batch was acknowledged).
                let _ = self.file.set_len(self.size);
                return Err(err.fatal());
            }
            // Roll the partial batch back, so the segment ends on a record boundary and the space is
            // free again; the caller retries the whole batch later, without zeros ahead.
            if let Err(e) = self.file.set_len(self.size) {
                return Err(Error::DiskFailed { path: seg.path.clone(), source: e });
            }
            self.zeroed = self.size;
            self.no_pad = true;
            self.buf = buf;
            return Err(err);
        }
        self.zeroed = self.zeroed.max(padded_to);
        if sync || reset.is_some() {
            // Never retried: after a failed fdatasync the kernel may have dropped the pages it could not
            // write, and a second call would report success without them.
            if let Err(e) = self.file.sync_data() {
                return Err(Error::DiskFailed { path: seg.path.clone(), source: e });
            }
            self.syncs.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(hs) = hard_state {
            self.hard_state = hs.clone();
        }
        seg.max_index = seg.max_index.max(max_index);
        self.size += buf.len() as u64;
        self.buf = buf;
        Ok(())
    }

    /// Drops segments whose entries are all covered by a snapshot at `index`.
    ///
    /// Starts a new segment first, so the current one can be deleted too.
    pub(crate) fn compact(&mut self, index: u64) -> Result<()> {
        self.rotate()?;
        let current = self.segments.len() - 1;
        let removable =
            self.segments[..current].iter().take_while(|s| s.max_index <= index).count();
        if removable == 0 {
            return Ok(());
        }
        for seg in self.segments.drain(..removable) {
            self.fs.remove_file(&seg.path).map_err(|e| Error::io(&seg.path, e))?;
        }
        fsutil::sync_dir(&*self.fs, &self.dir).map_err(fsutil::sync_failed)
    }

    /// Flushes the current segment to disk.
    pub(crate) fn sync(&mut self) -> Result<()> {
        let path = &self.segments.last().expect("the WAL always has a current segment").path;
        self.file.sync_all().map_err(|e| Error::DiskFailed { path: path.clone(), source: e })
    }
}

#[cfg(test)]
mod tests;
