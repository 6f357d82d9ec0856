//! Watches: the hub that delivers events to waiting clients.
//!
//! A watcher owns a bounded channel fed with `try_send`; a watcher whose channel is
//! full or closed is dropped, and the client re-watches with `waitIndex` (etcd's rule).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::event::Event;
use crate::history::History;
use crate::path::is_hidden;
use crate::Error;

/// How many events a watcher may have pending before it is dropped.
pub const WATCHER_BUFFER: usize = 100;

/// What to watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchOptions {
    /// Also changes below the key.
    pub recursive: bool,
    /// Keep delivering events (etcd's `stream=true`) instead of stopping after one.
    pub stream: bool,
    /// First event index of interest; `None` (or 0) means "after the current index".
    pub since_index: Option<u64>,
}

/// A registered watch. Receive events from [`Watcher::events`]; the channel closes
/// when the watcher is dropped by the hub (one-shot done, buffer full).
#[derive(Debug)]
pub struct Watcher {
    /// Delivered events.
    pub events: mpsc::Receiver<Arc<Event>>,
    /// The store index when the watch was registered.
    pub start_index: u64,
    pub(crate) id: Option<(String, u64)>,
}

#[derive(Debug)]
struct Entry {
    id: u64,
    recursive: bool,
    stream: bool,
    since: u64,
    tx: mpsc::Sender<Arc<Event>>,
}

#[derive(Debug)]
pub(crate) struct Hub {
    pub history: History,
    watchers: HashMap<String, Vec<Entry>>,
    next_id: u64,
    count: u64,
}

impl Hub {
    pub fn new(history: usize) -> Self {
        Hub { history: History::new(history), watchers: HashMap::new(), next_id: 1, count: 0 }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn watch(
        &mut self,
        key: &str,
        opts: WatchOptions,
        since: u64,
        store_index: u64,
    ) -> Result<Watcher, Error> {
        let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
        match self.history.scan(key, opts.recursive, since) {
            Err(mut e) => {
                e.index = store_index;
                Err(e)
            }
            Ok(Some(ev)) => {
                // A fresh channel has room for one event; the watch is complete.
                let _ = tx.try_send(ev);
                Ok(Watcher { events: rx, start_index: store_index, id: None })
            }
            Ok(None) => {
                let id = self.next_id;
                self.next_id += 1;
                self.count += 1;
                self.watchers.entry(key.to_owned()).or_default().push(Entry {
                    id,
                    recursive: opts.recursive,
                    stream: opts.stream,
                    since,
                    tx,
                });
                Ok(Watcher { events: rx, start_index: store_index, id: Some((key.to_owned(), id)) })
            }
        }
    }

    pub fn unwatch(&mut self, key: &str, id: u64) {
        if let Some(list) = self.watchers.get_mut(key) {
            let before = list.len();
            list.retain(|e| e.id != id);
            self.count -= (before - list.len()) as u64;
            if list.is_empty() {
                self.watchers.remove(key);
            }
        }
    }

    /// Delivers `e` to watchers of `path` (etcd's `notifyWatchers`).
    pub fn notify_watchers(&mut self, e: &Arc<Event>, path: &str, deleted: bool) {
        let Some(list) = self.watchers.get_mut(path) else { return };
        let original = e.node.key == path;
        let hidden = !original && is_hidden(path, &e.node.key);
        let mut removed = 0;
        list.retain(|w| {
            if hidden || !((w.recursive || original || deleted) && e.index >= w.since) {
                return !w.tx.is_closed() || {
                    removed += 1;
                    false
                };
            }
            let keep = w.tx.try_send(e.clone()).is_ok() && w.stream;
            if !keep {
                removed += 1;
            }
            keep
        });
        self.count -= removed;
        if list.is_empty() {
            self.watchers.remove(path);
        }
    }

    /// Records `e` and delivers it to watchers of its key and of every ancestor.
    pub fn notify(&mut self, e: Arc<Event>) {
        self.history.add(e.clone());
        self.notify_watchers(&e, "/", false);
        let key = e.node.key.clone();
        for (i, b) in key.bytes().enumerate().skip(1) {
            if b == b'/' {
                self.notify_watchers(&e, &key[..i], false);
            }
        }
        if key != "/" {
            self.notify_watchers(&e, &key, false);
        }
    }

    pub fn add_refresh(&mut self, e: Arc<Event>) {
        self.history.add(e);
    }
}
