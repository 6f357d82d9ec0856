//! The log line for a change of role or leader, in a process of its own: the subscriber that
//! captures it is global, so no other test's node may log into it.

// Tests may unwrap.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hecd_raft::{start, Config, NoopTransport, StateMachine};
use prost::Message as _;
use raft::eraftpb::{Entry, Message, MessageType};

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

/// A change of role or leader is logged once; other status changes (commits) are not.
#[tokio::test]
async fn a_change_of_role_or_leader_is_logged_once() {
    let logs = hecd_testkit::logs::Logs::capture(tracing::Level::INFO);
    let changes = || {
        let text = logs.text();
        text.lines().filter(|l| l.contains("raft role changed")).count()
    };
    // Member 1 of three, ticks an hour long: nothing happens but what the test sends.
    let cfg = Config::new(1)
        .with_peers((1..=3).map(|id| (id, format!("mem://{id}"))).collect())
        .with_tick_interval(Duration::from_secs(3600));
    let node = start(cfg, Nothing, NoopTransport, std::future::pending()).await.unwrap();
    let mut status = node.watch_status();
    let deadline = Duration::from_secs(20);
    // Member 2, leader of term 2, sends its first entry and then commits it: member 1 stays a
    // follower but learns its leader (logged), then commits (not logged).
    let mut append = Message::default();
    append.set_msg_type(MessageType::MsgAppend);
    (append.from, append.to, append.term) = (2, 1, 2);
    append.entries = vec![Entry { index: 1, term: 2, ..Default::default() }];
    node.step(&append.encode_to_vec()).unwrap();
    tokio::time::timeout(deadline, status.wait_for(|s| s.leader_id == Some(2)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changes(), 1);
    let mut commit = Message::default();
    commit.set_msg_type(MessageType::MsgHeartbeat);
    (commit.from, commit.to, commit.term, commit.commit) = (2, 1, 2, 1);
    node.step(&commit.encode_to_vec()).unwrap();
    tokio::time::timeout(deadline, status.wait_for(|s| s.applied_index == 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changes(), 1, "a commit is no change of role or leader");
    node.shutdown().await.unwrap();
}
