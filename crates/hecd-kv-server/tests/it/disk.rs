//! The server on a failing disk (through `hecd_raft::fs::FaultFs`): a full disk refuses writes with
//! etcd's error JSON and serves reads, then resumes; a failed fdatasync acknowledges nothing more
//! and stops the server with the error.

use std::sync::Arc;
use std::time::Duration;

use hecd_raft::fs::{Fault, FaultFs};

use crate::support::Server;

const DEADLINE: Duration = Duration::from_secs(20);

async fn on(fs: &FaultFs, dir: &std::path::Path) -> Server {
    let (fs, dir) = (fs.clone(), dir.to_path_buf());
    Server::start_with(move |cfg| {
        cfg.data_dir = Some(dir);
        cfg.fs = Arc::new(fs);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_error_300_serves_reads_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let s = on(&fs, dir.path()).await;
    assert_eq!(s.put("/v2/keys/a", "value=1").await.status, 201);
    fs.set_full(true);
    // The first write meets the full disk in the log's I/O thread; it is not acknowledged.
    let s = Arc::new(s);
    let first = tokio::spawn({
        let s = Arc::clone(&s);
        async move { s.put("/v2/keys/b", "value=2").await }
    });
    let refused = tokio::time::timeout(DEADLINE, async {
        loop {
            let r = s.put("/v2/keys/c", "value=3").await;
            if r.status != 201 && r.body.contains("no space left") {
                return r;
            }
            assert_ne!(r.status, 201, "no write is acknowledged on a full disk");
        }
    })
    .await
    .expect("writes are refused once the disk is known to be full");
    assert_eq!(refused.status, 500);
    let v = refused.json();
    assert_eq!(
        (v["errorCode"].as_u64(), v["message"].as_str()),
        (Some(300), Some("Raft Internal Error"))
    );
    assert!(refused.header("x-etcd-cluster-id").is_some());
    let r = s.get("/v2/keys/a").await;
    assert_eq!(r.status, 200, "reads go on: {}", r.body);
    fs.set_full(false);
    let first = tokio::time::timeout(DEADLINE, first).await.expect("answered").unwrap();
    assert!(first.status == 201 || first.status == 500, "{first:?}");
    let r = tokio::time::timeout(DEADLINE, async {
        loop {
            let r = s.put("/v2/keys/d", "value=4").await;
            if r.status == 201 {
                return r;
            }
        }
    })
    .await
    .expect("writes resume");
    assert_eq!(r.json()["node"]["value"], "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_fdatasync_acknowledges_nothing_more_and_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let fs = FaultFs::new();
    let s = on(&fs, dir.path()).await;
    assert_eq!(s.put("/v2/keys/a", "value=1").await.status, 201);
    fs.inject_next("sync_data", Fault::Eio);
    let r = s.put("/v2/keys/b", "value=2").await;
    assert_eq!(r.status, 500, "{}", r.body);
    assert_eq!(r.json()["errorCode"], 300);
    let err = s.exited().await.expect_err("the server stops with the disk error");
    let chain = format!(
        "{err}: {}",
        std::error::Error::source(&err).map(|e| e.to_string()).unwrap_or_default()
    );
    assert!(chain.contains("raft storage failed on"), "{chain}");

    // The next start recovers what was acknowledged.
    let s = Server::start_with(|cfg| cfg.data_dir = Some(dir.path().to_path_buf())).await;
    let r = tokio::time::timeout(DEADLINE, async {
        loop {
            let r = s.get("/v2/keys/a").await;
            if r.status == 200 {
                return r;
            }
        }
    })
    .await
    .expect("the acknowledged key is back");
    assert_eq!(r.json()["node"]["value"], "1");
}
