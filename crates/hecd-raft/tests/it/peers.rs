//! One member whose peers are played by the test: what it sends them, message by message.

use std::time::Duration;

use hecd_raft::{start, Handle, Role};
use prost::Message as _;
use raft::eraftpb::{Message, MessageType};

use crate::support::{config, Outbox, Recorder};

const DEADLINE: Duration = Duration::from_secs(20);

/// Member 1 of three, with ticks an hour long (nothing happens unless the test makes it).
async fn member_1() -> (Handle<Recorder>, Outbox) {
    let out = Outbox::default();
    let cfg = config(1)
        .with_peers((1..=3).map(|id| (id, format!("mem://{id}"))).collect())
        .with_tick_interval(Duration::from_secs(3600));
    let node = start(cfg, Recorder::default(), out.clone(), std::future::pending()).await.unwrap();
    (node, out)
}

fn msg(t: MessageType, from: u64, term: u64, index: u64) -> Vec<u8> {
    let mut m = Message::default();
    m.set_msg_type(t);
    (m.from, m.to, m.term, m.index) = (from, 1, term, index);
    m.encode_to_vec()
}

/// Makes member 1 leader with member 2's votes; returns the term.
async fn elect(node: &Handle<Recorder>, out: &Outbox) -> u64 {
    node.campaign().await.unwrap();
    let pre = out.first(MessageType::MsgRequestPreVote).await;
    node.step(&msg(MessageType::MsgRequestPreVoteResponse, 2, pre.term, 0)).unwrap();
    let vote = out.first(MessageType::MsgRequestVote).await;
    node.step(&msg(MessageType::MsgRequestVoteResponse, 2, vote.term, 0)).unwrap();
    let mut status = node.watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.role == Role::Leader))
        .await
        .expect("member 1 is elected")
        .unwrap();
    vote.term
}

/// The index of the last entry an append to `to` carried, for appends with entries.
fn appended(all: &[Message], to: u64) -> Vec<u64> {
    all.iter()
        .filter(|m| m.get_msg_type() == MessageType::MsgAppend && m.to == to)
        .filter_map(|m| m.entries.last().map(|e| e.index))
        .collect()
}

/// A peer the transport reports unreachable no longer gets appends one after another: replication
/// to it falls back to probing (one append, then nothing until it answers), while a reachable peer
/// gets each new entry as it comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_to_a_peer_reported_unreachable_falls_back_to_probing() {
    let (node, out) = member_1().await;
    let term = elect(&node, &out).await;
    let empty =
        out.until("the new term's entry to 2", |all| appended(all, 2).last().copied()).await;
    for peer in [2, 3] {
        node.step(&msg(MessageType::MsgAppendResponse, peer, term, empty)).unwrap();
    }
    let mut status = node.watch_status();
    tokio::time::timeout(DEADLINE, status.wait_for(|s| s.commit_index == empty))
        .await
        .expect("both followers took the entry")
        .unwrap();

    node.report_unreachable(2);
    let before = appended(&out.0 .0.lock().unwrap(), 2).len();
    let mut pending = Vec::new();
    for i in 1..=3 {
        let n = node.clone();
        // Nobody acknowledges these: they stay pending.
        pending.push(tokio::spawn(async move { n.propose(format!("p{i}").into_bytes()).await }));
        let want = empty + i;
        out.until(&format!("entry {want} to member 3"), |all| {
            appended(all, 3).contains(&want).then_some(())
        })
        .await;
    }
    let to_2 = appended(&out.0 .0.lock().unwrap(), 2)[before..].to_vec();
    assert_eq!(to_2.len(), 1, "appends to the unreachable member: {to_2:?}");
    for p in pending {
        p.abort();
    }
    node.shutdown().await.unwrap();
}
