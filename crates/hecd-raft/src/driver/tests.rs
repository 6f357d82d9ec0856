//! The driver stepped by hand: no thread and no clock. A test hands it commands, ticks and the
//! messages of peers that exist only as the test's answers, and reads what it sent them.

use std::sync::{Arc, Mutex};

use prost::Message as _;
use raft::eraftpb::{Entry, Message, MessageType};
use raft::{RawNode, StateRole};
use tokio::sync::{oneshot, watch};

use super::{Cmd, Driver, Ran, FORWARD_GRACE_TICKS, READ_RETRY_TICKS, SWEEP_TICKS};
use crate::log_store::LogStore;
use crate::state_machine::StateMachine;
use crate::status::Status;
use crate::storage::{self, Disk, Recovered};
use crate::transport::Transport;
use crate::Config;

/// A state machine that keeps nothing.
struct Nothing;

impl StateMachine for Nothing {
    type Output = ();
    fn apply(&mut self, _index: u64, _term: u64, _data: &[u8]) {}
    fn snapshot(&self) -> Vec<u8> {
        Vec::new()
    }
    fn restore(&mut self, _index: u64, _term: u64, _data: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// The network as the test sees it: every message the driver sent, in order.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<Vec<Message>>>);

impl Transport for Sent {
    fn send(&self, to: u64, msg: Vec<u8>) {
        let msg = Message::decode(&msg[..]).expect("the driver sends raft messages");
        assert_eq!(msg.to, to);
        self.0.lock().unwrap().push(msg);
    }
}

impl Sent {
    /// The messages of type `t` sent so far.
    fn of(&self, t: MessageType) -> Vec<Message> {
        self.0.lock().unwrap().iter().filter(|m| m.get_msg_type() == t).cloned().collect()
    }

    /// The last message of type `t` sent to `to`.
    fn last(&self, t: MessageType, to: u64) -> Message {
        self.of(t)
            .into_iter()
            .rev()
            .find(|m| m.to == to)
            .unwrap_or_else(|| panic!("no {t:?} to {to} among {:?}", self.0.lock().unwrap()))
    }
}

/// Member 1 of a fresh three-member cluster (2 and 3 are the test), on memory.
fn member_1() -> (Driver<Nothing, Sent>, Sent) {
    member_1_with(3, |_| {})
}

/// Member 1 of a fresh cluster of `members`, its configuration passed through `tweak`.
fn member_1_with(members: u64, tweak: impl FnOnce(&mut Config)) -> (Driver<Nothing, Sent>, Sent) {
    member_1_from(members, tweak, Vec::new())
}

/// As [`member_1_with`], with `entries` (of term 1) in its log, all committed.
fn member_1_from(
    members: u64,
    tweak: impl FnOnce(&mut Config),
    entries: Vec<Entry>,
) -> (Driver<Nothing, Sent>, Sent) {
    let peers = (1..=members).map(|id| (id, format!("mem://{id}"))).collect();
    let mut cfg = Config::new(1).with_peers(peers);
    // No election unless the test asks for one.
    cfg.election_tick = 1000;
    tweak(&mut cfg);
    let Recovered { mut hard_state, conf_state, snapshot, .. } = storage::fresh(&cfg);
    if let Some(last) = entries.last() {
        (hard_state.term, hard_state.commit) = (last.term, last.index);
    }
    let store = LogStore::new(hard_state, conf_state, snapshot, entries, None);
    let raft_cfg = crate::node::raft_config(&cfg, 0);
    let raw = RawNode::new(&raft_cfg, store, &crate::logger::logger()).expect("raft node");
    let (status, _) = watch::channel(Status::initial(1));
    let sent = Sent::default();
    (Driver::new(raw, Nothing, sent.clone(), Disk::Memory, status, &cfg), sent)
}

fn msg(t: MessageType, from: u64, term: u64) -> Message {
    let mut m = Message::default();
    m.set_msg_type(t);
    m.from = from;
    m.to = 1;
    m.term = term;
    m
}

impl Driver<Nothing, Sent> {
    /// Handles everything raft has to do now, as the driver's loop does after each command or tick.
    fn settle(&mut self) {
        for _ in 0..16 {
            self.advance_held().expect("memory storage does not fail").send();
            if !self.raw.has_ready() {
                return;
            }
        }
        panic!("raft still has work after 16 rounds: the driver keeps making more");
    }

    fn cmd(&mut self, cmd: Cmd<()>) {
        assert!(self.handle(cmd).is_none());
        self.settle();
    }

    fn step(&mut self, msg: Message) {
        self.cmd(Cmd::Step(Box::new(msg)));
    }

    fn tick(&mut self) {
        self.on_tick();
        self.settle();
    }

    /// Member `from`, leader of `term`, appends `entries` after `prev` (index, term) and commits
    /// up to `commit`.
    fn append(
        &mut self,
        (from, term): (u64, u64),
        prev: (u64, u64),
        commit: u64,
        entries: Vec<Entry>,
    ) {
        let mut append = msg(MessageType::MsgAppend, from, term);
        (append.index, append.log_term, append.commit) = (prev.0, prev.1, commit);
        append.entries = entries;
        self.step(append);
    }

    fn ticks(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Nothing of a proposal is left: not pending, not tracked as forwarded or overtaken.
    fn assert_no_proposal_left(&self) {
        assert!(
            self.forwarded.is_empty() && self.overtaken.is_empty() && self.proposals.is_empty()
        );
    }

    fn read(&mut self) -> oneshot::Receiver<crate::Result<u64>> {
        let (reply, rx) = oneshot::channel();
        self.cmd(Cmd::ReadIndex { reply });
        rx
    }
}

/// Makes member 1 the follower of member 2, leader of term 2, with the empty entry of that term
/// (index 1) applied.
fn follow_2(d: &mut Driver<Nothing, Sent>) {
    let mut append = msg(MessageType::MsgAppend, 2, 2);
    append.entries = vec![Entry { index: 1, term: 2, ..Default::default() }];
    append.commit = 1;
    d.step(append);
    assert_eq!((d.raw.raft.state, d.raw.raft.leader_id, d.applied), (StateRole::Follower, 2, 1));
}

/// Makes member 1 leader of a new term with member 2's votes; returns the term and the index of
/// the term's empty entry, not yet committed.
fn lead(d: &mut Driver<Nothing, Sent>, sent: &Sent) -> (u64, u64) {
    d.cmd(Cmd::Campaign);
    let pre_vote = sent.last(MessageType::MsgRequestPreVote, 2);
    d.step(msg(MessageType::MsgRequestPreVoteResponse, 2, pre_vote.term));
    let vote = sent.last(MessageType::MsgRequestVote, 2);
    d.step(msg(MessageType::MsgRequestVoteResponse, 2, vote.term));
    assert_eq!(d.raw.raft.state, StateRole::Leader);
    let first = sent.last(MessageType::MsgAppend, 2);
    (d.raw.raft.term, first.entries.last().expect("the empty entry of the new term").index)
}

/// A read that a follower sent its leader and got no answer for (the message was lost, or the
/// leader could not serve it yet) goes out again every READ_RETRY_TICKS ticks, no sooner, until the
/// answer comes; then it is answered with the leader's read index.
#[test]
fn a_follower_sends_an_unanswered_read_again_every_few_ticks_until_answered() {
    let (mut d, sent) = member_1();
    follow_2(&mut d);

    let mut rx = d.read();
    let reads = || sent.of(MessageType::MsgReadIndex);
    assert_eq!(reads().len(), 1, "the read goes to the leader at once, once");
    assert_eq!(reads()[0].to, 2);
    for sends in 2..=4 {
        for _ in 1..READ_RETRY_TICKS {
            d.tick();
            assert_eq!(reads().len(), sends - 1, "sent again before {READ_RETRY_TICKS} ticks");
        }
        d.tick();
        assert_eq!(reads().len(), sends, "not sent again after {READ_RETRY_TICKS} ticks");
    }
    assert!(reads().iter().all(|m| m.entries == reads()[0].entries), "the same read each time");
    assert!(rx.try_recv().is_err(), "no answer yet");

    let mut answer = msg(MessageType::MsgReadIndexResp, 2, 2);
    answer.index = 1;
    answer.entries = sent.last(MessageType::MsgReadIndex, 2).entries;
    d.step(answer);
    assert_eq!(rx.try_recv().expect("answered").expect("a read index"), 1);
    d.tick();
    d.tick();
    d.tick();
    assert_eq!(reads().len(), 4, "an answered read is not sent again");
}

/// Raft drops a read made at a new leader before an entry of its term is committed. The driver
/// sends it again the moment that entry commits, without waiting for a retry tick, and the read
/// completes. No tick happens in this test.
#[test]
fn a_read_at_a_new_leader_goes_out_as_soon_as_its_term_has_a_commit() {
    let (mut d, sent) = member_1();
    let (term, empty) = lead(&mut d, &sent);
    assert_eq!(d.raw.raft.raft_log.committed, 0);

    let mut rx = d.read();
    let read_heartbeats =
        || sent.of(MessageType::MsgHeartbeat).into_iter().filter(|m| !m.context.is_empty()).count();
    assert_eq!(read_heartbeats(), 0, "raft dropped the read: nothing committed in its term");
    assert!(rx.try_recv().is_err());

    // Member 2 takes the empty entry: it commits, and the read goes out at once.
    let mut ack = msg(MessageType::MsgAppendResponse, 2, term);
    ack.index = empty;
    d.step(ack);
    assert_eq!(d.raw.raft.raft_log.committed, empty);
    let heartbeat = sent.last(MessageType::MsgHeartbeat, 2);
    assert!(!heartbeat.context.is_empty(), "the read's heartbeat round started");
    assert_eq!(read_heartbeats(), 2, "one read round, to members 2 and 3");

    let mut confirm = msg(MessageType::MsgHeartbeatResponse, 2, term);
    confirm.context = heartbeat.context;
    d.step(confirm);
    assert_eq!(rx.try_recv().expect("answered").expect("a read index"), empty);
}

/// Reads and proposals whose caller gave up are forgotten at the next sweep (every SWEEP_TICKS
/// ticks): an abandoned read is no longer sent again and nothing of theirs stays in memory,
/// while the calls still awaited are kept and answered.
#[test]
fn calls_whose_caller_gave_up_are_forgotten_at_the_next_sweep() {
    let (mut d, sent) = member_1();
    follow_2(&mut d);
    // Past the first sweep: the next one must come SWEEP_TICKS later, not later still.
    for _ in 0..SWEEP_TICKS {
        d.tick();
    }
    let propose = |d: &mut Driver<Nothing, Sent>, data: &[u8]| {
        let (reply, rx) = oneshot::channel();
        d.cmd(Cmd::Propose { data: data.to_vec(), reply });
        rx
    };
    // A read whose index is known but not yet applied, and one that waits for its index.
    let (waiting, abandoned_waiting) = (d.read(), d.read());
    for req in sent.of(MessageType::MsgReadIndex) {
        let mut answer = msg(MessageType::MsgReadIndexResp, 2, 2);
        answer.index = 3;
        answer.entries = req.entries;
        d.step(answer);
    }
    assert_eq!(d.read_waits.len(), 2);
    let (mut kept_read, abandoned_read) = (d.read(), d.read());
    let (mut kept_proposal, abandoned_proposal) =
        (propose(&mut d, b"kept"), propose(&mut d, b"gone"));
    let (reply, abandoned_change) = oneshot::channel();
    d.cmd(Cmd::ChangeMember { change: crate::MemberChange::Remove { id: 3 }, reply });
    assert_eq!(d.proposals.len(), 3);
    drop((abandoned_waiting, abandoned_read, abandoned_proposal, abandoned_change));
    for _ in 0..SWEEP_TICKS {
        d.tick();
    }
    assert_eq!((d.reads.len(), d.read_waits.len(), d.proposals.len()), (1, 1, 1));
    let before = sent.of(MessageType::MsgReadIndex).len();
    for _ in 0..READ_RETRY_TICKS {
        d.tick();
    }
    assert_eq!(sent.of(MessageType::MsgReadIndex).len(), before + 1, "only the kept read is sent");

    // What was kept is answered: entries 2 and 3 (the kept proposal) commit.
    let kept = sent.of(MessageType::MsgPropose).into_iter().find(|m| m.entries[0].data == b"kept");
    let mut append = msg(MessageType::MsgAppend, 2, 2);
    (append.index, append.log_term, append.commit) = (1, 2, 3);
    append.entries = vec![Entry { index: 2, term: 2, ..Default::default() }];
    append.entries.extend(kept.expect("the kept proposal went to the leader").entries);
    append.entries[1].index = 3;
    append.entries[1].term = 2;
    d.step(append);
    assert_eq!(kept_proposal.try_recv().expect("applied").expect("no error").index, 3);
    let mut waiting = waiting;
    assert_eq!(waiting.try_recv().expect("answered").expect("a read index"), 3);
    let last = sent.last(MessageType::MsgReadIndex, 2);
    let mut answer = msg(MessageType::MsgReadIndexResp, 2, 2);
    answer.index = 3;
    answer.entries = last.entries;
    d.step(answer);
    assert_eq!(kept_read.try_recv().expect("answered").expect("a read index"), 3);
}

/// A proposal this member made as leader, at an index that a snapshot from the next leader then
/// covers, may or may not be in that snapshot: it stays pending (its caller times out) instead
/// of being reported lost when the entries after the snapshot are applied.
#[test]
fn a_proposal_under_an_installed_snapshot_is_not_reported_lost() {
    let (mut d, sent) = member_1();
    let (term, empty) = lead(&mut d, &sent);
    let mut ack = msg(MessageType::MsgAppendResponse, 2, term);
    ack.index = empty;
    d.step(ack);
    let (reply, mut rx) = oneshot::channel();
    d.cmd(Cmd::Propose { data: b"p".to_vec(), reply });
    let at = empty + 1;
    assert_eq!(d.raw.raft.raft_log.last_index(), at);

    // Member 2 leads the next term and sends a snapshot at that very index, then one entry more.
    let next = term + 1;
    let mut snap = msg(MessageType::MsgSnapshot, 2, next);
    let meta = snap.mut_snapshot().mut_metadata();
    (meta.index, meta.term) = (at, next);
    meta.mut_conf_state().voters = vec![1, 2, 3];
    d.step(snap);
    assert_eq!((d.applied, d.raw.raft.leader_id), (at, 2));
    let mut append = msg(MessageType::MsgAppend, 2, next);
    (append.index, append.log_term, append.commit) = (at, next, at + 1);
    append.entries = vec![Entry { index: at + 1, term: next, ..Default::default() }];
    d.step(append);
    assert_eq!(d.applied, at + 1);
    assert!(
        matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
        "{:?}",
        rx.try_recv()
    );
}

/// Entries `from..=to` of `term`, with data.
fn entries(from: u64, to: u64, term: u64) -> Vec<Entry> {
    (from..=to)
        .map(|index| Entry { index, term, data: b"x".to_vec(), ..Default::default() })
        .collect()
}

impl Driver<Nothing, Sent> {
    /// As the follower of member 2 in term 2: entries up to `to` arrive and are committed.
    fn receive_up_to(&mut self, to: u64) {
        let last = self.raw.raft.raft_log.last_index();
        let mut append = msg(MessageType::MsgAppend, 2, 2);
        (append.index, append.log_term, append.commit) = (last, 2, to);
        append.entries = entries(last + 1, to, 2);
        self.step(append);
        assert_eq!(self.applied, to);
    }

    /// The first index still held in memory.
    fn first_held(&self) -> u64 {
        self.raw.store().first()
    }
}

/// A follower keeps the last `catchup_entries` applied entries in memory (for when it leads) and
/// drops the older ones, at least that many at a time.
#[test]
fn a_follower_keeps_the_last_catchup_entries_in_memory() {
    let (mut d, _) = member_1_with(3, |cfg| cfg.catchup_entries = 4);
    follow_2(&mut d);
    d.receive_up_to(6);
    assert_eq!(d.first_held(), 1, "2 entries beyond the window: fewer than 4, kept");
    d.receive_up_to(9);
    assert_eq!(d.first_held(), 6, "entries 6..=9 kept");
    d.receive_up_to(13);
    assert_eq!(d.first_held(), 6);
    d.receive_up_to(14);
    assert_eq!(d.first_held(), 11);
}

/// A leader keeps the entries its slowest follower lacks, up to `catchup_entries` behind (a
/// follower further behind is sent a snapshot), and nothing more.
#[test]
fn a_leader_keeps_what_its_slowest_follower_lacks() {
    let (mut d, sent) = member_1_with(3, |cfg| cfg.catchup_entries = 4);
    let (term, empty) = lead(&mut d, &sent);
    let ack = |d: &mut Driver<Nothing, Sent>, from: u64, index: u64| {
        let mut m = msg(MessageType::MsgAppendResponse, from, term);
        m.index = index;
        d.step(m);
    };
    ack(&mut d, 2, empty);
    ack(&mut d, 3, empty);
    for i in 0..20 {
        let (reply, _rx) = oneshot::channel();
        d.cmd(Cmd::Propose { data: format!("p{i}").into_bytes(), reply });
    }
    let last = d.raw.raft.raft_log.last_index();
    ack(&mut d, 2, last);
    assert_eq!(d.applied, last);
    assert_eq!(d.first_held(), last - 3, "member 3 lacks all: the last 4 are kept");
    ack(&mut d, 3, last);
    // The log is trimmed as raft's next output is handled (here: a heartbeat).
    d.tick();
    assert_eq!(d.first_held(), last + 1, "every follower has everything");
}

/// A sole voter that is not leader (here: replaying its log as it starts) keeps none of its
/// applied entries in memory: no follower will ask for them.
#[test]
fn a_sole_member_keeps_no_applied_entry_in_memory() {
    let (mut d, _) = member_1_from(1, |cfg| cfg.catchup_entries = 4, entries(1, 10, 1));
    d.settle();
    assert_eq!((d.raw.raft.state, d.applied), (StateRole::Follower, 10));
    assert_eq!(d.first_held(), 11);
}

/// A snapshot is taken every `snapshot_count` applied entries.
#[test]
fn a_snapshot_every_snapshot_count_entries() {
    let (mut d, _) = member_1_with(3, |cfg| cfg.snapshot_count = 5);
    follow_2(&mut d);
    d.receive_up_to(4);
    assert_eq!(d.raw.store().snapshot_index(), 0);
    d.receive_up_to(5);
    assert_eq!(d.raw.store().snapshot_index(), 5);
    d.receive_up_to(9);
    assert_eq!(d.raw.store().snapshot_index(), 5);
    d.receive_up_to(10);
    assert_eq!(d.raw.store().snapshot_index(), 10);
}

fn propose(data: &[u8]) -> (Cmd<()>, oneshot::Receiver<crate::Result<crate::Applied<()>>>) {
    let (reply, rx) = oneshot::channel();
    (Cmd::Propose { data: data.to_vec(), reply }, rx)
}

/// A leader of three whose followers answer nothing: its proposals stay pending.
fn lone_leader() -> Driver<Nothing, Sent> {
    let (mut d, sent) = member_1();
    lead(&mut d, &sent);
    d.settle();
    d
}

/// A proposal offered to a driver with nothing pending runs there and then (here: appended and
/// sent to the followers); one offered while a proposal is pending, after a batch of more than
/// one, or after a storage error is given back for the driver's thread.
#[test]
fn a_caller_runs_a_proposal_only_when_nothing_is_pending_and_the_load_is_not_concurrent() {
    let mut d = lone_leader();
    let last = d.raw.raft.raft_log.last_index();
    let (cmd, _first) = propose(b"a");
    assert!(matches!(d.run_inline(cmd), Ran::Done { wake: false, .. }));
    assert_eq!(d.raw.raft.raft_log.last_index(), last + 1, "appended by the caller");
    assert_eq!(d.last_batch, 1);
    let (cmd, _) = propose(b"b");
    assert!(matches!(d.run_inline(cmd), Ran::Queued(_)), "the first is still pending");

    let mut d = lone_leader();
    d.last_batch = 2;
    assert!(matches!(d.run_inline(propose(b"c").0), Ran::Queued(_)), "concurrent load");
    d.last_batch = 1;
    d.failed = Some(crate::Error::Stopped);
    assert!(matches!(d.run_inline(propose(b"d").0), Ran::Queued(_)), "the node is stopping");
    d.failed = None;
    assert!(matches!(d.run_inline(propose(b"e").0), Ran::Done { .. }));
}

/// The driver's thread learns how loaded it is from the batches it takes: the count of proposals
/// in the latest batch that held any.
#[test]
fn a_batch_records_how_many_proposals_it_held() {
    let mut d = lone_leader();
    let (tx, mut inbox) = tokio::sync::mpsc::channel(8);
    for data in [b"a", b"b", b"c"] {
        assert!(tx.try_send(propose(data).0).is_ok());
    }
    let (reply, handled) = d.handle_batch(propose(b"x").0, &mut inbox);
    assert!(reply.is_none());
    assert_eq!((handled, d.last_batch), (4, 4));
    assert!(tx.try_send(Cmd::Campaign).is_ok());
    let (_, handled) = d.handle_batch(Cmd::Unreachable(2), &mut inbox);
    assert_eq!((handled, d.last_batch), (2, 4), "a batch without proposals changes nothing");
    let (_, handled) = d.handle_batch(propose(b"y").0, &mut inbox);
    assert_eq!((handled, d.last_batch), (1, 1));
}

/// A proposal never runs on its caller's thread ahead of a command queued before it for the
/// driver's thread, nor while that thread holds the driver.
#[test]
fn a_proposal_waits_behind_commands_queued_for_the_drivers_thread() {
    use std::sync::atomic::Ordering;

    use super::shared::{Inline, Shared};
    let shared = Shared::new(lone_leader());
    shared.queued().fetch_add(1, Ordering::SeqCst);
    let (cmd, mut rx) = propose(b"a");
    let back = shared.try_run(cmd).expect("given back while a command is queued");
    shared.queued().fetch_sub(1, Ordering::SeqCst);
    let held = shared.lock_for_test();
    let back = shared.try_run(back).expect("given back while the driver is held");
    drop(held);
    assert!(shared.try_run(back).is_none(), "run once nothing is queued");
    assert!(rx.try_recv().is_err(), "pending: the followers have not answered");
}

/// A batch ends at a shutdown: it returns the shutdown's reply channel, and the commands behind
/// it stay in the inbox.
#[test]
fn a_batch_ends_at_a_shutdown() {
    let mut d = lone_leader();
    let (tx, mut inbox) = tokio::sync::mpsc::channel(8);
    let (stop, _stopped) = oneshot::channel();
    assert!(tx.try_send(Cmd::Shutdown { reply: stop }).is_ok());
    assert!(tx.try_send(Cmd::Campaign).is_ok());
    let (reply, handled) = d.handle_batch(Cmd::Unreachable(2), &mut inbox);
    assert!(reply.is_some(), "the shutdown's reply channel");
    assert_eq!(handled, 2);
    assert!(matches!(inbox.try_recv(), Ok(Cmd::Campaign)), "left for nobody");
}

type Proposed = oneshot::Receiver<crate::Result<crate::Applied<()>>>;

/// Member 1, follower of member 2 in term 2, forwards a proposal to it; the proposal (as member
/// 2 would append it: index 2, term 2) and its reply.
fn forward_one() -> (Driver<Nothing, Sent>, Sent, Entry, Proposed) {
    let (mut d, sent) = member_1();
    follow_2(&mut d);
    let (cmd, rx) = propose(b"forwarded");
    d.cmd(cmd);
    let mut entry = sent.last(MessageType::MsgPropose, 2).entries[0].clone();
    (entry.index, entry.term) = (2, 2);
    (d, sent, entry, rx)
}

/// Member 3 leads term 3 and sends member 1 `entries` after index 1 (of term 2), committed.
fn lead_3(d: &mut Driver<Nothing, Sent>, entries: Vec<Entry>) {
    let commit = entries.last().map_or(1, |e| e.index);
    d.append((3, 3), (1, 2), commit, entries);
    assert_eq!(d.raw.raft.leader_id, 3);
}

/// The empty entry a leader of term 3 appends first, at `index`.
fn empty_of_3(index: u64) -> Entry {
    Entry { index, term: 3, ..Default::default() }
}

fn pending(rx: &mut Proposed) -> bool {
    matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty))
}

/// A proposal forwarded to a leader that lost it (here: member 2 never appends it, and member 3
/// takes over) is given up FORWARD_GRACE_TICKS ticks after an entry of the next term is applied
/// without it: its caller gets the leader-failure error instead of waiting for its timeout.
#[test]
fn a_forwarded_proposal_the_leader_lost_fails_a_few_ticks_after_the_next_term_commits() {
    let (mut d, _sent, _entry, mut rx) = forward_one();
    d.ticks(2 * FORWARD_GRACE_TICKS);
    assert!(pending(&mut rx), "no other leader yet: the proposal is awaited");
    lead_3(&mut d, vec![empty_of_3(2)]);
    assert_eq!(d.applied, 2);
    for _ in 1..FORWARD_GRACE_TICKS {
        d.tick();
        assert!(pending(&mut rx), "given up before the grace ran out");
    }
    d.tick();
    match rx.try_recv() {
        Ok(Err(crate::Error::LeaderLost { term: 3 })) => {}
        other => panic!("expected the leader-failure error, got {other:?}"),
    }
    d.assert_no_proposal_left();
}

/// A forwarded proposal that the old leader had replicated is in the next leader's log before the
/// entry of its term: it is applied, with its index.
#[test]
fn a_forwarded_proposal_the_next_leader_kept_is_applied() {
    let (mut d, _sent, entry, mut rx) = forward_one();
    lead_3(&mut d, vec![entry, empty_of_3(3)]);
    assert_eq!(rx.try_recv().expect("answered").expect("applied").index, 2);
    d.ticks(2 * FORWARD_GRACE_TICKS);
    d.assert_no_proposal_left();
}

/// A forwarded proposal still on its way when the next term began (the old leader passed it on to
/// the new one) and appended after that term's first entry is applied if it commits within the
/// grace; the grace running out afterwards changes nothing.
#[test]
fn a_forwarded_proposal_appended_by_the_next_leader_within_the_grace_is_applied() {
    let (mut d, _sent, mut entry, mut rx) = forward_one();
    lead_3(&mut d, vec![empty_of_3(2)]);
    for _ in 1..FORWARD_GRACE_TICKS {
        d.tick();
    }
    (entry.index, entry.term) = (3, 3);
    d.append((3, 3), (2, 3), 3, vec![entry]);
    assert_eq!(rx.try_recv().expect("answered").expect("applied").index, 3);
    d.ticks(2 * FORWARD_GRACE_TICKS);
    d.assert_no_proposal_left();
}

/// Whether a snapshot from the next leader holds a forwarded proposal cannot be told: it stays
/// pending (its caller times out) rather than being reported lost.
#[test]
fn a_forwarded_proposal_under_a_snapshot_of_the_next_term_is_not_given_up() {
    let (mut d, _sent, _entry, mut rx) = forward_one();
    let mut snap = msg(MessageType::MsgSnapshot, 3, 3);
    let meta = snap.mut_snapshot().mut_metadata();
    (meta.index, meta.term) = (5, 3);
    meta.mut_conf_state().voters = vec![1, 2, 3];
    d.step(snap);
    d.append((3, 3), (5, 3), 6, vec![empty_of_3(6)]);
    assert_eq!(d.applied, 6);
    d.ticks(2 * FORWARD_GRACE_TICKS);
    assert!(pending(&mut rx), "{:?}", rx.try_recv());
}

/// Proposals forwarded in the current term are not given up when entries of that term are
/// applied (a busy follower forwards many), and an abandoned one is forgotten at the next sweep.
#[test]
fn forwarded_proposals_of_the_current_term_are_awaited_and_swept_when_abandoned() {
    let (mut d, sent, entry, mut rx) = forward_one();
    let (cmd, abandoned) = propose(b"abandoned");
    d.cmd(cmd);
    drop(abandoned);
    assert_eq!(sent.of(MessageType::MsgPropose).len(), 2);
    // Member 2 appends an entry of its own term (someone else's write): nothing is given up.
    let other = Entry { index: 2, term: 2, data: b"other".to_vec(), ..Default::default() };
    d.append((2, 2), (1, 2), 2, vec![other]);
    d.ticks(SWEEP_TICKS);
    assert!(pending(&mut rx));
    assert_eq!((d.forwarded.len(), d.proposals.len()), (1, 1), "the abandoned one is swept");
    let mut entry = entry;
    entry.index = 3;
    d.append((2, 2), (2, 2), 3, vec![entry]);
    assert_eq!(rx.try_recv().expect("answered").expect("applied").index, 3);
    assert!(d.forwarded.is_empty());
}

/// A proposal made while no leader is known is not dropped (raft would drop it): it waits, and
/// goes to the first leader known, here member 2, whose append then commits it.
#[test]
fn a_proposal_made_with_no_leader_known_goes_to_the_first_leader_known() {
    let (mut d, sent) = member_1();
    assert_eq!(d.raw.raft.leader_id, raft::INVALID_ID);
    let (cmd, mut rx) = propose(b"early");
    d.cmd(cmd);
    d.ticks(READ_RETRY_TICKS);
    assert!(pending(&mut rx), "waiting for a leader, not dropped");
    assert!(sent.of(MessageType::MsgPropose).is_empty());
    follow_2(&mut d);
    let mut entry = sent.last(MessageType::MsgPropose, 2).entries[0].clone();
    assert_eq!(entry.data, b"early");
    (entry.index, entry.term) = (2, 2);
    d.append((2, 2), (1, 2), 2, vec![entry]);
    assert_eq!(rx.try_recv().expect("answered").expect("applied").index, 2);
    assert!(d.parked.is_empty());
}

/// Proposals made while no leader is known are appended, in the order they were made, when this
/// member wins the election.
#[test]
fn proposals_made_with_no_leader_known_are_appended_in_order_when_this_member_leads() {
    let (mut d, sent) = member_1();
    let (first, mut first_rx) = propose(b"first");
    d.cmd(first);
    let (second, mut second_rx) = propose(b"second");
    d.cmd(second);
    assert_eq!(d.parked.len(), 2);
    let (term, empty) = lead(&mut d, &sent);
    assert!(d.parked.is_empty());
    assert_eq!(d.raw.raft.raft_log.last_index(), empty + 2, "both appended after the empty entry");
    // Member 2 takes the empty entry; the leader then sends it the rest.
    let mut ack = msg(MessageType::MsgAppendResponse, 2, term);
    ack.index = empty;
    d.step(ack);
    let log: Vec<Entry> =
        sent.of(MessageType::MsgAppend).into_iter().flat_map(|m| m.entries).collect();
    let at = |data: &[u8]| log.iter().find(|e| e.data == data).map(|e| e.index);
    let (first_at, second_at) = (at(b"first").expect("appended"), at(b"second").expect("appended"));
    assert_eq!(second_at, first_at + 1);
    let mut ack = msg(MessageType::MsgAppendResponse, 2, term);
    ack.index = second_at;
    d.step(ack);
    assert_eq!(first_rx.try_recv().expect("answered").expect("applied").index, first_at);
    assert_eq!(second_rx.try_recv().expect("answered").expect("applied").index, second_at);
}

/// A proposal waiting for a leader whose caller gave up is forgotten at the next sweep; one still
/// awaited is kept.
#[test]
fn a_proposal_waiting_for_a_leader_is_forgotten_when_its_caller_gives_up() {
    let (mut d, _sent) = member_1();
    let (gone, abandoned) = propose(b"gone");
    d.cmd(gone);
    drop(abandoned);
    let (kept, mut rx) = propose(b"kept");
    d.cmd(kept);
    let (reply, abandoned_change) = oneshot::channel();
    d.cmd(Cmd::ChangeMember { change: crate::MemberChange::Remove { id: 3 }, reply });
    drop(abandoned_change);
    let (reply, mut kept_change) = oneshot::channel();
    d.cmd(Cmd::ChangeMember { change: crate::MemberChange::Remove { id: 2 }, reply });
    assert_eq!(d.parked.len(), 4);
    d.ticks(SWEEP_TICKS);
    assert_eq!(d.parked.len(), 2, "the two abandoned ones are forgotten");
    assert!(matches!(&d.parked[0], Cmd::Propose { data, .. } if data == b"kept"));
    assert!(matches!(
        &d.parked[1],
        Cmd::ChangeMember { change: crate::MemberChange::Remove { id: 2 }, .. }
    ));
    assert!(pending(&mut rx));
    assert!(matches!(kept_change.try_recv(), Err(oneshot::error::TryRecvError::Empty)));
}
