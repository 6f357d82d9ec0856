//! Runtime membership: every member's peer URLs as the log says, the ids removed for good,
//! and the signal that this member itself was removed.
//!
//! The set starts from `--initial-cluster` and changes only when an entry is applied: a Raft
//! membership change (add, remove) or a replicated peer-URL update. It travels in snapshots,
//! so a member that catches up by snapshot learns it too. Member ids are derived from the
//! first peer URL and the cluster token ([`crate::member_id_for`]), so a member that is
//! removed and re-added with the same URL gets its old id back.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use hecd_raft::MemberChange;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// The replicated part of the membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSet {
    /// Member id → peer URLs.
    pub peers: BTreeMap<u64, Vec<String>>,
    /// Ids removed from the cluster (their messages are refused with 410).
    pub removed: BTreeSet<u64>,
}

/// The membership shared by the state machine, the transport and the HTTP handlers.
#[derive(Debug)]
pub struct Membership {
    self_id: u64,
    set: RwLock<MemberSet>,
    cluster_id: OnceLock<u64>,
    removed_self: watch::Sender<bool>,
    /// Since when each peer has answered every probe (etcd's `ActiveSince`).
    active: Mutex<HashMap<u64, Instant>>,
    /// Per peer: outcome and round trip of every batch of Raft messages sent to it.
    sent: Mutex<HashMap<u64, PeerStats>>,
    /// Batches of Raft messages received and sent (`/v2/stats/self`).
    recv_batches: std::sync::atomic::AtomicU64,
    send_batches: std::sync::atomic::AtomicU64,
}

/// Round trips and outcomes of the Raft message batches sent to one peer, in seconds, as
/// `/v2/stats/leader` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeerStats {
    /// Batches the peer accepted.
    pub success: u64,
    /// Batches that failed (unreachable or refused).
    pub fail: u64,
    /// The last round trip.
    pub current: f64,
    /// The mean round trip.
    pub average: f64,
    /// The standard deviation of the round trips.
    pub standard_deviation: f64,
    /// The shortest round trip.
    pub minimum: f64,
    /// The longest round trip.
    pub maximum: f64,
    /// Sum of squared round trips (for the deviation).
    sum_sq: f64,
}

impl PeerStats {
    fn record(&mut self, rtt: Option<Duration>) {
        let Some(rtt) = rtt else {
            self.fail += 1;
            return;
        };
        let x = rtt.as_secs_f64();
        let n = self.success as f64;
        self.success += 1;
        self.current = x;
        self.average = (self.average * n + x) / (n + 1.0);
        self.sum_sq += x * x;
        let var = self.sum_sq / (n + 1.0) - self.average * self.average;
        self.standard_deviation = var.max(0.0).sqrt();
        self.minimum = if n == 0.0 { x } else { self.minimum.min(x) };
        self.maximum = self.maximum.max(x);
    }
}

/// How long every peer must have been reachable before a membership change is allowed
/// (etcd's `HealthInterval`, with `--strict-reconfig-check`, its default).
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(5);

impl Membership {
    /// The membership of a new member `self_id`, starting from the initial `(id, peer url)` list.
    pub fn new(self_id: u64, initial: &[(u64, String)]) -> Self {
        let mut set = MemberSet::default();
        for (id, url) in initial {
            set.peers.entry(*id).or_default().push(url.clone());
        }
        let (removed_self, _) = watch::channel(false);
        Membership {
            self_id,
            set: RwLock::new(set),
            cluster_id: OnceLock::new(),
            removed_self,
            active: Mutex::new(HashMap::new()),
            sent: Mutex::new(HashMap::new()),
            recv_batches: Default::default(),
            send_batches: Default::default(),
        }
    }

    /// This member's id.
    pub fn self_id(&self) -> u64 {
        self.self_id
    }

    /// A copy of the current set.
    pub fn get(&self) -> MemberSet {
        self.set.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The peer URLs of member `id`, if it is a member.
    pub fn peer_urls(&self, id: u64) -> Option<Vec<String>> {
        self.set.read().unwrap_or_else(|p| p.into_inner()).peers.get(&id).cloned()
    }

    /// Whether `id` was removed from the cluster (and not re-added).
    pub fn is_removed(&self, id: u64) -> bool {
        self.set.read().unwrap_or_else(|p| p.into_inner()).removed.contains(&id)
    }

    /// Applies a committed membership change.
    pub fn apply(&self, change: &MemberChange) {
        let mut set = self.set.write().unwrap_or_else(|p| p.into_inner());
        match change {
            MemberChange::Add { id, url } => {
                set.removed.remove(id);
                set.peers.insert(*id, hecd_client::split_urls(url));
            }
            MemberChange::Remove { id } => {
                set.peers.remove(id);
                set.removed.insert(*id);
                if *id == self.self_id {
                    drop(set);
                    self.mark_self_removed();
                }
            }
            _ => {}
        }
    }

    /// Applies a committed peer-URL update of member `id` (ignored if it is not a member).
    pub fn update(&self, id: u64, peer_urls: Vec<String>) {
        let mut set = self.set.write().unwrap_or_else(|p| p.into_inner());
        if let Some(urls) = set.peers.get_mut(&id) {
            *urls = peer_urls;
        }
    }

    /// Replaces the whole set (from a snapshot).
    pub fn restore(&self, restored: MemberSet) {
        let removed = restored.removed.contains(&self.self_id);
        *self.set.write().unwrap_or_else(|p| p.into_inner()) = restored;
        if removed {
            self.mark_self_removed();
        }
    }

    /// Records that the cluster removed this member; [`Membership::removed`] receivers see it.
    pub fn mark_self_removed(&self) {
        self.removed_self.send_if_modified(|r| !std::mem::replace(r, true));
    }

    /// A receiver that turns `true` once this member is removed from the cluster.
    pub fn removed(&self) -> watch::Receiver<bool> {
        self.removed_self.subscribe()
    }

    /// Records whether a probe of peer `id` succeeded.
    pub fn note_reachable(&self, id: u64, ok: bool) {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            active.entry(id).or_insert_with(Instant::now);
        } else {
            active.remove(&id);
        }
    }

    /// Since when peer `id` has been reachable without interruption (`None`: it is not).
    pub fn active_since(&self, id: u64) -> Option<Instant> {
        self.active.lock().unwrap_or_else(|p| p.into_inner()).get(&id).copied()
    }

    /// Whether peer `id` (or this member) has been reachable for the whole [`HEALTH_INTERVAL`].
    pub fn connected_since_interval(&self, id: u64) -> bool {
        id == self.self_id || self.active_since(id).is_some_and(|t| t.elapsed() >= HEALTH_INTERVAL)
    }

    /// Records a batch sent to peer `id`: its round trip, or `None` if it failed.
    pub fn note_sent(&self, id: u64, rtt: Option<Duration>) {
        self.send_batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).entry(id).or_default().record(rtt);
    }

    /// Records a batch of Raft messages received from a peer.
    pub fn note_received(&self) {
        self.recv_batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// `(received, sent)` batches of Raft messages.
    pub fn batch_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.recv_batches.load(Relaxed), self.send_batches.load(Relaxed))
    }

    /// What was sent to each peer so far.
    pub fn peer_stats(&self) -> HashMap<u64, PeerStats> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records the cluster id (once the log has started).
    pub fn set_cluster_id(&self, id: u64) {
        let _ = self.cluster_id.set(id);
    }

    /// The cluster id, once known.
    pub fn cluster_id(&self) -> Option<u64> {
        self.cluster_id.get().copied()
    }
}

/// Peer URLs travel in a Raft membership change as one comma-separated string
/// (`hecd_client::split_urls` reads it back).
pub fn join_urls(urls: &[String]) -> String {
    urls.join(",")
}

#[cfg(test)]
mod tests;
