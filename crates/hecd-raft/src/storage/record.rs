//! Record framing: `[len: u32 LE][crc32: u32 LE][payload]`, the payload being `[kind: u8][prost body]`.
//!
//! The CRC32 (Castagnoli-free, plain IEEE via `crc32fast`) covers the payload.

/// Bytes of the frame header.
pub(crate) const HEADER: usize = 8;
/// The largest payload accepted; anything longer is treated as damage.
pub(crate) const MAX_PAYLOAD: u32 = 256 * 1024 * 1024;

/// What a WAL record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One `eraftpb::Entry`.
    Entry = 1,
    /// One `eraftpb::HardState`; the last one wins.
    HardState = 2,
    /// `eraftpb::SnapshotMetadata` of a snapshot received from the leader: the log restarts after it.
    SnapshotReset = 3,
    /// A whole `eraftpb::Snapshot` (used by snapshot files).
    Snapshot = 4,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Entry,
            2 => Kind::HardState,
            3 => Kind::SnapshotReset,
            4 => Kind::Snapshot,
            _ => return None,
        })
    }
}

/// Appends one framed record to `buf`.
pub(crate) fn encode(buf: &mut Vec<u8>, kind: Kind, body: &impl prost::Message) {
    let len = 1 + body.encoded_len();
    let start = buf.len();
    buf.extend_from_slice(&(len as u32).to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    buf.push(kind as u8);
    // Encoding into a Vec cannot run out of space.
    let _ = body.encode(buf);
    let crc = crc32fast::hash(&buf[start + HEADER..]);
    buf[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

/// The outcome of reading the record at some offset.
#[derive(Debug)]
pub(crate) enum Read<'a> {
    /// A good record; `next` is the offset after it.
    Record { kind: Kind, body: &'a [u8], next: usize },
    /// End of data exactly at a record boundary.
    End,
    /// The record is damaged. `reaches_end` tells whether the damage extends to the end of the data
    /// (a torn write) or whether more bytes follow it (corruption in the middle).
    Damaged { reason: &'static str, reaches_end: bool },
}

/// Whether a well-formed record (plausible length, matching checksum, known kind) starts anywhere at or
/// after `start`. Used to tell a torn tail (nothing valid after the damage) from corruption in the middle.
pub(crate) fn valid_record_after(data: &[u8], start: usize) -> bool {
    // A zero length is never a record: skipping those keeps a zeroed tail cheap to scan.
    (start..data.len()).any(|p| {
        data.len() - p >= HEADER
            && data[p..p + 4] != [0; 4]
            && matches!(read(data, p), Read::Record { .. })
    })
}

/// Whether `data[from..]` is all zeros (nothing at all, or the preallocated tail of a WAL segment).
pub(crate) fn zeros_from(data: &[u8], from: usize) -> bool {
    data.get(from..).is_none_or(|rest| rest.iter().all(|b| *b == 0))
}

/// Bytes of a disk sector, the unit a torn write loses.
pub(crate) const SECTOR: usize = 512;

/// Whether `data[start..end]` holds a piece that starts on a sector boundary, runs to the next one (or
/// to the end of the data) and is all zeros: what a write torn by a power cut leaves behind.
///
/// A sector that starts inside the piece may run past `end` when the data after `end` is all zeros
/// (a record followed by a segment's zeroed tail): what matters is that the whole sector reads back
/// as zeros.
pub(crate) fn has_zeroed_sector(data: &[u8], start: usize, end: usize) -> bool {
    let limit = if zeros_from(data, end) { data.len() } else { end };
    let mut at = start.div_ceil(SECTOR) * SECTOR;
    while at < end {
        let stop = (at + SECTOR).min(limit);
        if (stop == at + SECTOR || stop == data.len()) && data[at..stop].iter().all(|b| *b == 0) {
            return true;
        }
        at += SECTOR;
    }
    false
}

/// Reads the record starting at `off` in `data`.
pub(crate) fn read(data: &[u8], off: usize) -> Read<'_> {
    let rest = &data[off..];
    if rest.is_empty() {
        return Read::End;
    }
    if rest.len() < HEADER {
        return Read::Damaged { reason: "truncated record header", reaches_end: true };
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 {
        // A zero-filled tail (a segment's preallocated zeros, or what some filesystems leave after a
        // crash) ends the data; zeros followed by data do not.
        let zeros = rest.iter().all(|b| *b == 0);
        return Read::Damaged { reason: "zero-length record", reaches_end: zeros };
    }
    if len > MAX_PAYLOAD || HEADER + len as usize > rest.len() {
        return Read::Damaged {
            reason: "record extends past the end of the file",
            reaches_end: true,
        };
    }
    let end = HEADER + len as usize;
    let payload = &rest[HEADER..end];
    // A whole record with a bad checksum at the end of the data is a torn write only if a sector of it
    // reads back as zeros (never written before the crash); otherwise it is bit rot in data that was
    // written, possibly synced and acknowledged, and must not be dropped silently.
    let reaches_end = zeros_from(rest, end) && has_zeroed_sector(data, off, off + end);
    if crc32fast::hash(payload) != crc {
        return Read::Damaged { reason: "checksum mismatch", reaches_end };
    }
    let Some(kind) = Kind::from_u8(payload[0]) else {
        return Read::Damaged { reason: "unknown record kind", reaches_end };
    };
    Read::Record { kind, body: &payload[1..], next: off + end }
}

#[cfg(test)]
mod tests;
