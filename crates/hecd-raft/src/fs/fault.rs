//! [`FaultFs`]: the operating system's file system with faults injected at chosen operations.
//!
//! Every mutating operation (directory creation, open, write, sync, truncate, rename, removal,
//! directory sync) gets a number, from 1; a plan maps numbers to faults. A crash at operation `n`
//! makes `n` and everything after it fail, and loses what a power cut could lose: bytes written but
//! not synced (all of them, none, or a torn tail ending in a zeroed sector) and files created since
//! their directory was last synced.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{AppendFile, Fs, Open, OsFs};

/// Bytes of a disk sector: the unit a torn write loses.
const SECTOR: u64 = 512;

/// A fault injected at one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// A write writes half its bytes (at least one) and reports a short write.
    ShortWrite,
    /// The operation fails with `ENOSPC`; a write first writes half its bytes.
    NoSpace,
    /// The operation fails with `EIO`; a write first writes half its bytes.
    Eio,
    /// The process dies before this operation: it and every later one fail, and what was not
    /// synced is lost as the [`CrashLoss`] says.
    Crash,
}

/// What a crash loses of the bytes written since the last sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrashLoss {
    /// Nothing: the page cache reached the disk.
    Nothing,
    /// Every unsynced byte, and every file created since its directory was last synced.
    Unsynced,
    /// A torn write: a prefix of the unsynced bytes, cut at a sector boundary chosen from the seed,
    /// survives, followed by a zeroed sector; unsynced new files are lost.
    Torn {
        /// Chooses where each file is cut.
        seed: u64,
    },
}

#[derive(Debug)]
struct Tracked {
    len: u64,
    synced: u64,
    /// The lowest offset written since the last sync (`u64::MAX`: none). Bytes overwritten below
    /// `synced` are taken to have been zeros before (a preallocated WAL tail): a crash that loses
    /// them leaves zeros.
    dirty: u64,
}

impl Tracked {
    fn new(len: u64, synced: u64) -> Self {
        Tracked { len, synced, dirty: u64::MAX }
    }

    fn wrote(&mut self, offset: u64, n: u64) {
        if n > 0 {
            self.dirty = self.dirty.min(offset);
            self.len = self.len.max(offset + n);
        }
    }

    fn synced_now(&mut self) {
        self.synced = self.len;
        self.dirty = u64::MAX;
    }

    /// Where the bytes that were not synced start.
    fn unsynced_from(&self) -> u64 {
        self.dirty.min(self.synced).min(self.len)
    }
}

#[derive(Debug)]
struct State {
    ops: u64,
    plan: BTreeMap<u64, Fault>,
    next: Vec<(&'static str, Fault)>,
    full: bool,
    crashed: bool,
    loss: CrashLoss,
    files: HashMap<PathBuf, Tracked>,
    unsynced_new: HashSet<PathBuf>,
    log: Vec<String>,
}

/// The operating system's file system with injected faults; clones share their state.
#[derive(Debug, Clone)]
pub struct FaultFs {
    state: Arc<Mutex<State>>,
}

impl Default for FaultFs {
    fn default() -> Self {
        FaultFs::new()
    }
}

fn injected(kind: io::ErrorKind, what: &str) -> io::Error {
    io::Error::new(kind, format!("injected fault: {what}"))
}

fn no_space() -> io::Error {
    io::Error::from_raw_os_error(28) // ENOSPC
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(5) // EIO
}

impl FaultFs {
    /// A file system without faults (until some are planned).
    pub fn new() -> Self {
        FaultFs {
            state: Arc::new(Mutex::new(State {
                ops: 0,
                plan: BTreeMap::new(),
                next: Vec::new(),
                full: false,
                crashed: false,
                loss: CrashLoss::Unsynced,
                files: HashMap::new(),
                unsynced_new: HashSet::new(),
                log: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Injects `fault` at operation number `op` (counted from 1).
    pub fn inject(&self, op: u64, fault: Fault) -> &Self {
        self.lock().plan.insert(op, fault);
        self
    }

    /// Injects `fault` at the next operation named `op` (`"write"`, `"sync_data"`, `"sync_all"`,
    /// `"sync_dir"`, `"open"`, `"rename"`, `"remove_file"`, `"set_len"`, `"create_dir_all"`).
    pub fn inject_next(&self, op: &'static str, fault: Fault) -> &Self {
        self.lock().next.push((op, fault));
        self
    }

    /// Sets what a crash loses (default [`CrashLoss::Unsynced`]).
    pub fn crash_loss(&self, loss: CrashLoss) -> &Self {
        self.lock().loss = loss;
        self
    }

    /// Fills the disk (every write fails with `ENOSPC` after writing half its bytes, file creation
    /// fails) or frees it.
    pub fn set_full(&self, full: bool) {
        self.lock().full = full;
    }

    /// Crashes now, as if at the next operation.
    pub fn crash(&self) {
        let mut st = self.lock();
        st.crash_now();
    }

    /// The number of operations performed (or attempted) so far.
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// Whether a crash happened.
    pub fn crashed(&self) -> bool {
        self.lock().crashed
    }

    /// One line per operation so far: its number, name and path.
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// Counts an operation and returns the fault planned for it, failing once crashed.
    fn begin(&self, what: &'static str, path: &Path) -> io::Result<Option<Fault>> {
        let mut st = self.lock();
        st.ops += 1;
        let n = st.ops;
        st.log.push(format!("{n} {what} {}", path.display()));
        if st.crashed {
            return Err(injected(io::ErrorKind::Other, "crashed"));
        }
        let named = st.next.iter().position(|(op, _)| *op == what).map(|i| st.next.remove(i).1);
        match named.or_else(|| st.plan.get(&n).copied()) {
            Some(Fault::Crash) => {
                st.crash_now();
                Err(injected(io::ErrorKind::Other, "crashed"))
            }
            Some(Fault::NoSpace) if what != "write" => Err(no_space()),
            Some(Fault::Eio) if what != "write" => Err(eio()),
            fault => Ok(fault),
        }
    }
}

impl State {
    fn crash_now(&mut self) {
        if self.crashed {
            return;
        }
        self.crashed = true;
        if self.loss == CrashLoss::Nothing {
            return;
        }
        for path in self.unsynced_new.drain() {
            let _ = std::fs::remove_file(&path);
            self.files.remove(&path);
        }
        let mut paths: Vec<&PathBuf> = self.files.keys().collect();
        paths.sort();
        for (i, path) in paths.into_iter().enumerate() {
            let t = &self.files[path];
            let from = t.unsynced_from();
            if t.len <= t.synced && from >= t.len {
                continue;
            }
            let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) else { continue };
            // What survives: everything before `cut`; then zeros (a zeroed sector, and the bytes that
            // were zeros before they were overwritten), the file no shorter than when last synced.
            let (cut, keep_len) = match self.loss {
                CrashLoss::Torn { seed } => {
                    let unsynced = t.len - from;
                    let r = (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ i as u64) % (unsynced + 1);
                    let cut = ((from + r) / SECTOR * SECTOR).max(from);
                    (cut, t.synced.max((cut + SECTOR).min(t.len)))
                }
                _ => (from, t.synced),
            };
            let zeros = vec![0u8; keep_len.saturating_sub(cut) as usize];
            let _ = f
                .set_len(cut.min(keep_len))
                .and_then(|()| std::os::unix::fs::FileExt::write_all_at(&f, &zeros, cut))
                .and_then(|()| f.set_len(keep_len));
        }
    }

    fn parent_synced(&mut self, dir: &Path) {
        self.unsynced_new.retain(|p| p.parent() != Some(dir));
    }
}

#[derive(Debug)]
struct FaultFile {
    fs: FaultFs,
    path: PathBuf,
    inner: Box<dyn AppendFile>,
}

impl AppendFile for FaultFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut fault = self.fs.begin("write", &self.path)?;
        if fault.is_none() && self.fs.lock().full {
            fault = Some(Fault::NoSpace);
        }
        let n = match fault {
            None => self.inner.write(buf)?,
            Some(_) => self.inner.write(&buf[..buf.len().div_ceil(2)])?,
        };
        if let Some(t) = self.fs.lock().files.get_mut(&self.path) {
            // Files are appended to with `write` (a new or emptied file, written from its start).
            let at = t.len;
            t.wrote(at, n as u64);
        }
        match fault {
            Some(Fault::NoSpace) => Err(no_space()),
            Some(Fault::Eio) => Err(eio()),
            _ => Ok(n),
        }
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        let mut fault = self.fs.begin("write", &self.path)?;
        if fault.is_none() && self.fs.lock().full {
            fault = Some(Fault::NoSpace);
        }
        let n = match fault {
            None => self.inner.write_at(offset, buf)?,
            Some(_) => self.inner.write_at(offset, &buf[..buf.len().div_ceil(2)])?,
        };
        if let Some(t) = self.fs.lock().files.get_mut(&self.path) {
            t.wrote(offset, n as u64);
        }
        match fault {
            Some(Fault::NoSpace) => Err(no_space()),
            Some(Fault::Eio) => Err(eio()),
            _ => Ok(n),
        }
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.fs.begin("sync_data", &self.path)?;
        self.inner.sync_data()?;
        if let Some(t) = self.fs.lock().files.get_mut(&self.path) {
            t.synced_now();
        }
        Ok(())
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.fs.begin("sync_all", &self.path)?;
        self.inner.sync_all()?;
        if let Some(t) = self.fs.lock().files.get_mut(&self.path) {
            t.synced_now();
        }
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.fs.begin("set_len", &self.path)?;
        self.inner.set_len(len)?;
        if let Some(t) = self.fs.lock().files.get_mut(&self.path) {
            t.len = len;
            t.synced = t.synced.min(len);
        }
        Ok(())
    }
}

impl Fs for FaultFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        self.begin("create_dir_all", dir)?;
        OsFs.create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        OsFs.list(dir)
    }

    fn exists(&self, path: &Path) -> bool {
        OsFs.exists(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        OsFs.read(path)
    }

    fn open_append(&self, path: &Path, how: Open) -> io::Result<Box<dyn AppendFile>> {
        self.begin("open", path)?;
        let creates = how != Open::Existing && (how == Open::CreateNew || !path.exists());
        if creates && self.lock().full {
            return Err(no_space());
        }
        let inner = OsFs.open_append(path, how)?;
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut st = self.lock();
        // What a file holds when opened (written before this run) counts as durable.
        let synced = if how == Open::Truncate { 0 } else { len };
        st.files.insert(path.into(), Tracked::new(len, synced));
        if creates {
            st.unsynced_new.insert(path.into());
        }
        drop(st);
        Ok(Box::new(FaultFile { fs: self.clone(), path: path.into(), inner }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.begin("rename", to)?;
        OsFs.rename(from, to)?;
        let mut st = self.lock();
        if let Some(t) = st.files.remove(from) {
            st.files.insert(to.into(), t);
        }
        // The new name is not durable until the directory is synced.
        st.unsynced_new.remove(from);
        st.unsynced_new.insert(to.into());
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.begin("remove_file", path)?;
        OsFs.remove_file(path)?;
        let mut st = self.lock();
        st.files.remove(path);
        st.unsynced_new.remove(path);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.begin("sync_dir", dir)?;
        OsFs.sync_dir(dir)?;
        self.lock().parent_synced(dir);
        Ok(())
    }
}
