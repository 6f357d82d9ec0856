//! Errors returned by the consensus driver.

use std::path::PathBuf;

/// Convenience alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while starting, running or stopping a raft node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid (bad id, bad ticks, ...).
    #[error("invalid raft config: {reason}")]
    InvalidConfig {
        /// What is wrong with it.
        reason: String,
    },
    /// A file operation on the data directory failed.
    #[error("raft storage I/O failed on {path}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The disk of the data directory is full: the write was rolled back and nothing was acknowledged.
    /// Reads go on; writes resume once space is freed.
    #[error("no space left on the device of {path}")]
    NoSpace {
        /// The file that could not grow.
        path: PathBuf,
    },
    /// The disk of the data directory failed (a sync failed, or a write failed other than for lack of
    /// space): the node stopped for good and writes nothing more. A failed sync is never retried; restart
    /// the member to recover from what is on disk.
    #[error("raft storage failed on {path}; the node stopped")]
    DiskFailed {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The data directory holds damaged data that cannot be repaired by dropping a torn tail.
    #[error("corrupt raft data in {path} at offset {offset}: {reason}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damaged record.
        offset: u64,
        /// What was found.
        reason: String,
    },
    /// The data directory belongs to another member or another cluster.
    #[error("data directory {path} belongs to member {found_member:x} of cluster {found_cluster:x}, not member {expected_member:x}")]
    DataDirMismatch {
        /// The data directory.
        path: PathBuf,
        /// The member id recorded in the data directory.
        found_member: u64,
        /// The cluster id recorded in the data directory.
        found_cluster: u64,
        /// The member id this node was configured with.
        expected_member: u64,
    },
    /// The raft library rejected an operation.
    #[error("raft rejected the operation: {reason}")]
    Raft {
        /// The library's explanation.
        reason: String,
    },
    /// The proposal was dropped by raft (for example because no leader is known).
    #[error("proposal dropped: no leader is known or a leader transfer is in progress")]
    ProposalDropped,
    /// The proposal was appended by this node as leader, but another entry was committed at its index
    /// (leadership changed, or raft refused a membership change while another one was pending).
    #[error("proposal lost: another entry was committed at index {index}")]
    ProposalLost {
        /// The index the proposal had been appended at.
        index: u64,
    },
    /// The proposal was forwarded to a leader that lost it: an entry of a later term was committed
    /// and applied here without it (the leader failed or was cut off before replicating it). Like a
    /// timeout, this does not prove it will never be applied: a copy still in flight may reach the
    /// new leader.
    #[error("request timed out, possibly due to previous leader failure")]
    LeaderLost {
        /// The term this member was in when it gave the proposal up.
        term: u64,
    },
    /// A message received from a peer could not be decoded.
    #[error("undecodable raft message from the network: {reason}")]
    BadMessage {
        /// The decoding error.
        reason: String,
    },
    /// The node has been stopped (or its driver task died).
    #[error("raft node stopped")]
    Stopped,
    /// The driver's inbox is full; the message was dropped.
    #[error("raft node is overloaded")]
    Busy,
    /// The state machine refused to restore a snapshot.
    #[error("state machine could not restore snapshot at index {index}: {reason}")]
    Restore {
        /// Index of the snapshot.
        index: u64,
        /// The state machine's explanation.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`: [`Error::NoSpace`] when the disk is full, [`Error::Io`] otherwise.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        if crate::fs::is_no_space(&source) {
            Error::NoSpace { path: path.into() }
        } else {
            Error::Io { path: path.into(), source }
        }
    }

    /// Turns a storage error into the one that stops the node for good, unless it is a full disk.
    pub(crate) fn fatal(self) -> Self {
        match self {
            Error::Io { path, source } => Error::DiskFailed { path, source },
            other => other,
        }
    }

    pub(crate) fn raft(err: raft::Error) -> Self {
        match err {
            raft::Error::ProposalDropped => Error::ProposalDropped,
            other => Error::Raft { reason: other.to_string() },
        }
    }
}
