//! Errors of the server entry point.

/// Why `run` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener failed.
    #[error("listener {addr}: {source}")]
    Listener {
        /// The listener's address, when known.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No listener was given.
    #[error("no client listener")]
    NoListener,
    /// TLS material could not be loaded or used.
    #[error("TLS: {path}: {reason}")]
    Tls {
        /// The file concerned.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Joining an existing cluster failed (unreachable peers, another cluster, not a member).
    #[error("join: {reason}")]
    Join {
        /// Why.
        reason: String,
    },
    /// The Raft log could not start or stop cleanly.
    #[error("raft log")]
    Raft(#[source] hecd_raft::Error),
}

/// Result of server operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
