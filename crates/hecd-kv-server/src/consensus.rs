//! The replicated log as the server sees it: `propose`, `read_index`, `status`.
//!
//! This is an in-process stand-in with the shape of the `hecd-raft` contract
//! (single member, every proposal commits immediately, term 1). Switching to
//! `hecd_raft::Handle<KvStateMachine>` changes only this module.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::state_machine::{ApplyOutput, KvStateMachine};

/// The outcome of a committed and applied proposal.
#[derive(Debug)]
pub struct Applied<T> {
    /// Log index of the entry.
    pub index: u64,
    /// Term of the entry.
    pub term: u64,
    /// What the state machine returned.
    pub output: T,
}

/// Why a proposal or read barrier failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// The log is shut down.
    #[error("etcdserver: server stopped")]
    Stopped,
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
    inner: Arc<Local>,
}

#[derive(Debug)]
struct Local {
    id: u64,
    sm: Mutex<KvStateMachine>,
    index: AtomicU64,
}

impl Consensus {
    /// A single-member log applying to `sm`.
    pub fn local(id: u64, sm: KvStateMachine) -> Self {
        Consensus { inner: Arc::new(Local { id, sm: Mutex::new(sm), index: AtomicU64::new(0) }) }
    }

    /// Proposes an entry and waits until it is committed and applied here.
    ///
    /// # Errors
    /// The log stopped.
    pub async fn propose(&self, data: Vec<u8>) -> Result<Applied<ApplyOutput>, ConsensusError> {
        let mut sm = self.inner.sm.lock().unwrap_or_else(|p| p.into_inner());
        let index = self.inner.index.load(Ordering::SeqCst) + 1;
        let output = sm.apply(&data);
        self.inner.index.store(index, Ordering::SeqCst);
        Ok(Applied { index, term: 1, output })
    }

    /// A linearizable read barrier: resolves once everything committed so far is applied.
    ///
    /// # Errors
    /// The log stopped.
    pub async fn read_index(&self) -> Result<u64, ConsensusError> {
        Ok(self.inner.index.load(Ordering::SeqCst))
    }

    /// The current state of the log.
    pub fn status(&self) -> LogStatus {
        LogStatus {
            id: self.inner.id,
            leader: Some(self.inner.id),
            term: 1,
            commit_index: self.inner.index.load(Ordering::SeqCst),
        }
    }
}
