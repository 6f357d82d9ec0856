//! The replicated state machine: applies [`Command`]s to the shared store.

use std::sync::{Arc, RwLock, RwLockWriteGuard};

use hecd_store::{Compare, DeleteOptions, Event, Precondition, Store, WriteOptions};

use crate::command::{from_nanos, Command};

/// What applying one entry produced.
pub type ApplyOutput = Result<Option<Arc<Event>>, hecd_store::Error>;

/// Wraps the store shared with the HTTP readers. The write lock is held only while
/// one entry is applied, never across an `.await`.
#[derive(Debug, Clone)]
pub struct KvStateMachine {
    store: Arc<RwLock<Store>>,
}

impl KvStateMachine {
    /// A state machine over `store`.
    pub fn new(store: Arc<RwLock<Store>>) -> Self {
        KvStateMachine { store }
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store> {
        // A panic in apply would already have failed the proposal; keep serving.
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    fn compare(prev_value: Option<String>, prev_index: u64) -> Option<Compare> {
        (prev_value.is_some() || prev_index > 0)
            .then_some(Compare { prev_value, prev_index: (prev_index > 0).then_some(prev_index) })
    }

    /// Applies one entry. Entries that are not commands are ignored (`Ok(None)`).
    pub fn apply_entry(&mut self, data: &[u8]) -> ApplyOutput {
        let Ok(cmd) = Command::decode(data) else {
            tracing::warn!(len = data.len(), "ignoring an undecodable log entry");
            return Ok(None);
        };
        let mut store = self.write();
        match cmd {
            Command::Put {
                key,
                value,
                dir,
                expiration,
                refresh,
                prev_exist,
                prev_value,
                prev_index,
                now,
            } => {
                let compare = Self::compare(prev_value, prev_index);
                // etcd's routing: prevExist first, then a compare, then a plain set.
                let precondition = match (prev_exist, compare) {
                    (Some(true), Some(c)) => Precondition::Matches(c),
                    (Some(true), None) => Precondition::Exists(true),
                    (Some(false), _) => Precondition::Exists(false),
                    (None, Some(c)) => Precondition::Matches(c),
                    (None, None) => Precondition::None,
                };
                let opts = WriteOptions {
                    value,
                    dir,
                    expiration: expiration.map(from_nanos),
                    refresh,
                    precondition,
                };
                store.write(&key, opts, from_nanos(now)).map(Some)
            }
            Command::Post { key, value, dir, expiration, now } => store
                .create_in_order(&key, value, dir, expiration.map(from_nanos), from_nanos(now))
                .map(Some),
            Command::Delete { key, dir, recursive, prev_value, prev_index, now } => {
                let opts = DeleteOptions {
                    dir,
                    recursive,
                    compare: Self::compare(prev_value, prev_index),
                };
                store.delete(&key, opts, from_nanos(now)).map(Some)
            }
            Command::Sync { now } => {
                store.expire(from_nanos(now));
                Ok(None)
            }
        }
    }
}

impl hecd_raft::StateMachine for KvStateMachine {
    type Output = ApplyOutput;

    fn apply(&mut self, _index: u64, _term: u64, data: &[u8]) -> ApplyOutput {
        self.apply_entry(data)
    }

    fn snapshot(&self) -> Vec<u8> {
        self.store.read().unwrap_or_else(|p| p.into_inner()).snapshot()
    }

    fn restore(&mut self, _index: u64, _term: u64, data: &[u8]) -> Result<(), String> {
        self.write().restore(data).map_err(|e| e.to_string())
    }
}
