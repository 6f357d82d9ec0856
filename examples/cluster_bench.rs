//! Side-by-side benchmark of a 3-member hecd-kv cluster and a 3-member etcd 3.4 cluster
//! (`--enable-v2`) on this machine (issue 8): write throughput and latency percentiles of v2
//! PUTs spread over every member, and the time from SIGKILL of the leader to the first
//! acknowledged write sent after it.
//!
//! Usage: `cargo run --release --example cluster_bench [SECONDS] [CLIENTS] [ROUNDS]`
//! (defaults 5, 16, 2). Build `hecd-kv` in the same profile first
//! (`cargo build --release --bin hecd-kv`). Both clusters run through the same test harness
//! (`hecd_testkit::cluster`, with its pass-through peer proxies) and are measured alternately,
//! round by round, so drift on a shared machine hits both.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hecd_testkit::cluster::Cluster;
use hecd_testkit::kv::Kind;

/// A keep-alive HTTP/1.1 connection for PUTs.
struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn { addr, stream: None }
    }

    /// Sends one PUT; returns the status, or `None` when the connection failed.
    fn put(&mut self, path: &str, body: &str) -> Option<u16> {
        let r = self.try_put(path, body);
        if r.is_none() {
            self.stream = None;
        }
        r
    }

    fn try_put(&mut self, path: &str, body: &str) -> Option<u16> {
        if self.stream.is_none() {
            let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).ok()?;
            s.set_nodelay(true).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.stream.as_mut()?;
        let req = format!(
            "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        r.get_mut().write_all(req.as_bytes()).ok()?;
        let mut line = String::new();
        r.read_line(&mut line).ok()?;
        let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
        let (mut len, mut chunked, mut close) = (0usize, false, false);
        loop {
            line.clear();
            r.read_line(&mut line).ok()?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':')?;
            match n.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().ok()?,
                "transfer-encoding" => chunked = v.contains("chunked"),
                "connection" => close = v.trim().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line).ok()?;
                let n = usize::from_str_radix(line.trim(), 16).ok()?;
                let mut skip = vec![0u8; n + 2];
                r.read_exact(&mut skip).ok()?;
                if n == 0 {
                    break;
                }
            }
        } else {
            let mut skip = vec![0u8; len];
            r.read_exact(&mut skip).ok()?;
        }
        if close {
            self.stream = None;
        }
        Some(status)
    }
}

/// Result of one write-load run.
struct Run {
    ok: usize,
    failed: usize,
    secs: f64,
    latencies: Vec<Duration>,
}

fn write_load(c: &Cluster, secs: u64, clients: usize, tag: &str) -> Run {
    let addrs: Vec<SocketAddr> = c.running().iter().map(|&i| c.members[i].client).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|t| {
            let addr = addrs[t % addrs.len()];
            let (stop, tag) = (stop.clone(), tag.to_owned());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let (mut lat, mut failed, mut i) = (Vec::new(), 0usize, 0u64);
                while !stop.load(Ordering::Relaxed) {
                    let t0 = Instant::now();
                    let path = format!("/v2/keys/bench/{tag}/c{t}/k{}", i % 1000);
                    match conn.put(&path, "value=0123456789abcdef0123456789abcdef") {
                        Some(200 | 201) => lat.push(t0.elapsed()),
                        _ => failed += 1,
                    }
                    i += 1;
                }
                (lat, failed)
            })
        })
        .collect();
    std::thread::park_timeout(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let mut run = Run { ok: 0, failed: 0, secs: 0.0, latencies: Vec::new() };
    for t in threads {
        let (lat, failed) = t.join().expect("client thread");
        run.ok += lat.len();
        run.failed += failed;
        run.latencies.extend(lat);
    }
    run.secs = start.elapsed().as_secs_f64();
    run.latencies.sort_unstable();
    run
}

fn pct(lat: &[Duration], p: f64) -> f64 {
    if lat.is_empty() {
        return f64::NAN;
    }
    let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
    lat[i].as_secs_f64() * 1000.0
}

/// Kills the leader while one writer per surviving member writes; returns the time from the
/// kill to the first acknowledged write sent after it, then restarts the old leader.
fn failover(c: &mut Cluster) -> Option<Duration> {
    let leader = c.wait_leader(Duration::from_secs(30));
    let others: Vec<SocketAddr> =
        c.running().into_iter().filter(|&i| i != leader).map(|i| c.members[i].client).collect();
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let threads: Vec<_> = others
        .into_iter()
        .enumerate()
        .map(|(t, addr)| {
            let (done, killed) = (done.clone(), killed.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut i = 0;
                while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                    let sent = Instant::now();
                    i += 1;
                    let ok = matches!(
                        conn.put(&format!("/v2/keys/bench/failover/t{t}/{i}"), "value=x"),
                        Some(200 | 201)
                    );
                    let k = *killed.lock().expect("lock");
                    if let Some(k) = k {
                        if ok && sent > k {
                            done.store(true, Ordering::SeqCst);
                            return Some(sent.elapsed() + (sent - k));
                        }
                    }
                }
                None
            })
        })
        .collect();
    std::thread::park_timeout(Duration::from_millis(300));
    *killed.lock().expect("lock") = Some(Instant::now());
    c.kill(leader);
    let first = threads.into_iter().filter_map(|t| t.join().ok().flatten()).min();
    c.restart(leader);
    c.wait_leader(Duration::from_secs(30));
    first
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let secs = args.first().copied().unwrap_or(5);
    let clients = args.get(1).copied().unwrap_or(16) as usize;
    let rounds = args.get(2).copied().unwrap_or(2);
    let mut etcd = Cluster::start(Kind::Etcd, 3, &[]).expect("etcd is installed");
    let mut hecd = Cluster::start(Kind::HecdKv, 3, &[]).expect("hecd-kv is built");
    let mut results: Vec<(&str, Run)> = Vec::new();
    for round in 0..rounds {
        for (name, c) in [("etcd 3.4", &etcd), ("hecd-kv", &hecd)] {
            let run = write_load(c, secs, clients, &format!("r{round}"));
            results.push((name, run));
        }
    }
    println!("3-member clusters on loopback, {clients} clients over all members, {secs} s x {rounds} rounds");
    println!(
        "{:<10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "server", "writes/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "failed"
    );
    for name in ["etcd 3.4", "hecd-kv"] {
        let mut lat = Vec::new();
        let (mut ok, mut failed, mut total) = (0, 0, 0.0);
        for (n, r) in &results {
            if *n == name {
                ok += r.ok;
                failed += r.failed;
                total += r.secs;
                lat.extend(r.latencies.iter().copied());
            }
        }
        lat.sort_unstable();
        println!(
            "{name:<10} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
            ok as f64 / total,
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99),
            pct(&lat, 1.0),
            failed
        );
    }
    for (name, c) in [("etcd 3.4", &mut etcd), ("hecd-kv", &mut hecd)] {
        let times: Vec<String> = (0..rounds)
            .map(|_| {
                failover(c).map_or("none".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
            })
            .collect();
        println!("{name:<10} leader SIGKILL -> first acknowledged write: {}", times.join(", "));
    }
}
