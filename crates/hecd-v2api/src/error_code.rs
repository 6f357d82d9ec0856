//! The v2 error-code table: numbers and etcd's messages.

/// An etcd v2 error code (`errorCode` in error bodies).
///
/// The HTTP status of each code is decided by the server, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 100: the key does not exist.
    KeyNotFound,
    /// 101: a compare-and-swap or compare-and-delete condition failed.
    TestFailed,
    /// 102: the operation needs a file but found a directory.
    NotFile,
    /// 103: unused since 0.4.
    NoMorePeer,
    /// 104: a path component is a file, not a directory.
    NotDir,
    /// 105: the key already exists.
    NodeExist,
    /// 106: unused since 0.4.
    KeyIsPreserved,
    /// 107: the root is read only.
    RootReadOnly,
    /// 108: the directory is not empty.
    DirNotEmpty,
    /// 109: unused.
    ExistingPeerAddr,
    /// 110: the request needs authentication.
    Unauthorized,
    /// 200: unused.
    ValueRequired,
    /// 201: `prevValue` was given but empty.
    PrevValueRequired,
    /// 202: `ttl` is not a number.
    TtlNaN,
    /// 203: an index parameter is not a number.
    IndexNaN,
    /// 204: unused since 0.4.
    ValueOrTtlRequired,
    /// 205: unused since 0.4.
    TimeoutNaN,
    /// 206: unused since 0.4.
    NameRequired,
    /// 207: unused since 0.4.
    IndexOrValueRequired,
    /// 208: unused since 0.4.
    IndexValueMutex,
    /// 209: a parameter has an invalid value.
    InvalidField,
    /// 210: the form could not be parsed.
    InvalidForm,
    /// 211: a value was given on a refresh.
    RefreshValue,
    /// 212: a refresh without a TTL.
    RefreshTtlRequired,
    /// 300: an internal Raft error (also timeouts).
    RaftInternal,
    /// 301: no leader.
    LeaderElect,
    /// 400: the watcher was cleared by a recovery.
    WatcherCleared,
    /// 401: the requested event index fell out of the history.
    EventIndexCleared,
    /// 402: unused since 0.4.
    StandbyInternal,
    /// 403: unused since 0.4.
    InvalidActiveSize,
    /// 404: unused since 0.4.
    InvalidRemoveDelay,
    /// 500: client internal error.
    ClientInternal,
}

const TABLE: &[(ErrorCode, u16, &str)] = &[
    (ErrorCode::KeyNotFound, 100, "Key not found"),
    (ErrorCode::TestFailed, 101, "Compare failed"),
    (ErrorCode::NotFile, 102, "Not a file"),
    (ErrorCode::NoMorePeer, 103, "Reached the max number of peers in the cluster"),
    (ErrorCode::NotDir, 104, "Not a directory"),
    (ErrorCode::NodeExist, 105, "Key already exists"),
    (ErrorCode::KeyIsPreserved, 106, "The prefix of given key is a keyword in etcd"),
    (ErrorCode::RootReadOnly, 107, "Root is read only"),
    (ErrorCode::DirNotEmpty, 108, "Directory not empty"),
    (ErrorCode::ExistingPeerAddr, 109, "Peer address has existed"),
    (ErrorCode::Unauthorized, 110, "The request requires user authentication"),
    (ErrorCode::ValueRequired, 200, "Value is Required in POST form"),
    (ErrorCode::PrevValueRequired, 201, "PrevValue is Required in POST form"),
    (ErrorCode::TtlNaN, 202, "The given TTL in POST form is not a number"),
    (ErrorCode::IndexNaN, 203, "The given index in POST form is not a number"),
    (ErrorCode::ValueOrTtlRequired, 204, "Value or TTL is required in POST form"),
    (ErrorCode::TimeoutNaN, 205, "The given timeout in POST form is not a number"),
    (ErrorCode::NameRequired, 206, "Name is required in POST form"),
    (ErrorCode::IndexOrValueRequired, 207, "Index or value is required"),
    (ErrorCode::IndexValueMutex, 208, "Index and value cannot both be specified"),
    (ErrorCode::InvalidField, 209, "Invalid field"),
    (ErrorCode::InvalidForm, 210, "Invalid POST form"),
    (ErrorCode::RefreshValue, 211, "Value provided on refresh"),
    (ErrorCode::RefreshTtlRequired, 212, "A TTL must be provided on refresh"),
    (ErrorCode::RaftInternal, 300, "Raft Internal Error"),
    (ErrorCode::LeaderElect, 301, "During Leader Election"),
    (ErrorCode::WatcherCleared, 400, "watcher is cleared due to etcd recovery"),
    (ErrorCode::EventIndexCleared, 401, "The event in requested index is outdated and cleared"),
    (ErrorCode::StandbyInternal, 402, "Standby Internal Error"),
    (ErrorCode::InvalidActiveSize, 403, "Invalid active size"),
    (ErrorCode::InvalidRemoveDelay, 404, "Standby remove delay"),
    (ErrorCode::ClientInternal, 500, "Client Internal Error"),
];

impl ErrorCode {
    fn entry(self) -> &'static (ErrorCode, u16, &'static str) {
        // Every variant has exactly one row in TABLE (checked by a unit test).
        TABLE.iter().find(|e| e.0 == self).unwrap_or(&TABLE[TABLE.len() - 1])
    }

    /// The numeric code, as sent in `errorCode`.
    pub fn code(self) -> u16 {
        self.entry().1
    }

    /// etcd's message for this code, as sent in `message`.
    pub fn message(self) -> &'static str {
        self.entry().2
    }

    /// The code with this number, if etcd defines one.
    pub fn from_code(code: u16) -> Option<ErrorCode> {
        TABLE.iter().find(|e| e.1 == code).map(|e| e.0)
    }

    /// Every code, in numeric order.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        TABLE.iter().map(|e| e.0)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

#[cfg(test)]
mod tests;
