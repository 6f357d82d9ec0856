//! `start` and the `Handle` through which the rest of the server talks to the driver task.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use prost::Message as _;
use raft::eraftpb::{EntryType, Message};
use raft::RawNode;
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::Config;
use crate::driver::shared::{self, Inline};
use crate::driver::{Cmd, Driver};
use crate::error::{Error, Result};
use crate::log_store::{LogStore, SnapFiles};
use crate::membership::MemberChange;
use crate::state_machine::{Applied, StateMachine};
use crate::status::{DiskHealth, Status};
use crate::storage::{self, Disk, Recovered};
use crate::transport::Transport;

/// A cheap, cloneable handle to a running raft node.
pub struct Handle<S: StateMachine> {
    shared: Arc<Shared<S::Output>>,
}

struct Shared<O> {
    inbox: mpsc::Sender<Cmd<O>>,
    /// The driver itself, for proposals that can run on the caller's thread.
    inline: Arc<dyn Inline<O>>,
    /// Proposals made through the handles and not yet answered.
    proposing: AtomicUsize,
    status: watch::Receiver<Status>,
    /// The driver thread's result, once it ends.
    task: Mutex<Option<oneshot::Receiver<Result<()>>>>,
    cluster_id: u64,
    wal_syncs: Arc<AtomicU64>,
    disk: watch::Receiver<DiskHealth>,
    data_dir: PathBuf,
    /// Tells the driver to stop retrying a full disk.
    stopping: Arc<AtomicBool>,
}

impl<O> Shared<O> {
    /// Queues a command for the driver's thread, counted until that thread has handled it (a
    /// proposal does not run on its caller's thread before commands sent ahead of it).
    async fn send(&self, cmd: Cmd<O>) -> Result<()> {
        // In the inbox, the command is taken out of the count by the driver's thread once handled.
        let (count, _) = Count::enter(self.inline.queued());
        self.inbox.send(cmd).await.map_err(|_| Error::Stopped)?;
        count.hand_over();
        Ok(())
    }

    fn try_send(&self, cmd: Cmd<O>) -> std::result::Result<(), mpsc::error::TrySendError<Cmd<O>>> {
        let (count, _) = Count::enter(self.inline.queued());
        self.inbox.try_send(cmd)?;
        count.hand_over();
        Ok(())
    }
}

/// One held in a count for as long as it lives (its holder may drop it early), unless handed over.
struct Count<'a>(Option<&'a AtomicUsize>);

impl<'a> Count<'a> {
    /// Adds one to `count`; returns how many were held before.
    fn enter(count: &'a AtomicUsize) -> (Self, usize) {
        let before = count.fetch_add(1, Ordering::SeqCst);
        (Count(Some(count)), before)
    }

    /// Leaves the one in the count, for someone else to take out.
    fn hand_over(mut self) {
        self.0 = None;
    }
}

impl Drop for Count<'_> {
    fn drop(&mut self) {
        if let Some(count) = self.0 {
            count.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl<S: StateMachine> Clone for Handle<S> {
    fn clone(&self) -> Self {
        Handle { shared: Arc::clone(&self.shared) }
    }
}

impl<S: StateMachine> std::fmt::Debug for Handle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").field("status", &*self.shared.status.borrow()).finish()
    }
}

/// Starts a raft node: recovers the data directory (if any), restores the state machine from the latest
/// snapshot, and spawns the driver task, which replays the committed entries after that snapshot.
///
/// A single-member cluster campaigns at once and is leader when its first `Ready` is handled. The node
/// stops when `shutdown` completes, when [`Handle::shutdown`] is called, or when every handle is dropped.
/// Must be called within a tokio runtime.
///
/// # Errors
///
/// [`Error::InvalidConfig`], [`Error::DataDirMismatch`], [`Error::Corrupt`] (damage other than a torn
/// WAL tail), [`Error::Io`], or [`Error::Restore`] if the state machine rejects the snapshot.
pub async fn start<S, T, F>(cfg: Config, sm: S, transport: T, shutdown: F) -> Result<Handle<S>>
where
    S: StateMachine,
    T: Transport,
    F: Future<Output = ()> + Send + 'static,
{
    cfg.validate()?;
    let wal_syncs;
    let (health_tx, health_rx) = watch::channel(DiskHealth::Ok);
    let stopping = Arc::new(AtomicBool::new(false));
    let (disk, recovered, sm, files) = match cfg.data_dir.clone() {
        None => {
            wal_syncs = Arc::default();
            (Disk::Memory, storage::fresh(&cfg), sm, None)
        }
        Some(dir) => {
            let cfg2 = cfg.clone();
            let (wal, recovered, snap_dir, sm) = tokio::task::spawn_blocking(move || {
                let (wal, recovered, snap_dir) = storage::open(&cfg2, &dir)?;
                let sm = restore(sm, &recovered)?;
                Ok::<_, Error>((wal, recovered, snap_dir, sm))
            })
            .await
            .map_err(|_| Error::Stopped)??;
            wal_syncs = Arc::clone(&wal.syncs);
            let files = SnapFiles { fs: Arc::clone(&cfg.fs), dir: snap_dir.clone() };
            let disk =
                Disk::open(wal, Arc::clone(&cfg.fs), snap_dir, health_tx, Arc::clone(&stopping));
            (disk, recovered, sm, Some(files))
        }
    };
    let Recovered { hard_state, conf_state, snapshot, entries, torn_bytes, cluster_id } = recovered;
    let snap_index = snapshot.get_metadata().index;
    tracing::info!(
        id = cfg.id,
        cluster_id = format_args!("{cluster_id:x}"),
        term = hard_state.term,
        commit = hard_state.commit,
        snapshot = snap_index,
        entries = entries.len(),
        torn_bytes,
        "starting raft node"
    );
    // A sole voter elects itself at once, unless its log holds membership changes: until they are
    // applied its configuration is not known, and raft's election timeout takes over.
    let single = conf_state.voters == [cfg.id]
        && conf_state.learners.is_empty()
        && entries.iter().all(|e| e.get_entry_type() == EntryType::EntryNormal);
    let store = LogStore::new(hard_state, conf_state, snapshot, entries, files);
    let raft_cfg = raft_config(&cfg, snap_index);
    raft_cfg.validate().map_err(|e| Error::InvalidConfig { reason: e.to_string() })?;
    let mut raw = RawNode::new(&raft_cfg, store, &crate::logger::logger()).map_err(Error::raft)?;
    if single {
        raw.campaign().map_err(Error::raft)?;
    }
    let (status_tx, status_rx) = watch::channel(Status::initial(cfg.id));
    let (tx, rx) = mpsc::channel(cfg.inbox_capacity);
    let driver =
        Arc::new(shared::Shared::new(Driver::new(raw, sm, transport, disk, status_tx, &cfg)));
    let inline: Arc<dyn Inline<S::Output>> = driver.clone();
    // The driver has a thread of its own: it writes and fdatasyncs the WAL itself (a batch is
    // handed to no other thread). An uncontended proposal may run on its caller's thread instead
    // (`driver::shared`); queued commands, ticks and peer messages are this thread's.
    let (done_tx, done_rx) = oneshot::channel();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("hecd-raft runtime", e))?;
    std::thread::Builder::new()
        .name("hecd-raft".into())
        .spawn(move || {
            let _ = done_tx.send(rt.block_on(shared::run(driver, rx, shutdown)));
        })
        .map_err(|e| Error::io("hecd-raft thread", e))?;
    let task = done_rx;
    Ok(Handle {
        shared: Arc::new(Shared {
            inbox: tx,
            inline,
            proposing: AtomicUsize::new(0),
            status: status_rx,
            task: Mutex::new(Some(task)),
            cluster_id,
            wal_syncs,
            disk: health_rx,
            data_dir: cfg.data_dir.clone().unwrap_or_default(),
            stopping,
        }),
    })
}

/// Raft's configuration for member `cfg.id`, whose log is applied up to `applied` (its snapshot's
/// index) when it starts.
pub(crate) fn raft_config(cfg: &Config, applied: u64) -> raft::Config {
    raft::Config {
        id: cfg.id,
        election_tick: cfg.election_tick,
        heartbeat_tick: cfg.heartbeat_tick,
        applied,
        max_size_per_msg: cfg.max_size_per_msg,
        max_inflight_msgs: cfg.max_inflight_msgs,
        check_quorum: true,
        pre_vote: true,
        ..Default::default()
    }
}

/// Restores the state machine from the recovered snapshot, if there is one.
fn restore<S: StateMachine>(mut sm: S, rec: &Recovered) -> Result<S> {
    let meta = rec.snapshot.get_metadata();
    if meta.index > 0 {
        sm.restore(meta.index, meta.term, &rec.snapshot.data)
            .map_err(|reason| Error::Restore { index: meta.index, reason })?;
    }
    Ok(sm)
}

impl<S: StateMachine> Handle<S> {
    async fn call<R>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<R>>) -> Cmd<S::Output>,
    ) -> Result<R> {
        let (tx, rx) = oneshot::channel();
        self.shared.send(make(tx)).await?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Proposes `data` and resolves once it is committed and applied on this node, with the state
    /// machine's output. With a data directory, the entry is fsynced before this resolves.
    ///
    /// A proposal made while no leader is known waits for one (as etcd's raft node does). In a
    /// multi-member cluster a proposal may never resolve (no leader is elected, or one lost it and no
    /// later term commits): wrap the call in a timeout.
    ///
    /// # Errors
    ///
    /// [`Error::ProposalDropped`] when raft drops it (a leadership transfer is in progress),
    /// [`Error::LeaderLost`] when it was forwarded to a leader that lost it, [`Error::Stopped`] when
    /// the node stops first.
    pub async fn propose(&self, data: Vec<u8>) -> Result<Applied<S::Output>> {
        self.check_disk()?;
        let (_in_flight, others) = Count::enter(&self.shared.proposing);
        let (reply, rx) = oneshot::channel();
        let cmd = Cmd::Propose { data, reply };
        // Alone, the proposal runs on this thread (no hand-over to the driver's thread and back),
        // if this is a worker of a multi-threaded runtime: on a current-thread runtime its fsync
        // would stall every other task. Among others it queues for the driver's thread, which
        // commits them together.
        let queued = if others == 0 && in_multi_thread_runtime() {
            self.shared.inline.try_run(cmd)
        } else {
            Some(cmd)
        };
        if let Some(cmd) = queued {
            self.shared.send(cmd).await?;
        }
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Refuses a proposal at once when the disk cannot take it.
    fn check_disk(&self) -> Result<()> {
        match *self.shared.disk.borrow() {
            DiskHealth::Ok => Ok(()),
            DiskHealth::Full => Err(Error::NoSpace { path: self.shared.data_dir.clone() }),
            DiskHealth::Failed => Err(Error::Stopped),
        }
    }

    /// The health of the data directory's disk.
    pub fn disk_health(&self) -> DiskHealth {
        *self.shared.disk.borrow()
    }

    /// A receiver of every change of the disk's health (a server stops when it turns
    /// [`DiskHealth::Failed`]).
    pub fn watch_disk(&self) -> watch::Receiver<DiskHealth> {
        self.shared.disk.clone()
    }

    /// A linearizable read barrier: resolves, with the read index, once this node has applied everything
    /// the leader had committed when the request reached it.
    ///
    /// # Errors
    ///
    /// [`Error::Stopped`] when the node stops first. Without a leader the request is retried every few
    /// ticks and does not resolve: wrap the call in a timeout.
    pub async fn read_index(&self) -> Result<u64> {
        self.call(|reply| Cmd::ReadIndex { reply }).await
    }

    /// Proposes a membership change and resolves once it is applied.
    ///
    /// # Errors
    ///
    /// As [`Handle::propose`]; raft also drops a change while a previous one is still pending.
    pub async fn change_member(&self, change: MemberChange) -> Result<Applied<MemberChange>> {
        self.check_disk()?;
        self.call(|reply| Cmd::ChangeMember { change, reply }).await
    }

    /// Hands a raft message received from a peer (bytes produced by a peer's [`Transport`]) to the node.
    ///
    /// # Errors
    ///
    /// [`Error::BadMessage`] if the bytes do not decode, [`Error::Busy`] if the inbox is full (the message
    /// is dropped; raft retransmits), [`Error::Stopped`] if the node has stopped.
    pub fn step(&self, msg: &[u8]) -> Result<()> {
        let msg = Message::decode(msg).map_err(|e| Error::BadMessage { reason: e.to_string() })?;
        self.shared.try_send(Cmd::Step(Box::new(msg))).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::Busy,
            mpsc::error::TrySendError::Closed(_) => Error::Stopped,
        })
    }

    /// Asks this node to start an election now.
    ///
    /// # Errors
    ///
    /// [`Error::Stopped`] if the node has stopped.
    pub async fn campaign(&self) -> Result<()> {
        self.shared.send(Cmd::Campaign).await
    }

    /// Asks the leader (this node) to hand leadership to member `to`, e.g. before a planned shutdown.
    /// Ignored when this node is not the leader; watch [`Handle::watch_status`] for the outcome.
    ///
    /// # Errors
    ///
    /// [`Error::Stopped`] if the node has stopped.
    pub async fn transfer_leader(&self, to: u64) -> Result<()> {
        self.shared.send(Cmd::TransferLeader(to)).await
    }

    /// Tells raft that the transport could not deliver to member `id`, so replication to it falls back
    /// to probing. Best effort: dropped if the inbox is full.
    pub fn report_unreachable(&self, id: u64) {
        let _ = self.shared.try_send(Cmd::Unreachable(id));
    }

    /// The node's current role, leader, term and indices.
    pub fn status(&self) -> Status {
        self.shared.status.borrow().clone()
    }

    /// A receiver that sees every status change (useful to wait for a leader without polling).
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.shared.status.clone()
    }

    /// The cluster id recorded in the data directory (derived from the initial peers).
    pub fn cluster_id(&self) -> u64 {
        self.shared.cluster_id
    }

    /// How many batch fdatasyncs the WAL has made since start (0 without a data directory). Concurrent
    /// proposals share them (group commit).
    pub fn wal_syncs(&self) -> u64 {
        self.shared.wal_syncs.load(Ordering::Relaxed)
    }

    /// Stops the node: pending proposals fail with [`Error::Stopped`], the WAL is flushed and fsynced,
    /// and the driver task ends. Other handles then see [`Error::Stopped`].
    ///
    /// # Errors
    ///
    /// The storage error that stopped the node, if one did, or the error of the final fsync.
    pub async fn shutdown(self) -> Result<()> {
        self.shared.stopping.store(true, Ordering::Release);
        let (tx, rx) = oneshot::channel();
        if self.shared.send(Cmd::Shutdown { reply: tx }).await.is_ok() {
            let _ = rx.await;
        }
        let task = self.shared.task.lock().map_or(None, |mut t| t.take());
        match task {
            Some(task) => task.await.map_err(|_| Error::Stopped)?,
            None => Ok(()),
        }
    }
}

/// Whether the calling thread is in a multi-threaded tokio runtime (one of its workers, or a
/// thread blocked on it), where a blocked thread leaves the other tasks to the other workers.
fn in_multi_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every setting of `Config` that raft has reaches raft's configuration.
    #[test]
    fn raft_gets_every_setting() {
        let mut cfg = Config::new(7);
        (cfg.election_tick, cfg.heartbeat_tick) = (17, 3);
        (cfg.max_size_per_msg, cfg.max_inflight_msgs) = (12_345, 9);
        let r = raft_config(&cfg, 42);
        assert_eq!((r.id, r.election_tick, r.heartbeat_tick, r.applied), (7, 17, 3, 42));
        assert_eq!((r.max_size_per_msg, r.max_inflight_msgs), (12_345, 9));
        assert!(r.check_quorum && r.pre_vote);
    }
}
