//! The client connection table: which connections are idle (no request being answered), so that a
//! server at its connection limit closes the idlest one for a new client instead of making it wait
//! behind thousands of idle or slow-header connections.
//!
//! Also the file-descriptor budget: the connection limit never exceeds what `RLIMIT_NOFILE` leaves
//! after a reserve for the WAL, snapshots and peer traffic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// File descriptors kept for everything but client connections (WAL, snapshots, peers, listeners).
pub(crate) const FD_RESERVE: u64 = 256;

/// One client connection's activity.
#[derive(Debug)]
pub(crate) struct Conn {
    in_flight: AtomicUsize,
    /// The table's activity counter at the last request's start or end (larger = more recent).
    last_active: AtomicU64,
    clock: Arc<AtomicU64>,
    /// Notified when the server wants this connection closed.
    pub(crate) close: Notify,
}

impl Conn {
    fn touch(&self) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        self.last_active.store(now, Ordering::Relaxed);
    }

    /// Marks a request as started; the returned guard marks it finished when dropped.
    pub(crate) fn request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        RequestGuard(Arc::clone(self))
    }
}

/// Marks a request finished when dropped.
#[derive(Debug)]
pub(crate) struct RequestGuard(Arc<Conn>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Every open client connection.
#[derive(Debug)]
pub(crate) struct Conns {
    clock: Arc<AtomicU64>,
    next: AtomicU64,
    map: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Default for Conns {
    fn default() -> Self {
        Conns { clock: Arc::default(), next: AtomicU64::new(0), map: Mutex::default() }
    }
}

/// Removes its connection from the table when dropped.
#[derive(Debug)]
pub(crate) struct Registration {
    conns: Arc<Conns>,
    id: u64,
    pub(crate) conn: Arc<Conn>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.conns.map.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

impl Conns {
    /// Adds a connection.
    pub(crate) fn register(self: &Arc<Self>) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(0),
            clock: Arc::clone(&self.clock),
            close: Notify::new(),
        });
        conn.touch();
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Arc::clone(&conn));
        Registration { conns: Arc::clone(self), id, conn }
    }

    /// Asks the connection idle the longest (no request in flight) to close; false if none is idle.
    pub(crate) fn close_idlest(&self) -> bool {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let idlest = map
            .values()
            .filter(|c| c.in_flight.load(Ordering::Relaxed) == 0)
            .min_by_key(|c| c.last_active.load(Ordering::Relaxed));
        match idlest {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Open connections.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (as Go's runtime does for etcd) and returns
/// the soft limit now in force (`None` for unlimited).
pub(crate) fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        let raised = rustix::process::Rlimit { current: lim.maximum, maximum: lim.maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return lim.maximum;
        }
    }
    lim.current
}

/// The client connection limit: `configured`, capped so that connections cannot exhaust the file
/// descriptors `fd_limit` allows.
pub(crate) fn connection_limit(configured: usize, fd_limit: Option<u64>) -> usize {
    let fds = fd_limit.map_or(u64::MAX, |l| l.saturating_sub(FD_RESERVE).max(64));
    configured.min(usize::try_from(fds).unwrap_or(usize::MAX)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_leaves_a_reserve_of_descriptors() {
        assert_eq!(connection_limit(65_536, Some(20_000)), 20_000 - FD_RESERVE as usize);
        assert_eq!(connection_limit(4096, Some(20_000)), 4096);
        assert_eq!(connection_limit(4096, None), 4096);
        assert_eq!(connection_limit(4096, Some(100)), 64, "never below a usable minimum");
        assert_eq!(connection_limit(0, None), 1);
    }

    #[tokio::test]
    async fn the_idlest_connection_without_a_request_is_asked_to_close() {
        let conns = Arc::new(Conns::default());
        let busy = conns.register();
        let _req = busy.conn.request();
        let idle_old = conns.register();
        let idle_new = conns.register();
        let _r = idle_new.conn.request();
        drop(_r);
        assert!(conns.close_idlest());
        // The oldest idle one got the notification (a stored permit), not the busy one.
        tokio::time::timeout(std::time::Duration::from_secs(1), idle_old.conn.close.notified())
            .await
            .expect("the idlest connection is told to close");
        assert_eq!(conns.len(), 3);
        drop(idle_old);
        drop(idle_new);
        assert_eq!(conns.len(), 1);
        assert!(!conns.close_idlest(), "a connection with a request in flight is never closed");
    }
}
