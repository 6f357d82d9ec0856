//! Store mutations as Raft log entries.
//!
//! Every write is encoded into bytes, proposed, and applied on every replica by
//! [`crate::state_machine::KvStateMachine`]. Times travel as Unix nanoseconds chosen by the
//! member that received the request, so replicas compute identical TTLs and expiries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

/// One replicated store mutation, encoded as a JSON object tagged by its `op`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// An entry's fields as they come, whatever its `op`: the entry decodes in one pass over its
/// JSON (a derived internally tagged enum buffers every field first to find the tag).
#[derive(Deserialize)]
struct Fields {
    op: Op,
    key: Option<String>,
    value: Option<String>,
    dir: Option<bool>,
    expiration: Option<u64>,
    refresh: Option<bool>,
    prev_exist: Option<bool>,
    prev_value: Option<String>,
    prev_index: Option<u64>,
    now: Option<u64>,
    recursive: Option<bool>,
    id: Option<u64>,
    name: Option<String>,
    client_urls: Option<Vec<String>>,
    peer_urls: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Op {
    Put,
    Post,
    Delete,
    Publish,
    UpdatePeers,
    Sync,
}

/// A field the entry's `op` requires.
fn required<T>(field: Option<T>, name: &'static str) -> Result<T, &'static str> {
    field.ok_or(name)
}

impl Fields {
    /// The entry, or the name of a field its `op` requires and it lacks.
    fn entry(self) -> Result<LogEntry, &'static str> {
        Ok(match self.op {
            Op::Put => LogEntry::Put {
                key: required(self.key, "key")?,
                value: required(self.value, "value")?,
                dir: required(self.dir, "dir")?,
                expiration: self.expiration,
                refresh: required(self.refresh, "refresh")?,
                prev_exist: self.prev_exist,
                prev_value: self.prev_value,
                prev_index: required(self.prev_index, "prev_index")?,
                now: required(self.now, "now")?,
            },
            Op::Post => LogEntry::Post {
                key: required(self.key, "key")?,
                value: required(self.value, "value")?,
                dir: required(self.dir, "dir")?,
                expiration: self.expiration,
                now: required(self.now, "now")?,
            },
            Op::Delete => LogEntry::Delete {
                key: required(self.key, "key")?,
                dir: required(self.dir, "dir")?,
                recursive: required(self.recursive, "recursive")?,
                prev_value: self.prev_value,
                prev_index: required(self.prev_index, "prev_index")?,
                now: required(self.now, "now")?,
            },
            Op::Publish => LogEntry::Publish {
                id: required(self.id, "id")?,
                name: required(self.name, "name")?,
                client_urls: required(self.client_urls, "client_urls")?,
            },
            Op::UpdatePeers => LogEntry::UpdatePeers {
                id: required(self.id, "id")?,
                peer_urls: required(self.peer_urls, "peer_urls")?,
            },
            Op::Sync => LogEntry::Sync { now: required(self.now, "now")? },
        })
    }
}

impl<'de> Deserialize<'de> for LogEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Fields::deserialize(d)?.entry().map_err(D::Error::missing_field)
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
