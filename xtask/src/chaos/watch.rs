//! Recursive watchers on the campaign's prefix, one per member: each long-polls
//! `?wait=true&recursive=true&waitIndex=N` on its own member and moves `N` past every event.
//! When the member answers etcd's "event index cleared" (errorCode 401), the watcher resyncs as
//! a client must: a fresh `GET` of the prefix, then watches from its `X-Etcd-Index` + 1,
//! starting a new segment. The events of each segment are checked in `check`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::http::{request, Answer};
use super::workload::PREFIX;

/// One event a watcher received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `node.modifiedIndex`.
    pub index: u64,
    /// `node.key`.
    pub key: String,
    /// `action`.
    pub action: String,
}

/// A run of events received without a resync: the watcher asked for every event from `from`.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    /// The first `waitIndex` of the segment.
    pub from: u64,
    /// The events, in the order received.
    pub events: Vec<Event>,
    /// Events whose index was below the `waitIndex` asked for: (waitIndex, event).
    pub early: Vec<(u64, Event)>,
}

/// What one watcher saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Its segments, oldest first.
    pub segments: Vec<Segment>,
    /// How many times it resynced after errorCode 401.
    pub resyncs: u64,
}

/// A running watcher.
pub struct Watcher {
    /// The member it watches.
    pub member: usize,
    /// What it saw so far.
    pub seen: Arc<Mutex<Seen>>,
    /// The highest index it has seen (0 before any).
    pub last: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching member `member` at `addr` from `from`.
    pub fn start(member: usize, addr: SocketAddr, from: u64, start: Instant) -> Watcher {
        let seen = Arc::new(Mutex::new(Seen {
            segments: vec![Segment { from, ..Segment::default() }],
            resyncs: 0,
        }));
        let (last, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let (s, l, st) = (seen.clone(), last.clone(), stop.clone());
        let thread = std::thread::spawn(move || watch(addr, from, start, &s, &l, &st));
        Watcher { member, seen, last, stop, thread: Some(thread) }
    }

    /// Stops the watcher and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop();
    }
}

fn watch(
    addr: SocketAddr,
    mut from: u64,
    start: Instant,
    seen: &Mutex<Seen>,
    last: &AtomicU64,
    stop: &AtomicBool,
) {
    let lock = || seen.lock().unwrap_or_else(|p| p.into_inner());
    // No answer ever takes this long unless the watch is idle; the stop flag ends it sooner.
    let forever = Duration::from_secs(24 * 3600);
    while !stop.load(Ordering::SeqCst) {
        let path = format!("/v2/keys{PREFIX}?wait=true&recursive=true&waitIndex={from}");
        let r = match request(addr, "GET", &path, "", forever, Some(stop)) {
            Answer::Got(r) => r,
            Answer::Stopped => return,
            Answer::Refused | Answer::Lost => {
                // The member is down or was cut off mid-answer: ask again (paced).
                std::thread::park_timeout(Duration::from_millis(100));
                continue;
            }
        };
        let node = &r.json["node"];
        match (r.status, r.error_code(), node["modifiedIndex"].as_u64()) {
            (200, _, Some(index)) => {
                let event = Event {
                    index,
                    key: node["key"].as_str().unwrap_or_default().to_owned(),
                    action: r.json["action"].as_str().unwrap_or_default().to_owned(),
                };
                let mut s = lock();
                let seg = s.segments.last_mut().expect("one segment at least");
                if index < from {
                    seg.early.push((from, event));
                } else {
                    seg.events.push(event);
                    from = index + 1;
                    last.fetch_max(index, Ordering::SeqCst);
                }
            }
            (_, Some(401), _) => {
                eprintln!(
                    "[{:7.2}s] watcher on {addr}: errorCode 401 at waitIndex {from} ({}); resyncing",
                    start.elapsed().as_secs_f64(),
                    r.json["cause"].as_str().unwrap_or_default()
                );
                // The history no longer reaches `from`: start over from the present.
                let path = format!("/v2/keys{PREFIX}?recursive=true");
                let Answer::Got(g) =
                    request(addr, "GET", &path, "", Duration::from_secs(8), Some(stop))
                else {
                    continue;
                };
                let Some(now) = g.etcd_index else { continue };
                from = now + 1;
                let mut s = lock();
                s.resyncs += 1;
                s.segments.push(Segment { from, ..Segment::default() });
                last.fetch_max(now, Ordering::SeqCst);
            }
            // An empty answer (the server ended the poll) or a transient error: ask again.
            _ => std::thread::park_timeout(Duration::from_millis(100)),
        }
    }
}
