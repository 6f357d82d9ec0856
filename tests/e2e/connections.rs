//! Many connections against a real `hecd-kv`: ten thousand idle clients and slow-header senders
//! do not stop another client from being served, and at its connection limit (derived from the
//! file-descriptor limit) the server closes the idlest connections to make room.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use hecd_testkit::kv::{Kind, KvServer};
use hecd_testkit::{free_ports, http_full, wait_until, Proc};

const DEADLINE: Duration = Duration::from_secs(60);

/// Opens `n` connections that send nothing, and `slow` that send half a request head.
fn open_idle(addr: SocketAddr, n: usize, slow: usize) -> Vec<TcpStream> {
    let mut conns = Vec::with_capacity(n + slow);
    for i in 0..n + slow {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("connection {i} of {}: {e}", n + slow));
        if i >= n {
            s.write_all(b"GET /v2/keys/ HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        }
        conns.push(s);
    }
    conns
}

/// Whether the server closed `s` (EOF or reset within a few seconds).
fn closed_by_server(s: &TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut r: &TcpStream = s;
    match r.read(&mut [0u8; 1]) {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    }
}

/// One PUT then GET as a new client; returns the time both took.
fn served(addr: SocketAddr, key: &str) -> Duration {
    let t = Instant::now();
    let r = http_full(addr, "PUT", &format!("/v2/keys{key}"), "value=v").expect("PUT answered");
    assert_eq!(r.status, 201, "{}", r.body);
    let r = http_full(addr, "GET", &format!("/v2/keys{key}"), "").expect("GET answered");
    assert_eq!(r.status, 200, "{}", r.body);
    t.elapsed()
}

#[test]
fn ten_thousand_idle_connections_and_slow_senders_do_not_stop_other_clients() {
    let fds = hecd_testkit::raise_fd_limit();
    let n = 10_000.min(fds.saturating_sub(600) as usize);
    assert!(n >= 1000, "this test needs a file-descriptor limit above 1600 (have {fds})");
    let Some(kv) = KvServer::start(Kind::HecdKv) else { return };
    let before = served(kv.addr, "/conn/before");
    let idle = open_idle(kv.addr, n, 100);
    let during = served(kv.addr, "/conn/during");
    // The idle connections are still open: nothing was closed to serve the new client.
    let mut first: &TcpStream = &idle[0];
    first.set_nonblocking(true).unwrap();
    let still_open =
        matches!(first.read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    assert!(still_open, "below the limit no idle connection is closed");
    eprintln!(
        "connections: {n} idle + 100 slow-header; a new client's PUT+GET took {during:?} \
         (before: {before:?})"
    );
}

#[test]
fn at_the_connection_limit_the_idlest_connections_make_room() {
    let fds = hecd_testkit::raise_fd_limit();
    assert!(fds >= 3000, "this test needs a file-descriptor limit of 3000 (have {fds})");
    let dir = hecd_testkit::tempdir();
    let ports = free_ports(2);
    let url = format!("http://127.0.0.1:{}", ports[0]);
    let peer = format!("http://127.0.0.1:{}", ports[1]);
    let data = dir.path().join("data");
    let bin = Kind::HecdKv.binary();
    // 1024 descriptors: the server keeps 256 for itself, so at most 768 client connections.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(r#"ulimit -n 1024 && exec "$0" "$@""#)
        .arg(&bin)
        .args(["--name", "t", "--data-dir"])
        .arg(&data)
        .args(["--listen-client-urls", &url, "--advertise-client-urls", &url])
        .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", &format!("t={peer}")]);
    let proc = Proc::spawn("hecd-kv", cmd).expect("hecd-kv runs");
    let addr: SocketAddr = ([127, 0, 0, 1], ports[0]).into();
    wait_until("hecd-kv to answer", DEADLINE, || {
        http_full(addr, "GET", "/v2/keys/", "").ok().filter(|r| r.status == 200)
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", proc.log()));
    proc.wait_for_log("client connection limit", DEADLINE).unwrap();
    assert!(proc.log().contains("max_connections=768"), "{}", proc.log());

    let idle = open_idle(addr, 1500, 100);
    let took = served(addr, "/conn/limit");
    // The oldest idle connections were closed by the server (EOF), the newest are still open.
    let closed = idle[..100].iter().filter(|s| closed_by_server(s)).count();
    assert!(closed > 0, "the idlest connections are closed to make room");
    let (st, _) = hecd_testkit::http(addr, "GET", "/v2/keys/conn/limit", "").unwrap();
    assert_eq!(st, 200);
    eprintln!("connection limit 768: 1600 opened, {closed} of the oldest 100 closed, new client served in {took:?}");
}
