//! Node configuration: identity, peers, storage and timing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::fs::{Fs, OsFs};

/// Configuration of one raft member.
///
/// Build it with [`Config::new`] and adjust the public fields; [`crate::start`] validates it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// This member's id (non-zero).
    pub id: u64,
    /// The initial members `(id, peer url)`, this member included, used only when the data directory is new.
    /// An empty list means a single-member cluster made of `id`.
    pub peers: Vec<(u64, String)>,
    /// Where the log, hard state and snapshots live. `None` keeps everything in memory (nothing survives a restart).
    pub data_dir: Option<PathBuf>,
    /// Take a state machine snapshot and compact the log every this many applied entries (0 disables snapshots).
    pub snapshot_count: u64,
    /// Applied entries kept in memory for followers that fall behind (etcd's
    /// `SnapshotCatchUpEntries`): a follower missing older ones is sent a snapshot. A sole member
    /// keeps none. Unused when `snapshot_count` is 0 (then every entry is kept).
    pub catchup_entries: u64,
    /// Ticks without a heartbeat before a follower starts an election.
    pub election_tick: usize,
    /// Ticks between leader heartbeats.
    pub heartbeat_tick: usize,
    /// Wall-clock length of one tick.
    pub tick_interval: Duration,
    /// Start a new WAL segment once the current one grows past this many bytes.
    pub segment_bytes: u64,
    /// Largest total entry size carried by one append message.
    pub max_size_per_msg: u64,
    /// Number of in-flight append messages per follower.
    pub max_inflight_msgs: usize,
    /// Capacity of the driver's inbox (proposals, reads and peer messages).
    pub inbox_capacity: usize,
    /// A token mixed into the cluster id, so two clusters with the same peers get different ids.
    pub cluster_token: String,
    /// The cluster id to record in a new data directory instead of the one derived from `peers` and
    /// `cluster_token` (a member joining an existing cluster learns the id from its peers).
    pub cluster_id: Option<u64>,
    /// The file system the data directory lives on ([`crate::fs::OsFs`]; tests inject faults with
    /// [`crate::fs::FaultFs`]).
    pub fs: Arc<dyn Fs>,
}

impl Config {
    /// A configuration for member `id` with etcd-like defaults: 100 ms ticks, election after 10 ticks,
    /// heartbeat every tick, a snapshot every 10 000 entries, 64 MiB WAL segments, in-memory storage.
    pub fn new(id: u64) -> Self {
        Config {
            id,
            peers: Vec::new(),
            data_dir: None,
            snapshot_count: 10_000,
            catchup_entries: 5000,
            election_tick: 10,
            heartbeat_tick: 1,
            tick_interval: Duration::from_millis(100),
            segment_bytes: 64 * 1024 * 1024,
            max_size_per_msg: 1024 * 1024,
            max_inflight_msgs: 256,
            inbox_capacity: 4096,
            cluster_token: "hecd-cluster".to_owned(),
            cluster_id: None,
            fs: Arc::new(OsFs),
        }
    }

    /// Sets the initial members.
    pub fn with_peers(mut self, peers: Vec<(u64, String)>) -> Self {
        self.peers = peers;
        self
    }

    /// Sets the data directory (durable storage).
    pub fn with_data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Sets the snapshot interval, in applied entries.
    pub fn with_snapshot_count(mut self, count: u64) -> Self {
        self.snapshot_count = count;
        self
    }

    /// Sets how many applied entries are kept for followers that fall behind.
    pub fn with_catchup_entries(mut self, entries: u64) -> Self {
        self.catchup_entries = entries;
        self
    }

    /// Sets the file system the data directory lives on.
    pub fn with_fs(mut self, fs: Arc<dyn Fs>) -> Self {
        self.fs = fs;
        self
    }

    /// Sets the tick length.
    pub fn with_tick_interval(mut self, tick: Duration) -> Self {
        self.tick_interval = tick;
        self
    }

    /// The ids of the initial voters (this member alone when `peers` is empty).
    pub(crate) fn initial_voters(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.peers.iter().map(|(id, _)| *id).collect();
        if ids.is_empty() {
            ids.push(self.id);
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The cluster id derived from the initial members and the cluster token.
    pub(crate) fn cluster_id(&self) -> u64 {
        if let Some(id) = self.cluster_id {
            return id;
        }
        let mut peers = self.peers.clone();
        if peers.is_empty() {
            peers.push((self.id, String::new()));
        }
        peers.sort();
        let mut text = self.cluster_token.clone();
        for (id, url) in &peers {
            text.push_str(&format!("\n{id}={url}"));
        }
        // Two independent CRCs make a 64-bit id; collisions are harmless, this is only a sanity check.
        let lo = crc32fast::hash(text.as_bytes()) as u64;
        let hi = crc32fast::hash(text.chars().rev().collect::<String>().as_bytes()) as u64;
        (hi << 32) | lo
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |reason: &str| Err(Error::InvalidConfig { reason: reason.to_owned() });
        if self.id == 0 {
            return bad("member id must be non-zero");
        }
        if !self.peers.is_empty() && !self.peers.iter().any(|(id, _)| *id == self.id) {
            return bad("peers must include this member");
        }
        if self.peers.iter().any(|(id, _)| *id == 0) {
            return bad("peer ids must be non-zero");
        }
        if self.heartbeat_tick == 0 {
            return bad("heartbeat_tick must be positive");
        }
        if self.election_tick <= self.heartbeat_tick {
            return bad("election_tick must be greater than heartbeat_tick");
        }
        if self.tick_interval.is_zero() {
            return bad("tick_interval must be positive");
        }
        if self.inbox_capacity == 0 {
            return bad("inbox_capacity must be positive");
        }
        if self.max_inflight_msgs == 0 {
            return bad("max_inflight_msgs must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
