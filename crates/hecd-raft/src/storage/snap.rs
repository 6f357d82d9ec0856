//! Snapshot files: `snap/<index:016x>-<term:016x>.snap`, one framed `Snapshot` record each, written atomically.

use std::ops::Range;
use std::path::{Path, PathBuf};

use prost::Message as _;
use raft::eraftpb::{Snapshot, SnapshotMetadata};

use crate::error::{Error, Result};
use crate::fs::{AppendFile, Fs};
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

/// Counts and checksums what is written to it.
#[derive(Default)]
struct Digest {
    crc: crc32fast::Hasher,
    len: u64,
}

impl std::io::Write for Digest {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.crc.update(b);
        self.len += b.len() as u64;
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes to a file through a digest of what passes.
struct Tee<'a> {
    file: &'a mut dyn AppendFile,
    digest: Digest,
}

impl std::io::Write for Tee<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.file.write_all(b)?;
        self.digest.write(b)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the snapshot file of the snapshot at `meta` whose bytes `produce` writes, without holding
/// them: `produce` runs twice, first to size and checksum the bytes (the record's header comes
/// first), then to write them, and the second run must write the same bytes. Returns the file and
/// the size of the state machine's bytes. The file is the one [`save`] writes for the same snapshot.
pub(crate) fn save_streamed(
    fs: &dyn Fs,
    dir: &Path,
    meta: &SnapshotMetadata,
    produce: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(PathBuf, u64)> {
    let path = dir.join(file_name(meta.index, meta.term));
    let mut sized = Digest::default();
    produce(&mut sized).map_err(|e| Error::Raft { reason: format!("snapshot: {e}") })?;
    // The record's payload: the kind, then `Snapshot`'s protobuf fields (1: data, 2: metadata).
    // (as prost writes it: an empty `data` field is left out).
    let mut prefix = vec![Kind::Snapshot as u8];
    if sized.len > 0 {
        prefix.push(0x0a);
        prost::encoding::encode_varint(sized.len, &mut prefix);
    }
    let meta_bytes = meta.encode_to_vec();
    let mut suffix = vec![0x12];
    prost::encoding::encode_varint(meta_bytes.len() as u64, &mut suffix);
    suffix.extend_from_slice(&meta_bytes);
    let payload = prefix.len() as u64 + sized.len + suffix.len() as u64;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&prefix);
    crc.combine(&sized.crc);
    crc.update(&suffix);
    let mut header = Vec::with_capacity(record::HEADER + prefix.len());
    header.extend_from_slice(&(payload as u32).to_le_bytes());
    header.extend_from_slice(&crc.finalize().to_le_bytes());
    header.extend_from_slice(&prefix);
    fsutil::write_atomic_with(fs, &path, |file| {
        file.write_all(&header)?;
        let mut tee = Tee { file, digest: Digest::default() };
        produce(&mut tee)?;
        if tee.digest.len != sized.len || tee.digest.crc.finalize() != sized.crc.clone().finalize()
        {
            return Err(std::io::Error::other(
                "the state machine wrote different snapshot bytes the second time",
            ));
        }
        tee.file.write_all(&suffix)
    })?;
    Ok((path, sized.len))
}

fn load(fs: &dyn Fs, path: &Path) -> Result<Snapshot> {
    let data = fs.read(path).map_err(|e| Error::io(path, e))?;
    let corrupt =
        |reason: &str| Error::Corrupt { path: path.into(), offset: 0, reason: reason.into() };
    match record::read(&data, 0) {
        Read::Record { kind: Kind::Snapshot, body, next } if next == data.len() => {
            let start = body.as_ptr() as usize - data.as_ptr() as usize;
            let body = start..start + body.len();
            decode_in_place(data, body).map_err(|e| corrupt(&format!("undecodable snapshot: {e}")))
        }
        Read::Record { .. } => Err(corrupt("unexpected record in snapshot file")),
        Read::End => Err(corrupt("empty snapshot file")),
        Read::Damaged { reason, .. } => Err(corrupt(reason)),
    }
}

/// Decodes the `Snapshot` message at `body` of a snapshot file's bytes, moving its data field to the
/// front of `file` and keeping that buffer as the snapshot's data rather than copying it: the data is
/// the whole state (tens of megabytes for a large store), and a copy costs its size again in fresh
/// pages. Anything but the two fields the writers produce, each once, is left to prost.
fn decode_in_place(mut file: Vec<u8>, body: Range<usize>) -> Result<Snapshot, prost::DecodeError> {
    // Keys: field number << 3 | wire type 2 (length-delimited).
    const DATA: u64 = 0x0a; // field 1
    const METADATA: u64 = 0x12; // field 2
    let mut rest = &file[body.clone()];
    let (mut data, mut meta) = (None, None);
    while !rest.is_empty() {
        let key = prost::encoding::decode_varint(&mut rest)?;
        let field = match key {
            // A repeated bytes field: the last one wins, as in prost.
            DATA => &mut data,
            // A repeated message field merges into the first, and other fields may not even be
            // length-delimited: prost's business.
            METADATA if meta.is_none() => &mut meta,
            _ => return Snapshot::decode(&file[body]),
        };
        let len = prost::encoding::decode_varint(&mut rest)?;
        let Some(len) = usize::try_from(len).ok().filter(|&l| l <= rest.len()) else {
            return Snapshot::decode(&file[body]);
        };
        let at = rest.as_ptr() as usize - file.as_ptr() as usize;
        *field = Some(at..at + len);
        rest = &rest[len..];
    }
    let mut snap = Snapshot::default();
    if let Some(meta) = meta {
        snap.set_metadata(SnapshotMetadata::decode(&file[meta])?);
    }
    if let Some(data) = data {
        file.truncate(data.end);
        file.drain(..data.start);
        snap.data = file;
    }
    Ok(snap)
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

#[cfg(test)]
mod tests {
    use raft::eraftpb::{ConfState, Snapshot, SnapshotMetadata};

    use prost::Message as _;

    use super::{decode_in_place, load, save, save_streamed};
    use crate::fs::OsFs;

    fn meta() -> SnapshotMetadata {
        SnapshotMetadata {
            index: 42,
            term: 3,
            conf_state: Some(ConfState { voters: vec![1, 2, 3], ..Default::default() }),
        }
    }

    /// The streamed file is the very file `save` writes for the same snapshot (any data size, the
    /// empty one included), and it loads back.
    #[test]
    fn a_streamed_snapshot_file_is_the_file_save_writes() {
        for size in [0usize, 1, 127, 128, 70_000, 300_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let a = tempfile::tempdir().unwrap();
            let b = tempfile::tempdir().unwrap();
            let snap = Snapshot { data: data.clone(), metadata: Some(meta()) };
            let saved = save(&OsFs, a.path(), &snap).unwrap();
            let mut produce = |out: &mut dyn std::io::Write| {
                data.chunks(50_000).try_for_each(|c| out.write_all(c))
            };
            let (streamed, bytes) = save_streamed(&OsFs, b.path(), &meta(), &mut produce).unwrap();
            assert_eq!(bytes, size as u64);
            assert_eq!(saved.file_name(), streamed.file_name());
            assert_eq!(std::fs::read(&saved).unwrap(), std::fs::read(&streamed).unwrap(), "{size}");
            assert_eq!(load(&OsFs, &streamed).unwrap(), snap);
        }
    }

    /// A state machine that writes other bytes the second time gets an error and leaves no file.
    #[test]
    fn bytes_that_change_between_the_two_passes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut calls = 0u8;
        let mut produce = |out: &mut dyn std::io::Write| {
            calls += 1;
            out.write_all(&[calls; 10])
        };
        assert!(save_streamed(&OsFs, dir.path(), &meta(), &mut produce).is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file left behind");
    }

    /// Taking the data field out of the file's buffer decodes what prost decodes, for the layout the
    /// writers produce and for every other valid one (fields reversed, repeated, unknown, absent),
    /// whatever bytes surround the message; a malformed message is an error either way.
    #[test]
    fn the_in_place_decode_agrees_with_prost() {
        let field = |tag: u8, bytes: &[u8]| {
            let mut f = vec![tag];
            prost::encoding::encode_varint(bytes.len() as u64, &mut f);
            f.extend_from_slice(bytes);
            f
        };
        let data = field(0x0a, &[9u8; 300]);
        let other_data = field(0x0a, b"later wins");
        let metadata = field(0x12, &meta().encode_to_vec());
        let unknown = field(0x1a, b"??");
        let later_metadata =
            field(0x12, &SnapshotMetadata { term: 9, ..Default::default() }.encode_to_vec());
        let bodies = [
            [data.clone(), metadata.clone()].concat(),
            [metadata.clone(), data.clone()].concat(),
            [data.clone(), metadata.clone(), other_data.clone()].concat(),
            [data.clone(), unknown.clone(), metadata.clone()].concat(),
            // An unknown fixed32 field last: its bytes are no varint length.
            [data.clone(), metadata.clone(), vec![0x1d, 0xff, 0xff, 0xff, 0xff]].concat(),
            [metadata.clone(), data.clone(), later_metadata].concat(),
            data.clone(),
            metadata.clone(),
            field(0x0a, &[]),
            Vec::new(),
        ];
        for body in bodies {
            let want = Snapshot::decode(&body[..]).unwrap();
            let file = [b"head".as_slice(), &body, b"tail"].concat();
            let got = decode_in_place(file, 4..4 + body.len()).unwrap();
            assert_eq!(got, want, "{body:?}");
        }
        for bad in [vec![0x0a, 5, 1, 2], vec![0x12, 3, 0xff, 0xff, 0xff], vec![0x0a]] {
            assert!(Snapshot::decode(&bad[..]).is_err());
            assert!(decode_in_place(bad.clone(), 0..bad.len()).is_err(), "{bad:?}");
        }
    }
}
