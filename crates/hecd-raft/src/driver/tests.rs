//! The driver stepped by hand: no thread and no clock. A test hands it commands, ticks and the
//! messages of peers that exist only as the test's answers, and reads what it sent them.

use std::sync::{Arc, Mutex};

use prost::Message as _;
use raft::eraftpb::{Entry, Message, MessageType};
use raft::{RawNode, StateRole};
use tokio::sync::{oneshot, watch};

use super::{Cmd, Driver, READ_RETRY_TICKS};
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
    let peers = (1..=3).map(|id| (id, format!("mem://{id}"))).collect();
    let cfg = Config::new(1).with_peers(peers);
    let Recovered { hard_state, conf_state, snapshot, entries, .. } = storage::fresh(&cfg);
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
            self.advance().expect("memory storage does not fail");
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

    fn read(&mut self) -> oneshot::Receiver<crate::Result<u64>> {
        let (reply, rx) = oneshot::channel();
        self.cmd(Cmd::ReadIndex { reply });
        rx
    }
}

/// A read that a follower sent its leader and got no answer for (the message was lost, or the
/// leader could not serve it yet) goes out again every READ_RETRY_TICKS ticks, no sooner, until the
/// answer comes; then it is answered with the leader's read index.
#[test]
fn a_follower_sends_an_unanswered_read_again_every_few_ticks_until_answered() {
    let (mut d, sent) = member_1();
    // Member 2 leads term 2: its first append, carrying the empty entry of its term and committing
    // it, makes member 1 its follower.
    let mut append = msg(MessageType::MsgAppend, 2, 2);
    append.entries = vec![Entry { index: 1, term: 2, ..Default::default() }];
    append.commit = 1;
    d.step(append);
    assert_eq!((d.raw.raft.state, d.raw.raft.leader_id, d.applied), (StateRole::Follower, 2, 1));

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
    d.cmd(Cmd::Campaign);
    let pre_vote = sent.last(MessageType::MsgRequestPreVote, 2);
    d.step(msg(MessageType::MsgRequestPreVoteResponse, 2, pre_vote.term));
    let vote = sent.last(MessageType::MsgRequestVote, 2);
    d.step(msg(MessageType::MsgRequestVoteResponse, 2, vote.term));
    assert_eq!(d.raw.raft.state, StateRole::Leader);
    let term = d.raw.raft.term;
    let first = sent.last(MessageType::MsgAppend, 2);
    let empty = first.entries.last().expect("the empty entry of the new term").index;
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
