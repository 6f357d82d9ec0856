//! Errors of store operations (etcd v2 error codes) and of snapshot decoding.

use hecd_v2api::ErrorCode;

/// A failed store operation, as etcd reports it: code, cause and the store index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({cause}) [{index}]")]
pub struct Error {
    /// etcd's error code.
    pub code: ErrorCode,
    /// The key or condition that failed (etcd's `cause`).
    pub cause: String,
    /// The store index when the operation failed.
    pub index: u64,
}

impl Error {
    pub(crate) fn new(code: ErrorCode, cause: impl Into<String>, index: u64) -> Self {
        Error { code, cause: cause.into(), index }
    }
}

/// Result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A snapshot that could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a hecd store snapshot")]
    BadMagic,
    /// The snapshot ended early.
    #[error("snapshot truncated at byte {offset}")]
    Truncated {
        /// Where the data ran out.
        offset: usize,
    },
    /// The snapshot contains an invalid byte sequence.
    #[error("snapshot corrupt at byte {offset}")]
    Corrupt {
        /// Where the bad data starts.
        offset: usize,
    },
}
