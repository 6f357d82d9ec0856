//! Crash safety of `hecd-kv`: SIGKILL while many clients write loses no acknowledged write and
//! indices continue after the restart; the same after snapshots and log compaction; SIGTERM
//! shuts down cleanly.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, http_full, wait_until};

/// An acknowledged write: key → (value, modifiedIndex).
type Acked = Arc<Mutex<BTreeMap<String, (String, u64)>>>;

/// Starts `writers` threads writing distinct keys until `stop`; records every acknowledged
/// write.
fn writers(
    kv: &KvServer,
    round: usize,
    writers: usize,
    acked: &Acked,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..writers)
        .map(|w| {
            let (addr, acked, stop) = (kv.addr, acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let key = format!("/crash/r{round}/w{w}/k{i:06}");
                    let value = format!("v{w}-{i}");
                    if let Ok(r) =
                        http_full(addr, "PUT", &format!("/v2/keys{key}"), &format!("value={value}"))
                    {
                        if r.status == 201 {
                            let v: serde_json::Value =
                                serde_json::from_str(&r.body).expect("JSON answer");
                            let idx = v["node"]["modifiedIndex"].as_u64().expect("index");
                            acked.lock().unwrap().insert(key, (value, idx));
                        }
                    } else {
                        // The server is gone: this writer is done.
                        return;
                    }
                    i += 1;
                }
            })
        })
        .collect()
}

fn check_all_present(kv: &KvServer, acked: &Acked) -> u64 {
    let acked = acked.lock().unwrap();
    let mut max_index = 0;
    for (key, (value, idx)) in acked.iter() {
        let (status, body) = http(kv.addr, "GET", &format!("/v2/keys{key}"), "").unwrap();
        assert_eq!(status, 200, "acknowledged write {key} lost: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["node"]["value"].as_str(), Some(value.as_str()), "{key}");
        assert_eq!(v["node"]["modifiedIndex"].as_u64(), Some(*idx), "{key}");
        max_index = max_index.max(*idx);
    }
    max_index
}

fn crash_while_writing(extra: &[&str], rounds: usize) {
    let Some(mut kv) = KvServer::start_with(Kind::HecdKv, extra) else { return };
    let acked: Acked = Arc::default();
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let before = acked.lock().unwrap().len();
        let handles = writers(&kv, round, 16, &acked, &stop);
        // Crash in the middle of the load, once a few hundred more writes were acknowledged.
        wait_until("writes to be acknowledged", Duration::from_secs(60), || {
            (acked.lock().unwrap().len() >= before + 300).then_some(())
        })
        .unwrap();
        let st = kv.stop("KILL");
        assert!(!st.success(), "killed, not exited: {st}");
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.join().unwrap();
        }
        kv.restart();
        let max_index = check_all_present(&kv, &acked);
        // Indices continue after the restart.
        let r =
            http_full(kv.addr, "PUT", &format!("/v2/keys/crash/after{round}"), "value=x").unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            v["node"]["modifiedIndex"].as_u64().unwrap() > max_index,
            "index continues after {max_index}: {}",
            r.body
        );
    }
    eprintln!(
        "durability: {} acknowledged writes survived {rounds} SIGKILLs",
        acked.lock().unwrap().len()
    );
}

#[test]
fn sigkill_under_concurrent_writes_loses_no_acknowledged_write() {
    crash_while_writing(&[], 2);
}

#[test]
fn sigkill_after_snapshots_and_compaction_recovers() {
    // A snapshot every 100 entries: the restart restores a snapshot and replays the log tail.
    crash_while_writing(&["--snapshot-count", "100"], 2);
}

#[test]
fn sigterm_shuts_down_cleanly_and_keeps_everything() {
    let Some(mut kv) = KvServer::start(Kind::HecdKv) else { return };
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let handles = writers(&kv, 0, 4, &acked, &stop);
    let n = Arc::new(AtomicUsize::new(0));
    wait_until("writes", Duration::from_secs(60), || {
        n.store(acked.lock().unwrap().len(), Ordering::Relaxed);
        (n.load(Ordering::Relaxed) >= 100).then_some(())
    })
    .unwrap();
    let st = kv.stop("TERM");
    assert!(st.success(), "clean exit on SIGTERM: {st}\n{}", kv.proc.log());
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    kv.restart();
    check_all_present(&kv, &acked);
}
