//! The campaign's clients: register workers (quorum get, set, compare-and-swap by `prevValue`
//! and by `prevIndex`, compare-and-delete), a writer of unique keys, an in-order creator
//! (`POST`), and TTL keepers (create with a TTL, refresh with `refresh=true&prevExist=true`,
//! read, then let the key expire). Every answer is recorded for the checks in `check`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hecd_testkit::linearizability::{Op, Operation, Outcome};

use super::http::{request, Answer, Reply};

/// The key prefix everything lives under (and the watchers watch).
pub const PREFIX: &str = "/chaos";
/// How long a client waits for an answer before calling the outcome unknown.
pub const TIMEOUT: Duration = Duration::from_secs(8);
/// Register keys are renewed every `EPOCH` (a fresh set of `REGISTERS` keys), so that each
/// key's history stays short enough for the linearizability search.
const EPOCH: Duration = Duration::from_secs(10);
const REGISTERS: u64 = 4;
/// The TTL of the TTL keys, in seconds, and how often they are refreshed.
pub const TTL: u64 = 3;
const REFRESH_EVERY: Duration = Duration::from_millis(1000);

/// A write whose answer said it was applied: what a watcher must have seen at `index`.
#[derive(Debug, Clone)]
pub struct Acked {
    /// The store index of the write (`node.modifiedIndex`).
    pub index: u64,
    /// The key.
    pub key: String,
    /// The answer's `action`.
    pub action: String,
}

/// An acknowledged in-order create.
#[derive(Debug, Clone)]
pub struct Created {
    /// The key the server made.
    pub key: String,
    /// Its value.
    pub value: String,
    /// Its `createdIndex`.
    pub index: u64,
    /// Call and return, ns since the start.
    pub call: u64,
    /// See `call`.
    pub ret: u64,
}

/// What a TTL key's client saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlSeen {
    /// A create or refresh was acknowledged: the key expires no earlier than `call + TTL`.
    Extended,
    /// The key was reported missing (refresh 404/100, or a quorum read 404/100).
    Missing,
    /// A quorum read found it.
    Present,
}

/// One TTL key operation.
#[derive(Debug, Clone)]
pub struct TtlOp {
    /// The key.
    pub key: String,
    /// What was seen.
    pub seen: TtlSeen,
    /// Call and return, ns since the start.
    pub call: u64,
    /// See `call`.
    pub ret: u64,
}

/// Everything the clients recorded.
#[derive(Default)]
pub struct Record {
    /// Register operations, for the linearizability checker.
    pub registers: Mutex<Vec<Operation>>,
    /// Acknowledged writes (every kind that emits a watch event).
    pub acked: Mutex<Vec<Acked>>,
    /// Acknowledged unique-key writes: (key, value).
    pub unique: Mutex<Vec<(String, String)>>,
    /// Acknowledged in-order creates.
    pub created: Mutex<Vec<Created>>,
    /// Values of in-order creates whose outcome is unknown (they may or may not exist).
    pub created_unknown: Mutex<Vec<String>>,
    /// TTL key operations.
    pub ttl: Mutex<Vec<TtlOp>>,
    /// TTL keys ever created (or maybe created).
    pub ttl_keys: Mutex<Vec<String>>,
    /// Requests that reached a server (answered or not).
    pub ops: AtomicU64,
}

/// The workload's threads.
pub struct Workload {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// Shared by every client thread.
#[derive(Clone)]
struct Ctx {
    addrs: Arc<Vec<SocketAddr>>,
    rec: Arc<Record>,
    stop: Arc<AtomicBool>,
    start: Instant,
}

impl Ctx {
    fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// One request to a member; `None` (after a short back-off) when it never reached one.
    fn call(&self, rng: &mut fastrand::Rng, method: &str, path: &str, body: &str) -> Option<Call> {
        let addr = self.addrs[rng.usize(..self.addrs.len())];
        let call = self.now();
        let answer = request(addr, method, path, body, TIMEOUT, None);
        let ret = self.now();
        if matches!(answer, Answer::Refused) {
            // The member is down: pace this client (a schedule, not a synchronisation).
            std::thread::park_timeout(Duration::from_millis(50));
            return None;
        }
        self.rec.ops.fetch_add(1, Ordering::Relaxed);
        Some(Call { answer, call, ret })
    }

    fn ack(&self, r: &Reply) {
        let node = &r.json["node"];
        if let (Some(index), Some(key), Some(action)) =
            (node["modifiedIndex"].as_u64(), node["key"].as_str(), r.json["action"].as_str())
        {
            let a = Acked { index, key: key.to_owned(), action: action.to_owned() };
            self.rec.acked.lock().unwrap_or_else(|p| p.into_inner()).push(a);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Pauses for a random 0..`ms` milliseconds (the clients' pacing).
    fn pace(&self, rng: &mut fastrand::Rng, ms: u64) {
        std::thread::park_timeout(Duration::from_millis(rng.u64(0..=ms)));
    }
}

struct Call {
    answer: Answer,
    call: u64,
    ret: u64,
}

impl Workload {
    /// Starts the clients against `addrs` (each request goes to a random member).
    pub fn start(addrs: Vec<SocketAddr>, seed: u64, start: Instant) -> (Workload, Arc<Record>) {
        let rec = Arc::new(Record::default());
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Ctx { addrs: Arc::new(addrs), rec: rec.clone(), stop: stop.clone(), start };
        let mut threads = Vec::new();
        let mut spawn = |id: u64, f: fn(Ctx, u64, fastrand::Rng)| {
            let (ctx, rng) =
                (ctx.clone(), fastrand::Rng::with_seed(seed ^ ((id + 1) * 0x9e37_79b9)));
            threads.push(std::thread::spawn(move || f(ctx, id, rng)));
        };
        for id in 0..4 {
            spawn(id, register_client);
        }
        spawn(10, unique_writer);
        spawn(11, in_order_creator);
        spawn(12, ttl_keeper);
        spawn(13, ttl_keeper);
        (Workload { stop, threads }, rec)
    }

    /// Stops the clients and waits for their last requests to end.
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// Get / set / CAS (prevValue or prevIndex) / CAD on the current epoch's registers.
fn register_client(ctx: Ctx, id: u64, mut rng: fastrand::Rng) {
    // What this client last learned of each key: (value, modifiedIndex).
    let mut known: std::collections::HashMap<String, (String, u64)> = Default::default();
    let mut seq = 0u64;
    while !ctx.stopped() {
        let epoch = ctx.start.elapsed().as_nanos() / EPOCH.as_nanos();
        let key = format!("{PREFIX}/r/{epoch}/{}", rng.u64(0..REGISTERS));
        seq += 1;
        let new = format!("c{id}-{seq}");
        let last = known.get(&key).cloned();
        let mut roll = rng.u32(0..100);
        if last.is_none() && roll >= 55 {
            // Nothing known to compare with: a read or a write instead.
            roll = rng.u32(0..55);
        }
        let k = format!("/v2/keys{key}");
        let (op, method, path, body) = match (roll, last) {
            (0..=29, _) => (Op::Get, "GET", format!("{k}?quorum=true"), String::new()),
            (_, None) | (30..=54, _) => (Op::Set(new.clone()), "PUT", k, format!("value={new}")),
            (55..=74, Some((v, _))) => {
                let body = format!("value={new}&prevValue={v}");
                (Op::Cas { expect: v, new: new.clone() }, "PUT", k, body)
            }
            // prevIndex: values are unique, so "modifiedIndex is i" is "the value is the one
            // written at i", the value learned together with i.
            (75..=89, Some((v, i))) => {
                let body = format!("value={new}&prevIndex={i}");
                (Op::Cas { expect: v, new: new.clone() }, "PUT", k, body)
            }
            (90..=94, Some((v, _))) => {
                let path = format!("{k}?prevValue={v}");
                (Op::Cad { expect: v }, "DELETE", path, String::new())
            }
            (_, Some((v, i))) => {
                (Op::Cad { expect: v }, "DELETE", format!("{k}?prevIndex={i}"), String::new())
            }
        };
        let Some(c) = ctx.call(&mut rng, method, &path, &body) else { continue };
        let outcome = match (&op, &c.answer) {
            (Op::Get, Answer::Got(r)) if r.status == 200 => {
                let v = r.json["node"]["value"].as_str().map(str::to_owned);
                if let (Some(v), Some(i)) = (&v, r.json["node"]["modifiedIndex"].as_u64()) {
                    known.insert(key.clone(), (v.clone(), i));
                }
                Outcome::Read(v)
            }
            (Op::Get, Answer::Got(r)) if r.status == 404 && r.error_code() == Some(100) => {
                known.remove(&key);
                Outcome::Read(None)
            }
            // A read with no answer has no effect: leave it out.
            (Op::Get, _) => continue,
            (_, Answer::Got(r)) if matches!(r.status, 200 | 201) => {
                ctx.ack(r);
                match (&op, r.json["node"]["modifiedIndex"].as_u64()) {
                    (Op::Cad { .. }, _) | (_, None) => known.remove(&key),
                    (_, Some(i)) => known.insert(key.clone(), (new.clone(), i)),
                };
                Outcome::Written
            }
            (Op::Cas { .. } | Op::Cad { .. }, Answer::Got(r))
                if matches!((r.status, r.error_code()), (412, Some(101)) | (404, Some(100))) =>
            {
                Outcome::CasFailed
            }
            _ => Outcome::Unknown,
        };
        let o = Operation { key, op, outcome, call: c.call, ret: c.ret };
        ctx.rec.registers.lock().unwrap_or_else(|p| p.into_inner()).push(o);
        ctx.pace(&mut rng, 20);
    }
}

/// Writes keys that are never written again; every acknowledged one must survive.
fn unique_writer(ctx: Ctx, _id: u64, mut rng: fastrand::Rng) {
    let mut seq = 0u64;
    while !ctx.stopped() {
        seq += 1;
        let (key, value) = (format!("{PREFIX}/u/{seq}"), format!("u{seq}"));
        let Some(c) =
            ctx.call(&mut rng, "PUT", &format!("/v2/keys{key}"), &format!("value={value}"))
        else {
            continue;
        };
        if let Answer::Got(r) = &c.answer {
            if r.status == 201 {
                ctx.ack(r);
                ctx.rec.unique.lock().unwrap_or_else(|p| p.into_inner()).push((key, value));
            }
        }
        ctx.pace(&mut rng, 30);
    }
}

/// `POST`s to an in-order directory.
fn in_order_creator(ctx: Ctx, _id: u64, mut rng: fastrand::Rng) {
    let mut seq = 0u64;
    while !ctx.stopped() {
        seq += 1;
        let value = format!("q{seq}");
        let path = format!("/v2/keys{PREFIX}/q");
        let Some(c) = ctx.call(&mut rng, "POST", &path, &format!("value={value}")) else {
            continue;
        };
        match &c.answer {
            Answer::Got(r) if r.status == 201 => {
                ctx.ack(r);
                let node = &r.json["node"];
                let created = Created {
                    key: node["key"].as_str().unwrap_or_default().to_owned(),
                    value,
                    index: node["createdIndex"].as_u64().unwrap_or(0),
                    call: c.call,
                    ret: c.ret,
                };
                ctx.rec.created.lock().unwrap_or_else(|p| p.into_inner()).push(created);
            }
            Answer::Got(r) if r.status < 500 => {}
            _ => ctx.rec.created_unknown.lock().unwrap_or_else(|p| p.into_inner()).push(value),
        }
        ctx.pace(&mut rng, 30);
    }
}

/// Creates a key with a TTL, keeps it alive with refreshes (reading it in between) for a few
/// seconds, then leaves it to expire and starts the next one.
fn ttl_keeper(ctx: Ctx, id: u64, mut rng: fastrand::Rng) {
    let mut generation = 0u64;
    while !ctx.stopped() {
        generation += 1;
        let key = format!("{PREFIX}/t/{id}-{generation}");
        ctx.rec.ttl_keys.lock().unwrap_or_else(|p| p.into_inner()).push(key.clone());
        let record = |seen: TtlSeen, c: &Call| {
            let op = TtlOp { key: key.clone(), seen, call: c.call, ret: c.ret };
            ctx.rec.ttl.lock().unwrap_or_else(|p| p.into_inner()).push(op);
        };
        let path = format!("/v2/keys{key}");
        let Some(c) = ctx.call(&mut rng, "PUT", &path, &format!("value=t&ttl={TTL}")) else {
            continue;
        };
        match &c.answer {
            Answer::Got(r) if r.status == 201 => {
                ctx.ack(r);
                record(TtlSeen::Extended, &c);
            }
            _ => continue,
        }
        let refreshes = rng.u32(2..8);
        for _ in 0..refreshes {
            // The refresh schedule.
            std::thread::park_timeout(REFRESH_EVERY);
            if ctx.stopped() {
                return;
            }
            let (method, body, path) = if rng.u32(0..3) == 0 {
                ("GET", String::new(), format!("{path}?quorum=true"))
            } else {
                ("PUT", format!("ttl={TTL}&refresh=true&prevExist=true"), path.clone())
            };
            let Some(c) = ctx.call(&mut rng, method, &path, &body) else { continue };
            let Answer::Got(r) = &c.answer else { continue };
            match (r.status, r.error_code()) {
                (200, _) if method == "GET" => record(TtlSeen::Present, &c),
                (200, _) => record(TtlSeen::Extended, &c),
                (404, Some(100)) => {
                    record(TtlSeen::Missing, &c);
                    break;
                }
                _ => {}
            }
        }
    }
}
