//! The client's error type.

use hecd_v2api::{ErrorBody, ErrorCode};

/// What can go wrong talking to a v2 server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an etcd error body (e.g. 100 key not found).
    #[error("{}: {} ({}) [{}]", .body.error_code, .body.message, .body.cause, .body.index)]
    Etcd {
        /// The HTTP status of the answer.
        status: u16,
        /// The decoded error body.
        body: ErrorBody,
    },
    /// The server answered with a status and a body that is not an etcd error.
    #[error("unexpected HTTP {status} from {endpoint}: {body}")]
    Http {
        /// The endpoint that answered.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// The body, as text.
        body: String,
    },
    /// An endpoint URL could not be used.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it was rejected.
        reason: String,
    },
    /// TLS material could not be loaded or used.
    #[error("TLS: {path}: {reason}")]
    Tls {
        /// The file concerned (empty when none).
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// No endpoint was configured.
    #[error("no endpoints configured")]
    NoEndpoints,
    /// Every endpoint failed; the last failure is the source.
    #[error("all endpoints failed ({endpoints}): {last}")]
    Unavailable {
        /// The endpoints tried, comma separated.
        endpoints: String,
        /// The last transport error.
        last: String,
    },
    /// The request did not complete within the configured timeout.
    #[error("request to {endpoint} timed out after {millis} ms")]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The timeout.
        millis: u128,
    },
    /// A body could not be decoded as the expected JSON.
    #[error("cannot decode the answer from {endpoint}: {source}")]
    Decode {
        /// The endpoint that answered.
        endpoint: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// The etcd error code, when the server sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Etcd { body, .. } => ErrorCode::from_code(body.error_code),
            _ => None,
        }
    }

    /// Whether this is error 100, key not found.
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(ErrorCode::KeyNotFound)
    }

    /// Whether this is error 401, the requested watch index fell out of the event history.
    pub fn is_index_cleared(&self) -> bool {
        self.code() == Some(ErrorCode::EventIndexCleared)
    }
}

/// `Result` with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
