//! hecd-kv clusters as separate processes on loopback (issue 8): replication, `etcdctl`,
//! SIGKILL of the leader under load, a partitioned leader, members added and removed under
//! load, catching up by snapshot; client histories are checked for linearizability.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hecd_testkit::cluster::Cluster;
use hecd_testkit::kv::Kind;
use hecd_testkit::linearizability::{self, Op, Operation, Outcome};
use hecd_testkit::{http, wait_until};

const DEADLINE: Duration = Duration::from_secs(30);
/// The keys clients fight over.
const KEYS: [&str; 2] = ["/lin/a", "/lin/b"];

/// A request's answer, or why there is none.
enum Answer {
    /// The connection was refused: the request never reached a server.
    Refused,
    /// Sent, but no answer (the outcome is unknown).
    Lost,
    /// Status and body.
    Got(u16, String),
}

fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return Answer::Refused;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return Answer::Lost;
    }
    let mut out = Vec::new();
    if s.read_to_end(&mut out).is_err() {
        return Answer::Lost;
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return Answer::Lost };
    match head.split_whitespace().nth(1).and_then(|s| s.parse().ok()) {
        Some(st) => Answer::Got(st, body.to_owned()),
        None => Answer::Lost,
    }
}

fn node_value(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    v["node"]["value"].as_str().map(String::from)
}

fn error_code(body: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(body).ok()?["errorCode"].as_u64()
}

/// Everything the clients did, with times relative to the start of the test.
#[derive(Default)]
struct Recorder {
    ops: Mutex<Vec<Operation>>,
    /// Unique keys whose write was acknowledged.
    acked: Mutex<Vec<(String, String)>>,
    /// Acknowledged writes so far.
    written: AtomicUsize,
    /// When the first write after a fault was acknowledged (ns since start; 0 = none yet).
    first_after: Mutex<Option<(u64, u64)>>,
}

struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    rec: Arc<Recorder>,
    start: Instant,
}

impl Load {
    /// One client thread per address, each doing set / quorum get / CAS on [`KEYS`] and
    /// writing a unique key every fourth operation.
    fn start(addrs: &[SocketAddr]) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let rec = Arc::new(Recorder::default());
        let start = Instant::now();
        let threads = addrs
            .iter()
            .enumerate()
            .map(|(c, &addr)| {
                let (stop, rec) = (stop.clone(), rec.clone());
                std::thread::spawn(move || client(c, addr, &stop, &rec, start))
            })
            .collect();
        Load { stop, threads, rec, start }
    }

    fn written(&self) -> usize {
        self.rec.written.load(Ordering::SeqCst)
    }

    /// Waits until `n` more writes are acknowledged.
    fn wait_writes(&self, n: usize) {
        let target = self.written() + n;
        wait_until(&format!("{n} more acknowledged writes"), DEADLINE, || {
            (self.written() >= target).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Marks a fault now, for [`Load::time_to_first_write`].
    fn mark_fault(&self) {
        *self.rec.first_after.lock().unwrap() = Some((self.now(), 0));
    }

    /// From the fault to the first acknowledged write that was sent after it.
    fn time_to_first_write(&self) -> Option<Duration> {
        let (at, first) = (*self.rec.first_after.lock().unwrap())?;
        (first > 0).then(|| Duration::from_nanos(first - at))
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    fn stop(self) -> (Vec<Operation>, Vec<(String, String)>, Instant) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            t.join().expect("client thread");
        }
        let ops = std::mem::take(&mut *self.rec.ops.lock().unwrap());
        let acked = std::mem::take(&mut *self.rec.acked.lock().unwrap());
        (ops, acked, self.start)
    }
}

fn client(c: usize, addr: SocketAddr, stop: &AtomicBool, rec: &Recorder, start: Instant) {
    let now = || start.elapsed().as_nanos() as u64;
    let mut last_seen: Option<String> = None;
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        let key = KEYS[i % KEYS.len()];
        let call = now();
        let (op, answer) = match i % 4 {
            0 => {
                let (k, v) = (format!("/lin/u/c{c}-{i}"), format!("u{c}-{i}"));
                if let Answer::Got(200 | 201, _) =
                    request(addr, "PUT", &format!("/v2/keys{k}"), &format!("value={v}"))
                {
                    rec.written.fetch_add(1, Ordering::SeqCst);
                    note_write(rec, call, now());
                    rec.acked.lock().unwrap().push((k, v));
                }
                continue;
            }
            1 => {
                let v = format!("c{c}-{i}");
                let a = request(addr, "PUT", &format!("/v2/keys{key}"), &format!("value={v}"));
                (Op::Set(v), a)
            }
            2 => (Op::Get, request(addr, "GET", &format!("/v2/keys{key}?quorum=true"), "")),
            _ => {
                let expect = last_seen.clone().unwrap_or_else(|| "none".into());
                let new = format!("c{c}-{i}");
                let body = format!("value={new}&prevValue={expect}");
                let a = request(addr, "PUT", &format!("/v2/keys{key}"), &body);
                (Op::Cas { expect, new }, a)
            }
        };
        let ret = now();
        let outcome = match (&op, answer) {
            (_, Answer::Refused) => {
                // Never sent; back off a little so a dead member does not spin this thread.
                std::thread::park_timeout(Duration::from_millis(20));
                continue;
            }
            (Op::Get, Answer::Got(200, b)) => {
                last_seen = node_value(&b);
                Outcome::Read(last_seen.clone())
            }
            (Op::Get, Answer::Got(404, b)) if error_code(&b) == Some(100) => Outcome::Read(None),
            (Op::Get, _) => continue,
            (_, Answer::Got(200 | 201, _)) => {
                rec.written.fetch_add(1, Ordering::SeqCst);
                note_write(rec, call, ret);
                Outcome::Written
            }
            (Op::Cas { .. }, Answer::Got(412 | 404, b))
                if matches!(error_code(&b), Some(100 | 101)) =>
            {
                Outcome::CasFailed
            }
            _ => Outcome::Unknown,
        };
        rec.ops.lock().unwrap().push(Operation { key: key.into(), op, outcome, call, ret });
    }
}

/// Records the first write sent after the fault and acknowledged (`call`, `at`: ns since start).
fn note_write(rec: &Recorder, call: u64, at: u64) {
    let mut f = rec.first_after.lock().unwrap();
    if let Some((fault, first)) = f.as_mut() {
        if *first == 0 && call > *fault {
            *first = at;
        }
    }
}

fn addrs(c: &Cluster) -> Vec<SocketAddr> {
    c.running().iter().map(|&i| c.members[i].client).collect()
}

/// Waits until every running member holds the same `/lin` tree, then returns it.
fn converge(c: &Cluster) -> String {
    wait_until("the members to converge", DEADLINE, || {
        let bodies: Vec<String> = c
            .running()
            .iter()
            .filter_map(|&i| {
                http(c.members[i].client, "GET", "/v2/keys/lin?recursive=true&sorted=true", "")
                    .ok()
                    .map(|(_, b)| b)
            })
            .collect();
        (bodies.len() == c.running().len() && bodies.windows(2).all(|w| w[0] == w[1]))
            .then(|| bodies[0].clone())
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

/// After the load stopped: every acknowledged unique write is on every member, and the
/// history (plus a final quorum read of each key on each member) is linearizable.
#[track_caller]
fn check_outcome(c: &Cluster, mut ops: Vec<Operation>, acked: &[(String, String)], start: Instant) {
    converge(c);
    for (k, v) in acked {
        for &i in &c.running() {
            let (st, body) = http(c.members[i].client, "GET", &format!("/v2/keys{k}"), "")
                .expect("member answers");
            assert_eq!((st, node_value(&body).as_deref()), (200, Some(v.as_str())), "{k} on m{i}");
        }
    }
    for key in KEYS {
        for &i in &c.running() {
            let call = start.elapsed().as_nanos() as u64;
            let (st, body) =
                http(c.members[i].client, "GET", &format!("/v2/keys{key}?quorum=true"), "")
                    .expect("member answers");
            let outcome = match st {
                200 => Outcome::Read(node_value(&body)),
                _ => Outcome::Read(None),
            };
            let ret = start.elapsed().as_nanos() as u64;
            ops.push(Operation { key: key.into(), op: Op::Get, outcome, call, ret });
        }
    }
    let known = ops.iter().filter(|o| o.outcome != Outcome::Unknown).count();
    assert!(known > 20, "too few operations recorded: {known}");
    if let Err(v) = linearizability::check(&ops) {
        panic!("{v}\n{ops:#?}");
    }
}

/// Writes one key through each member, then reads every key with `quorum=true` on every member.
fn write_on_each_and_read_everywhere(c: &Cluster, dir: &str) {
    for (i, m) in c.members.iter().enumerate() {
        let (st, _) =
            http(m.client, "PUT", &format!("/v2/keys/{dir}/k{i}"), &format!("value=v{i}"))
                .expect("write");
        assert_eq!(st, 201);
    }
    for m in &c.members {
        for i in 0..c.members.len() {
            let (st, body) = http(m.client, "GET", &format!("/v2/keys/{dir}/k{i}?quorum=true"), "")
                .expect("read");
            assert_eq!((st, node_value(&body)), (200, Some(format!("v{i}"))));
        }
    }
}

#[test]
fn three_members_replicate_and_etcdctl_works() {
    let Some(c) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    write_on_each_and_read_everywhere(&c, "r");
    // A watch on one member sees a write made through another.
    let watcher = c.members[2].client;
    let watch = std::thread::spawn(move || http(watcher, "GET", "/v2/keys/r/w?wait=true", ""));
    wait_until("the watch to be registered", DEADLINE, || {
        let (_, body) = http(c.members[2].client, "GET", "/v2/stats/store", "").ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        (v["watchers"].as_u64() >= Some(1)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (st, _) = http(c.members[0].client, "PUT", "/v2/keys/r/w", "value=seen").expect("write");
    assert_eq!(st, 201);
    let (st, body) = watch.join().expect("watch thread").expect("watch answer");
    assert_eq!((st, node_value(&body).as_deref()), (200, Some("seen")), "{body}");

    let etcdctl = std::path::Path::new("/usr/bin/etcdctl");
    if !hecd_testkit::require_program("/usr/bin/etcdctl") {
        return;
    }
    let run = |args: &[&str]| {
        let out = std::process::Command::new(etcdctl)
            .env("ETCDCTL_API", "2")
            .arg("--endpoints")
            .arg(c.endpoints())
            .args(args)
            .output()
            .expect("etcdctl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    // Every member has published its client URL once the list shows three names.
    let (ok, list) = wait_until("member list with every name", DEADLINE, || {
        let (ok, text) = run(&["member", "list"]);
        (ok && ["m0", "m1", "m2"].iter().all(|n| text.contains(&format!("name={n} "))))
            .then_some((ok, text))
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok && list.lines().count() == 3, "{list}");
    assert_eq!(list.matches("isLeader=true").count(), 1, "{list}");
    let (ok, health) = run(&["cluster-health"]);
    assert!(ok, "{health}");
    assert!(health.contains("cluster is healthy"), "{health}");
    assert_eq!(health.matches("is healthy: got healthy result from").count(), 3, "{health}");
}

#[test]
fn leader_killed_under_load_loses_nothing_and_stays_linearizable() {
    let Some(mut c) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    let load = Load::start(&addrs(&c));
    load.wait_writes(30);
    let old = c.wait_leader(DEADLINE);
    load.mark_fault();
    let killed_at = Instant::now();
    c.kill(old);
    let new = c.wait_leader(DEADLINE);
    assert_ne!(new, old);
    let elected = killed_at.elapsed();
    load.wait_writes(30);
    let first = load.time_to_first_write().expect("a write acknowledged after the kill");
    eprintln!(
        "leader kill: new leader seen after {elected:?}, first acknowledged write after {first:?}"
    );
    c.restart(old);
    load.wait_writes(30);
    let (ops, acked, start) = load.stop();
    check_outcome(&c, ops, &acked, start);
    // The restarted member follows and holds everything.
    let (_, body) = http(c.members[old].client, "GET", "/v2/stats/self", "").expect("stats");
    assert!(body.contains("StateFollower") || body.contains("StateLeader"), "{body}");
}

#[test]
fn partitioned_leader_accepts_no_writes_and_converges_after_healing() {
    let Some(c) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    let old = c.wait_leader(DEADLINE);
    let other = (old + 1) % 3;
    let (st, _) =
        http(c.members[old].client, "PUT", "/v2/keys/p/k", "value=before").expect("write");
    assert_eq!(st, 201);
    wait_until("the write to reach every member", DEADLINE, || {
        c.members
            .iter()
            .all(|m| {
                http(m.client, "GET", "/v2/keys/p/k", "").is_ok_and(|(_, b)| b.contains("before"))
            })
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let load = Load::start(&addrs(&c));
    load.wait_writes(20);
    c.isolate(old, other);
    // The minority refuses writes (it loses its lease, or the write times out).
    let (st, body) = http(c.members[old].client, "PUT", "/v2/keys/p/minority", "value=x")
        .unwrap_or((0, String::new()));
    assert!(st >= 500 || st == 0, "the isolated leader accepted a write: {st} {body}");
    // The majority elects a new leader and goes on.
    let new = wait_until("a leader on the majority side", DEADLINE, || {
        let l = c.leader()?;
        (l != old).then_some(l)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (st, _) = http(c.members[new].client, "PUT", "/v2/keys/p/k", "value=after").expect("write");
    assert_eq!(st, 200);

    // A stale local read on the old leader, presented as a quorum read, is caught by the checker.
    let (_, body) = http(c.members[old].client, "GET", "/v2/keys/p/k", "").expect("local read");
    assert_eq!(node_value(&body).as_deref(), Some("before"), "the isolated member is stale");
    let broken = vec![
        Operation {
            key: "k".into(),
            op: Op::Set("before".into()),
            outcome: Outcome::Written,
            call: 0,
            ret: 1,
        },
        Operation {
            key: "k".into(),
            op: Op::Set("after".into()),
            outcome: Outcome::Written,
            call: 2,
            ret: 3,
        },
        Operation {
            key: "k".into(),
            op: Op::Get,
            outcome: Outcome::Read(node_value(&body)),
            call: 4,
            ret: 5,
        },
    ];
    assert!(linearizability::check(&broken).is_err(), "the checker missed a stale read");
    // The real quorum read on the isolated member does not answer with stale data.
    let (st, body) = http(c.members[old].client, "GET", "/v2/keys/p/k?quorum=true", "")
        .unwrap_or((0, String::new()));
    assert!(st != 200 || node_value(&body).as_deref() == Some("after"), "{st} {body}");

    c.heal();
    wait_until("the old leader to converge", DEADLINE, || {
        http(c.members[old].client, "GET", "/v2/keys/p/k", "")
            .is_ok_and(|(_, b)| b.contains("\"after\""))
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (_, minority) =
        http(c.members[new].client, "GET", "/v2/keys/p/minority", "").expect("read");
    assert!(minority.contains("\"errorCode\":100"), "a minority write survived: {minority}");
    assert_eq!(c.wait_leader(DEADLINE), new, "exactly one leader after healing");
    // The clients went on through the partition and the healing: nothing acknowledged is
    // lost, and what they saw is linearizable.
    load.wait_writes(20);
    let (ops, acked, start) = load.stop();
    check_outcome(&c, ops, &acked, start);
}

/// A write sent to a follower just as its leader is cut off is forwarded to that leader and
/// lost with it. The follower gives it up once the next leader's first entry is applied without
/// it (plus a short grace): the client gets etcd's leader-failure error well before the request
/// timeout, the write is nowhere, and the next write through the same member succeeds.
#[test]
fn a_write_forwarded_to_a_lost_leader_fails_with_the_leader_failure_error() {
    let Some(c) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    let old = c.wait_leader(DEADLINE);
    let follower = (old + 1) % 3;
    let (st, _) =
        http(c.members[follower].client, "PUT", "/v2/keys/f/before", "value=x").expect("write");
    assert_eq!(st, 201, "a write through the follower while the leader is up");
    c.isolate(old, follower);
    // The follower still takes `old` for the leader (no election timeout has passed): the write
    // is forwarded to it, and the proxy drops it.
    let answer = request(c.members[follower].client, "PUT", "/v2/keys/f/lost", "value=x");
    let Answer::Got(st, body) = answer else { panic!("no answer from the follower") };
    assert_eq!((st, error_code(&body)), (500, Some(300)), "{body}");
    assert!(
        body.contains("etcdserver: request timed out, possibly due to previous leader failure"),
        "{body}"
    );
    // The follower answered once the next leader had committed (the isolated one steps down at
    // its next quorum check).
    wait_until("a leader on the majority side", DEADLINE, || c.leader().filter(|&l| l != old))
        .unwrap_or_else(|e| panic!("{e}"));
    let (st, body) =
        http(c.members[follower].client, "PUT", "/v2/keys/f/after", "value=x").expect("write");
    assert_eq!(st, 201, "the next write through the follower: {body}");
    c.heal();
    wait_until("the old leader to converge", DEADLINE, || {
        http(c.members[old].client, "GET", "/v2/keys/f/after", "")
            .is_ok_and(|(st, _)| st == 200)
            .then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for m in &c.members {
        let (st, body) = http(m.client, "GET", "/v2/keys/f/lost", "").expect("read");
        assert_eq!((st, error_code(&body)), (404, Some(100)), "the lost write is nowhere: {body}");
    }
}

/// A write made while its member knows no leader (every member cut off from the others) waits
/// for one, as etcd's does, instead of failing at once: once the partition heals and a leader is
/// elected, it is committed and answered 201. Run against etcd as well, as the reference.
#[test]
fn a_write_made_with_no_leader_known_waits_for_the_next_leader() {
    for kind in Kind::ALL {
        let Some(c) = Cluster::start(kind, 3, &[]) else { continue };
        let leader = c.wait_leader(DEADLINE);
        let follower = (leader + 1) % 3;
        let ids: Vec<String> = (0..3).map(|i| c.member_id(leader, i).expect("member id")).collect();
        c.partition(&[vec![0], vec![1], vec![2]], &ids);
        // `/v2/members/leader` answers 503 ("During election") once the member knows no leader.
        wait_until("the follower to lose its leader", DEADLINE, || {
            http(c.members[follower].client, "GET", "/v2/members/leader", "")
                .is_ok_and(|(st, _)| st == 503)
                .then_some(())
        })
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        // The write is on its way to the member before the partition heals (and an election
        // needs a pre-vote and a vote round after that); it is answered only once committed.
        let addr = c.members[follower].client;
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
        let body = "value=while-leaderless";
        let req = format!(
            "PUT /v2/keys/nl/k HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).expect("send");
        c.heal();
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("an answer");
        assert!(answer.starts_with("HTTP/1.1 201"), "{kind:?}: {answer}");
        let leader = c.wait_leader(DEADLINE);
        let (_, body) =
            http(c.members[leader].client, "GET", "/v2/keys/nl/k?quorum=true", "").expect("read");
        assert_eq!(node_value(&body).as_deref(), Some("while-leaderless"), "{kind:?}");
    }
}

#[test]
fn members_added_and_removed_under_load_catch_up_by_snapshot() {
    let Some(mut c) = Cluster::start(Kind::HecdKv, 3, &["--snapshot-count", "40"]) else { return };
    let load = Load::start(&addrs(&c));
    // Enough entries that the log is compacted: a new member must be sent a snapshot.
    load.wait_writes(120);
    let added = c.add_member(0);
    c.members[added]
        .proc
        .as_ref()
        .expect("running")
        .wait_for_log("installing snapshot", DEADLINE)
        .expect("the new member catches up by snapshot");
    load.wait_writes(20);
    // Remove a follower (not the one the test talks to): it stops by itself.
    let leader = c.wait_leader(DEADLINE);
    let victim = (0..3).find(|&i| i != leader && i != 0).unwrap_or(1);
    assert_eq!(c.remove_member(0, victim), 204);
    if let Some(mut p) = c.members[victim].proc.take() {
        p.wait_exit(DEADLINE).expect("the removed member stops");
    }
    load.wait_writes(20);
    let (ops, acked, start) = load.stop();
    check_outcome(&c, ops, &acked, start);
    let (_, listed) = http(c.members[0].client, "GET", "/v2/members", "").expect("list");
    let n = serde_json::from_str::<serde_json::Value>(&listed).expect("JSON")["members"]
        .as_array()
        .map(Vec::len);
    assert_eq!(n, Some(3), "{listed}");
}

#[test]
fn restarted_follower_catches_up_by_snapshot_and_wiped_member_rejoins() {
    let Some(mut c) = Cluster::start(Kind::HecdKv, 3, &["--snapshot-count", "30"]) else { return };
    let leader = c.wait_leader(DEADLINE);
    let f = (leader + 1) % 3;
    c.kill(f);
    let live = c.members[leader].client;
    for i in 0..100 {
        let (st, _) = http(live, "PUT", &format!("/v2/keys/lin/s/k{i}"), "value=v").expect("write");
        assert!(st == 201, "write {i}: {st}");
    }
    c.restart(f);
    c.members[f]
        .proc
        .as_ref()
        .expect("running")
        .wait_for_log("installing snapshot", DEADLINE)
        .expect("the restarted member catches up by snapshot");
    converge(&c);

    // A member whose data dir is lost: remove it, add it back with the same name and peer URL
    // and an empty data dir; then a further member still joins.
    c.kill(f);
    c.wipe(f);
    let via = c.wait_leader(DEADLINE);
    assert_eq!(c.remove_member(via, f), 204);
    c.rejoin(via, f);
    let (st, _) =
        http(c.members[f].client, "PUT", "/v2/keys/lin/s/back", "value=b").expect("write");
    assert_eq!(st, 201);
    converge(&c);
    let added = c.add_member(via);
    let (st, _) =
        http(c.members[added].client, "PUT", "/v2/keys/lin/s/new", "value=n").expect("write");
    assert_eq!(st, 201);
    converge(&c);
}

/// Replaces every member id (16 hex digits or fewer, as etcd prints them) of `ids` in `text`.
fn normalize(text: &str, ids: &[String]) -> String {
    let mut out = text.trim_end().to_owned();
    for id in ids {
        out = out.replace(id.as_str(), "ID");
    }
    out
}

/// The answer to a members request: status and body.
fn members_call(addr: SocketAddr, method: &str, path: &str, ct: &str, body: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(req.as_bytes());
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// The same `/v2/members` requests against a 3-member etcd and a 3-member hecd-kv cluster.
fn members_transcript(c: &Cluster) -> Vec<String> {
    let addr = c.members[0].client;
    let ids: Vec<String> = (0..3).filter_map(|i| c.member_id(0, i)).collect();
    let taken = format!(r#"{{"peerURLs":["{}"]}}"#, c.members[1].peer_url());
    let json = "application/json";
    let mut out = Vec::new();
    // Right after the start, the strict reconfiguration check refuses an add with 500.
    let (st, body) = members_call(addr, "POST", "/v2/members", json, &taken);
    out.push(format!("post taken at start: {st} {body}"));
    wait_until("the cluster to accept membership changes", DEADLINE, || {
        let (st, _) = members_call(addr, "POST", "/v2/members", json, &taken);
        (st == 409).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let fresh_port = hecd_testkit::free_ports(1)[0];
    let fresh = format!(r#"{{"peerURLs":["http://127.0.0.1:{fresh_port}"]}}"#);
    let mut note = |what: &str, (st, body): (u16, String), ids: &[String]| {
        let body = body.replace(&fresh_port.to_string(), "PORT");
        out.push(format!("{what}: {st} {}", normalize(&body, ids)));
    };
    note("post text", members_call(addr, "POST", "/v2/members", "text/plain", &fresh), &ids);
    note("post bad json", members_call(addr, "POST", "/v2/members", json, "{"), &ids);
    let bad = r#"{"peerURLs":["127.0.0.1:1"]}"#;
    note("post bad url", members_call(addr, "POST", "/v2/members", json, bad), &ids);
    note("post taken", members_call(addr, "POST", "/v2/members", json, &taken), &ids);
    let added = members_call(addr, "POST", "/v2/members", json, &fresh);
    let new_id = serde_json::from_str::<serde_json::Value>(&added.1)
        .ok()
        .and_then(|v| v["id"].as_str().map(String::from))
        .unwrap_or_default();
    let mut all = ids.clone();
    all.push(new_id.clone());
    note("post fresh", added, &all);
    note("delete unknown", members_call(addr, "DELETE", "/v2/members/1234", json, ""), &all);
    let path = format!("/v2/members/{}", ids[2]);
    note("put taken", members_call(addr, "PUT", &path, json, &taken), &all);
    note("put unknown", members_call(addr, "PUT", "/v2/members/1234", json, &taken), &all);
    note("put text", members_call(addr, "PUT", &path, "text/plain", &taken), &all);
    let same = format!(r#"{{"peerURLs":["{}"]}}"#, c.members[2].peer_url());
    note("put same", members_call(addr, "PUT", &path, json, &same), &all);
    // An unstarted member: the cluster is no longer fully connected, so another add is refused.
    let other = r#"{"peerURLs":["http://127.0.0.1:1"]}"#;
    note(
        "post while one is unstarted",
        members_call(addr, "POST", "/v2/members", json, other),
        &all,
    );
    let path = format!("/v2/members/{new_id}");
    note("delete added", members_call(addr, "DELETE", &path, json, ""), &all);
    note("delete again", members_call(addr, "DELETE", &path, json, ""), &all);
    note("put removed", members_call(addr, "PUT", &path, json, &taken), &all);
    note("patch", members_call(addr, "PATCH", "/v2/members", json, ""), &all);
    out
}

#[test]
fn members_api_answers_as_etcd() {
    let Some(etcd) = Cluster::start(Kind::Etcd, 3, &[]) else { return };
    let want = members_transcript(&etcd);
    drop(etcd);
    let Some(hecd) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    let got = members_transcript(&hecd);
    assert_eq!(got, want);
}

#[test]
fn etcdctl_member_add_update_remove() {
    let etcdctl = std::path::Path::new("/usr/bin/etcdctl");
    if !hecd_testkit::require_program("/usr/bin/etcdctl") {
        return;
    }
    let Some(c) = Cluster::start(Kind::HecdKv, 3, &[]) else { return };
    let run = |args: &[&str]| {
        let out = std::process::Command::new(etcdctl)
            .env("ETCDCTL_API", "2")
            .arg("--endpoints")
            .arg(c.endpoints())
            .args(args)
            .output()
            .expect("etcdctl runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "etcdctl {args:?}: {text}");
        text
    };
    // As with etcd, membership changes are refused (500) until every member has been
    // reachable for five seconds.
    let taken = format!(r#"{{"peerURLs":["{}"]}}"#, c.members[1].peer_url());
    wait_until("the cluster to accept membership changes", DEADLINE, || {
        let (st, _) =
            members_call(c.members[0].client, "POST", "/v2/members", "application/json", &taken);
        (st == 409).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let port = hecd_testkit::free_ports(2);
    let url = format!("http://127.0.0.1:{}", port[0]);
    let added = run(&["member", "add", "m9", &url]);
    assert!(added.contains("Added member named m9 with ID"), "{added}");
    assert!(added.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""), "{added}");
    let id = added.split_whitespace().nth(6).expect("id").to_owned();
    let url2 = format!("http://127.0.0.1:{}", port[1]);
    let updated = run(&["member", "update", &id, &url2]);
    assert!(updated.contains(&format!("Updated member with ID {id}")), "{updated}");
    let list = run(&["member", "list"]);
    assert!(list.contains(&format!("{id}[unstarted]: peerURLs={url2}")), "{list}");
    let removed = run(&["member", "remove", &id]);
    assert!(removed.contains(&format!("Removed member {id} from cluster")), "{removed}");
    let list = run(&["member", "list"]);
    assert_eq!(list.lines().count(), 3, "{list}");
}

#[test]
fn peers_talk_tls_with_client_certificates() {
    let dir = hecd_testkit::tempdir();
    let pki = hecd_testkit::pki::TestPki::generate(dir.path()).expect("test PKI");
    let Some(c) = Cluster::start_with_peer_tls(Kind::HecdKv, 3, &[], Some(&pki)) else { return };
    write_on_each_and_read_everywhere(&c, "t");
    let (_, listed) = http(c.members[0].client, "GET", "/v2/members", "").expect("list");
    assert!(listed.contains("\"peerURLs\":[\"https://"), "{listed}");
    // Plain HTTP to a peer listener gets no Raft answer.
    let peer = c.members[0].proxy.addr();
    let plain = http(peer, "POST", "/raft", "");
    assert!(plain.map_or(true, |(st, _)| st != 204), "plain HTTP reached the peer endpoint");
}
