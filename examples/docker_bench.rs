//! `hecd-register docker` figures against a private Docker engine (issue 12), with
//! `hecd-kv`, `hecd-confd -watch` and a real HAProxy on loopback:
//!
//! 1. container start → key present, and → HAProxy serving it, p50/p99 over N containers
//!    (started one after the other, each killed before the next starts, so that the one
//!    served is unambiguous), measured from the engine's own `StartedAt` to the moment a
//!    store watch in flight (or a request through HAProxy) sees the change; also `docker
//!    kill` (from running the command) → key gone;
//! 2. churn: C containers started by 4 threads at once, each then left running, stopped,
//!    removed, killed or restarted; once the registrar has caught up, the keys must be exactly the running
//!    containers: orphan keys (a key without a running container) and missed containers (a
//!    running container without a key) are counted.
//!
//! Usage: `cargo run --release --example docker_bench [N] [C]` (defaults 50, 100). Build the
//! binaries in the same profile first (`cargo build --release --bins`). Needs root, Debian's
//! `docker.io`, `busybox-static`, `haproxy` and `socat`.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hecd_testkit::docker::greeting;
use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, wait_until, Proc};

const HAPROXY: &str = "/usr/sbin/haproxy";
const PREFIX: &str = "/app/servers";

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let n = args.first().copied().unwrap_or(50);
    let churn = args.get(1).copied().unwrap_or(100);
    let dk = hecd_testkit::docker::shared().expect("dockerd and busybox are installed");
    let kv =
        KvServer::start(Kind::HecdKv).expect("hecd-kv is built (cargo build --release --bins)");
    let (frontend, _pipeline) = haproxy_pipeline(&kv);
    let mut cmd = Command::new(hecd_testkit::bin("hecd-register"));
    cmd.args(["--endpoints", &kv.url, "--prefix", PREFIX, "--log-level", "warn", "docker"])
        .args(["--docker-host", &dk.host, "--hostname", "bench", "--ip", "127.0.0.1"])
        .args(["--ttl", "30", "--ttl-refresh", "10"]);
    let reg = Proc::spawn("hecd-register docker", cmd).expect("hecd-register runs");

    // 1. Start → key, start → served, kill → gone, one container at a time. The clocks are
    // the engine's: `State.StartedAt` and `State.FinishedAt` (wall time, ns) against the wall
    // time a store watch, in flight before the change, returns.
    let (mut to_key, mut to_served, mut to_gone) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let name = format!("bench-{i}");
        let key = format!("{PREFIX}/bench:{name}:8080");
        let watch = watch_next(&kv, &key, &["set", "create"]);
        dk.run_httpd(&name, &[]);
        let body = greeting(&name);
        wait_until(&format!("{name} served"), Duration::from_secs(30), || {
            (fetch(frontend)? == body).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", reg.log()));
        let served_at = SystemTime::now();
        let (written_at, got) = watch.join().expect("the watch thread");
        assert_eq!(got, format!("127.0.0.1:{}", dk.host_port(&name, "8080/tcp")));
        let started = engine_time(&dk, &name, "StartedAt");
        to_key.push(written_at.duration_since(started).unwrap_or_default());
        to_served.push(served_at.duration_since(started).unwrap_or_default());
        let watch = watch_next(&kv, &key, &["delete"]);
        // The entry goes at the kill event, before the process is gone (`FinishedAt`): the
        // clock starts when the `docker kill` command is run (its own run is included).
        let kill = SystemTime::now();
        dk.must(&["kill", &name]);
        let (gone_at, _) = watch.join().expect("the watch thread");
        to_gone.push(gone_at.duration_since(kill).unwrap_or_default());
        dk.must(&["rm", "-f", &name]);
    }
    println!("start -> key present     {} over {n} containers", percentiles(&mut to_key));
    println!("start -> HAProxy serving {} over {n} containers", percentiles(&mut to_served));
    println!("kill  -> key gone        {} over {n} containers", percentiles(&mut to_gone));

    // 2. Churn: C starts, then per container one of: nothing, stop, rm -f, kill, restart,
    // from 4 threads at once.
    let t = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (dk, next) = (&dk, next.clone());
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= churn {
                    break;
                }
                let name = format!("churn-{i}");
                dk.run_httpd(&name, &[]);
                match i % 5 {
                    0 => {}
                    1 => drop(dk.must(&["stop", "-t", "0", &name])),
                    2 => drop(dk.must(&["rm", "-f", &name])),
                    3 => drop(dk.must(&["kill", &name])),
                    _ => drop(dk.must(&["restart", "-t", "0", &name])),
                }
            });
        }
    });
    let churn_time = t.elapsed();
    let running: BTreeSet<String> = dk
        .must(&["ps", "--filter", "name=churn-", "--format", "{{.Names}}"])
        .lines()
        .map(|n| format!("{PREFIX}/bench:{n}:8080"))
        .collect();
    let settle = Instant::now();
    let settled =
        wait_until("the keys to match the running containers", Duration::from_secs(60), || {
            (churn_keys(&kv) == running).then_some(())
        });
    let keys = churn_keys(&kv);
    let orphans = keys.difference(&running).count();
    let missed = running.difference(&keys).count();
    println!(
        "churn: {churn} starts (then stop, rm -f, kill or restart for most) in {:.1?}; {} left running; caught up {:.1?} after the last command; orphan keys {orphans}, missed containers {missed}{}",
        churn_time,
        running.len(),
        settle.elapsed(),
        if settled.is_ok() { "" } else { " (NOT SETTLED within 60 s)" }
    );
    let names: Vec<String> = (0..churn).map(|i| format!("churn-{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    dk.remove(&names);
    drop(reg);
}

/// A store watch on `key` for its next change whose action is one of `actions` (from the
/// current index, so nothing is missed), in flight when this returns; the thread gives the
/// wall time it returned and the new value.
fn watch_next(
    kv: &KvServer,
    key: &str,
    actions: &'static [&'static str],
) -> std::thread::JoinHandle<(SystemTime, String)> {
    let r = hecd_testkit::http_full(kv.addr, "GET", "/v2/keys/", "").expect("the store answers");
    let index: u64 = r.header("x-etcd-index").and_then(|v| v.parse().ok()).expect("X-Etcd-Index");
    let (addr, key) = (kv.addr, key.to_owned());
    std::thread::spawn(move || {
        let mut next = index + 1;
        loop {
            let path = format!("/v2/keys{key}?wait=true&waitIndex={next}");
            let (_, body) = http(addr, "GET", &path, "").expect("the watch answers");
            let at = SystemTime::now();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if actions.contains(&v["action"].as_str().unwrap_or("")) {
                return (at, v["node"]["value"].as_str().unwrap_or("").to_owned());
            }
            next = v["node"]["modifiedIndex"].as_u64().expect("a watch event") + 1;
        }
    })
}

/// A container's `State.<field>` timestamp (RFC 3339 in UTC with nanoseconds).
fn engine_time(dk: &hecd_testkit::docker::DockerEngine, name: &str, field: &str) -> SystemTime {
    let s = dk.must(&["inspect", "-f", &format!("{{{{.State.{field}}}}}"), name]);
    parse_rfc3339(&s).unwrap_or_else(|| panic!("{name} {field}: {s:?}"))
}

/// `2026-12-06T19:39:41.857853234Z` → the instant.
fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    let nanos: u64 = format!("{frac:0<9}")[..9].parse().ok()?;
    // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::try_from(era * 146_097 + doe - 719_468).ok()?;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::new(secs, nanos as u32))
}

fn churn_keys(kv: &KvServer) -> BTreeSet<String> {
    let Ok((200, body)) = http(kv.addr, "GET", &format!("/v2/keys{PREFIX}?recursive=true"), "")
    else {
        return BTreeSet::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["node"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["key"].as_str())
                .filter(|k| k.contains(":churn-"))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn percentiles(d: &mut [Duration]) -> String {
    d.sort();
    let at = |q: f64| d[((d.len() as f64 * q).ceil() as usize).clamp(1, d.len()) - 1];
    format!(
        "p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    )
}

fn fetch(addr: SocketAddr) -> Option<String> {
    let (status, body) = http(addr, "GET", "/", "").ok()?;
    (status == 200).then_some(body)
}

/// HAProxy (master-worker) with the seed's server loop, re-rendered by `hecd-confd -watch`.
fn haproxy_pipeline(kv: &KvServer) -> (SocketAddr, (tempfile::TempDir, Proc, Proc)) {
    let dir = hecd_testkit::tempdir();
    let port = hecd_testkit::free_ports(1)[0];
    let confdir = dir.path().join("confd");
    std::fs::create_dir_all(confdir.join("conf.d")).unwrap();
    std::fs::create_dir_all(confdir.join("templates")).unwrap();
    let head = format!(
        "defaults\n    mode http\n    retries 3\n    option redispatch 1\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\
         frontend http-in\n    bind 127.0.0.1:{port}\n    default_backend app\nbackend app\n"
    );
    let template = format!(
        "{head}{{{{range gets \"{PREFIX}/*\"}}}}    server {{{{base .Key}}}} {{{{.Value}}}}\n{{{{end}}}}"
    );
    std::fs::write(confdir.join("templates/haproxy.cfg.tmpl"), &template).unwrap();
    let dest = dir.path().join("haproxy.cfg");
    let pid = dir.path().join("haproxy.pid");
    let sock = dir.path().join("master.sock");
    let reload = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/haproxy/haproxy-reload.sh");
    std::fs::write(
        confdir.join("conf.d/haproxy.toml"),
        format!(
            "[template]\nsrc = \"haproxy.cfg.tmpl\"\ndest = \"{}\"\nkeys = [\"{PREFIX}\"]\nallow_empty = true\n\
             check_cmd = \"{HAPROXY} -c -q -f {{{{.src}}}}\"\nreload_cmd = \"/bin/sh {reload} {} {}\"\n",
            dest.display(),
            sock.display(),
            pid.display()
        ),
    )
    .unwrap();
    let (st, _) = http(kv.addr, "PUT", &format!("/v2/keys{PREFIX}"), "dir=true").unwrap();
    assert_eq!(st, 201);
    std::fs::write(&dest, &head).unwrap();
    let mut cmd = Command::new(HAPROXY);
    cmd.arg("-W").arg("-S").arg(&sock).arg("-p").arg(&pid).arg("-f").arg(&dest);
    let haproxy = Proc::spawn("haproxy", cmd).unwrap();
    let frontend: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until("HAProxy", Duration::from_secs(30), || std::net::TcpStream::connect(frontend).ok())
        .unwrap();
    wait_until("HAProxy's pid file", Duration::from_secs(30), || pid.exists().then_some(()))
        .unwrap();
    let mut cmd = Command::new(hecd_testkit::bin("hecd-confd"));
    cmd.args(["-watch", "-node", &kv.url, "-confdir"]).arg(&confdir);
    let confd = Proc::spawn("hecd-confd", cmd).unwrap();
    (frontend, (dir, haproxy, confd))
}
