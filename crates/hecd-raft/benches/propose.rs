//! Proposal latency: one durable writer (about one fdatasync each) and 64 concurrent durable writers
//! (group commit: a handful of fdatasyncs per round), plus an in-memory baseline.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use criterion::{criterion_group, criterion_main, Criterion};
use hecd_raft::{start, Config, Handle, NoopTransport, StateMachine};

/// Counts applied bytes; the smallest useful state machine.
#[derive(Default)]
struct Sink(u64);

impl StateMachine for Sink {
    type Output = u64;
    fn apply(&mut self, _index: u64, _term: u64, data: &[u8]) -> u64 {
        self.0 += data.len() as u64;
        self.0
    }
    fn snapshot(&self) -> Vec<u8> {
        self.0.to_le_bytes().to_vec()
    }
    fn restore(&mut self, _index: u64, _term: u64, data: &[u8]) -> Result<(), String> {
        let b: [u8; 8] = data.try_into().map_err(|_| "bad snapshot".to_string())?;
        self.0 = u64::from_le_bytes(b);
        Ok(())
    }
}

fn node(rt: &tokio::runtime::Runtime, cfg: Config) -> Handle<Sink> {
    rt.block_on(async {
        let node = start(cfg, Sink::default(), NoopTransport, std::future::pending())
            .await
            .expect("start");
        node.read_index().await.expect("leader");
        node
    })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let payload = vec![b'x'; 128];

    let mem = node(&rt, Config::new(1));
    c.bench_function("propose/memory/1_writer", |b| {
        b.iter(|| rt.block_on(mem.propose(payload.clone())).expect("propose"))
    });

    let disk = node(&rt, Config::new(1).with_data_dir(dir.path()));
    c.bench_function("propose/durable/1_writer", |b| {
        b.iter(|| rt.block_on(disk.propose(payload.clone())).expect("propose"))
    });

    let before = disk.wal_syncs();
    let mut rounds = 0u64;
    c.bench_function("propose/durable/64_writers", |b| {
        b.iter(|| {
            rounds += 1;
            rt.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..64 {
                    let node = disk.clone();
                    let data = payload.clone();
                    set.spawn(async move { node.propose(data).await.map(|a| a.index) });
                }
                while let Some(res) = set.join_next().await {
                    res.expect("task").expect("propose");
                }
            })
        })
    });
    let syncs = disk.wal_syncs() - before;
    eprintln!("64 writers: {syncs} fdatasyncs over {rounds} rounds of 64 proposals");

    rt.block_on(async {
        mem.shutdown().await.expect("shutdown");
        disk.shutdown().await.expect("shutdown");
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
