//! The store: operations on the tree, with events, history, watches and TTLs.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use hecd_v2api::ErrorCode;

use crate::event::{ttl_of, Action, Event, NodeView};
use crate::node::{list, Kind, Node};
use crate::path::{clean_path, components, prefixes};
use crate::stats::{Counters, Op, StoreStats};
use crate::watch::{Hub, WatchOptions, Watcher};
use crate::{Error, Result};

/// Options of a read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// List the whole subtree of a directory, not just one level.
    pub recursive: bool,
    /// Sort listings by key (listings are always sorted here; kept for the API).
    pub sorted: bool,
}

/// A condition on the current value and/or modified index of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compare {
    /// The value must equal this.
    pub prev_value: Option<String>,
    /// The modified index must equal this.
    pub prev_index: Option<u64>,
}

/// What must hold before a write; picks etcd's operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// None: a plain set (creates or replaces).
    #[default]
    None,
    /// `Exists(false)`: create, the key must not exist.
    /// `Exists(true)`: update, the key must exist.
    Exists(bool),
    /// Compare-and-swap: the file must match.
    Matches(Compare),
}

/// A write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// The new value (ignored for directories).
    pub value: String,
    /// Create a directory instead of a file.
    pub dir: bool,
    /// When the node expires; `None` makes it permanent.
    pub expiration: Option<SystemTime>,
    /// Only reset the expiration: keep the value, notify no watcher.
    pub refresh: bool,
    /// What must hold.
    pub precondition: Precondition,
}

impl WriteOptions {
    /// A plain set of a file value.
    pub fn value(v: impl Into<String>) -> Self {
        WriteOptions { value: v.into(), ..Default::default() }
    }

    /// A plain set of a directory.
    pub fn dir() -> Self {
        WriteOptions { dir: true, ..Default::default() }
    }
}

/// A delete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// Allow deleting an empty directory.
    pub dir: bool,
    /// Delete a directory with everything below it (implies `dir`).
    pub recursive: bool,
    /// Compare-and-delete: the file must match.
    pub compare: Option<Compare>,
}

/// The etcd v2 key space. One writer (`&mut self`), many readers (`&self`):
/// reads and watch registration take only a short internal mutex on the watch hub.
#[derive(Debug)]
pub struct Store {
    root: Node,
    index: u64,
    ttl: BTreeSet<(SystemTime, String)>,
    hub: Mutex<Hub>,
    counters: Counters,
    history_size: usize,
}

impl Store {
    /// An empty store that keeps the last `history_size` events for watches.
    pub fn new(history_size: usize) -> Self {
        Store {
            root: Node::dir(0, None),
            index: 0,
            ttl: BTreeSet::new(),
            hub: Mutex::new(Hub::new(history_size)),
            counters: Counters::default(),
            history_size,
        }
    }

    /// The current store index (etcd index).
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The earliest expiration of any node, if any node has a TTL.
    pub fn next_expiry(&self) -> Option<SystemTime> {
        self.ttl.first().map(|(t, _)| *t)
    }

    /// Copies of the operation counters.
    pub fn stats(&self) -> StoreStats {
        let watchers = self.hub().count();
        self.counters.snapshot(watchers)
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        // A panic while holding the hub lock leaves it consistent enough to keep serving.
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, code: ErrorCode, cause: impl Into<String>) -> Error {
        Error::new(code, cause, self.index)
    }

    fn record<T>(&self, op: Op, r: Result<T>) -> Result<T> {
        self.counters.record(op, r.is_ok());
        r
    }

    /// Finds a node; errors name the first missing component or the file in the way.
    fn lookup(&self, clean: &str) -> Result<&Node> {
        self.locate(clean).map_err(|(code, at)| self.err(code, at))
    }

    /// [`lookup`](Self::lookup) without allocating: a failure is its error code and the path it
    /// names (a slice of `clean`).
    fn locate<'p>(&self, clean: &'p str) -> std::result::Result<&Node, (ErrorCode, &'p str)> {
        let mut cur = &self.root;
        let mut at = "/";
        for (name, path) in prefixes(clean) {
            let Some(children) = cur.children() else {
                return Err((ErrorCode::NotDir, at));
            };
            match children.get(name) {
                Some(c) => cur = c,
                None => return Err((ErrorCode::KeyNotFound, path)),
            }
            at = path;
        }
        Ok(cur)
    }

    fn lookup_mut(&mut self, clean: &str) -> Option<&mut Node> {
        let mut cur = &mut self.root;
        for name in components(clean) {
            cur = cur.children_mut()?.get_mut(name)?;
        }
        Some(cur)
    }

    /// Reads a key.
    ///
    /// # Errors
    /// `KeyNotFound` (cause: first missing component), `NotDir` (cause: the file in the way).
    pub fn get(&self, path: &str, opts: GetOptions, now: SystemTime) -> Result<Event> {
        let clean = clean_path(path);
        let r = self.lookup(&clean).map(|n| {
            let key = if clean == "/" { "" } else { clean.as_str() };
            let mut node = n.view(key, false, now);
            if let Some(children) = n.children() {
                node.nodes = Some(list(children, &clean, opts.recursive, now));
            }
            Event { action: Action::Get, node, prev_node: None, index: self.index, refresh: false }
        });
        self.record(Op::Get, r)
    }

    /// Writes a key: set, create, update or compare-and-swap, chosen by the precondition.
    ///
    /// # Errors
    /// etcd's errors for the chosen operation (100, 101, 102, 104, 105, 107).
    pub fn write(&mut self, path: &str, opts: WriteOptions, now: SystemTime) -> Result<Arc<Event>> {
        let clean = clean_path(path);
        match opts.precondition {
            Precondition::None => {
                let r = self.set(&clean, opts.value, opts.dir, opts.expiration, opts.refresh, now);
                self.record(Op::Set, r)
            }
            Precondition::Exists(false) => {
                let r =
                    self.create(&clean, opts.value, opts.dir, opts.expiration, Action::Create, now);
                let r = r.map(|e| self.publish(e, false));
                self.record(Op::Create, r)
            }
            Precondition::Exists(true) => {
                let r = self.update(&clean, opts.value, opts.expiration, opts.refresh, now);
                self.record(Op::Update, r)
            }
            Precondition::Matches(cmp) => {
                let r = self.compare_and_swap(
                    &clean,
                    cmp,
                    opts.value,
                    opts.expiration,
                    opts.refresh,
                    now,
                );
                self.record(Op::Cas, r)
            }
        }
    }

    /// Creates an in-order key below `dir_path`, named by the new index zero-padded to 20 digits.
    ///
    /// # Errors
    /// `NotDir` when a path component is a file, `RootReadOnly` never (the name is new).
    pub fn create_in_order(
        &mut self,
        dir_path: &str,
        value: String,
        dir: bool,
        expiration: Option<SystemTime>,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        let key = clean_path(&format!("{}/{:020}", clean_path(dir_path), self.index + 1));
        let r = self
            .create(&key, value, dir, expiration, Action::Create, now)
            .map(|e| self.publish(e, false));
        self.record(Op::Create, r)
    }

    fn publish(&mut self, e: Event, refresh: bool) -> Arc<Event> {
        let e = Arc::new(Event { refresh, ..e });
        let hub = self.hub.get_mut().unwrap_or_else(|p| p.into_inner());
        if refresh {
            hub.add_refresh(e.clone());
        } else {
            hub.notify(e.clone());
        }
        e
    }

    fn set(
        &mut self,
        clean: &str,
        mut value: String,
        dir: bool,
        expiration: Option<SystemTime>,
        refresh: bool,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        let prev = match self.locate(clean) {
            Ok(n) => Some(n),
            Err((ErrorCode::KeyNotFound, _)) if !refresh => None,
            Err((code, at)) => return Err(self.err(code, at)),
        };
        let prev = prev.map(|n| {
            if refresh {
                value = n.value().to_owned();
            }
            n.view(clean, false, now)
        });
        let mut e = self.replace(clean, value, dir, expiration, now)?;
        e.prev_node = prev;
        Ok(self.publish(e, refresh))
    }

    /// Set's create step: replaces an existing file (not a directory).
    fn replace(
        &mut self,
        clean: &str,
        value: String,
        dir: bool,
        expiration: Option<SystemTime>,
        now: SystemTime,
    ) -> Result<Event> {
        if clean == "/" {
            return Err(self.err(ErrorCode::RootReadOnly, "/"));
        }
        if let Ok(n) = self.locate(clean) {
            if n.is_dir() {
                return Err(self.err(ErrorCode::NotFile, clean));
            }
            let old = n.expire;
            if let Some(t) = old {
                self.ttl.remove(&(t, clean.to_owned()));
            }
            let (parent, name) = split(clean);
            if let Some(c) = self.lookup_mut(parent).and_then(|p| p.children_mut()) {
                c.remove(name);
            }
        }
        self.create(clean, value, dir, expiration, Action::Set, now)
    }

    /// etcd's `internalCreate` without the replace step: makes missing parent directories.
    fn create(
        &mut self,
        clean: &str,
        value: String,
        dir: bool,
        expiration: Option<SystemTime>,
        action: Action,
        now: SystemTime,
    ) -> Result<Event> {
        if clean == "/" {
            return Err(self.err(ErrorCode::RootReadOnly, "/"));
        }
        let next = self.index + 1;
        let index = self.index;
        let (parent_path, name) = split(clean);
        let mut cur = &mut self.root;
        let mut at = "/";
        for (comp, path) in prefixes(parent_path) {
            let children =
                cur.children_mut().ok_or_else(|| Error::new(ErrorCode::NotDir, at, index))?;
            at = path;
            if !children.contains_key(comp) {
                // The name is copied only for a directory made here.
                children.insert(comp.to_owned(), Node::dir(next, None));
            }
            // A file in the way is refused at the next step, where it has no children.
            match children.get_mut(comp) {
                Some(child) => cur = child,
                None => return Err(Error::new(ErrorCode::NotDir, at, index)),
            }
        }
        let children =
            cur.children_mut().ok_or_else(|| Error::new(ErrorCode::NotDir, at, index))?;
        if children.contains_key(name) {
            return Err(Error::new(ErrorCode::NodeExist, clean, index));
        }
        let node =
            if dir { Node::dir(next, expiration) } else { Node::file(value, next, expiration) };
        let view = NodeView {
            key: clean.to_owned(),
            value: match &node.kind {
                Kind::File(v) => Some(v.clone()),
                Kind::Dir(_) => None,
            },
            dir,
            expiration,
            ttl: ttl_of(expiration, now),
            nodes: None,
            modified_index: next,
            created_index: next,
        };
        children.insert(name.to_owned(), node);
        if let Some(t) = expiration {
            self.ttl.insert((t, clean.to_owned()));
        }
        self.index = next;
        Ok(Event { action, node: view, prev_node: None, index: next, refresh: false })
    }

    fn set_expiration(&mut self, clean: &str, old: Option<SystemTime>, new: Option<SystemTime>) {
        if let Some(t) = old {
            self.ttl.remove(&(t, clean.to_owned()));
        }
        if let Some(t) = new {
            self.ttl.insert((t, clean.to_owned()));
        }
    }

    fn update(
        &mut self,
        clean: &str,
        value: String,
        expiration: Option<SystemTime>,
        refresh: bool,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        if clean == "/" {
            return Err(self.err(ErrorCode::RootReadOnly, "/"));
        }
        let n = self.lookup(clean)?;
        if n.is_dir() && !value.is_empty() {
            return Err(self.err(ErrorCode::NotFile, clean));
        }
        let current = self.index;
        let next = current + 1;
        let prev = n.view(clean, false, now);
        let old_exp = n.expire;
        let n = self
            .lookup_mut(clean)
            .ok_or_else(|| Error::new(ErrorCode::KeyNotFound, clean, current))?;
        let (value, dir, created) = match &mut n.kind {
            Kind::File(v) => {
                if !refresh {
                    *v = value;
                }
                n.modified = next;
                (Some(v.clone()), false, n.created)
            }
            Kind::Dir(_) => (None, true, n.created),
        };
        n.expire = expiration;
        self.set_expiration(clean, old_exp, expiration);
        self.index = next;
        let node = NodeView {
            key: clean.to_owned(),
            value,
            dir,
            expiration,
            ttl: ttl_of(expiration, now),
            nodes: None,
            modified_index: next,
            created_index: created,
        };
        let e = Event {
            action: Action::Update,
            node,
            prev_node: Some(prev),
            index: next,
            refresh: false,
        };
        Ok(self.publish(e, refresh))
    }

    fn check_compare(&self, n: &Node, cmp: &Compare) -> Result<()> {
        let value_ok = match cmp.prev_value.as_deref() {
            Some(v) => v.is_empty() || v == n.value(),
            None => true,
        };
        let index_ok = match cmp.prev_index {
            Some(i) => i == 0 || i == n.modified,
            None => true,
        };
        let pv = cmp.prev_value.as_deref().unwrap_or("");
        let pi = cmp.prev_index.unwrap_or(0);
        let cause = match (value_ok, index_ok) {
            (true, true) => return Ok(()),
            (true, false) => format!("[{pi} != {}]", n.modified),
            (false, true) => format!("[{pv} != {}]", n.value()),
            (false, false) => format!("[{pv} != {}] [{pi} != {}]", n.value(), n.modified),
        };
        Err(self.err(ErrorCode::TestFailed, cause))
    }

    fn compare_and_swap(
        &mut self,
        clean: &str,
        cmp: Compare,
        value: String,
        expiration: Option<SystemTime>,
        refresh: bool,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        if clean == "/" {
            return Err(self.err(ErrorCode::RootReadOnly, "/"));
        }
        let n = self.lookup(clean)?;
        if n.is_dir() {
            return Err(self.err(ErrorCode::NotFile, clean));
        }
        self.check_compare(n, &cmp)?;
        let current = self.index;
        let next = current + 1;
        let prev = n.view(clean, false, now);
        let old_exp = n.expire;
        let n = self
            .lookup_mut(clean)
            .ok_or_else(|| Error::new(ErrorCode::KeyNotFound, clean, current))?;
        let created = n.created;
        let value = match &mut n.kind {
            Kind::File(v) => {
                if !refresh {
                    *v = value;
                }
                v.clone()
            }
            Kind::Dir(_) => String::new(),
        };
        n.modified = next;
        n.expire = expiration;
        self.set_expiration(clean, old_exp, expiration);
        self.index = next;
        let node = NodeView {
            key: clean.to_owned(),
            value: Some(value),
            dir: false,
            expiration,
            ttl: ttl_of(expiration, now),
            nodes: None,
            modified_index: next,
            created_index: created,
        };
        let e = Event {
            action: Action::CompareAndSwap,
            node,
            prev_node: Some(prev),
            index: next,
            refresh: false,
        };
        Ok(self.publish(e, refresh))
    }

    /// Deletes a key, or compare-and-deletes a file.
    ///
    /// # Errors
    /// 100 missing, 102 a directory without `dir`, 108 non-empty without `recursive`,
    /// 107 the root, 101 a failed compare.
    pub fn delete(
        &mut self,
        path: &str,
        opts: DeleteOptions,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        let clean = clean_path(path);
        match opts.compare {
            Some(cmp) => {
                let r = self.compare_and_delete(&clean, cmp, now);
                self.record(Op::Cad, r)
            }
            None => {
                let r = self.plain_delete(&clean, opts.dir || opts.recursive, opts.recursive, now);
                self.record(Op::Delete, r)
            }
        }
    }

    fn plain_delete(
        &mut self,
        clean: &str,
        dir: bool,
        recursive: bool,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        if clean == "/" {
            return Err(self.err(ErrorCode::RootReadOnly, "/"));
        }
        let n = self.lookup(clean)?;
        if let Some(children) = n.children() {
            if !dir {
                return Err(self.err(ErrorCode::NotFile, clean));
            }
            if !children.is_empty() && !recursive {
                return Err(self.err(ErrorCode::DirNotEmpty, clean));
            }
        }
        Ok(self.remove(clean, Action::Delete, now))
    }

    fn compare_and_delete(
        &mut self,
        clean: &str,
        cmp: Compare,
        now: SystemTime,
    ) -> Result<Arc<Event>> {
        let n = self.lookup(clean)?;
        if n.is_dir() {
            return Err(self.err(ErrorCode::NotFile, clean));
        }
        self.check_compare(n, &cmp)?;
        Ok(self.remove(clean, Action::CompareAndDelete, now))
    }

    /// Removes an existing node and its subtree, emitting one event. The node must exist.
    fn remove(&mut self, clean: &str, action: Action, now: SystemTime) -> Arc<Event> {
        let next = self.index + 1;
        let (parent, name) = split(clean);
        let removed = self
            .lookup_mut(parent)
            .and_then(|p| p.children_mut())
            .and_then(|c| c.remove(name))
            .unwrap_or_else(|| Node::file(String::new(), next, None));
        self.index = next;
        let prev = removed.view(clean, false, now);
        let node = NodeView {
            key: clean.to_owned(),
            dir: removed.is_dir(),
            modified_index: next,
            created_index: removed.created,
            ..NodeView::default()
        };
        let e =
            Arc::new(Event { action, node, prev_node: Some(prev), index: next, refresh: false });
        let mut paths = Vec::new();
        let ttl = &mut self.ttl;
        removed.walk_post_order(clean, &mut |p, n| {
            if let Some(t) = n.expire {
                ttl.remove(&(t, p.to_owned()));
            }
            paths.push(p.to_owned());
        });
        let hub = self.hub.get_mut().unwrap_or_else(|p| p.into_inner());
        for p in &paths {
            hub.notify_watchers(&e, p, true);
        }
        hub.notify(e.clone());
        e
    }

    /// Expires every node whose expiration is at or before `now`, one `expire` event each.
    pub fn expire(&mut self, now: SystemTime) -> Vec<Arc<Event>> {
        let mut out = Vec::new();
        while let Some((t, path)) = self.ttl.first().cloned() {
            if t > now {
                break;
            }
            self.ttl.remove(&(t, path.clone()));
            if self.locate(&path).is_err() {
                continue;
            }
            out.push(self.remove(&path, Action::Expire, now));
            self.counters.expire.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        out
    }

    /// Registers a watch on `path`.
    ///
    /// If a matching event at or after `since_index` is still in the history, the watcher
    /// already holds it and is not registered.
    ///
    /// # Errors
    /// `EventIndexCleared` when `since_index` fell out of the history window.
    pub fn watch(&self, path: &str, opts: WatchOptions) -> Result<Watcher> {
        let clean = clean_path(path);
        let since = match opts.since_index {
            Some(i) if i > 0 => i,
            _ => self.index + 1,
        };
        self.hub().watch(&clean, opts, since, self.index)
    }

    /// Removes a watcher that is no longer wanted (e.g. its client went away).
    pub fn unwatch(&self, w: &Watcher) {
        if let Some((key, id)) = &w.id {
            self.hub().unwatch(key, *id);
        }
    }

    /// The whole tree and index as bytes (for Raft snapshots). History and watchers are not included.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.snapshot_into(&mut out);
        out
    }

    /// Appends [`snapshot`](Self::snapshot)'s bytes to `out`, growing it once (a snapshot is as large
    /// as the tree: no intermediate copy, no doubling).
    pub fn snapshot_into(&self, out: &mut Vec<u8>) {
        crate::snapshot::encode_into(&self.root, self.index, out);
    }

    /// Writes [`snapshot`](Self::snapshot)'s bytes to `out` in chunks of about 64 KiB, so a snapshot
    /// can go to a file without a buffer the size of the tree.
    ///
    /// # Errors
    /// The first error `out` returns.
    pub fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        crate::snapshot::write(&self.root, self.index, out)
    }

    /// Replaces the whole tree with a snapshot. The history is cleared (older `waitIndex`
    /// values get 401) and watchers are dropped, as after an etcd recovery.
    ///
    /// # Errors
    /// A [`SnapshotError`](crate::SnapshotError) when the bytes are not a valid snapshot; the store is unchanged.
    pub fn restore(&mut self, data: &[u8]) -> Result<(), crate::SnapshotError> {
        let (root, index) = crate::snapshot::decode(data)?;
        let mut ttl = BTreeSet::new();
        root.walk_post_order("/", &mut |p, n| {
            if let Some(t) = n.expire {
                ttl.insert((t, p.to_owned()));
            }
        });
        self.root = root;
        self.index = index;
        self.ttl = ttl;
        let hub = self.hub.get_mut().unwrap_or_else(|p| p.into_inner());
        // A new hub: no watcher (their channels close) and a history starting after `index`.
        *hub = Hub::new(self.history_size);
        hub.history.reset(index + 1);
        Ok(())
    }
}

/// Splits a cleaned non-root path into its parent path and last name.
fn split(clean: &str) -> (&str, &str) {
    match clean.rfind('/') {
        Some(0) => ("/", &clean[1..]),
        Some(i) => (&clean[..i], &clean[i + 1..]),
        None => ("/", clean),
    }
}

#[cfg(test)]
mod tests;
