//! A fault-injecting TCP proxy for Raft traffic between cluster members.
//!
//! Each member advertises its proxy's address as its peer URL, so every peer connection to it
//! goes through the proxy. The proxy reads the first request head of each connection and takes
//! the sender from its `X-Server-From` header (both hecd-kv and etcd send one); a test can then
//! cut everything reaching the member ([`Proxy::isolate`]) or only what a given sender sends
//! ([`Proxy::block_from`]). Cutting also closes the matching connections already open.
//! TLS peer traffic is forwarded untouched; only [`Proxy::isolate`] applies to it.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A running proxy; it stops accepting when dropped.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    isolated: AtomicBool,
    blocked_from: Mutex<HashSet<String>>,
    /// Open connections: (serial, sender id, client side, upstream side).
    conns: Mutex<Vec<(u64, String, TcpStream, TcpStream)>>,
    next: std::sync::atomic::AtomicU64,
    stopped: AtomicBool,
}

impl Shared {
    fn allows(&self, from: &str) -> bool {
        !self.isolated.load(Ordering::SeqCst)
            && !self.blocked_from.lock().unwrap_or_else(|p| p.into_inner()).contains(from)
    }

    /// Closes the open connections the current rules forbid.
    fn enforce(&self) {
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        conns.retain(|(_, from, a, b)| {
            if self.allows(from) {
                return true;
            }
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
            false
        });
    }
}

impl Proxy {
    /// Listens on a free loopback port and forwards every allowed connection to `target`.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn start(target: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(conn, target, &s));
            }
        });
        Ok(Proxy { addr, shared })
    }

    /// The address members connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts (`true`) or restores (`false`) all traffic reaching the member behind this proxy.
    pub fn isolate(&self, on: bool) {
        self.shared.isolated.store(on, Ordering::SeqCst);
        self.shared.enforce();
    }

    /// Cuts (`true`) or restores (`false`) the traffic sent by member `from` (its id as the
    /// `X-Server-From` header spells it).
    pub fn block_from(&self, from: &str, on: bool) {
        {
            let mut b = self.shared.blocked_from.lock().unwrap_or_else(|p| p.into_inner());
            if on {
                b.insert(from.to_ascii_lowercase());
            } else {
                b.remove(&from.to_ascii_lowercase());
            }
        }
        self.shared.enforce();
    }

    /// Restores all traffic.
    pub fn heal(&self) {
        self.shared.blocked_from.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.isolate(false);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.isolate(true);
        // Wake the accept loop so it sees `stopped`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut client: TcpStream, target: SocketAddr, shared: &Shared) {
    // Read up to the end of the first request head to learn the sender. A TLS connection
    // (first byte 0x16, a handshake record) cannot be read: it is forwarded with no sender,
    // so only `isolate` applies to it.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n")
        && head.len() < 64 * 1024
        && head.first() != Some(&0x16)
    {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let from = String::from_utf8_lossy(&head)
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim().eq_ignore_ascii_case("x-server-from").then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !shared.allows(&from) {
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(target) else { return };
    if upstream.write_all(&head).is_err() {
        return;
    }
    let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) else { return };
    let serial = shared.next.fetch_add(1, Ordering::SeqCst);
    {
        let (Ok(c3), Ok(u3)) = (client.try_clone(), upstream.try_clone()) else { return };
        let mut conns = shared.conns.lock().unwrap_or_else(|p| p.into_inner());
        conns.push((serial, from.clone(), c3, u3));
    }
    // The rules may have changed while connecting.
    shared.enforce();
    let t = std::thread::spawn(move || pump(c2, u2));
    pump(upstream, client);
    let _ = t.join();
    shared.conns.lock().unwrap_or_else(|p| p.into_inner()).retain(|c| c.0 != serial);
}

fn pump(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests;
