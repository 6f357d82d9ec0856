//! The replicated log as the server sees it: `propose`, `read_index`, `status`, `shutdown`,
//! over a `hecd-raft` node (single member for now; no transport yet).

use std::time::Duration;

pub use hecd_raft::Applied;
use hecd_raft::Handle;

use crate::peer::HttpTransport;

use crate::state_machine::{ApplyOutput, KvStateMachine};

/// How long a write or a quorum read may wait for the log (etcd's default request timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(7);

/// Why a proposal or read barrier failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// The log did not answer in time (no leader, lost proposal).
    #[error("etcdserver: request timed out")]
    Timeout,
    /// The log refused or stopped.
    #[error("etcdserver: {0}")]
    Raft(#[from] hecd_raft::Error),
}

/// A snapshot of the log's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStatus {
    /// This member's id.
    pub id: u64,
    /// The leader, if known.
    pub leader: Option<u64>,
    /// The current term.
    pub term: u64,
    /// The committed index.
    pub commit_index: u64,
}

/// A cheap, cloneable handle on the log.
#[derive(Debug, Clone)]
pub struct Consensus {
    handle: Handle<KvStateMachine>,
}

/// What the log needs to start.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// This member's Raft id (non-zero).
    pub id: u64,
    /// Where the WAL and snapshots live; `None` keeps the log in memory.
    pub data_dir: Option<std::path::PathBuf>,
    /// Applied entries between snapshots.
    pub snapshot_count: u64,
    /// Mixed into the cluster id.
    pub cluster_token: String,
    /// Every initial member `(id, peer url)`, this one included; empty = single member.
    pub peers: Vec<(u64, String)>,
    /// The cluster id learned from the peers when joining an existing cluster.
    pub cluster_id: Option<u64>,
    /// Where peers are looked up when sending (kept up to date by the state machine).
    pub membership: std::sync::Arc<crate::members::Membership>,
    /// The HTTP(S) client for peer traffic.
    pub peer_client: crate::peer::PeerClient,
    /// The file system the data directory lives on.
    pub fs: std::sync::Arc<dyn hecd_raft::fs::Fs>,
}

impl Consensus {
    /// Starts the log, recovering `data_dir` if it has state. Peers must be able to reach it
    /// (serve the peer listener) before [`Consensus::wait_ready`] can succeed.
    ///
    /// # Errors
    /// The Raft node could not start (bad data directory, corrupt WAL, ...).
    pub async fn start(cfg: LogConfig, sm: KvStateMachine) -> Result<Self, hecd_raft::Error> {
        let mut rc = hecd_raft::Config::new(cfg.id.max(1)).with_snapshot_count(cfg.snapshot_count);
        if let Some(dir) = cfg.data_dir {
            rc = rc.with_data_dir(dir);
        }
        rc.cluster_token = cfg.cluster_token;
        rc = rc.with_fs(cfg.fs);
        rc.cluster_id = cfg.cluster_id;
        if cfg.peers.len() > 1 {
            rc = rc.with_peers(cfg.peers);
        }
        let transport = HttpTransport::with_membership(cfg.membership.clone(), cfg.peer_client);
        let handle = hecd_raft::start(rc, sm, transport, std::future::pending()).await?;
        cfg.membership.set_cluster_id(handle.cluster_id());
        Ok(Consensus { handle })
    }

    /// Waits (up to the request timeout) for a leader, then for the recovered log to be applied.
    pub async fn wait_ready(&self) {
        let handle = &self.handle;
        let mut status = handle.watch_status();
        let leader =
            tokio::time::timeout(REQUEST_TIMEOUT, status.wait_for(|s| s.leader_id.is_some()))
                .await
                .is_ok_and(|r| r.is_ok());
        if !leader {
            tracing::warn!("no Raft leader yet; writes will fail until one is elected");
        } else {
            // Replay the recovered log into the store before serving reads.
            if tokio::time::timeout(REQUEST_TIMEOUT, handle.read_index()).await.is_err() {
                tracing::warn!("the recovered log is not fully applied yet");
            }
        }
    }

    /// Proposes an entry and waits until it is committed and applied here.
    ///
    /// # Errors
    /// Timeout, no leader, or the log stopped.
    pub async fn propose(&self, data: Vec<u8>) -> Result<Applied<ApplyOutput>, ConsensusError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.handle.propose(data)).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(ConsensusError::Timeout),
        }
    }

    /// A linearizable read barrier: resolves once everything committed so far is applied here.
    ///
    /// # Errors
    /// Timeout or the log stopped.
    pub async fn read_index(&self) -> Result<u64, ConsensusError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.handle.read_index()).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(ConsensusError::Timeout),
        }
    }

    /// Proposes a membership change and waits until it is applied here.
    ///
    /// # Errors
    /// Timeout, no leader, a change already in progress, or the log stopped.
    pub async fn change_member(
        &self,
        change: hecd_raft::MemberChange,
    ) -> Result<Applied<hecd_raft::MemberChange>, ConsensusError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.handle.change_member(change)).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(ConsensusError::Timeout),
        }
    }

    /// Asks this member, if it leads, to hand leadership to `to`.
    ///
    /// # Errors
    /// The log stopped.
    pub async fn transfer_leader(&self, to: u64) -> Result<(), hecd_raft::Error> {
        self.handle.transfer_leader(to).await
    }

    /// The current voting members.
    pub fn voters(&self) -> Vec<u64> {
        self.handle.status().voters
    }

    /// A receiver of every change of the Raft status.
    pub fn watch_status(&self) -> tokio::sync::watch::Receiver<hecd_raft::Status> {
        self.handle.watch_status()
    }

    /// A receiver of every change of the data directory disk's health.
    pub fn watch_disk(&self) -> tokio::sync::watch::Receiver<hecd_raft::DiskHealth> {
        self.handle.watch_disk()
    }

    /// The current state of the log.
    pub fn status(&self) -> LogStatus {
        let s = self.handle.status();
        LogStatus { id: s.id, leader: s.leader_id, term: s.term, commit_index: s.commit_index }
    }

    /// Hands a message from a peer to the log.
    ///
    /// # Errors
    /// The message does not decode, the log is overloaded or stopped.
    pub fn step(&self, msg: &[u8]) -> Result<(), hecd_raft::Error> {
        self.handle.step(msg)
    }

    /// The cluster id recorded by the log.
    pub fn cluster_id(&self) -> u64 {
        self.handle.cluster_id()
    }

    /// Flushes and fsyncs the log and stops it.
    ///
    /// # Errors
    /// The final flush failed.
    pub async fn shutdown(self) -> Result<(), hecd_raft::Error> {
        self.handle.shutdown().await
    }
}
