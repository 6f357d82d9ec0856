//! The registrar's error type.

/// What can go wrong registering a container.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The container name is not a single, visible path segment.
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The address is not `HOST:PORT`.
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress {
        /// The address as given.
        address: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The prefix is not an absolute key path.
    #[error("invalid prefix {prefix:?}: it must start with '/'")]
    InvalidPrefix {
        /// The prefix as given.
        prefix: String,
    },
    /// `--no-overwrite` and the key exists.
    #[error("{key} is already registered (as {value})")]
    AlreadyRegistered {
        /// The key.
        key: String,
        /// Its current value.
        value: String,
    },
    /// The container is not registered.
    #[error("{key} is not registered")]
    NotRegistered {
        /// The key.
        key: String,
    },
    /// The run options are inconsistent (e.g. a refresh interval not shorter than the TTL).
    #[error("{0}")]
    InvalidOptions(String),
    /// `docker inspect` output could not be used.
    #[error("docker inspect output: {0}")]
    Inspect(String),
    /// The Docker engine could not be reached or answered unexpectedly.
    #[error("docker engine {host}: {reason}")]
    Engine {
        /// The engine address.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// The store answered with an error or could not be reached.
    #[error(transparent)]
    Store(#[from] hecd_client::Error),
}

/// `Result` with the registrar's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
