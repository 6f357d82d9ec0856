//! A file system whose fdatasyncs wait at a gate the test shuts and opens.

use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use hecd_raft::fs::{AppendFile, Fs, Open, OsFs};

/// The OS file system, except that while the gate is shut an fdatasync waits for it to open:
/// a disk that is slow exactly when the test wants.
#[derive(Debug, Clone, Default)]
pub struct GatedFs(Arc<(Mutex<Gate>, Condvar)>);

#[derive(Debug, Default)]
struct Gate {
    shut: bool,
    /// fdatasyncs that have started waiting at the shut gate.
    waiting: u64,
}

impl GatedFs {
    /// Shuts the gate until `open`, or until the returned guard is dropped (so that a failing test
    /// cannot leave a thread waiting at the gate, and its runtime's shutdown with it).
    #[must_use = "dropping the guard opens the gate"]
    pub fn shut(&self) -> Shut {
        self.0 .0.lock().unwrap().shut = true;
        Shut(self.clone())
    }

    /// Blocks until an fdatasync waits at the gate.
    pub fn wait_for_a_waiting_sync(&self) {
        let (gate, cv) = &*self.0;
        let _held = cv.wait_while(gate.lock().unwrap(), |g| g.waiting == 0).unwrap();
    }

    pub fn open(&self) {
        let (gate, cv) = &*self.0;
        gate.lock().unwrap().shut = false;
        cv.notify_all();
    }
}

#[derive(Debug)]
struct GatedFile(Box<dyn AppendFile>, GatedFs);

impl AppendFile for GatedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<usize> {
        self.0.write_at(offset, buf)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        let (gate, cv) = &*self.1 .0;
        let mut g = gate.lock().unwrap();
        if g.shut {
            g.waiting += 1;
            cv.notify_all();
            g = cv.wait_while(g, |g| g.shut).unwrap();
        }
        drop(g);
        self.0.sync_data()
    }
    fn sync_all(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }
}

impl Fs for GatedFs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
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
        Ok(Box::new(GatedFile(OsFs.open_append(path, how)?, self.clone())))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        OsFs.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        OsFs.remove_file(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        OsFs.sync_dir(dir)
    }
}

/// Opens the gate when dropped.
pub struct Shut(GatedFs);

impl Drop for Shut {
    fn drop(&mut self) {
        self.0.open();
    }
}
