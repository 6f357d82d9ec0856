//! The narrow file-system interface every durable byte goes through (WAL segments, snapshot files, the
//! meta file), with the operating system's implementation ([`OsFs`]) and a fault-injecting one for tests
//! ([`FaultFs`]: short writes, a full disk, EIO on write or on fdatasync, a crash between any two
//! operations with the loss of what was not synced).
//!
//! How the storage reacts to failures (see `docs/storage.md`):
//! - a write that fails for lack of space ([`is_no_space`]) is rolled back (the file is truncated to
//!   its length before the batch) and retried until space returns; nothing is acknowledged meanwhile;
//! - any other write failure, and every failed `fdatasync`/`fsync`, stops the node for good: a failed
//!   sync is never retried, because the kernel may have dropped the dirty pages it could not write and a
//!   second sync would then "succeed" without the data (the lesson PostgreSQL learned in 2018).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

mod fault;

pub use fault::{CrashLoss, Fault, FaultFs};

/// A file opened for writing: appended to (`write`, from its start for a new file) or written at
/// chosen offsets (`write_at`).
pub trait AppendFile: fmt::Debug + Send {
    /// Writes some of `buf` at the end of the file and returns how many bytes were written (a short
    /// write is not an error; [`AppendFile::write_all`] loops).
    ///
    /// # Errors
    /// The operating system's error (`ENOSPC`, `EIO`, ...).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;

    /// Writes the whole of `buf`, looping over short writes.
    ///
    /// # Errors
    /// The first failed write; the bytes written before it stay in the file.
    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes")),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes some of `buf` at `offset` (`pwrite(2)`), leaving the file's other bytes as they are
    /// (the file grows if the write ends past its end), and returns how many bytes were written.
    ///
    /// # Errors
    /// The operating system's error (`ENOSPC`, `EIO`, ...).
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<usize>;

    /// Writes the whole of `buf` at `offset`, looping over short writes.
    ///
    /// # Errors
    /// The first failed write; the bytes written before it stay in the file.
    fn write_all_at(&mut self, mut offset: u64, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_at(offset, buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "wrote 0 bytes")),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `fdatasync(2)`.
    ///
    /// # Errors
    /// The operating system's error. Callers never retry a failed sync.
    fn sync_data(&mut self) -> io::Result<()>;

    /// `fsync(2)`.
    ///
    /// # Errors
    /// The operating system's error. Callers never retry a failed sync.
    fn sync_all(&mut self) -> io::Result<()>;

    /// Truncates (or extends with zeros) the file to `len` bytes.
    ///
    /// # Errors
    /// The operating system's error.
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

/// The file-system operations of the data directory.
pub trait Fs: fmt::Debug + Send + Sync {
    /// Creates a directory and its parents if missing.
    ///
    /// # Errors
    /// The operating system's error.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// The names of the entries of `dir` (unsorted).
    ///
    /// # Errors
    /// The operating system's error.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;

    /// Whether `path` exists.
    fn exists(&self, path: &Path) -> bool;

    /// Reads a whole file.
    ///
    /// # Errors
    /// The operating system's error.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Opens `path` for appending; with `create_new`, creates it and fails if it exists; with
    /// `truncate`, creates or empties it.
    ///
    /// # Errors
    /// The operating system's error.
    fn open_append(&self, path: &Path, how: Open) -> io::Result<Box<dyn AppendFile>>;

    /// Renames `from` to `to`, replacing `to`.
    ///
    /// # Errors
    /// The operating system's error.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Deletes a file.
    ///
    /// # Errors
    /// The operating system's error.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Fsyncs a directory, so the creations, renames and deletions inside it survive a crash.
    ///
    /// # Errors
    /// The operating system's error. Callers never retry a failed sync.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// How [`Fs::open_append`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// The file must exist; `write` starts at its beginning (use `write_at` to write elsewhere).
    Existing,
    /// The file must not exist; it is created.
    CreateNew,
    /// The file is created, or emptied if it exists.
    Truncate,
}

/// Whether an I/O error means the disk (or the user's quota) is full: such a write is rolled back and
/// retried once space returns, instead of stopping the node.
pub fn is_no_space(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded)
}

/// The operating system's file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

#[derive(Debug)]
struct OsFile(File);

impl AppendFile for OsFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::write_at(&self.0, buf, offset)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

impl Fs for OsFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for ent in fs::read_dir(dir)? {
            if let Some(name) = ent?.file_name().to_str() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn open_append(&self, path: &Path, how: Open) -> io::Result<Box<dyn AppendFile>> {
        let mut opts = OpenOptions::new();
        match how {
            // Not O_APPEND: positioned writes (`write_at`) must land where they say.
            Open::Existing => opts.write(true),
            Open::CreateNew => opts.write(true).create_new(true),
            Open::Truncate => opts.write(true).create(true).truncate(true),
        };
        Ok(Box::new(OsFile(opts.open(path)?)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::AppendFile;

    /// A file that answers each write with the next scripted outcome: `Some(n)` writes at most `n`
    /// bytes, `None` is interrupted by a signal (EINTR).
    #[derive(Debug, Default)]
    struct Scripted {
        data: Vec<u8>,
        script: Vec<Option<usize>>,
    }

    impl Scripted {
        fn next(&mut self, at: usize, buf: &[u8]) -> io::Result<usize> {
            let step =
                if self.script.is_empty() { Some(usize::MAX) } else { self.script.remove(0) };
            let n = step.ok_or_else(|| io::Error::from(io::ErrorKind::Interrupted))?.min(buf.len());
            if self.data.len() < at + n {
                self.data.resize(at + n, 0);
            }
            self.data[at..at + n].copy_from_slice(&buf[..n]);
            Ok(n)
        }
    }

    impl AppendFile for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.next(self.data.len(), buf)
        }
        fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<usize> {
            self.next(offset as usize, buf)
        }
        fn sync_data(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn sync_all(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn set_len(&mut self, len: u64) -> io::Result<()> {
            self.data.resize(len as usize, 0);
            Ok(())
        }
    }

    /// Interrupted and short writes are carried on until every byte is written, appending or at an
    /// offset; a write of no bytes is an error rather than a loop.
    #[test]
    fn interrupted_and_short_writes_are_completed() {
        let script = vec![None, Some(3), None, None, Some(1)];
        let mut f = Scripted { script: script.clone(), ..Default::default() };
        f.write_all(b"hello world").unwrap();
        assert_eq!(f.data, b"hello world");

        let mut f = Scripted { data: vec![b'.'; 12], script };
        f.write_all_at(2, b"zeroes").unwrap();
        assert_eq!(f.data, b"..zeroes....");

        for at in [None, Some(0)] {
            let mut f = Scripted { script: vec![Some(2), Some(0)], ..Default::default() };
            let err = match at {
                None => f.write_all(b"abcdef"),
                Some(off) => f.write_all_at(off, b"abcdef"),
            };
            assert_eq!(err.unwrap_err().kind(), io::ErrorKind::WriteZero);
        }
    }
}
