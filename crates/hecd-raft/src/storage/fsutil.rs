//! Small durable-file helpers over [`Fs`]: atomic replace, directory fsync, listing.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fs::{AppendFile, Fs, Open};

/// Fsyncs a directory so that renames and creations inside it survive a crash.
pub(crate) fn sync_dir(fs: &dyn Fs, dir: &Path) -> Result<()> {
    fs.sync_dir(dir).map_err(|e| Error::io(dir, e))
}

/// A failed directory sync stops the node like any failed sync (never retried).
pub(crate) fn sync_failed(err: Error) -> Error {
    match err {
        Error::Io { path, source } => Error::DiskFailed { path, source },
        Error::NoSpace { path } => {
            Error::DiskFailed { path, source: std::io::Error::from_raw_os_error(28) }
        }
        other => other,
    }
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, directory fsync. On failure the temp
/// file is removed, so a full disk gets its space back.
pub(crate) fn write_atomic(fs: &dyn Fs, path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(fs, path, |f| f.write_all(bytes))
}

/// As [`write_atomic`], the temp file's contents written by `write`.
pub(crate) fn write_atomic_with(
    fs: &dyn Fs,
    path: &Path,
    write: impl FnOnce(&mut dyn AppendFile) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let mut f = fs.open_append(&tmp, Open::Truncate).map_err(|e| Error::io(&tmp, e))?;
    if let Err(e) = write(&mut *f).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = fs.remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    drop(f);
    fs.rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    sync_dir(fs, dir).map_err(sync_failed)
}

/// Creates a directory (and its parents) if missing.
pub(crate) fn ensure_dir(fs: &dyn Fs, dir: &Path) -> Result<()> {
    fs.create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// File names in `dir` ending with `suffix`, sorted.
pub(crate) fn list(fs: &dyn Fs, dir: &Path, suffix: &str) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs
        .list(dir)
        .map_err(|e| Error::io(dir, e))?
        .into_iter()
        .filter(|n| n.ends_with(suffix))
        .collect();
    names.sort();
    Ok(names)
}
