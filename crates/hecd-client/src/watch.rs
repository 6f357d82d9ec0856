//! [`Watcher`]: an endless sequence of changes under a key that never misses one.

use crate::options::GetOptions;
use crate::{Client, Reply, Result};

/// What a [`Watcher`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// One change, in index order.
    Changed(Reply),
    /// The history no longer held the next index (error 401): the watcher re-read the key's
    /// current state (`None` when it no longer exists) and resumes after `index`. Callers that
    /// keep derived state rebuild it from this.
    Resync {
        /// The current state, recursive and sorted.
        current: Option<Reply>,
        /// The store index the state was read at.
        index: u64,
    },
}

/// Watches a key or prefix from a known index onwards.
///
/// Each [`Watcher::next`] issues one long-poll with `waitIndex` = one past the last index seen,
/// so a change made while the caller was busy is still delivered. After error 401 it re-reads
/// the current state and reports [`WatchEvent::Resync`]. Transport errors are returned to the
/// caller, who decides how long to back off; the position is kept, so calling `next` again
/// resumes where it stopped.
#[derive(Debug, Clone)]
pub struct Watcher {
    client: Client,
    key: String,
    recursive: bool,
    next_index: u64,
}

impl Watcher {
    pub(crate) fn new(client: Client, key: &str, recursive: bool, after_index: u64) -> Self {
        Watcher { client, key: key.to_owned(), recursive, next_index: after_index + 1 }
    }

    /// The index the next long-poll waits for.
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Waits for the next change.
    ///
    /// # Errors
    /// Transport errors and etcd errors other than 401.
    pub async fn next(&mut self) -> Result<WatchEvent> {
        match self.client.watch_once(&self.key, self.recursive, Some(self.next_index)).await {
            Ok(reply) => {
                let modified = reply.response.node.as_ref().map_or(0, |n| n.modified_index);
                self.next_index =
                    self.next_index.max(modified.max(reply.etcd_index.min(modified)) + 1);
                Ok(WatchEvent::Changed(reply))
            }
            Err(e) if e.is_index_cleared() => self.resync().await,
            Err(e) => Err(e),
        }
    }

    async fn resync(&mut self) -> Result<WatchEvent> {
        let opts = GetOptions { recursive: true, sorted: true, quorum: true };
        match self.client.get(&self.key, opts).await {
            Ok(reply) => {
                self.next_index = reply.etcd_index + 1;
                let index = reply.etcd_index;
                Ok(WatchEvent::Resync { current: Some(reply), index })
            }
            Err(crate::Error::Etcd { body, .. })
                if body.error_code == hecd_v2api::ErrorCode::KeyNotFound.code() =>
            {
                self.next_index = body.index + 1;
                Ok(WatchEvent::Resync { current: None, index: body.index })
            }
            Err(e) => Err(e),
        }
    }
}
