//! Data-driven store tests: scripts under `fixtures/store/*.txt`.
//!
//! Each block is a command line, a `----` line and the expected output, ended by a blank
//! line. `UPDATE_GOLDEN=1` rewrites the expected outputs (review the diff before committing).
//!
//! Commands: `set PATH [value=V] [dir] [ttl=N] [refresh] [prevExist=B] [prevValue=V] [prevIndex=N]`,
//! `post PATH [value=V] [dir] [ttl=N]`, `get PATH [recursive]`,
//! `delete PATH [dir] [recursive] [prevValue=V] [prevIndex=N]`, `advance SECS`, `expire`,
//! `watch NAME PATH [recursive] [stream] [waitIndex=N]`, `recv NAME`, `unwatch NAME`,
//! `index`, `stats`, `restore` (snapshot, then restore into a fresh store).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::error::TryRecvError;

use crate::*;

const T0: u64 = 1_700_000_000;

struct Script {
    store: Store,
    now: SystemTime,
    watchers: HashMap<String, Watcher>,
}

fn fmt_time(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let rel = d.as_secs_f64() - T0 as f64;
    format!("T0{rel:+}")
}

fn fmt_node(n: &NodeView, out: &mut String) {
    out.push('{');
    let mut parts = Vec::new();
    if !n.key.is_empty() {
        parts.push(format!("key={}", n.key));
    }
    if let Some(v) = &n.value {
        parts.push(format!("value={v:?}"));
    }
    if n.dir {
        parts.push("dir".into());
    }
    if let Some(t) = n.expiration {
        parts.push(format!("exp={}", fmt_time(t)));
    }
    if n.ttl != 0 {
        parts.push(format!("ttl={}", n.ttl));
    }
    if n.modified_index != 0 || n.created_index != 0 {
        parts.push(format!("mod={} created={}", n.modified_index, n.created_index));
    }
    out.push_str(&parts.join(" "));
    if let Some(nodes) = &n.nodes {
        out.push_str(" nodes=[");
        for (i, c) in nodes.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            fmt_node(c, out);
        }
        out.push(']');
    }
    out.push('}');
}

fn fmt_event(e: &Event) -> String {
    let mut s = format!("{:?} @{} node=", e.action, e.index);
    fmt_node(&e.node, &mut s);
    if let Some(p) = &e.prev_node {
        s.push_str(" prev=");
        fmt_node(p, &mut s);
    }
    s
}

fn fmt_err(e: &Error) -> String {
    format!("error {} {:?} cause={:?} index={}", e.code.code(), e.code.message(), e.cause, e.index)
}

fn fmt_result<T: std::ops::Deref<Target = Event>>(r: Result<T>) -> String {
    match r {
        Ok(e) => fmt_event(&e),
        Err(e) => fmt_err(&e),
    }
}

impl Script {
    fn new() -> Self {
        Script {
            store: Store::new(history_size()),
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(T0),
            watchers: HashMap::new(),
        }
    }

    fn run(&mut self, line: &str) -> String {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let mut path = "";
        let mut flags: Vec<&str> = Vec::new();
        let mut kv: HashMap<&str, &str> = HashMap::new();
        let mut name = "";
        for (i, w) in words.enumerate() {
            if (cmd == "watch" || cmd == "recv" || cmd == "unwatch") && i == 0 {
                name = w;
            } else if path.is_empty() && (w.starts_with('/') || w.is_empty()) {
                path = w;
            } else if let Some((k, v)) = w.split_once('=') {
                kv.insert(k, v);
            } else {
                flags.push(w);
            }
        }
        let has = |f: &str| flags.contains(&f);
        let expiration =
            kv.get("ttl").map(|t| self.now + Duration::from_secs(t.parse().expect("ttl")));
        let compare = || {
            let c = Compare {
                prev_value: kv.get("prevValue").map(|v| v.to_string()),
                prev_index: kv.get("prevIndex").map(|v| v.parse().expect("prevIndex")),
            };
            (c.prev_value.is_some() || c.prev_index.is_some()).then_some(c)
        };
        match cmd {
            "set" => {
                let precondition = match (kv.get("prevExist"), compare()) {
                    (Some(&"false"), _) => Precondition::Exists(false),
                    (Some(&"true"), None) => Precondition::Exists(true),
                    (_, Some(c)) => Precondition::Matches(c),
                    (_, None) => Precondition::None,
                };
                let opts = WriteOptions {
                    value: kv.get("value").unwrap_or(&"").to_string(),
                    dir: has("dir"),
                    expiration,
                    refresh: has("refresh"),
                    precondition,
                };
                fmt_result(self.store.write(path, opts, self.now))
            }
            "post" => {
                let v = kv.get("value").unwrap_or(&"").to_string();
                fmt_result(self.store.create_in_order(path, v, has("dir"), expiration, self.now))
            }
            "get" => {
                let opts = GetOptions { recursive: has("recursive"), sorted: true };
                match self.store.get(path, opts, self.now) {
                    Ok(e) => fmt_event(&e),
                    Err(e) => fmt_err(&e),
                }
            }
            "delete" => {
                let opts = DeleteOptions {
                    dir: has("dir"),
                    recursive: has("recursive"),
                    compare: compare(),
                };
                fmt_result(self.store.delete(path, opts, self.now))
            }
            "advance" => {
                let secs: f64 = path_or_flag(path, &flags).parse().expect("seconds");
                self.now += Duration::from_secs_f64(secs);
                format!("now {}", fmt_time(self.now))
            }
            "expire" => {
                let evs = self.store.expire(self.now);
                if evs.is_empty() {
                    "none".into()
                } else {
                    evs.iter().map(|e| fmt_event(e)).collect::<Vec<_>>().join("\n")
                }
            }
            "watch" => {
                let opts = WatchOptions {
                    recursive: has("recursive"),
                    stream: has("stream"),
                    since_index: kv.get("waitIndex").map(|v| v.parse().expect("waitIndex")),
                };
                match self.store.watch(path, opts) {
                    Ok(w) => {
                        let s = format!("watching from index {}", w.start_index);
                        self.watchers.insert(name.to_owned(), w);
                        s
                    }
                    Err(e) => fmt_err(&e),
                }
            }
            "recv" => {
                let Some(w) = self.watchers.get_mut(name) else { return "no such watcher".into() };
                let mut out = Vec::new();
                loop {
                    match w.events.try_recv() {
                        Ok(e) => out.push(fmt_event(&e)),
                        Err(TryRecvError::Empty) => {
                            out.push("(pending)".into());
                            break;
                        }
                        Err(TryRecvError::Disconnected) => {
                            out.push("(closed)".into());
                            break;
                        }
                    }
                }
                out.join("\n")
            }
            "unwatch" => match self.watchers.remove(name) {
                Some(w) => {
                    self.store.unwatch(&w);
                    "ok".into()
                }
                None => "no such watcher".into(),
            },
            "index" => format!("{}", self.store.index()),
            "stats" => {
                let s = self.store.stats();
                let mut o = String::new();
                let _ = write!(
                    o,
                    "gets {}/{} sets {}/{} creates {}/{} updates {}/{} deletes {}/{} cas {}/{} cad {}/{} expired {} watchers {}",
                    s.gets_success,
                    s.gets_fail,
                    s.sets_success,
                    s.sets_fail,
                    s.create_success,
                    s.create_fail,
                    s.update_success,
                    s.update_fail,
                    s.delete_success,
                    s.delete_fail,
                    s.compare_and_swap_success,
                    s.compare_and_swap_fail,
                    s.compare_and_delete_success,
                    s.compare_and_delete_fail,
                    s.expire_count,
                    s.watchers
                );
                o
            }
            "restore" => {
                let snap = self.store.snapshot();
                let mut fresh = Store::new(history_size());
                match fresh.restore(&snap) {
                    Ok(()) => {
                        self.store = fresh;
                        self.watchers.clear();
                        format!("restored {} bytes at index {}", snap.len(), self.store.index())
                    }
                    Err(e) => format!("restore failed: {e}"),
                }
            }
            other => panic!("unknown command {other:?}"),
        }
    }
}

fn path_or_flag<'a>(path: &'a str, flags: &[&'a str]) -> &'a str {
    if path.is_empty() {
        flags.first().copied().unwrap_or("0")
    } else {
        path
    }
}

fn history_size() -> usize {
    HISTORY.with(|h| h.get())
}

thread_local! {
    static HISTORY: std::cell::Cell<usize> = const { std::cell::Cell::new(1000) };
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/store")
}

/// Runs one script and compares (or with `UPDATE_GOLDEN=1`, rewrites) its expectations.
#[track_caller]
fn check(name: &str) {
    let file = fixtures().join(format!("{name}.txt"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut script = Script::new();
    let mut out = String::new();
    let mut failures = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            if let Some(h) = line.strip_prefix("# history ") {
                HISTORY.with(|c| c.set(h.trim().parse().expect("history size")));
                script = Script::new();
            }
            continue;
        }
        let mut want = Vec::new();
        if lines.peek() == Some(&"----") {
            lines.next();
            while let Some(l) = lines.peek() {
                if l.trim().is_empty() {
                    break;
                }
                want.push(*l);
                lines.next();
            }
        }
        let got = script.run(line);
        if got != want.join("\n") {
            failures.push(format!(
                "{line}\n  want: {}\n  got:  {}",
                want.join("\n        "),
                got.replace('\n', "\n        ")
            ));
        }
        let _ = writeln!(out, "{line}\n----\n{got}");
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&file, out).expect("write golden");
        return;
    }
    assert!(failures.is_empty(), "{name}: {} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn crud() {
    check("crud");
}

#[test]
fn directories() {
    check("directories");
}

#[test]
fn compare() {
    check("compare");
}

#[test]
fn errors() {
    check("errors");
}

#[test]
fn ttl() {
    check("ttl");
}

#[test]
fn in_order() {
    check("in_order");
}

#[test]
fn hidden() {
    check("hidden");
}

#[test]
fn watch() {
    check("watch");
}

#[test]
fn history_window() {
    check("history_window");
}

#[test]
fn snapshot() {
    check("snapshot");
}

#[test]
fn restore_rejects_garbage() {
    let mut s = Store::new(10);
    assert_eq!(s.restore(b"nope"), Err(SnapshotError::BadMagic));
    let mut good = Store::new(10);
    good.write("/a", WriteOptions::value("x"), SystemTime::UNIX_EPOCH).expect("write");
    let snap = good.snapshot();
    assert!(matches!(s.restore(&snap[..snap.len() - 1]), Err(SnapshotError::Truncated { .. })));
    assert_eq!(s.index(), 0);
}

#[test]
fn full_watcher_is_dropped() {
    let mut s = Store::new(1000);
    let now = SystemTime::UNIX_EPOCH;
    let mut w = s.watch("/k", WatchOptions { stream: true, ..Default::default() }).expect("watch");
    for i in 0..=crate::watch::WATCHER_BUFFER {
        s.write("/k", WriteOptions::value(i.to_string()), now).expect("write");
    }
    assert_eq!(s.stats().watchers, 0);
    let mut got = 0;
    while w.events.try_recv().is_ok() {
        got += 1;
    }
    assert_eq!(got, crate::watch::WATCHER_BUFFER);
    assert!(matches!(w.events.try_recv(), Err(TryRecvError::Disconnected)));
}
