//! Errors of the runtime API client.

use std::time::Duration;

/// A failed runtime API exchange.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The endpoint text is neither a socket path nor an `IP:PORT`.
    #[error("invalid HAProxy runtime API address {0:?} (a unix socket path, tcp://IP:PORT, ipv4@IP:PORT or IP:PORT)")]
    Endpoint(String),
    /// The socket cannot be reached (missing, refused, no permission).
    #[error("cannot connect to HAProxy's runtime API at {endpoint}: {source}")]
    Connect {
        /// The endpoint.
        endpoint: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The exchange failed after the connection was made.
    #[error("HAProxy's runtime API connection failed: {0}")]
    Io(#[source] std::io::Error),
    /// No complete answer in time.
    #[error("HAProxy did not answer {command:?} within {after:?}")]
    Timeout {
        /// The command.
        command: String,
        /// The timeout.
        after: Duration,
    },
    /// HAProxy answered, but not with success.
    #[error("HAProxy refused {command:?}: {answer}")]
    Refused {
        /// The command.
        command: String,
        /// HAProxy's answer.
        answer: String,
    },
    /// The answer is not in the expected format.
    #[error("cannot read HAProxy's answer to {command:?}: {what}")]
    Parse {
        /// The command.
        command: String,
        /// What is wrong.
        what: String,
    },
}

impl Error {
    /// Whether HAProxy could not be reached at all (nothing was applied).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Endpoint(_))
    }
}
