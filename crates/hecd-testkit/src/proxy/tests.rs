//! The proxy forwards, cuts everything when isolated, and cuts one sender when blocked.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use super::*;

/// An upstream that answers every request head with `ok\n` (one line), forever.
fn upstream() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().expect("clone"));
                let mut w = conn;
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" && w.write_all(b"ok\n").is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    addr
}

/// Sends one request head from `from` on `conn`; returns whether `ok` came back.
fn ask(conn: &mut TcpStream, from: &str) -> bool {
    let head = format!("POST /raft HTTP/1.1\r\nX-Server-From: {from}\r\n\r\n");
    if conn.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 3];
    conn.read_exact(&mut buf).is_ok() && &buf == b"ok\n"
}

fn connect(p: &Proxy) -> TcpStream {
    let c = TcpStream::connect(p.addr()).expect("connect");
    c.set_read_timeout(Some(std::time::Duration::from_secs(5))).expect("timeout");
    c
}

#[test]
fn forwards_and_cuts() {
    let p = Proxy::start(upstream()).expect("proxy");
    let mut a = connect(&p);
    let mut b = connect(&p);
    assert!(ask(&mut a, "A1"));
    assert!(ask(&mut b, "b2"));
    // Blocking a sender closes its open connection and refuses new ones; others go on.
    p.block_from("a1", true);
    assert!(!ask(&mut a, "a1"));
    assert!(!ask(&mut connect(&p), "a1"));
    assert!(ask(&mut b, "b2"));
    p.block_from("a1", false);
    assert!(ask(&mut connect(&p), "a1"));
    // Isolation cuts everyone until healed.
    p.isolate(true);
    assert!(!ask(&mut b, "b2"));
    assert!(!ask(&mut connect(&p), "b2"));
    p.heal();
    assert!(ask(&mut connect(&p), "b2"));
}
