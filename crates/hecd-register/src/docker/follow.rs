//! [`follow`]: keep the store in step with a Docker engine until shutdown.
//!
//! The loop owns two maps: what the engine says each container should have (`want`, from
//! inspect JSON through [`map_container`](super::map_container)), and what this process has
//! written to the store (`written`). Every change of `want` is followed by writing only the
//! keys whose value differs and deleting only the keys no container backs. When a store write
//! fails the state is marked dirty and a full comparison with the store is retried with
//! backoff; when the events stream ends the engine is reconnected with backoff and listed
//! again, so no start or stop is missed.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use hecd_client::{Client, DeleteOptions, GetOptions, Node, SetOptions};
use tokio::time::{sleep_until, Instant};
use tracing::{debug, info, warn};

use super::engine::{Engine, EventStream};
use super::events::{Action, Event};
use super::mapping::{exited_successfully, map_container, MapOptions, Service};
use crate::{Error, Result};

/// When a container that stopped is deregistered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deregister {
    /// Whenever it stops.
    #[default]
    Always,
    /// Only when it exited with 0 or was ended by a signal (`docker stop`, `docker kill`);
    /// a container that failed keeps its entries (without refreshes: with a TTL they expire).
    OnSuccess,
}

/// How [`follow`] runs.
#[derive(Debug, Clone)]
pub struct DockerOptions {
    /// How containers map to keys.
    pub map: MapOptions,
    /// The key prefix (`/app/servers`).
    pub prefix: String,
    /// The keys' TTL in seconds (none: keys without TTL).
    pub ttl: Option<u64>,
    /// How often TTLs are refreshed (`refresh=true&prevExist=true`: no watcher wakes up).
    pub ttl_refresh: Duration,
    /// Compare the engine and the store this often, fixing differences.
    pub resync: Option<Duration>,
    /// At start (and at each resync), remove entries this host owns that no running
    /// container backs.
    pub cleanup: bool,
    /// Whether failed containers are deregistered.
    pub deregister: Deregister,
    /// The longest pause between reconnection or store retries.
    pub max_backoff: Duration,
}

impl DockerOptions {
    /// Options with no TTL, no periodic resync, no cleanup.
    pub fn new(map: MapOptions, prefix: &str) -> DockerOptions {
        DockerOptions {
            map,
            prefix: prefix.trim_end_matches('/').to_owned(),
            ttl: None,
            ttl_refresh: Duration::from_secs(10),
            resync: None,
            cleanup: false,
            deregister: Deregister::Always,
            max_backoff: Duration::from_secs(5),
        }
    }

    /// Checks the prefix, and that a TTL is refreshed more often than it expires.
    ///
    /// # Errors
    /// [`Error::InvalidOptions`] or [`Error::InvalidPrefix`].
    pub fn validate(&self) -> Result<()> {
        if !self.prefix.starts_with('/') {
            return Err(Error::InvalidPrefix { prefix: self.prefix.clone() });
        }
        if let Some(ttl) = self.ttl {
            if ttl == 0 {
                return Err(Error::InvalidOptions("--ttl must be at least 1 second".into()));
            }
            if self.ttl_refresh.is_zero() || self.ttl_refresh >= Duration::from_secs(ttl) {
                return Err(Error::InvalidOptions(format!(
                    "--ttl-refresh ({:?}) must be shorter than --ttl ({ttl}s)",
                    self.ttl_refresh
                )));
            }
        }
        if self.resync.is_some_and(|r| r.is_zero()) {
            return Err(Error::InvalidOptions("--resync must be positive".into()));
        }
        Ok(())
    }
}

/// Registers the engine's containers and follows its events until `shutdown` resolves.
/// Entries are left in the store on shutdown: the containers still run, and a TTL expires
/// them if no registrar comes back.
///
/// Engine and store outages are logged and retried with backoff; they never end the loop.
///
/// # Errors
/// Only invalid options.
pub async fn follow(
    engine: Engine,
    client: Client,
    opts: DockerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    opts.validate()?;
    tokio::pin!(shutdown);
    let mut state = State::new(engine, client, opts);
    let mut first = true;
    let mut engine_pause = Duration::from_millis(100);
    loop {
        // Subscribe first, then list: a container that starts in between is in the listing or
        // in the stream (or both; handling is idempotent).
        let stream = tokio::select! {
            () = &mut shutdown => break,
            s = state.engine.events() => s,
        };
        let mut stream = match stream {
            Ok(s) => s,
            Err(e) => {
                warn!(error = %e, retry_in = ?engine_pause, "docker engine unreachable");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(engine_pause) => {}
                }
                engine_pause = (engine_pause * 2).min(state.opts.max_backoff);
                continue;
            }
        };
        match state.list_engine().await {
            Ok(()) => {
                engine_pause = Duration::from_millis(100);
                info!(engine = %state.engine.host(), containers = state.want.len(), "following the docker engine")
            }
            Err(e) => {
                warn!(error = %e, retry_in = ?engine_pause, "listing the containers failed; reconnecting");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(engine_pause) => {}
                }
                engine_pause = (engine_pause * 2).min(state.opts.max_backoff);
                continue;
            }
        }
        if first {
            info!(cleanup = state.opts.cleanup, "comparing the store with the engine");
            first = false;
        }
        state.sync_store(state.opts.cleanup).await;
        info!(
            entries = state.written.len(),
            pending = state.dirty,
            "store in step with the engine"
        );
        if state.follow_events(&mut stream, &mut shutdown).await {
            break;
        }
    }
    info!("stopped following the docker engine (entries stay registered)");
    Ok(())
}

/// How long a container sent SIGTERM or SIGKILL stays deregistered while it still runs.
const STOP_GRACE: Duration = Duration::from_secs(120);

struct State {
    engine: Engine,
    client: Client,
    opts: DockerOptions,
    /// Container id → its name and registrations.
    want: BTreeMap<String, (String, Vec<Service>)>,
    /// Key → value this process wrote and believes present.
    written: BTreeMap<String, String>,
    /// Keys of failed containers kept under `--deregister on-success` (neither refreshed nor
    /// deleted).
    retained: BTreeSet<String>,
    /// Containers sent SIGTERM or SIGKILL and not started since, with when: not registered
    /// again while they shut down. A container still running [`STOP_GRACE`] after the signal
    /// (one that ignored a `docker kill -s TERM`) is registered again by the next listing.
    stopping: BTreeMap<String, Instant>,
    /// An inspect failed: the engine is listed again soon.
    relist: bool,
    /// A store write failed: a full comparison is due.
    dirty: bool,
    store_pause: Duration,
}

impl State {
    fn new(engine: Engine, client: Client, opts: DockerOptions) -> State {
        State {
            engine,
            client,
            opts,
            want: BTreeMap::new(),
            written: BTreeMap::new(),
            retained: BTreeSet::new(),
            stopping: BTreeMap::new(),
            relist: false,
            dirty: false,
            store_pause: Duration::from_millis(200),
        }
    }

    fn key(&self, relative: &str) -> String {
        format!("{}/{relative}", self.opts.prefix)
    }

    /// Follows the stream until it ends (returns `false`) or `shutdown` (returns `true`).
    async fn follow_events(
        &mut self,
        stream: &mut EventStream,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        let mut next_refresh = match self.opts.ttl {
            Some(_) => Instant::now() + self.opts.ttl_refresh,
            None => far,
        };
        let mut next_resync = self.opts.resync.map_or(far, |r| Instant::now() + r);
        let mut retry_at: Option<Instant> = None;
        loop {
            if self.dirty && retry_at.is_none() {
                retry_at = Some(Instant::now() + self.store_pause);
            }
            if self.relist {
                self.relist = false;
                next_resync = next_resync.min(Instant::now() + Duration::from_secs(1));
            }
            tokio::select! {
                () = shutdown.as_mut() => return true,
                ev = stream.next() => match ev {
                    Ok(Some(ev)) => self.on_event(ev).await,
                    Ok(None) => {
                        warn!("the docker events stream ended (engine stopped?); reconnecting");
                        return false;
                    }
                    Err(e) => {
                        warn!(error = %e, "the docker events stream broke; reconnecting");
                        return false;
                    }
                },
                () = sleep_until(next_refresh) => {
                    self.refresh().await;
                    next_refresh = Instant::now() + self.opts.ttl_refresh;
                }
                () = sleep_until(next_resync) => {
                    match self.list_engine().await {
                        Ok(()) => self.sync_store(self.opts.cleanup).await,
                        Err(e) => {
                            warn!(error = %e, "resync: listing the containers failed");
                            self.relist = true;
                        }
                    }
                    next_resync = self.opts.resync.map_or(far, |r| Instant::now() + r);
                }
                () = sleep_until(retry_at.unwrap_or(far)) => {
                    retry_at = None;
                    info!("retrying: comparing the store with the engine");
                    // Events may have been dropped by the engine while writes were failing:
                    // list the containers again too.
                    if let Err(e) = self.list_engine().await {
                        warn!(error = %e, "listing the containers failed");
                        self.relist = true;
                    }
                    self.sync_store(self.opts.cleanup).await;
                    self.store_pause = if self.dirty {
                        (self.store_pause * 2).min(self.opts.max_backoff)
                    } else {
                        Duration::from_millis(200)
                    };
                }
            }
        }
    }

    /// Replaces `want` with the running containers' registrations.
    async fn list_engine(&mut self) -> Result<()> {
        let ids = self.engine.running().await?;
        let now = Instant::now();
        self.stopping.retain(|id, at| ids.contains(id) && now.duration_since(*at) < STOP_GRACE);
        let mut want = BTreeMap::new();
        for id in ids {
            if self.stopping.contains_key(&id) {
                continue;
            }
            if let Some(v) = self.engine.inspect(&id).await? {
                if let Some(entry) = self.map(&id, &v) {
                    want.insert(id, entry);
                }
            }
        }
        // Containers seen running again are no longer retained failures.
        self.want = want;
        let live: BTreeSet<String> =
            self.want.values().flat_map(|(_, s)| s.iter().map(|s| self.key(&s.key))).collect();
        self.retained.retain(|k| !live.contains(k));
        Ok(())
    }

    fn map(&self, id: &str, v: &serde_json::Value) -> Option<(String, Vec<Service>)> {
        match map_container(v, &self.opts.map) {
            Ok(m) => {
                if !m.skipped.is_empty() {
                    debug!(container = %m.container, skipped = ?m.skipped, "not registered");
                }
                Some((m.container, m.services))
            }
            Err(e) => {
                warn!(container = %id, error = %e, "cannot read the container's inspect JSON");
                None
            }
        }
    }

    async fn on_event(&mut self, ev: Event) {
        debug!(container = %ev.id, action = ?ev.action, signal = ?ev.signal, "docker event");
        if ev.is_stopping() {
            self.stopping.insert(ev.id.clone(), Instant::now());
            if let Some((name, _)) = self.want.remove(&ev.id) {
                info!(container = %name, signal = ?ev.signal, "stopping; deregistering");
            }
            self.apply().await;
            return;
        }
        match ev.action {
            Action::Start | Action::Unpause => {
                self.stopping.remove(&ev.id);
            }
            Action::Destroy => {
                self.stopping.remove(&ev.id);
            }
            _ if self.stopping.contains_key(&ev.id) => return,
            _ => {}
        }
        let inspected = match self.engine.inspect(&ev.id).await {
            Ok(v) => v,
            Err(e) => {
                warn!(container = %ev.id, error = %e, "inspect failed; listing the containers again");
                self.relist = true;
                return;
            }
        };
        let Some(v) = inspected else {
            self.want.remove(&ev.id);
            self.apply().await;
            return;
        };
        let mapped = map_container(&v, &self.opts.map);
        if let Ok(m) = &mapped {
            let stopped = matches!(ev.action, Action::Die | Action::Stop | Action::Kill);
            if stopped
                && self.opts.deregister == Deregister::OnSuccess
                && m.exit_code.is_some_and(|c| !exited_successfully(c))
            {
                if let Some((name, services)) = self.want.remove(&ev.id) {
                    info!(container = %name, exit_code = ?m.exit_code, "failed; its entries stay (--deregister on-success)");
                    for s in services {
                        self.retained.insert(self.key(&s.key));
                    }
                }
                return;
            }
        }
        match self.map(&ev.id, &v) {
            Some((name, services)) => {
                for s in &services {
                    self.retained.remove(&self.key(&s.key));
                }
                self.want.insert(ev.id, (name, services));
            }
            None => {
                self.want.remove(&ev.id);
            }
        }
        self.apply().await;
    }

    /// The key → value the store should hold for this host.
    fn desired(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, services) in self.want.values() {
            for s in services {
                let key = self.key(&s.key);
                let value = s.address.to_string();
                if let Some(other) = out.get(&key) {
                    if *other != value {
                        warn!(%key, container = %name, "two containers map to this key; the first is kept");
                    }
                    continue;
                }
                out.insert(key, value);
            }
        }
        out
    }

    /// Writes what differs between `desired` and `written` (no store read). While the store
    /// is failing nothing is tried: the retry compares everything when it answers again, and
    /// the events keep being read meanwhile.
    async fn apply(&mut self) {
        if self.dirty {
            return;
        }
        let desired = self.desired();
        for (key, value) in &desired {
            if self.written.get(key) != Some(value) {
                self.write(key, value).await;
                if self.dirty {
                    return;
                }
            }
        }
        self.delete_stale(&desired).await;
    }

    /// Deletes the keys written earlier that `desired` no longer holds (retained ones
    /// excepted), stopping at the first failure.
    async fn delete_stale(&mut self, desired: &BTreeMap<String, String>) {
        let stale: Vec<String> = self
            .written
            .keys()
            .filter(|k| !desired.contains_key(*k) && !self.retained.contains(*k))
            .cloned()
            .collect();
        for key in stale {
            self.delete(&key).await;
            if self.dirty {
                return;
            }
        }
    }

    async fn write(&mut self, key: &str, value: &str) {
        let opts = SetOptions { ttl: self.opts.ttl, ..SetOptions::default() };
        match self.client.set(key, value, opts).await {
            Ok(_) => {
                info!(%key, %value, ttl = ?self.opts.ttl, "registered");
                self.written.insert(key.to_owned(), value.to_owned());
            }
            Err(e) => {
                warn!(%key, error = %e, "registration failed; will retry");
                self.dirty = true;
            }
        }
    }

    async fn delete(&mut self, key: &str) {
        match self.client.delete(key, DeleteOptions::default()).await {
            Ok(_) => {
                info!(%key, "deregistered");
                self.written.remove(key);
            }
            Err(e) if e.is_not_found() => {
                self.written.remove(key);
            }
            Err(e) => {
                warn!(%key, error = %e, "deregistration failed; will retry");
                self.dirty = true;
            }
        }
    }

    /// Resets the TTL of every written key without rewriting it; a key that vanished is
    /// written again.
    async fn refresh(&mut self) {
        let Some(ttl) = self.opts.ttl else { return };
        if self.dirty {
            // The retry refreshes what it finds unchanged.
            return;
        }
        let keys: Vec<(String, String)> = self
            .written
            .iter()
            .filter(|(k, _)| !self.retained.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, value) in keys {
            match self.client.refresh(&key, ttl).await {
                Ok(_) => debug!(%key, ttl, "refreshed"),
                Err(e) if e.is_not_found() => {
                    warn!(%key, "the entry had expired; writing it again");
                    self.write(&key, &value).await;
                }
                Err(e) => {
                    warn!(%key, error = %e, "refresh failed; will retry");
                    self.dirty = true;
                }
            }
            if self.dirty {
                return;
            }
        }
    }

    /// Reads this host's entries from the store and fixes every difference with `desired`:
    /// missing or different values are written, matching ones only refreshed (with a TTL), and
    /// entries no container backs are deleted — those this process wrote always, any other
    /// entry this host owns when `cleanup` is set.
    async fn sync_store(&mut self, cleanup: bool) {
        let stored = match self.client.get(&self.opts.prefix, GetOptions::recursive_sorted()).await
        {
            Ok(r) => {
                let mut leaves = BTreeMap::new();
                if let Some(n) = r.response.node {
                    collect_leaves(n, &mut leaves);
                }
                leaves
            }
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(e) => {
                warn!(error = %e, "the store is unreachable; will retry");
                self.dirty = true;
                return;
            }
        };
        self.dirty = false;
        let prefix = format!("{}/", self.opts.prefix);
        let owned: BTreeMap<String, String> = stored
            .into_iter()
            .filter(|(k, _)| k.strip_prefix(&prefix).is_some_and(|rel| self.opts.map.owns(rel)))
            .collect();
        // What is in the store now is what this process has written, as far as it knows.
        self.written.retain(|k, _| owned.contains_key(k) || self.retained.contains(k));
        for (k, v) in &owned {
            if self.written.contains_key(k) || cleanup {
                self.written.insert(k.clone(), v.clone());
            }
        }
        let desired = self.desired();
        let mut unchanged = 0usize;
        for (key, value) in &desired {
            match owned.get(key) {
                Some(v) if v == value => {
                    self.written.insert(key.clone(), value.clone());
                    unchanged += 1;
                    if let Some(ttl) = self.opts.ttl {
                        match self.client.refresh(key, ttl).await {
                            Ok(_) => {}
                            // Expired since the listing.
                            Err(e) if e.is_not_found() => {
                                self.written.remove(key);
                                self.write(key, value).await;
                            }
                            Err(e) => {
                                warn!(%key, error = %e, "refresh failed; will retry");
                                self.dirty = true;
                            }
                        }
                    }
                }
                _ => self.write(key, value).await,
            }
            if self.dirty {
                return;
            }
        }
        self.delete_stale(&desired).await;
        debug!(desired = desired.len(), unchanged, dirty = self.dirty, "store compared");
    }
}

/// Every file below `n`, key → value.
fn collect_leaves(n: Node, out: &mut BTreeMap<String, String>) {
    if n.dir {
        for c in n.nodes.unwrap_or_default() {
            collect_leaves(c, out);
        }
    } else if let Some(v) = n.value {
        out.insert(n.key, v);
    }
}

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
