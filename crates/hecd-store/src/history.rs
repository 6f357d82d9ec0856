//! The event history: a window of the most recent events, scanned by watches
//! that ask for an index in the past.

use std::collections::VecDeque;
use std::sync::Arc;

use hecd_v2api::ErrorCode;

use crate::event::{Action, Event};
use crate::path::clean_path;
use crate::Error;

#[derive(Debug)]
pub(crate) struct History {
    events: VecDeque<Arc<Event>>,
    capacity: usize,
    /// Index of the oldest event kept (or the first index that can still come).
    start_index: u64,
    last_index: u64,
}

impl History {
    pub fn new(capacity: usize) -> Self {
        History {
            events: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            start_index: 0,
            last_index: 0,
        }
    }

    /// Forgets every event; waits for indices below `next_index` fail with 401.
    pub fn reset(&mut self, next_index: u64) {
        self.events.clear();
        self.start_index = next_index;
        self.last_index = next_index.saturating_sub(1);
    }

    pub fn add(&mut self, e: Arc<Event>) {
        if self.events.len() >= self.capacity {
            self.events.pop_front();
        }
        self.last_index = e.index;
        self.events.push_back(e);
        self.start_index = self.events.front().map_or(self.last_index, |f| f.index);
    }

    /// The first non-refresh event at or after `index` that concerns `key`.
    ///
    /// # Errors
    /// `EventIndexCleared` when `index` is older than the window (the caller sets `index`).
    pub fn scan(
        &self,
        key: &str,
        recursive: bool,
        index: u64,
    ) -> Result<Option<Arc<Event>>, Error> {
        if index < self.start_index {
            return Err(Error::new(
                ErrorCode::EventIndexCleared,
                format!("the requested history has been cleared [{}/{}]", self.start_index, index),
                0,
            ));
        }
        if index > self.last_index {
            return Ok(None);
        }
        let first = self.events.partition_point(|e| e.index < index);
        let mut prefix = clean_path(key);
        if !prefix.ends_with('/') {
            prefix.push('/');
        }
        for e in self.events.range(first..) {
            if e.refresh {
                continue;
            }
            let mut ok = e.node.key == key;
            if recursive {
                ok = ok || e.node.key.starts_with(&prefix);
            }
            // etcd matches past directory deletes by raw string prefix.
            if matches!(e.action, Action::Delete | Action::Expire) {
                if let Some(prev) = &e.prev_node {
                    if prev.dir {
                        ok = ok || key.starts_with(&prev.key);
                    }
                }
            }
            if ok {
                return Ok(Some(e.clone()));
            }
        }
        Ok(None)
    }
}
