//! The campaign's end-of-run checks, each a pure function of what the clients and watchers
//! recorded (plus the final reads), returning one line per anomaly.

use std::collections::{BTreeMap, HashMap, HashSet};

use hecd_testkit::linearizability::{self, Operation};

use super::watch::Seen;
use super::workload::{Acked, Created, TtlOp, TtlSeen, TTL};

/// How much earlier than `call + TTL` a key may be reported missing: the clients time with a
/// monotonic clock, the servers with the wall clock of the same host; this covers the two
/// drifting apart during one run.
pub const CLOCK_SLACK_NS: u64 = 50_000_000;

/// The register histories (including the final reads) are linearizable.
pub fn registers(history: &[Operation]) -> Vec<String> {
    // Check key by key so that every bad key is reported.
    let mut by_key: BTreeMap<&str, Vec<Operation>> = BTreeMap::new();
    for op in history {
        by_key.entry(op.key.as_str()).or_default().push(op.clone());
    }
    let mut out = Vec::new();
    for ops in by_key.values() {
        if let Err(v) = linearizability::check(ops) {
            let mut text = format!("not linearizable: {v}:");
            let mut sorted = ops.clone();
            sorted.sort_by_key(|o| o.call);
            for o in &sorted {
                let ret =
                    if o.ret == 0 { "?".into() } else { format!("{:.3}", o.ret as f64 / 1e9) };
                text.push_str(&format!(
                    "\n      [{:.3} .. {ret}] {:?} -> {:?}",
                    o.call as f64 / 1e9,
                    o.op,
                    o.outcome
                ));
            }
            out.push(text);
        }
    }
    out
}

/// Every acknowledged unique write is present with its value (`present`: key → value).
pub fn unique(acked: &[(String, String)], present: &HashMap<String, String>) -> Vec<String> {
    acked
        .iter()
        .filter(|(k, v)| present.get(k) != Some(v))
        .map(|(k, v)| {
            format!("lost write: {k}={v} was acknowledged, the end state has {:?}", present.get(k))
        })
        .collect()
}

/// In-order creates: each acknowledged one is present with its value under a key named after
/// its `createdIndex`; no value was created twice; a create that returned before another was
/// called got the smaller index. `present` is (key, value) of the directory at the end.
pub fn in_order(created: &[Created], present: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    let by_key: HashMap<&str, &str> =
        present.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut values = HashSet::new();
    for (k, v) in present {
        if !values.insert(v.as_str()) {
            out.push(format!("in-order value {v} exists twice (again at {k})"));
        }
    }
    for c in created {
        if by_key.get(c.key.as_str()) != Some(&c.value.as_str()) {
            out.push(format!(
                "lost create: {}={} (index {}) was acknowledged",
                c.key, c.value, c.index
            ));
        }
        let name = c.key.rsplit('/').next().unwrap_or_default();
        if name != format!("{:020}", c.index) {
            out.push(format!("in-order key {} does not name its createdIndex {}", c.key, c.index));
        }
    }
    // Real-time order: sweep the creates by call time, keeping the largest index among those
    // that returned before the current one was called.
    let mut by_ret: Vec<&Created> = created.iter().collect();
    by_ret.sort_by_key(|c| c.ret);
    let mut by_call: Vec<&Created> = created.iter().collect();
    by_call.sort_by_key(|c| c.call);
    let (mut j, mut max): (usize, Option<&Created>) = (0, None);
    for b in by_call {
        while j < by_ret.len() && by_ret[j].ret < b.call {
            if max.is_none_or(|m| by_ret[j].index > m.index) {
                max = Some(by_ret[j]);
            }
            j += 1;
        }
        if let Some(a) = max.filter(|a| a.index >= b.index) {
            out.push(format!(
                "in-order creates out of real-time order: {} (index {}) returned before {} (index {}) was called",
                a.value, a.index, b.value, b.index
            ));
        }
    }
    out
}

/// No TTL key was reported missing before it could have expired: if a create or refresh
/// with TTL `T` was acknowledged before an operation that found the key missing was called,
/// that operation must have returned at or after the acknowledged one's call + `T` (the
/// expiration is set from the receiving member's clock when it receives the request, which is
/// no earlier than the client's call, and keys are removed only once the leader's clock has
/// passed it). [`CLOCK_SLACK_NS`] is allowed.
pub fn ttl_not_early(ops: &[TtlOp]) -> Vec<String> {
    let mut by_key: BTreeMap<&str, Vec<&TtlOp>> = BTreeMap::new();
    for o in ops {
        by_key.entry(o.key.as_str()).or_default().push(o);
    }
    let ttl = TTL * 1_000_000_000;
    let mut out = Vec::new();
    for (key, ops) in by_key {
        for m in ops.iter().filter(|o| o.seen == TtlSeen::Missing) {
            let last = ops
                .iter()
                .filter(|e| e.seen == TtlSeen::Extended && e.ret < m.call)
                .max_by_key(|e| e.call);
            if let Some(e) = last {
                if m.ret + CLOCK_SLACK_NS < e.call + ttl {
                    out.push(format!(
                        "TTL key {key} expired early: ttl={TTL}s set or refreshed at {:.3}s (acknowledged {:.3}s), reported missing in [{:.3}s, {:.3}s]",
                        e.call as f64 / 1e9,
                        e.ret as f64 / 1e9,
                        m.call as f64 / 1e9,
                        m.ret as f64 / 1e9
                    ));
                }
            }
        }
    }
    out
}

/// Watchers: within a segment, events come in strictly increasing index order and none is
/// below the `waitIndex` asked for; every watcher and every acknowledged write agree on what
/// happened at each index; and no segment skips an index known (from another watcher or an
/// acknowledged write) to carry an event under the prefix, between its start and its last
/// event.
pub fn watchers(seen: &[(usize, &Seen)], acked: &[Acked]) -> Vec<String> {
    let mut out = Vec::new();
    // index → (key, action, who said so)
    let mut truth: BTreeMap<u64, (String, String, String)> = BTreeMap::new();
    let mut agree =
        |index: u64, key: &str, action: &str, who: String, out: &mut Vec<String>| match truth
            .get(&index)
        {
            Some((k, a, w)) if k != key || a != action => {
                out.push(format!("index {index}: {w} has {a} {k}, {who} has {action} {key}"))
            }
            Some(_) => {}
            None => {
                truth.insert(index, (key.to_owned(), action.to_owned(), who));
            }
        };
    for (m, s) in seen {
        for seg in &s.segments {
            for e in &seg.events {
                agree(e.index, &e.key, &e.action, format!("the watcher on m{m}"), &mut out);
            }
        }
    }
    for a in acked {
        agree(a.index, &a.key, &a.action, "an acknowledged write".into(), &mut out);
    }
    for (m, s) in seen {
        for seg in &s.segments {
            for (wait, e) in &seg.early {
                out.push(format!(
                    "watcher on m{m}: asked for events from {wait}, got index {} ({} {})",
                    e.index, e.action, e.key
                ));
            }
            let mut prev = None;
            for e in &seg.events {
                if prev.is_some_and(|p| e.index <= p) {
                    out.push(format!(
                        "watcher on m{m}: index {} after {} (out of order or duplicate)",
                        e.index,
                        prev.unwrap_or_default()
                    ));
                }
                prev = Some(e.index);
            }
            let Some(end) = seg.events.iter().map(|e| e.index).max() else { continue };
            let got: HashSet<u64> = seg.events.iter().map(|e| e.index).collect();
            let missing: Vec<u64> =
                truth.range(seg.from..=end).map(|(i, _)| *i).filter(|i| !got.contains(i)).collect();
            if !missing.is_empty() {
                let (i, (k, a, w)) = truth.get_key_value(&missing[0]).expect("from truth");
                out.push(format!(
                    "watcher on m{m} skipped {} event(s) between {} and {end}, first index {i} ({a} {k}, seen by {w})",
                    missing.len(),
                    seg.from
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::watch::{Event, Segment};
    use super::*;

    fn ev(index: u64, key: &str) -> Event {
        Event { index, key: key.into(), action: "set".into() }
    }

    #[test]
    fn watcher_gaps_disorder_and_disagreement_are_found() {
        let full = Seen {
            segments: vec![Segment {
                from: 5,
                events: vec![ev(5, "/a"), ev(7, "/b"), ev(9, "/c")],
                early: vec![],
            }],
            resyncs: 0,
        };
        let gap = Seen {
            segments: vec![Segment {
                from: 5,
                events: vec![ev(5, "/a"), ev(9, "/c")],
                early: vec![],
            }],
            resyncs: 0,
        };
        assert_eq!(watchers(&[(0, &full)], &[]), Vec::<String>::new());
        let found = watchers(&[(0, &full), (1, &gap)], &[]);
        assert!(found.len() == 1 && found[0].contains("skipped 1 event"), "{found:?}");
        // A resynced watcher is only held to its new segment.
        let resynced = Seen {
            segments: vec![
                Segment { from: 5, events: vec![ev(5, "/a")], early: vec![] },
                Segment { from: 8, events: vec![ev(9, "/c")], early: vec![] },
            ],
            resyncs: 1,
        };
        assert_eq!(watchers(&[(0, &full), (1, &resynced)], &[]), Vec::<String>::new());
        // An acknowledged write nobody saw is a gap too; a disagreement is reported.
        let acked = [Acked { index: 8, key: "/x".into(), action: "set".into() }];
        assert_eq!(watchers(&[(0, &full)], &acked).len(), 1);
        let other = Seen {
            segments: vec![Segment { from: 5, events: vec![ev(5, "/z")], early: vec![] }],
            resyncs: 0,
        };
        assert_eq!(watchers(&[(0, &full), (1, &other)], &[]).len(), 1);
        let disorder = Seen {
            segments: vec![Segment {
                from: 5,
                events: vec![ev(7, "/b"), ev(5, "/a")],
                early: vec![],
            }],
            resyncs: 0,
        };
        assert!(!watchers(&[(0, &disorder)], &[]).is_empty());
    }

    #[test]
    fn ttl_keys_missing_before_their_ttl_are_found() {
        let s = 1_000_000_000;
        let op = |seen, call, ret| TtlOp { key: "/t".into(), seen, call, ret };
        // Refreshed at 10 s: missing at 12 s is early, at 13.5 s it is not.
        let early =
            [op(TtlSeen::Extended, 10 * s, 10 * s + 5), op(TtlSeen::Missing, 12 * s, 12 * s + 5)];
        assert_eq!(ttl_not_early(&early).len(), 1);
        let fine = [
            op(TtlSeen::Extended, 10 * s, 10 * s + 5),
            op(TtlSeen::Missing, 13 * s, 13 * s + 500_000_000),
        ];
        assert!(ttl_not_early(&fine).is_empty());
        // A refresh still pending when the miss was called does not count.
        let overlapping =
            [op(TtlSeen::Extended, 10 * s, 13 * s), op(TtlSeen::Missing, 12 * s, 12 * s + 5)];
        assert!(ttl_not_early(&overlapping).is_empty());
    }

    #[test]
    fn in_order_creates_are_checked() {
        let c = |v: &str, index, call, ret| Created {
            key: format!("/q/{index:020}"),
            value: v.into(),
            index,
            call,
            ret,
        };
        let created = [c("a", 10, 0, 5), c("b", 12, 6, 9)];
        let present = vec![
            (format!("/q/{:020}", 10), "a".to_owned()),
            (format!("/q/{:020}", 12), "b".to_owned()),
        ];
        assert!(in_order(&created, &present).is_empty());
        assert_eq!(in_order(&created, &present[..1]).len(), 1, "a lost create");
        let reversed = [c("a", 12, 0, 5), c("b", 10, 6, 9)];
        let present = vec![
            (format!("/q/{:020}", 12), "a".to_owned()),
            (format!("/q/{:020}", 10), "b".to_owned()),
        ];
        assert_eq!(in_order(&reversed, &present).len(), 1, "real-time order");
    }
}
