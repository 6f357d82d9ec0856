//! `cargo xtask chaos`: a Jepsen-style fault campaign against a real cluster of `hecd-kv` (or,
//! to validate the checks, etcd) processes on loopback.
//!
//! A mixed workload (`workload`) and one recursive watcher per member (`watch`) run while the
//! nemesis (`nemesis`) kills, pauses, partitions, removes and re-adds members; at the end the
//! recorded history is checked (`check`). The seed drives every random choice of the nemesis
//! and the clients, so a failing run's fault schedule can be replayed. See docs/testing.md.

mod check;
mod http;
mod nemesis;
mod watch;
mod workload;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hecd_testkit::cluster::Cluster;
use hecd_testkit::kv::Kind;
use hecd_testkit::linearizability::{Op, Operation, Outcome};

use http::{request, Answer, Reply};
use workload::{Workload, PREFIX, TTL};

/// How long the end-of-run steps (a leader, the sentinel write, watchers catching up) may take.
const SETTLE: Duration = Duration::from_secs(60);
/// How long after its latest possible expiration a TTL key may still be listed at the end
/// (the leader's SYNC every 500 ms, an election after the last fault).
const EXPIRY_GRACE: Duration = Duration::from_secs(5);

/// The campaign's options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cluster size.
    pub members: usize,
    /// How long the nemesis runs.
    pub seconds: u64,
    /// The seed of every random choice.
    pub seed: u64,
    /// Run etcd instead of hecd-kv.
    pub etcd: bool,
    /// Use a release build of hecd-kv.
    pub release: bool,
}

/// What a campaign counted.
#[derive(Debug, Default)]
pub struct Summary {
    /// Client operations that reached a server.
    pub ops: u64,
    /// Faults injected.
    pub faults: u64,
    /// Anomalies found.
    pub anomalies: u64,
}

const USAGE: &str = "usage: cargo xtask chaos [--members 3|5] [--seconds N] [--seed S] [--server hecd|etcd] [--release]";

/// `cargo xtask chaos ...`: its last line is the summary; exits non-zero on any anomaly.
pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask chaos: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(s) if s.anomalies == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask chaos: {e}");
            println!("chaos: 0 operations, 0 faults, 1 anomalies");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { members: 3, seconds: 60, seed: 0, etcd: false, release: false };
    let mut seed = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value =
            |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--members" => o.members = value(a)?.parse().map_err(|e| format!("--members: {e}"))?,
            "--seconds" => o.seconds = value(a)?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--seed" => seed = Some(value(a)?.parse().map_err(|e| format!("--seed: {e}"))?),
            "--server" => {
                o.etcd = match value(a)?.as_str() {
                    "etcd" => true,
                    "hecd" | "hecd-kv" => false,
                    other => return Err(format!("unknown server {other:?}")),
                }
            }
            "--release" => o.release = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !matches!(o.members, 3 | 5) {
        return Err("--members must be 3 or 5".into());
    }
    o.seed = seed.unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        t.map_or(1, |d| d.as_nanos() as u64 ^ u64::from(std::process::id()))
    });
    Ok(o)
}

/// Builds `hecd-kv` (unless running etcd) and runs one campaign; prints the fault log, every
/// anomaly and, last, the summary line.
///
/// # Errors
/// When the campaign cannot run at all (build failure, a cluster that does not start).
pub fn run(o: &Options) -> Result<Summary, String> {
    let replay = format!(
        "cargo xtask chaos --members {} --seconds {} --seed {}{}{}",
        o.members,
        o.seconds,
        o.seed,
        if o.etcd { " --server etcd" } else { "" },
        if o.release { " --release" } else { "" }
    );
    println!("chaos: seed {} (replay: {replay})", o.seed);
    let kind = if o.etcd { Kind::Etcd } else { build_hecd(o.release)? };
    if std::env::var_os("RUST_LOG").is_none() {
        // The members' logs are kept in memory for the length of the run.
        std::env::set_var("RUST_LOG", "warn");
    }
    kill_children_on_ctrl_c();
    let started = std::panic::catch_unwind(|| Cluster::start(kind, o.members, &[]));
    let mut c = match started {
        Ok(Some(c)) => c,
        Ok(None) => return Err(format!("the {kind:?} binary is missing")),
        Err(_) => return Err("the cluster did not start".into()),
    };
    // A panic of the campaign itself (a step that cannot go on) is reported as an anomaly,
    // after which the summary is still the last line.
    let s = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| campaign(&mut c, o)))
        .unwrap_or_else(|_| {
            println!("chaos: ANOMALY: the campaign could not go on (panic above)");
            Summary { anomalies: 1, ..Summary::default() }
        });
    let line =
        format!("chaos: {} operations, {} faults, {} anomalies", s.ops, s.faults, s.anomalies);
    drop(c);
    println!("{line}");
    Ok(s)
}

/// Builds the `hecd-kv` binary of this workspace and points the testkit at it.
fn build_hecd(release: bool) -> Result<Kind, String> {
    let mut args = vec!["build", "--bin", "hecd-kv"];
    if release {
        args.push("--release");
    }
    crate::ci::cargo_pub(&args)?;
    let target = crate::ci::target_dir();
    let bin = target.join(if release { "release" } else { "debug" }).join("hecd-kv");
    std::env::set_var("CARGO_BIN_EXE_hecd-kv", &bin);
    Ok(Kind::HecdKv)
}

/// On Ctrl-C, SIGKILLs every child process (the members; a SIGSTOPped one too) and exits.
fn kill_children_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten();
        for task in tasks {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for pid in children.split_whitespace() {
                let _ = std::process::Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        eprintln!("chaos: interrupted; members killed");
        std::process::exit(130);
    });
}

fn campaign(c: &mut Cluster, o: &Options) -> Summary {
    let mut rng = fastrand::Rng::with_seed(o.seed);
    let start = Instant::now();
    let addrs: Vec<SocketAddr> = c.members.iter().map(|m| m.client).collect();
    let mut anomalies: Vec<String> = Vec::new();
    let leader = c.wait_leader(SETTLE);
    let from = get(addrs[leader], "/v2/keys/").and_then(|r| r.etcd_index).unwrap_or(0) + 1;
    let mut watchers: Vec<watch::Watcher> =
        addrs.iter().enumerate().map(|(i, &a)| watch::Watcher::start(i, a, from, start)).collect();
    let (load, rec) = Workload::start(addrs.clone(), rng.u64(..), start);
    let until = start + Duration::from_secs(o.seconds);
    let (faults, problems) = nemesis::run(c, &mut rng, start, until);
    anomalies.extend(problems.into_iter().map(|p| format!("nemesis: {p}")));
    let rest = until.saturating_duration_since(Instant::now());
    std::thread::park_timeout(rest);
    eprintln!(
        "[{:7.2}s] faults over; healing and stopping the clients",
        start.elapsed().as_secs_f64()
    );
    if let Err(p) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        nemesis::heal_all(c);
        c.wait_leader(SETTLE)
    })) {
        anomalies.push(format!("the cluster did not recover after the faults: {p:?}"));
    }
    load.stop();
    let healed = Instant::now();
    let leader = c.leader().unwrap_or(0);
    let via = addrs[leader];

    // Every watcher must see a last write.
    let sentinel = hecd_testkit::wait_until("the sentinel write", SETTLE, || {
        let path = format!("/v2/keys{PREFIX}/end");
        match request(via, "PUT", &path, "value=end", workload::TIMEOUT, None) {
            Answer::Got(r) if r.status < 300 => r.json["node"]["modifiedIndex"].as_u64(),
            _ => None,
        }
    });
    match sentinel {
        Ok(end) => {
            for w in &watchers {
                let caught_up = hecd_testkit::wait_until("a watcher", SETTLE, || {
                    (w.last.load(std::sync::atomic::Ordering::SeqCst) >= end).then_some(())
                });
                if caught_up.is_err() {
                    anomalies.push(format!(
                        "the watcher on m{} never saw index {end} (last {})",
                        w.member,
                        w.last.load(std::sync::atomic::Ordering::SeqCst)
                    ));
                }
            }
        }
        Err(e) => anomalies.push(e),
    }
    for w in &mut watchers {
        w.stop();
    }

    // The final state, read with quorum reads through the leader.
    let mut history = std::mem::take(&mut *rec.registers.lock().unwrap_or_else(|p| p.into_inner()));
    let mut keys: Vec<String> = history.iter().map(|o| o.key.clone()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let call = start.elapsed().as_nanos() as u64;
        let Some(r) = get(via, &format!("/v2/keys{key}?quorum=true")) else {
            anomalies.push(format!("final read of {key} failed"));
            continue;
        };
        let ret = start.elapsed().as_nanos() as u64;
        let outcome = Outcome::Read(r.json["node"]["value"].as_str().map(str::to_owned));
        history.push(Operation { key, op: Op::Get, outcome, call, ret });
    }
    eprintln!("chaos: checking {} register operations", history.len());
    anomalies.extend(check::registers(&history));
    let unique = listing(via, "u").unwrap_or_else(|| {
        anomalies.push("the final listing of the unique keys failed".into());
        Vec::new()
    });
    anomalies.extend(check::unique(
        &rec.unique.lock().unwrap_or_else(|p| p.into_inner()),
        &unique.into_iter().collect(),
    ));
    let created = rec.created.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let queue = listing(via, "q").unwrap_or_else(|| {
        anomalies.push("the final listing of the in-order keys failed".into());
        Vec::new()
    });
    anomalies.extend(check::in_order(&created, &queue));
    anomalies.extend(check::ttl_not_early(&rec.ttl.lock().unwrap_or_else(|p| p.into_inner())));
    // Every TTL key expires: the last create or refresh reached a member before the clients
    // stopped, so by `healed + TTL` every key is past its expiration.
    let deadline = Duration::from_secs(TTL) + EXPIRY_GRACE;
    let gone = hecd_testkit::wait_until("the TTL keys to expire", deadline + SETTLE, || {
        let left = listing(via, "t")?;
        (left.is_empty() || healed.elapsed() > deadline).then_some(left)
    });
    if let Err(e) = &gone {
        anomalies.push(format!("the TTL keys could not be listed: {e}"));
    }
    if let Some(left) = gone.as_ref().ok().filter(|l| !l.is_empty()) {
        let keys: Vec<&str> = left.iter().take(5).map(|(k, _)| k.as_str()).collect();
        anomalies.push(format!(
            "{} TTL key(s) still present {deadline:?} after the clients stopped: {}",
            left.len(),
            keys.join(", ")
        ));
    }
    let seen: Vec<_> = watchers
        .iter()
        .map(|w| (w.member, w.seen.lock().unwrap_or_else(|p| p.into_inner())))
        .collect();
    let views: Vec<(usize, &watch::Seen)> = seen.iter().map(|(m, s)| (*m, &**s)).collect();
    let acked = rec.acked.lock().unwrap_or_else(|p| p.into_inner()).clone();
    anomalies.extend(check::watchers(&views, &acked));
    let events: usize = views.iter().flat_map(|(_, s)| &s.segments).map(|s| s.events.len()).sum();
    let resyncs: u64 = views.iter().map(|(_, s)| s.resyncs).sum();
    drop(seen);

    for a in &anomalies {
        println!("chaos: ANOMALY: {a}");
    }
    let ops = rec.ops.load(std::sync::atomic::Ordering::SeqCst);
    let ttl = rec.ttl.lock().unwrap_or_else(|p| p.into_inner());
    let lapsed = ttl.iter().filter(|t| t.seen == workload::TtlSeen::Missing).count();
    println!(
        "chaos: {} acknowledged writes, {} register ops, {} in-order creates, {} TTL keys ({} TTL ops, {lapsed} lapses seen), {events} watch events, {resyncs} watch resyncs (errorCode 401)",
        acked.len(),
        history.len(),
        created.len(),
        rec.ttl_keys.lock().unwrap_or_else(|p| p.into_inner()).len(),
        ttl.len()
    );
    Summary { ops, faults, anomalies: anomalies.len() as u64 }
}

/// A GET that must be answered (retried until it is, within [`SETTLE`]).
fn get(addr: SocketAddr, path: &str) -> Option<Reply> {
    hecd_testkit::wait_until(path, SETTLE, || {
        match request(addr, "GET", path, "", workload::TIMEOUT, None) {
            Answer::Got(r) if matches!(r.status, 200 | 404) => Some(r),
            _ => None,
        }
    })
    .ok()
}

/// The (key, value) pairs under `PREFIX/<dir>`, read with a quorum read; `None` when no
/// answer came within [`SETTLE`].
fn listing(addr: SocketAddr, dir: &str) -> Option<Vec<(String, String)>> {
    let r = get(addr, &format!("/v2/keys{PREFIX}/{dir}?recursive=true&quorum=true"))?;
    let mut out = Vec::new();
    let mut stack = vec![r.json["node"].clone()];
    while let Some(n) = stack.pop() {
        if let Some(v) = n["value"].as_str() {
            out.push((n["key"].as_str().unwrap_or_default().to_owned(), v.to_owned()));
        }
        stack.extend(n["nodes"].as_array().into_iter().flatten().cloned());
    }
    Some(out)
}
