//! Watch-mode latency: from a write acknowledged by `hecd-kv` to dest replaced and
//! `reload_cmd` started, over many writes, with the quiescence window set to 0.
//!
//! Needs the `hecd-kv` and `hecd-confd` binaries next to the bench binary's profile dir
//! (`cargo build --release --bin hecd-kv --bin hecd-confd`) or named by
//! `CARGO_BIN_EXE_hecd-kv` / `CARGO_BIN_EXE_hecd-confd`. `WRITES` sets the number of writes
//! (default 200). With `--test` (as `cargo bench -- --test` passes) it does 5 writes.
//!
//! The reload command records `date +%s%N` as its first action, so each figure includes
//! starting `/bin/sh` and `date` (about a millisecond): it is an upper bound.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{http, wait_until, Proc};

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let writes: usize = if quick {
        5
    } else {
        std::env::var("WRITES").ok().and_then(|w| w.parse().ok()).unwrap_or(200)
    };
    let confd_bin = hecd_testkit::bin("hecd-confd");
    if !confd_bin.exists() || !Kind::HecdKv.binary().exists() {
        eprintln!(
            "watch_latency: build hecd-kv and hecd-confd first ({} missing)",
            confd_bin.display()
        );
        return;
    }
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let dir = hecd_testkit::tempdir();
    let confdir = dir.path().join("confdir");
    std::fs::create_dir_all(confdir.join("conf.d")).unwrap();
    std::fs::create_dir_all(confdir.join("templates")).unwrap();
    let dest = dir.path().join("servers.conf");
    let log = dir.path().join("reloads.log");
    std::fs::write(
        confdir.join("templates/servers.tmpl"),
        "{{range gets \"/app/servers/*\"}}server {{base .Key}} {{.Value}}\n{{end}}",
    )
    .unwrap();
    std::fs::write(
        confdir.join("conf.d/servers.toml"),
        format!(
            "[template]\nsrc = \"servers.tmpl\"\ndest = \"{}\"\nkeys = [\"/app/servers\"]\nreload_cmd = \"date +%s%N >> {}\"\n",
            dest.display(),
            log.display()
        ),
    )
    .unwrap();
    put(&kv, "web0", "start");
    let mut cmd = Command::new(&confd_bin);
    cmd.args(["-watch", "-wait", "0", "-log-level", "error", "-node", &kv.url, "-confdir"])
        .arg(&confdir)
        .args(["-config-file", "/nonexistent"]);
    let _confd = Proc::spawn("hecd-confd", cmd).unwrap();
    let lines = |n: usize| {
        wait_until("reload_cmd to run", Duration::from_secs(30), || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let stamps: Vec<u128> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
            (stamps.len() >= n).then_some(stamps)
        })
        .unwrap()
    };
    lines(1);
    let mut latencies = Vec::with_capacity(writes);
    for i in 1..=writes {
        put(&kv, "web1", &format!("10.0.0.{}:80", i % 250));
        let acked = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let stamps = lines(i + 1);
        let started = stamps[i];
        let content = std::fs::read_to_string(&dest).unwrap();
        assert!(
            content.contains(&format!("10.0.0.{}:80", i % 250)),
            "dest not replaced: {content}"
        );
        latencies.push(Duration::from_nanos(started.saturating_sub(acked) as u64));
    }
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "watch_latency: {} writes, write acknowledged -> dest replaced and reload_cmd started: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}

fn put(kv: &KvServer, name: &str, value: &str) {
    let (status, body) =
        http(kv.addr, "PUT", &format!("/v2/keys/app/servers/{name}"), &format!("value={value}"))
            .unwrap();
    assert!(status == 200 || status == 201, "{status} {body}");
}
