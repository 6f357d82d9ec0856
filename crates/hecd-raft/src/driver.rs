//! The driver task: owns `RawNode`, ticks it, feeds it proposals and messages, and handles each `Ready`
//! in raft-rs's documented order (send messages, install snapshot, apply committed entries, persist
//! entries and hard state, send persisted messages, advance).

use std::collections::HashMap;

use prost::Message as _;
use raft::eraftpb::{
    ConfChange, ConfChangeV2, Entry, EntryType, Message, MessageType, Snapshot, SnapshotMetadata,
};
use raft::{RawNode, SnapshotStatus, StateRole};
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::{Error, Result};
use crate::log_store::LogStore;
use crate::membership::MemberChange;
use crate::state_machine::{Applied, StateMachine};
use crate::status::{Role, Status};
use crate::storage::{Attempts, Disk};
use crate::transport::Transport;

/// Most commands taken from the inbox before the next `Ready` is handled.
const MAX_BATCH: usize = 4096;
/// Ticks between sweeps for proposals and reads whose caller gave up.
const SWEEP_TICKS: u64 = 64;
/// Ticks after which an unanswered read-index request is sent again.
const READ_RETRY_TICKS: u64 = 3;
/// Fewest applied entries dropped from memory at a time while others stay.
const MIN_TRIM: u64 = 256;
/// Ticks a proposal forwarded to a leader is still awaited after an entry of a later term was
/// applied without it, for a message that was still on its way (see [`Driver::check_forwarded`]).
const FORWARD_GRACE_TICKS: u64 = 5;

/// A request from a `Handle` to the driver.
pub(crate) enum Cmd<O> {
    Propose { data: Vec<u8>, reply: oneshot::Sender<Result<Applied<O>>> },
    ChangeMember { change: MemberChange, reply: oneshot::Sender<Result<Applied<MemberChange>>> },
    ReadIndex { reply: oneshot::Sender<Result<u64>> },
    Step(Box<Message>),
    Campaign,
    TransferLeader(u64),
    Unreachable(u64),
    Shutdown { reply: oneshot::Sender<()> },
}

enum Pending<O> {
    Data(oneshot::Sender<Result<Applied<O>>>),
    Member(oneshot::Sender<Result<Applied<MemberChange>>>),
}

/// A `Ready`'s batch waiting for a full disk, with what finishing the `Ready` needs.
struct Write {
    rd: raft::Ready,
    snapshot: Option<Snapshot>,
    entries: Vec<Entry>,
    hard_state: Option<raft::eraftpb::HardState>,
    sync: bool,
}

impl Write {
    fn write_to(&self, disk: &mut Disk, attempts: Attempts) -> Result<()> {
        let hard_state = self.hard_state.as_ref();
        disk.write(attempts, self.snapshot.as_ref(), &self.entries, hard_state, self.sync)
    }
}

/// What became of a proposal offered to [`Driver::run_inline`].
enum Ran<O> {
    /// Given back, for the driver's thread.
    Queued(Cmd<O>),
    /// Handled: the replies it released, and whether the driver's thread has work left (a
    /// snapshot that became due, taken there so that the caller's reply does not wait for it, or
    /// a storage error that stops the node).
    Done { replies: Replies<O>, wake: bool },
}

/// Replies released by the driver, to send once it is let go.
struct Replies<O>(Vec<Done<O>>);

impl<O> Replies<O> {
    fn send(self) {
        for done in self.0 {
            match done {
                Done::Data(tx, res) => {
                    let _ = tx.send(res);
                }
                Done::Member(tx, res) => {
                    let _ = tx.send(res);
                }
                Done::Read(tx, index) => {
                    let _ = tx.send(Ok(index));
                }
            }
        }
    }
}

/// A reply held back until the status reflecting it has been published.
enum Done<O> {
    Data(oneshot::Sender<Result<Applied<O>>>, Result<Applied<O>>),
    Member(oneshot::Sender<Result<Applied<MemberChange>>>, Result<Applied<MemberChange>>),
    Read(oneshot::Sender<Result<u64>>, u64),
}

struct PendingRead {
    reply: oneshot::Sender<Result<u64>>,
    retry_at: u64,
}

pub(crate) struct Driver<S: StateMachine, T> {
    pub(crate) raw: RawNode<LogStore>,
    pub(crate) sm: S,
    pub(crate) transport: T,
    pub(crate) disk: Disk,
    pub(crate) status: watch::Sender<Status>,
    pub(crate) snapshot_count: u64,
    pub(crate) catchup_entries: u64,
    pub(crate) tick_interval: std::time::Duration,
    /// Distinguishes this process's proposals from those of earlier runs replayed from the log.
    pub(crate) nonce: u64,
    pub(crate) applied: u64,
    next_seq: u64,
    ticks: u64,
    /// The tick at which abandoned proposals and reads are next swept.
    next_sweep: u64,
    proposals: HashMap<u64, Pending<S::Output>>,
    reads: HashMap<u64, PendingRead>,
    /// Reads whose index is known, waiting for `applied` to reach it.
    read_waits: Vec<(u64, oneshot::Sender<Result<u64>>)>,
    /// A read was sent while this leader had not yet committed an entry in its term (raft drops those).
    reads_blocked: bool,
    /// Peers a snapshot was sent to during the current `Ready`.
    snapshots_sent: Vec<u64>,
    /// Log index at which this node, as leader, appended each pending proposal (by sequence number).
    expected: std::collections::BTreeMap<u64, u64>,
    /// Pending proposals this node forwarded to the leader as a follower: sequence number -> the
    /// term it was forwarded in.
    forwarded: std::collections::BTreeMap<u64, u64>,
    /// Forwarded proposals that an applied entry of a later term passed: (the tick at which they
    /// fail, sequence number), in tick order.
    overtaken: std::collections::VecDeque<(u64, u64)>,
    /// Proposals and membership changes made while no leader was known, in order: raft would drop
    /// them. They are proposed as soon as a leader is known (etcd's raft node likewise takes no
    /// proposal until it knows a leader), or forgotten when their caller gives up.
    parked: Vec<Cmd<S::Output>>,
    /// A commit-only hard state not yet handed to the WAL (written with the next batch or at shutdown).
    deferred_hs: Option<raft::eraftpb::HardState>,
    /// Replies to send once the status is published, so callers see a status at least as new.
    done: Vec<Done<S::Output>>,
    /// A membership change was applied: the next snapshot is taken at once, so a member added
    /// after the last one (which must catch up by snapshot) finds itself in the snapshot's
    /// configuration; raft refuses a snapshot whose configuration lacks the receiver.
    snapshot_due: bool,
    /// After a snapshot skipped for a full disk, no new attempt before this applied index (each
    /// attempt serializes the whole state machine).
    snapshot_retry_at: u64,
    /// A storage error met by a proposal run on its caller's thread: the driver's thread stops the node.
    failed: Option<Error>,
    /// How many proposals the latest batch of commands held: more than one means the load is
    /// concurrent, and proposals queue for the driver's thread to commit them together.
    last_batch: usize,
    /// A `Ready` is being handled on a caller's thread: snapshots wait for the driver's thread.
    inline: bool,
    /// A batch a caller's thread found the disk too full for: the driver's thread writes it (and
    /// finishes its `Ready`) before anything else.
    stalled: Option<Write>,
}

/// A value that differs between runs of the process, so replayed proposals of an earlier run are never
/// mistaken for pending proposals of this one.
fn nonce() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    t ^ (u64::from(std::process::id()) << 32)
}

/// Proposal and read contexts: `[member id][nonce][sequence]`, little endian.
const CTX_LEN: usize = 24;

impl<S: StateMachine, T: Transport> Driver<S, T> {
    pub(crate) fn new(
        raw: RawNode<LogStore>,
        sm: S,
        transport: T,
        disk: Disk,
        status: watch::Sender<Status>,
        cfg: &crate::Config,
    ) -> Self {
        // Raft starts with `applied` at the snapshot index: everything after it is replayed.
        let applied = raw.store().snapshot_index();
        Driver {
            raw,
            sm,
            transport,
            disk,
            status,
            snapshot_count: cfg.snapshot_count,
            catchup_entries: cfg.catchup_entries,
            tick_interval: cfg.tick_interval,
            nonce: nonce(),
            applied,
            next_seq: 1,
            ticks: 0,
            next_sweep: SWEEP_TICKS,
            proposals: HashMap::new(),
            reads: HashMap::new(),
            read_waits: Vec::new(),
            reads_blocked: false,
            snapshots_sent: Vec::new(),
            done: Vec::new(),
            deferred_hs: None,
            expected: std::collections::BTreeMap::new(),
            forwarded: std::collections::BTreeMap::new(),
            overtaken: std::collections::VecDeque::new(),
            parked: Vec::new(),
            snapshot_due: false,
            snapshot_retry_at: 0,
            failed: None,
            last_batch: 0,
            inline: false,
            stalled: None,
        }
    }

    fn ctx(&mut self) -> (u64, Vec<u8>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut ctx = Vec::with_capacity(CTX_LEN);
        ctx.extend_from_slice(&self.raw.raft.id.to_le_bytes());
        ctx.extend_from_slice(&self.nonce.to_le_bytes());
        ctx.extend_from_slice(&seq.to_le_bytes());
        (seq, ctx)
    }

    /// The sequence number of a context created by this process, if it is one.
    fn own_seq(&self, ctx: &[u8]) -> Option<u64> {
        if ctx.len() != CTX_LEN {
            return None;
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&ctx[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        (word(0) == self.raw.raft.id && word(1) == self.nonce).then(|| word(2))
    }

    /// Runs a proposal on the caller's thread when the driver has nothing pending and the load is
    /// not concurrent (the latest batch held one proposal); gives the command back otherwise, for
    /// the driver's thread.
    fn run_inline(&mut self, cmd: Cmd<S::Output>) -> Ran<S::Output> {
        if self.failed.is_some()
            || self.stalled.is_some()
            || !self.proposals.is_empty()
            || self.last_batch > 1
        {
            return Ran::Queued(cmd);
        }
        self.last_batch = 1;
        self.handle(cmd);
        self.inline = true;
        let advanced = self.advance_held();
        self.inline = false;
        match advanced {
            Ok(replies) => {
                Ran::Done { replies, wake: self.stalled.is_some() || self.snapshot_wanted() }
            }
            Err(err) => {
                tracing::error!(error = %err, "raft storage failed; stopping the node");
                self.failed = Some(err);
                Ran::Done { replies: Replies(Vec::new()), wake: true }
            }
        }
    }

    /// Handles `first` and the commands queued behind it (at most `MAX_BATCH`), as one batch;
    /// returns the shutdown reply channel when asked to stop, and how many commands it handled.
    fn handle_batch(
        &mut self,
        first: Cmd<S::Output>,
        inbox: &mut mpsc::Receiver<Cmd<S::Output>>,
    ) -> (Option<oneshot::Sender<()>>, usize) {
        let mut proposals = 0;
        let mut next = Some(first);
        let mut n = 0;
        let mut reply = None;
        while let Some(cmd) = next.take() {
            proposals += usize::from(matches!(cmd, Cmd::Propose { .. }));
            reply = self.handle(cmd);
            n += 1;
            if reply.is_some() || n >= MAX_BATCH {
                break;
            }
            next = inbox.try_recv().ok();
        }
        if proposals > 0 {
            self.last_batch = proposals;
        }
        (reply, n)
    }

    /// After commands or a tick: handles raft's `Ready`, if there is one, publishes the status, and
    /// returns the replies it released, for whoever holds the driver to send once it has let it go
    /// (a caller woken by its reply then finds it free).
    fn advance_held(&mut self) -> Result<Replies<S::Output>> {
        // Still no leader: each is parked again, in the same order.
        for cmd in std::mem::take(&mut self.parked) {
            self.handle(cmd);
        }
        if self.raw.has_ready() {
            let span = tracing::debug_span!(
                "raft_ready",
                term = self.raw.raft.term,
                commit = self.raw.raft.raft_log.committed,
                applied = self.applied
            );
            span.in_scope(|| self.on_ready())?;
        }
        self.publish_status();
        Ok(self.take_replies())
    }

    /// Handles one command; returns the shutdown reply channel when asked to stop.
    fn handle(&mut self, cmd: Cmd<S::Output>) -> Option<oneshot::Sender<()>> {
        if matches!(cmd, Cmd::Propose { .. } | Cmd::ChangeMember { .. })
            && self.raw.raft.leader_id == raft::INVALID_ID
        {
            self.parked.push(cmd);
            return None;
        }
        match cmd {
            Cmd::Propose { data, reply } => {
                let (seq, ctx) = self.ctx();
                match self.raw.propose(ctx, data) {
                    Ok(()) => {
                        self.proposals.insert(seq, Pending::Data(reply));
                        self.note_expected(seq);
                    }
                    Err(err) => {
                        let _ = reply.send(Err(Error::raft(err)));
                    }
                }
            }
            Cmd::ChangeMember { change, reply } => {
                let (seq, ctx) = self.ctx();
                match self.raw.propose_conf_change(ctx, change.to_conf_change()) {
                    Ok(()) => {
                        self.proposals.insert(seq, Pending::Member(reply));
                        self.note_expected(seq);
                    }
                    Err(err) => {
                        let _ = reply.send(Err(Error::raft(err)));
                    }
                }
            }
            Cmd::ReadIndex { reply } => {
                let (seq, ctx) = self.ctx();
                self.send_read(ctx);
                self.reads
                    .insert(seq, PendingRead { reply, retry_at: self.ticks + READ_RETRY_TICKS });
            }
            Cmd::Step(msg) => {
                if let Err(err) = self.raw.step(*msg) {
                    tracing::debug!(error = %err, "ignoring raft message");
                }
            }
            Cmd::Campaign => {
                if let Err(err) = self.raw.campaign() {
                    tracing::warn!(error = %err, "campaign failed");
                }
            }
            Cmd::TransferLeader(to) => self.raw.transfer_leader(to),
            Cmd::Unreachable(id) => self.raw.report_unreachable(id),
            Cmd::Shutdown { reply } => return Some(reply),
        }
        None
    }

    /// As leader, a proposal is appended to the local log at once: remember where, so that finding another
    /// entry there (after a leader change, or a conf change raft refused) fails the proposal instead of
    /// leaving it pending forever. A proposal forwarded to the leader has no known index: remember the
    /// term it was forwarded in (see [`Driver::check_forwarded`]).
    fn note_expected(&mut self, seq: u64) {
        if self.raw.raft.state == StateRole::Leader {
            let index = self.raw.raft.raft_log.last_index();
            self.expected.insert(index, seq);
        } else {
            self.forwarded.insert(seq, self.raw.raft.term);
        }
    }

    /// Before an entry of `term` is applied: forwarded proposals of an earlier term that are still
    /// pending are overtaken. Had the leader they went to appended one, it would sit before this entry
    /// in every log that can win an election (a log's terms never decrease, and this entry is
    /// committed), so it would have been applied already. It was lost with that leader (killed, or cut
    /// off before it replicated it) unless the message is still on its way: a member that lost the
    /// leadership passes a proposal it receives on to the new leader. So an overtaken proposal gets
    /// [`FORWARD_GRACE_TICKS`] more, then fails with [`Error::LeaderLost`] instead of keeping its
    /// caller until the request timeout.
    fn check_forwarded(&mut self, term: u64) {
        // Sequence numbers and terms only grow: the first proposal is of the earliest term.
        while let Some(first) = self.forwarded.first_entry() {
            if *first.get() >= term {
                break;
            }
            let seq = first.remove_entry().0;
            self.overtaken.push_back((self.ticks + FORWARD_GRACE_TICKS, seq));
        }
    }

    /// Fails the overtaken proposals whose grace ran out and that are still pending.
    fn fail_overtaken(&mut self) {
        while let Some(&(at, seq)) = self.overtaken.front() {
            if at > self.ticks {
                break;
            }
            self.overtaken.pop_front();
            let term = self.raw.raft.term;
            match self.proposals.remove(&seq) {
                Some(Pending::Data(tx)) => {
                    self.done.push(Done::Data(tx, Err(Error::LeaderLost { term })))
                }
                Some(Pending::Member(tx)) => {
                    self.done.push(Done::Member(tx, Err(Error::LeaderLost { term })));
                }
                None => {}
            }
        }
    }

    /// Fails pending proposals expected at or before `index` whose entry turned out to be another one.
    fn check_expected(&mut self, index: u64, own: Option<u64>) {
        while let Some(entry) = self.expected.first_entry() {
            if *entry.key() > index {
                break;
            }
            let (at, seq) = entry.remove_entry();
            if at == index && own == Some(seq) {
                continue;
            }
            let err = || Error::ProposalLost { index: at };
            match self.proposals.remove(&seq) {
                Some(Pending::Data(tx)) => self.done.push(Done::Data(tx, Err(err()))),
                Some(Pending::Member(tx)) => self.done.push(Done::Member(tx, Err(err()))),
                None => {}
            }
        }
    }

    fn send_read(&mut self, ctx: Vec<u8>) {
        if self.raw.raft.state == StateRole::Leader && !self.raw.raft.commit_to_current_term() {
            self.reads_blocked = true;
        }
        self.raw.read_index(ctx);
    }

    fn retry_reads(&mut self, all: bool) {
        let due: Vec<u64> = self
            .reads
            .iter()
            .filter(|(_, r)| all || r.retry_at <= self.ticks)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in due {
            let mut ctx = Vec::with_capacity(CTX_LEN);
            ctx.extend_from_slice(&self.raw.raft.id.to_le_bytes());
            ctx.extend_from_slice(&self.nonce.to_le_bytes());
            ctx.extend_from_slice(&seq.to_le_bytes());
            self.send_read(ctx);
            if let Some(r) = self.reads.get_mut(&seq) {
                r.retry_at = self.ticks + READ_RETRY_TICKS;
            }
        }
    }

    fn on_tick(&mut self) {
        self.ticks += 1;
        self.raw.tick();
        if !self.overtaken.is_empty() {
            self.fail_overtaken();
        }
        if !self.reads.is_empty() {
            self.retry_reads(false);
        }
        if self.ticks >= self.next_sweep {
            self.next_sweep = self.ticks + SWEEP_TICKS;
            self.forget_abandoned();
        }
    }

    /// Drops pending proposals and reads whose caller gave up (e.g. timed out), so a proposal forwarded
    /// to a leader that lost it does not stay in memory forever.
    fn forget_abandoned(&mut self) {
        self.proposals.retain(|_, p| match p {
            Pending::Data(tx) => !tx.is_closed(),
            Pending::Member(tx) => !tx.is_closed(),
        });
        self.reads.retain(|_, r| !r.reply.is_closed());
        self.read_waits.retain(|(_, tx)| !tx.is_closed());
        self.parked.retain(|cmd| match cmd {
            Cmd::Propose { reply, .. } => !reply.is_closed(),
            Cmd::ChangeMember { reply, .. } => !reply.is_closed(),
            _ => true,
        });
        let proposals = &self.proposals;
        self.forwarded.retain(|seq, _| proposals.contains_key(seq));
        self.overtaken.retain(|(_, seq)| proposals.contains_key(seq));
    }

    fn send_messages(&mut self, msgs: Vec<Message>) {
        for msg in msgs {
            let to = msg.to;
            if msg.get_msg_type() == MessageType::MsgSnapshot {
                self.snapshots_sent.push(to);
            }
            self.transport.send(to, msg.encode_to_vec());
        }
    }

    /// Tells raft the snapshots handed to the transport are on their way. A lost one shows up as rejected
    /// appends, after which raft sends a snapshot again.
    fn report_snapshots(&mut self) {
        for to in std::mem::take(&mut self.snapshots_sent) {
            self.raw.report_snapshot(to, SnapshotStatus::Finish);
        }
    }

    fn on_ready(&mut self) -> Result<()> {
        let mut rd = self.raw.ready();
        if !rd.messages().is_empty() {
            self.send_messages(rd.take_messages());
        }
        let snapshot = if rd.snapshot().is_empty() { None } else { Some(rd.snapshot().clone()) };
        if let Some(snap) = &snapshot {
            self.install_snapshot(snap)?;
        }
        if !rd.read_states().is_empty() {
            for rs in rd.take_read_states() {
                self.read_ready(&rs.request_ctx, rs.index);
            }
        }
        let committed = rd.take_committed_entries();
        self.apply_entries(committed)?;
        let entries = rd.take_entries();
        let hard_state = rd.hs().cloned();
        let sync = rd.must_sync();
        // The store keeps no hard state past start-up: raft reads it only when it is created.
        self.raw.mut_store().append(&entries);
        if !sync && snapshot.is_none() && entries.is_empty() {
            // Only the commit index moved: it need not be durable (raft recomputes it after a restart),
            // so it rides along with the next write instead of costing an I/O round trip now.
            self.deferred_hs = hard_state.or(self.deferred_hs.take());
            return self.finish_ready(rd);
        }
        let write = Write {
            rd,
            snapshot,
            entries,
            hard_state: hard_state.or(self.deferred_hs.take()),
            sync,
        };
        // On a caller's thread the batch is tried once: a full disk is waited for by the driver's
        // thread, where the caller's timeout still runs (see `resume_stalled`).
        let attempts = if self.inline { Attempts::Once } else { Attempts::UntilWritten };
        match write.write_to(&mut self.disk, attempts) {
            Err(Error::NoSpace { .. }) if self.inline => {
                self.stalled = Some(write);
                return Ok(());
            }
            res => res?,
        }
        self.finish_ready(write.rd)
    }

    /// Writes the batch a caller's thread could not write for a full disk, retrying until there is
    /// space (or the node stops), then finishes its `Ready`. Nothing else may touch raft before.
    fn resume_stalled(&mut self) -> Result<()> {
        let Some(w) = self.stalled.take() else { return Ok(()) };
        w.write_to(&mut self.disk, Attempts::AgainAfterFull)?;
        self.finish_ready(w.rd)
    }

    /// The rest of a `Ready` once its batch is durable: persisted messages, `advance`, the entries it
    /// commits, the log's trim, blocked reads, and a snapshot when one is due.
    fn finish_ready(&mut self, mut rd: raft::Ready) -> Result<()> {
        if !rd.persisted_messages().is_empty() {
            self.send_messages(rd.take_persisted_messages());
        }
        let mut light = self.raw.advance(rd);
        self.send_messages(light.take_messages());
        self.apply_entries(light.take_committed_entries())?;
        self.raw.advance_apply_to(self.applied);
        self.report_snapshots();
        self.trim_log();
        if self.reads_blocked && self.raw.raft.commit_to_current_term() {
            self.reads_blocked = false;
            self.retry_reads(true);
        }
        if self.inline {
            return Ok(());
        }
        self.maybe_snapshot()
    }

    fn install_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let meta = snap.get_metadata();
        tracing::info!(index = meta.index, term = meta.term, "installing snapshot from the leader");
        self.sm
            .restore(meta.index, meta.term, &snap.data)
            .map_err(|reason| Error::Restore { index: meta.index, reason })?;
        let keep = self.raw.store().to_keep(snap);
        self.raw.mut_store().apply_snapshot(keep);
        self.applied = meta.index;
        // Whether the snapshot holds proposals expected at or below its index cannot be told; they stay
        // pending (callers time out) rather than being reported lost.
        self.expected = self.expected.split_off(&(meta.index + 1));
        // Nor can it be told whether forwarded proposals are in it: they too wait for their callers'
        // timeout.
        self.forwarded.clear();
        self.overtaken.clear();
        Ok(())
    }

    fn read_ready(&mut self, ctx: &[u8], index: u64) {
        if let Some(seq) = self.own_seq(ctx) {
            if let Some(read) = self.reads.remove(&seq) {
                self.read_waits.push((index, read.reply));
            }
        }
        self.resolve_reads();
    }

    fn resolve_reads(&mut self) {
        let applied = self.applied;
        let mut i = 0;
        while i < self.read_waits.len() {
            if self.read_waits[i].0 <= applied {
                let (index, reply) = self.read_waits.swap_remove(i);
                self.done.push(Done::Read(reply, index));
            } else {
                i += 1;
            }
        }
    }

    fn apply_entries(&mut self, entries: Vec<Entry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        for e in entries {
            if e.index <= self.applied {
                continue;
            }
            // The sequence number of a proposal this process made, if the entry is one.
            let own = self.own_seq(&e.context);
            if !self.expected.is_empty() {
                self.check_expected(e.index, own);
            }
            if !self.forwarded.is_empty() {
                self.check_forwarded(e.term);
                if let Some(seq) = own {
                    self.forwarded.remove(&seq);
                }
            }
            match e.get_entry_type() {
                EntryType::EntryNormal => {
                    // Raft's own empty entry (appended by a new leader) carries neither data nor context.
                    if !(e.data.is_empty() && e.context.is_empty()) {
                        let output = self.sm.apply(e.index, e.term, &e.data);
                        if let Some(Pending::Data(reply)) =
                            own.and_then(|s| self.proposals.remove(&s))
                        {
                            let applied = Applied { index: e.index, term: e.term, output };
                            self.done.push(Done::Data(reply, Ok(applied)));
                        }
                    }
                }
                EntryType::EntryConfChange => {
                    let cc = ConfChange::decode(&e.data[..]).map_err(|err| Error::Raft {
                        reason: format!("undecodable conf change: {err}"),
                    })?;
                    let cs = self.raw.apply_conf_change(&cc).map_err(Error::raft)?;
                    self.raw.mut_store().set_conf_state(cs);
                    let change = MemberChange::from_conf_change(&cc);
                    self.snapshot_due = true;
                    if let Some(change) = &change {
                        tracing::info!(index = e.index, ?change, "membership changed");
                        self.sm.on_member_change(e.index, change);
                    }
                    if let Some(Pending::Member(reply)) =
                        own.and_then(|s| self.proposals.remove(&s))
                    {
                        let res = change
                            .map(|output| Applied { index: e.index, term: e.term, output })
                            .ok_or(Error::Raft { reason: "unsupported conf change".into() });
                        self.done.push(Done::Member(reply, res));
                    }
                }
                EntryType::EntryConfChangeV2 => {
                    let cc = ConfChangeV2::decode(&e.data[..]).map_err(|err| Error::Raft {
                        reason: format!("undecodable conf change: {err}"),
                    })?;
                    let cs = self.raw.apply_conf_change(&cc).map_err(Error::raft)?;
                    self.raw.mut_store().set_conf_state(cs);
                }
            }
            self.applied = e.index;
        }
        self.resolve_reads();
        Ok(())
    }

    /// Drops the applied entries raft no longer needs from memory (they stay in the WAL until the next
    /// snapshot): all of them on a sole member; as leader, those every follower has, but no more than
    /// `catchup_entries` behind (a follower further behind gets a snapshot); as follower, all but the
    /// last `catchup_entries`, for when it leads. Nothing when snapshots are off.
    fn trim_log(&mut self) {
        if self.snapshot_count == 0 {
            return; // No snapshots: a follower lacking a trimmed entry could never catch up.
        }
        let raft = &self.raw.raft;
        let applied = self.applied;
        let others = raft.prs().iter().filter(|(id, _)| **id != raft.id);
        let to = if raft.state == StateRole::Leader {
            let slowest = others.map(|(_, pr)| pr.matched).min().unwrap_or(applied);
            slowest.max(applied.saturating_sub(self.catchup_entries)).min(applied)
        } else if others.count() == 0 && raft.prs().iter().count() == 1 {
            applied
        } else {
            applied.saturating_sub(self.catchup_entries)
        };
        let store = self.raw.store();
        // Dropping entries moves those that stay: not for fewer than MIN_TRIM at a time (or the
        // window, when it is smaller).
        if to >= store.last() || to >= store.first() + MIN_TRIM.min(self.catchup_entries.max(1)) {
            self.raw.mut_store().trim_to(to);
        }
    }

    /// Whether a snapshot is due: every `snapshot_count` applied entries, and when raft needs a
    /// snapshot newer than the latest (to send to a follower lacking trimmed entries).
    fn snapshot_wanted(&self) -> bool {
        let store = self.raw.store();
        let due =
            (self.snapshot_due || store.wants_snapshot()) && self.applied > store.snapshot_index();
        self.snapshot_count != 0
            && self.applied >= self.snapshot_retry_at
            && (due || self.applied >= store.snapshot_index() + self.snapshot_count)
    }

    /// Snapshots the state machine and compacts the log when [`Driver::snapshot_wanted`].
    fn maybe_snapshot(&mut self) -> Result<()> {
        if !self.snapshot_wanted() {
            return Ok(());
        }
        let store = self.raw.store();
        self.snapshot_due = false;
        let Some(term) = store.term_of(self.applied) else { return Ok(()) };
        let mut meta = SnapshotMetadata { index: self.applied, term, ..Default::default() };
        meta.set_conf_state(store.conf_state().clone());
        let taken = if store.holds_snapshot_bytes() {
            // No data directory: the snapshot lives in memory.
            let snap = Snapshot { data: self.sm.snapshot(), metadata: Some(meta) };
            Ok((snap.data.len() as u64, snap))
        } else {
            // Streamed to its file: no buffer the size of the state machine.
            let sm = &self.sm;
            self.disk
                .compact_streamed(&meta, &mut |out| sm.write_snapshot(out))
                .map(|bytes| (bytes, Snapshot { data: Vec::new(), metadata: Some(meta) }))
        };
        match taken {
            Ok((bytes, snap)) => {
                tracing::info!(index = self.applied, term, bytes, "took snapshot");
                self.raw.mut_store().compact_to_snapshot(snap);
            }
            // The log stays whole on disk and in memory; the snapshot is taken again after
            // another `snapshot_count` entries, when one is due by count anyway (so whether this
            // one was due for another reason need not be remembered).
            Err(err @ Error::NoSpace { .. }) => {
                tracing::warn!(error = %err, "snapshot skipped: the disk is full");
                self.snapshot_retry_at = self.applied + self.snapshot_count;
            }
            Err(err) => return Err(err),
        }
        Ok(())
    }

    /// The replies released so far, to send once the driver is let go.
    fn take_replies(&mut self) -> Replies<S::Output> {
        Replies(std::mem::take(&mut self.done))
    }

    fn publish_status(&self) {
        let raft = &self.raw.raft;
        let role = match raft.state {
            StateRole::Follower => Role::Follower,
            StateRole::PreCandidate => Role::PreCandidate,
            StateRole::Candidate => Role::Candidate,
            StateRole::Leader => Role::Leader,
        };
        let leader_id = (raft.leader_id != raft::INVALID_ID).then_some(raft.leader_id);
        let voters = &self.raw.store().conf_state().voters;
        // Published after every `Ready`: compared in place, the voters copied only when they change.
        self.status.send_if_modified(|cur| {
            let same_voters = cur.voters.len() == voters.len()
                && voters.iter().all(|v| cur.voters.binary_search(v).is_ok());
            let next = (raft.id, leader_id, raft.term, raft.raft_log.committed, self.applied, role);
            let now = (cur.id, cur.leader_id, cur.term, cur.commit_index, cur.applied_index, cur.role);
            if same_voters && now == next {
                return false;
            }
            if cur.leader_id != leader_id || cur.role != role {
                tracing::info!(id = raft.id, term = raft.term, leader = ?leader_id, role = ?role, "raft role changed");
            }
            (cur.id, cur.leader_id, cur.term, cur.commit_index, cur.applied_index, cur.role) = next;
            if !same_voters {
                cur.voters.clone_from(voters);
                cur.voters.sort_unstable();
            }
            true
        });
    }
}

pub(crate) mod shared;

#[cfg(test)]
mod tests;
