//! raft-rs logs through slog; the bridge must turn those records into `tracing` events.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::support::{config, single};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn raft_library_logs_arrive_as_tracing_events() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A global subscriber (the only one in this test binary): a thread-scoped one can miss events whose
    // callsites other tests, running in parallel without a subscriber, registered first.
    tracing::subscriber::set_global_default(subscriber).expect("no other test sets a subscriber");
    let (node, _) = single(config(1)).await;
    node.propose(b"x".to_vec()).await.unwrap();
    node.shutdown().await.unwrap();
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("hecd_raft::raft"), "{text}");
    let line =
        text.lines().find(|l| l.contains("became leader")).unwrap_or_else(|| panic!("{text}"));
    // raft-rs's key/value pairs, `k=v` separated by single spaces.
    let kv = line.split_once("kv=").map(|(_, kv)| kv).unwrap_or_else(|| panic!("{line}"));
    let pairs: Vec<&str> = kv.split(' ').collect();
    assert!(pairs.len() >= 2, "{line}");
    assert!(pairs.iter().all(|p| p.matches('=').count() == 1 && !p.starts_with('=')), "{line}");
    assert!(pairs.contains(&"raft_id=1"), "{line}");
    assert!(text.contains("raft_ready"), "the ready cycle has a span: {text}");
}
