//! Store mutations as Raft log entries.
//!
//! Every write is encoded into bytes, proposed, and applied on every replica by
//! [`crate::state_machine::KvStateMachine`]. Times travel as Unix nanoseconds chosen by the
//! member that received the request, so replicas compute identical TTLs and expiries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One replicated store mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LogEntry {
    /// PUT: set, create, update or compare-and-swap.
    Put {
        /// Cleaned key.
        key: String,
        /// Value (ignored for directories).
        value: String,
        /// `dir=true`.
        dir: bool,
        /// Absolute expiry (Unix ns), `None` = permanent.
        expiration: Option<u64>,
        /// `refresh=true`.
        refresh: bool,
        /// `prevExist`.
        prev_exist: Option<bool>,
        /// `prevValue`.
        prev_value: Option<String>,
        /// `prevIndex` (0 = none).
        prev_index: u64,
        /// The proposer's clock (Unix ns).
        now: u64,
    },
    /// POST: create an in-order key below `key`.
    Post {
        /// Cleaned directory key.
        key: String,
        /// Value.
        value: String,
        /// `dir=true`.
        dir: bool,
        /// Absolute expiry (Unix ns).
        expiration: Option<u64>,
        /// The proposer's clock (Unix ns).
        now: u64,
    },
    /// DELETE or compare-and-delete.
    Delete {
        /// Cleaned key.
        key: String,
        /// `dir=true`.
        dir: bool,
        /// `recursive=true`.
        recursive: bool,
        /// `prevValue`.
        prev_value: Option<String>,
        /// `prevIndex` (0 = none).
        prev_index: u64,
        /// The proposer's clock (Unix ns).
        now: u64,
    },
    /// A member announces its name and client URLs (etcd's attribute publication).
    Publish {
        /// The member id.
        id: u64,
        /// Its name.
        name: String,
        /// Its advertised client URLs.
        client_urls: Vec<String>,
    },
    /// A member's new peer URLs (`PUT /v2/members/<id>`).
    UpdatePeers {
        /// The member id.
        id: u64,
        /// Its new peer URLs.
        peer_urls: Vec<String>,
    },
    /// SYNC: expire every node due at the leader's `now`.
    Sync {
        /// The leader's clock (Unix ns).
        now: u64,
    },
}

impl LogEntry {
    /// Encodes for the log.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing a plain enum of strings and integers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes a log entry.
    ///
    /// # Errors
    /// The entry is not a command (a corrupt or foreign log).
    pub fn decode(data: &[u8]) -> Result<LogEntry, serde_json::Error> {
        serde_json::from_slice(data)
    }
}

/// Unix nanoseconds of a time (0 before the epoch).
pub fn to_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// The time of Unix nanoseconds.
pub fn from_nanos(n: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(n)
}

#[cfg(test)]
mod tests;
