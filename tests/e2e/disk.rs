//! Failing disks under a real `hecd-kv`: a full file system (a small tmpfs, as root) refuses writes
//! with etcd's error JSON while reads go on and nothing acknowledged is lost; bit rot in the WAL or a
//! snapshot stops the start with the file and offset; a member with a replaced data dir recovers
//! from its peers.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use hecd_testkit::cluster::Cluster;
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, http_full, wait_until};

const DEADLINE: Duration = Duration::from_secs(60);

/// A tmpfs of a given size mounted on a temp dir, unmounted on drop.
struct Tmpfs {
    _dir: tempfile::TempDir,
    mnt: PathBuf,
}

impl Tmpfs {
    /// Mounts one, or says why it cannot (not root, no mount permission).
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = hecd_testkit::tempdir();
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mnt)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs { _dir: dir, mnt })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

/// Writes `path` until the file system is full; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).expect("filler file");
    let chunk = vec![0x5a; 16 * 1024];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "the filler stops on ENOSPC: {e}");
                break;
            }
        }
    }
    written
}

fn put(kv: &KvServer, key: &str, value: &str) -> hecd_testkit::HttpResponse {
    http_full(kv.addr, "PUT", &format!("/v2/keys{key}"), &format!("value={value}")).expect("PUT")
}

#[test]
fn a_full_disk_refuses_writes_with_etcds_error_keeps_reads_and_resumes() {
    let fs = match Tmpfs::mount("8m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("SKIPPING: cannot mount a small tmpfs here ({why})");
            return;
        }
    };
    let data = fs.mnt.join("data").display().to_string();
    let Some(mut kv) = KvServer::start_with(Kind::HecdKv, &["--data-dir", &data]) else { return };
    for i in 0..10 {
        assert_eq!(put(&kv, &format!("/disk/k{i}"), &format!("v{i}")).status, 201);
    }
    let filler = fs.mnt.join("filler");
    let filled = fill(&filler);

    // The first write after the disk filled up waits (its batch is rolled back and retried);
    // once the node knows the disk is full, writes are refused at once with etcd's error JSON.
    let addr = kv.addr;
    let blocked = std::thread::spawn(move || {
        http_full(addr, "PUT", "/v2/keys/disk/blocked", "value=b").map(|r| r.status)
    });
    let refused = wait_until("a write to be refused for lack of space", DEADLINE, || {
        let r = put(&kv, "/disk/refused", "x");
        (r.status == 500 && r.body.contains("no space left")).then_some(r)
    })
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&refused.body).expect("JSON error");
    assert_eq!(v["errorCode"], 300, "{}", refused.body);
    assert_eq!(v["message"], "Raft Internal Error", "{}", refused.body);
    assert_eq!(refused.header("content-type"), Some("application/json"));
    assert!(refused.header("x-etcd-cluster-id").is_some(), "etcd's headers on the error");

    // Reads go on.
    let (st, body) = http(kv.addr, "GET", "/v2/keys/disk/k3", "").unwrap();
    assert_eq!(st, 200, "{body}");
    assert!(body.contains(r#""value":"v3""#), "{body}");
    let (st, body) = http(kv.addr, "GET", "/v2/keys/disk?recursive=true&sorted=true", "").unwrap();
    assert_eq!(st, 200, "{body}");

    // Space returns: writes resume by themselves.
    std::fs::remove_file(&filler).unwrap();
    let after = wait_until("writes to resume once space is freed", DEADLINE, || {
        let r = put(&kv, "/disk/after", "a");
        (r.status == 201).then_some(r)
    })
    .unwrap();
    assert!(after.body.contains(r#""value":"a""#), "{}", after.body);
    let blocked = blocked.join().unwrap().expect("an answer");
    assert!(blocked == 201 || blocked == 500, "the waiting write got {blocked}");

    // Nothing acknowledged was lost and no file was left corrupt: a restart has every key.
    assert!(kv.stop("TERM").success(), "{}", kv.proc.log());
    kv.restart();
    for i in 0..10 {
        let (st, body) = http(kv.addr, "GET", &format!("/v2/keys/disk/k{i}"), "").unwrap();
        assert_eq!(st, 200, "k{i} after the restart: {body}");
    }
    let (st, _) = http(kv.addr, "GET", "/v2/keys/disk/after", "").unwrap();
    assert_eq!(st, 200);
    eprintln!(
        "disk full: {filled} filler bytes; writes refused, reads served, resumed, nothing lost"
    );
}

/// The files under `dir` whose name ends with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for ent in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = ent.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(path, bytes).unwrap();
}

/// Starts `kv` again and expects it to refuse, naming `file` and an offset.
fn refuses_to_start(kv: &KvServer, file: &Path) {
    let mut p = kv.spawn_again();
    let st = p.wait_exit(DEADLINE).expect("the server exits");
    assert!(!st.success(), "a corrupt data dir must not start: {st}");
    let log = p.log();
    let want = format!("corrupt raft data in {}", file.display());
    assert!(log.contains(&want) && log.contains("at offset"), "want {want:?} in:\n{log}");
}

#[test]
fn a_flipped_byte_in_the_wal_or_a_snapshot_stops_the_start_naming_file_and_offset() {
    let Some(mut kv) = KvServer::start_with(Kind::HecdKv, &["--snapshot-count", "20"]) else {
        return;
    };
    for i in 0..50 {
        assert_eq!(put(&kv, &format!("/rot/k{i}"), &format!("value-{i}")).status, 201);
    }
    assert!(kv.stop("TERM").success());
    let data = kv.dir.path().join("data");

    // The last WAL record, written and acknowledged, then rotted: refused, not dropped as torn.
    let wal = files(&data, ".wal").pop().expect("a WAL segment");
    let pristine = std::fs::read(&wal).unwrap();
    // The segment ends with zeros written ahead of the records: rot the last record's bytes.
    let len = pristine.iter().rposition(|b| *b != 0).expect("records in the WAL") + 1;
    flip(&wal, len - 3);
    refuses_to_start(&kv, &wal);
    std::fs::write(&wal, &pristine).unwrap();

    let snap = files(&data, ".snap").pop().expect("a snapshot file");
    let pristine_snap = std::fs::read(&snap).unwrap();
    flip(&snap, pristine_snap.len() / 2);
    refuses_to_start(&kv, &snap);
    std::fs::write(&snap, &pristine_snap).unwrap();

    // Repaired, it starts with everything.
    kv.restart();
    let (st, body) = http(kv.addr, "GET", "/v2/keys/rot/k49", "").unwrap();
    assert_eq!(st, 200, "{body}");
}

#[test]
fn a_member_with_a_rotten_wal_is_refused_then_recovers_from_its_peers_with_a_new_data_dir() {
    let Some(mut c) = Cluster::start(Kind::HecdKv, 3, &["--snapshot-count", "30"]) else { return };
    let leader = c.wait_leader(DEADLINE);
    let f = (leader + 1) % 3;
    let live = c.members[leader].client;
    for i in 0..40 {
        let (st, _) = http(live, "PUT", &format!("/v2/keys/rot/k{i}"), "value=v").unwrap();
        assert_eq!(st, 201);
    }
    wait_until("the follower to apply the writes", DEADLINE, || {
        let (st, _) = http(c.members[f].client, "GET", "/v2/keys/rot/k39", "").ok()?;
        (st == 200).then_some(())
    })
    .unwrap();
    c.kill(f);
    let wal = files(&c.data_dir(f), ".wal").pop().expect("the follower's WAL");
    flip(&wal, 40);
    let mut p = c.spawn_member(f);
    let st = p.wait_exit(DEADLINE).expect("the member exits");
    assert!(!st.success());
    assert!(p.log().contains("corrupt raft data in"), "{}", p.log());

    // The operator replaces the member's data dir: it is removed and added back empty, and the
    // leader sends it a snapshot.
    for i in 40..80 {
        let (st, _) = http(live, "PUT", &format!("/v2/keys/rot/k{i}"), "value=v").unwrap();
        assert_eq!(st, 201);
    }
    let via = c.wait_leader(DEADLINE);
    assert_eq!(c.remove_member(via, f), 204);
    c.rejoin(via, f);
    c.members[f]
        .proc
        .as_ref()
        .expect("running")
        .wait_for_log("installing snapshot", DEADLINE)
        .expect("the new member catches up by snapshot");
    wait_until("the rejoined member to have every key", DEADLINE, || {
        let (st, body) =
            http(c.members[f].client, "GET", "/v2/keys/rot?recursive=true", "").ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        (st == 200 && v["node"]["nodes"].as_array()?.len() == 80).then_some(())
    })
    .unwrap();
}
