//! A compact binary encoding of the tree for Raft snapshots.
//!
//! Layout: magic `HECDSNP1`, the store index (u64 LE), then the root node.
//! A node is: kind byte (0 file, 1 dir), created, modified (u64 LE), expiry
//! (0, or 1 + i64 LE seconds + u32 LE nanos since the Unix epoch), then a file's value
//! (u32 LE length + bytes) or a directory's child count (u32 LE) and children,
//! each as name (u32 LE length + bytes) followed by the node.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, UNIX_EPOCH};

use crate::node::{Kind, Node};
use crate::SnapshotError;

const MAGIC: &[u8; 8] = b"HECDSNP1";
/// Deeper trees than this are rejected as corrupt (keeps decoding stack-bounded).
const MAX_DEPTH: usize = 1024;

/// Where the encoder puts its bytes: a buffer, or a writer fed in chunks.
trait Sink {
    fn put(&mut self, b: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, b: &[u8]) {
        self.extend_from_slice(b);
    }
}

/// Bytes of the chunks handed to a writer (64 KiB).
const CHUNK: usize = 65_536;

/// Feeds a writer in chunks of about [`CHUNK`] bytes; keeps the first error.
struct Chunked<'a> {
    buf: Vec<u8>,
    out: &'a mut dyn Write,
    err: Option<io::Error>,
}

impl Chunked<'_> {
    fn flush(&mut self) {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(&self.buf) {
                self.err = Some(e);
            }
        }
        self.buf.clear();
    }
}

impl Sink for Chunked<'_> {
    fn put(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.flush();
        }
    }
}

/// Appends the encoding to `out`, which grows once, to the exact size.
pub(crate) fn encode_into(root: &Node, index: u64, out: &mut Vec<u8>) {
    let (start, len) = (out.len(), encoded_len(root));
    out.reserve_exact(len);
    encode_to(root, index, out);
    debug_assert_eq!(out.len() - start, len, "snapshot size computed wrongly");
}

/// Writes the encoding to `out` in chunks: no buffer the size of the tree.
pub(crate) fn write(root: &Node, index: u64, out: &mut dyn Write) -> io::Result<()> {
    let mut sink = Chunked { buf: Vec::with_capacity(CHUNK + 256), out, err: None };
    encode_to(root, index, &mut sink);
    sink.flush();
    sink.err.map_or(Ok(()), Err)
}

fn encode_to(root: &Node, index: u64, out: &mut impl Sink) {
    out.put(MAGIC);
    out.put(&index.to_le_bytes());
    encode_node(root, out);
}

/// The size of [`encode_into`]'s output.
pub(crate) fn encoded_len(root: &Node) -> usize {
    MAGIC.len() + 8 + node_len(root)
}

fn node_len(n: &Node) -> usize {
    let expiry = if n.expire.is_some() { 13 } else { 1 };
    1 + 16
        + expiry
        + match &n.kind {
            Kind::File(v) => 4 + v.len(),
            Kind::Dir(children) => {
                4 + children.iter().map(|(name, c)| 4 + name.len() + node_len(c)).sum::<usize>()
            }
        }
}

fn put_bytes(out: &mut impl Sink, b: &[u8]) {
    out.put(&(b.len() as u32).to_le_bytes());
    out.put(b);
}

fn encode_node(n: &Node, out: &mut impl Sink) {
    out.put(&[u8::from(n.is_dir())]);
    out.put(&n.created.to_le_bytes());
    out.put(&n.modified.to_le_bytes());
    match n.expire {
        None => out.put(&[0]),
        Some(t) => {
            out.put(&[1]);
            let (s, ns) = match t.duration_since(UNIX_EPOCH) {
                Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
                Err(_) => (0, 0),
            };
            out.put(&s.to_le_bytes());
            out.put(&ns.to_le_bytes());
        }
    }
    match &n.kind {
        Kind::File(v) => put_bytes(out, v.as_bytes()),
        Kind::Dir(children) => {
            out.put(&(children.len() as u32).to_le_bytes());
            for (name, c) in children {
                put_bytes(out, name.as_bytes());
                encode_node(c, out);
            }
        }
    }
}

/// The fewest bytes a child takes in a snapshot: its name's length, then a file node's kind,
/// created and modified indexes, no-expiry flag and value length (4 + 1 + 16 + 1 + 4).
const MIN_CHILD_LEN: usize = 26;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or(SnapshotError::Truncated { offset: self.pos })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String, SnapshotError> {
        let at = self.pos;
        let len = self.u32()? as usize;
        let b = self.take(len)?;
        String::from_utf8(b.to_vec()).map_err(|_| SnapshotError::Corrupt { offset: at })
    }

    fn node(&mut self, depth: usize) -> Result<Node, SnapshotError> {
        let at = self.pos;
        if depth > MAX_DEPTH {
            return Err(SnapshotError::Corrupt { offset: at });
        }
        let kind = self.u8()?;
        let created = self.u64()?;
        let modified = self.u64()?;
        let expire = match self.u8()? {
            0 => None,
            1 => {
                let s = i64::from_le_bytes(self.array()?);
                let ns = self.u32()?;
                if s < 0 || ns >= 1_000_000_000 {
                    return Err(SnapshotError::Corrupt { offset: at });
                }
                Some(UNIX_EPOCH + Duration::new(s as u64, ns))
            }
            _ => return Err(SnapshotError::Corrupt { offset: at }),
        };
        let kind = match kind {
            0 => Kind::File(self.string()?),
            1 => {
                let count = self.u32()? as usize;
                // Children are written in name order: collected in a vector they build the map
                // in one pass, its nodes full, instead of one search and split per insert. A name
                // out of order (or twice) is damage, never silently dropped.
                let fits = (self.data.len() - self.pos) / MIN_CHILD_LEN;
                let mut children: Vec<(String, Node)> = Vec::with_capacity(count.min(fits));
                for _ in 0..count {
                    let name_at = self.pos;
                    let name = self.string()?;
                    if children.last().is_some_and(|(prev, _)| *prev >= name) {
                        return Err(SnapshotError::Corrupt { offset: name_at });
                    }
                    let child = self.node(depth + 1)?;
                    children.push((name, child));
                }
                Kind::Dir(BTreeMap::from_iter(children))
            }
            _ => return Err(SnapshotError::Corrupt { offset: at }),
        };
        Ok(Node { created, modified, expire, kind })
    }
}

pub(crate) fn decode(data: &[u8]) -> Result<(Node, u64), SnapshotError> {
    let mut r = Reader { data, pos: 0 };
    if r.take(8).map_err(|_| SnapshotError::BadMagic)? != MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let index = r.u64()?;
    let root = r.node(0)?;
    if !root.is_dir() {
        return Err(SnapshotError::Corrupt { offset: 16 });
    }
    if r.pos != data.len() {
        return Err(SnapshotError::Corrupt { offset: r.pos });
    }
    Ok((root, index))
}
