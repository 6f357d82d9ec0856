//! A recording state machine and helpers shared by the tests.

use std::path::Path;
use std::sync::{Arc, Mutex};

use hecd_raft::{start, Config, Handle, NoopTransport, StateMachine};
use raft::eraftpb::{Message, MessageType};

/// What the recording state machine has seen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Log {
    /// `(index, data)` of every applied entry, in apply order (restored ones included).
    pub applied: Vec<(u64, Vec<u8>)>,
    /// Index of the snapshot the state machine was restored from, if any.
    pub restored_from: Option<u64>,
}

/// A state machine that remembers every entry; its snapshot is the whole list.
#[derive(Debug, Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Log>>);

impl Recorder {
    pub fn log(&self) -> Log {
        self.0.lock().unwrap().clone()
    }

    pub fn datas(&self) -> Vec<Vec<u8>> {
        self.log().applied.into_iter().map(|(_, d)| d).collect()
    }
}

impl StateMachine for Recorder {
    type Output = (u64, Vec<u8>);

    fn apply(&mut self, index: u64, _term: u64, data: &[u8]) -> Self::Output {
        self.0.lock().unwrap().applied.push((index, data.to_vec()));
        (index, data.to_vec())
    }

    fn snapshot(&self) -> Vec<u8> {
        let log = self.0.lock().unwrap();
        let mut out = Vec::new();
        for (index, data) in &log.applied {
            out.extend_from_slice(&index.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    fn restore(&mut self, index: u64, _term: u64, mut data: &[u8]) -> Result<(), String> {
        let mut applied = Vec::new();
        while !data.is_empty() {
            if data.len() < 12 {
                return Err("truncated snapshot".into());
            }
            let i = u64::from_le_bytes(data[..8].try_into().unwrap());
            let n = u32::from_le_bytes(data[8..12].try_into().unwrap()) as usize;
            applied.push((i, data[12..12 + n].to_vec()));
            data = &data[12 + n..];
        }
        let mut log = self.0.lock().unwrap();
        log.applied = applied;
        log.restored_from = Some(index);
        Ok(())
    }
}

/// A config with fast ticks.
pub fn config(id: u64) -> Config {
    Config::new(id).with_tick_interval(std::time::Duration::from_millis(10))
}

/// Starts a single in-memory node.
pub async fn single(cfg: Config) -> (Handle<Recorder>, Recorder) {
    let sm = Recorder::default();
    let node = start(cfg, sm.clone(), NoopTransport, std::future::pending()).await.expect("start");
    (node, sm)
}

/// Starts a single node on `dir`, waiting until it has replayed its log (a read barrier).
pub async fn durable(dir: &Path, snapshot_count: u64) -> (Handle<Recorder>, Recorder) {
    let cfg = config(1).with_data_dir(dir).with_snapshot_count(snapshot_count);
    let (node, sm) = single(cfg).await;
    node.read_index().await.expect("read barrier after start");
    (node, sm)
}

/// Proposes `n` entries `prefix-i` one after another. A proposal raft dropped or lost (a
/// leader change under load: it was not committed) is proposed again, as a client would.
pub async fn propose_seq(node: &Handle<Recorder>, prefix: &str, n: usize) {
    for i in 0..n {
        let data = format!("{prefix}-{i}").into_bytes();
        let mut attempts = 0;
        let applied = loop {
            attempts += 1;
            match node.propose(data.clone()).await {
                Err(
                    hecd_raft::Error::ProposalDropped
                    | hecd_raft::Error::ProposalLost { .. }
                    | hecd_raft::Error::LeaderLost { .. },
                ) if attempts < 50 => {
                    // Wait for the next status change (a leader known again) before retrying.
                    let mut status = node.watch_status();
                    let _ = tokio::time::timeout(
                        std::time::Duration::from_secs(1),
                        status.wait_for(|s| s.leader_id.is_some()),
                    )
                    .await;
                }
                other => break other.expect("propose"),
            }
        };
        assert_eq!(applied.output.1, data);
    }
}

/// `prefix-0 .. prefix-(n-1)` as bytes.
pub fn expected(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("{prefix}-{i}").into_bytes()).collect()
}

/// What a member sends, for a test that plays its peers.
#[derive(Clone, Default)]
pub struct Outbox(pub Arc<(Mutex<Vec<Message>>, tokio::sync::Notify)>);

impl hecd_raft::Transport for Outbox {
    fn send(&self, _to: u64, msg: Vec<u8>) {
        use prost::Message as _;
        let msg = Message::decode(&msg[..]).expect("a raft message");
        self.0 .0.lock().unwrap().push(msg);
        self.0 .1.notify_waiters();
    }
}

impl Outbox {
    /// Waits (20 s at most) until `found` finds something among the messages sent so far.
    pub async fn until<T>(&self, what: &str, found: impl Fn(&[Message]) -> Option<T>) -> T {
        let wait = async {
            loop {
                let notified = self.0 .1.notified();
                if let Some(t) = found(&self.0 .0.lock().unwrap()) {
                    return t;
                }
                notified.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), wait)
            .await
            .unwrap_or_else(|_| panic!("never sent: {what}"))
    }

    /// The first message of type `t` (waiting for it).
    pub async fn first(&self, t: MessageType) -> Message {
        self.until(&format!("{t:?}"), |all| all.iter().find(|m| m.get_msg_type() == t).cloned())
            .await
    }
}
