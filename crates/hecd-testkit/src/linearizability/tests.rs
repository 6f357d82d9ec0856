//! Known linearizable and non-linearizable histories.

use super::*;

fn o(key: &str, op: Op, outcome: Outcome, call: u64, ret: u64) -> Operation {
    Operation { key: key.into(), op, outcome, call, ret }
}
fn set(v: &str) -> Op {
    Op::Set(v.into())
}
fn read(v: Option<&str>) -> Outcome {
    Outcome::Read(v.map(str::to_owned))
}
fn cas(e: &str, n: &str) -> Op {
    Op::Cas { expect: e.into(), new: n.into() }
}

#[track_caller]
fn check_history(history: &[Operation], linearizable: bool) {
    assert_eq!(check(history).is_ok(), linearizable, "{history:#?}");
}

#[test]
fn sequential_and_concurrent_histories() {
    // A read overlapping a write may see either value.
    check_history(
        &[
            o("a", set("1"), Outcome::Written, 0, 10),
            o("a", set("2"), Outcome::Written, 20, 40),
            o("a", Op::Get, read(Some("1")), 25, 30),
            o("a", Op::Get, read(Some("2")), 35, 50),
        ],
        true,
    );
    // A read that starts after a write returned must not see the older value (a stale read).
    check_history(
        &[
            o("a", set("1"), Outcome::Written, 0, 10),
            o("a", set("2"), Outcome::Written, 20, 30),
            o("a", Op::Get, read(Some("1")), 40, 50),
        ],
        false,
    );
    // Reads that go back in time across clients.
    check_history(
        &[
            o("a", set("1"), Outcome::Written, 0, 100),
            o("a", Op::Get, read(Some("1")), 10, 20),
            o("a", Op::Get, read(None), 30, 40),
        ],
        false,
    );
    // Keys are independent.
    check_history(
        &[o("a", set("1"), Outcome::Written, 0, 10), o("b", Op::Get, read(None), 20, 30)],
        true,
    );
}

#[test]
fn compare_and_swap() {
    check_history(
        &[
            o("k", set("0"), Outcome::Written, 0, 5),
            o("k", cas("0", "1"), Outcome::Written, 10, 30),
            o("k", cas("0", "2"), Outcome::CasFailed, 10, 30),
            o("k", Op::Get, read(Some("1")), 40, 50),
        ],
        true,
    );
    // Two compare-and-swaps from the same value cannot both win.
    check_history(
        &[
            o("k", set("0"), Outcome::Written, 0, 5),
            o("k", cas("0", "1"), Outcome::Written, 10, 30),
            o("k", cas("0", "2"), Outcome::Written, 10, 30),
        ],
        false,
    );
}

#[test]
fn unknown_outcomes_may_or_may_not_happen() {
    let base = [o("k", set("0"), Outcome::Written, 0, 5)];
    let mut seen = base.to_vec();
    seen.push(o("k", set("1"), Outcome::Unknown, 10, 0));
    seen.push(o("k", Op::Get, read(Some("1")), 100, 110));
    check_history(&seen, true);
    let mut unseen = base.to_vec();
    unseen.push(o("k", set("1"), Outcome::Unknown, 10, 0));
    unseen.push(o("k", Op::Get, read(Some("0")), 100, 110));
    check_history(&unseen, true);
    // But not before it was called.
    let mut early = base.to_vec();
    early.push(o("k", Op::Get, read(Some("1")), 6, 8));
    early.push(o("k", set("1"), Outcome::Unknown, 10, 0));
    check_history(&early, false);
}

#[test]
fn long_histories_stay_fast() {
    // 300 overlapping operations on one key: memoisation keeps this quick.
    let mut h = Vec::new();
    for i in 0..100u64 {
        let t = i * 10;
        h.push(o("k", set(&i.to_string()), Outcome::Written, t, t + 15));
        h.push(o("k", Op::Get, read(Some(&i.to_string())), t + 12, t + 14));
        h.push(o("k", cas(&i.to_string(), &format!("x{i}")), Outcome::CasFailed, t + 1, t + 9));
    }
    check_history(&h, true);
}

#[test]
fn compare_and_delete() {
    let cad = |e: &str| Op::Cad { expect: e.into() };
    // A delete of the current value empties the key; a later read sees it gone.
    check_history(
        &[
            o("k", set("1"), Outcome::Written, 0, 5),
            o("k", cad("1"), Outcome::Written, 10, 15),
            o("k", Op::Get, read(None), 20, 25),
        ],
        true,
    );
    // A delete of a value the key does not hold fails, and must not succeed.
    check_history(
        &[o("k", set("1"), Outcome::Written, 0, 5), o("k", cad("2"), Outcome::CasFailed, 10, 15)],
        true,
    );
    check_history(
        &[o("k", set("1"), Outcome::Written, 0, 5), o("k", cad("2"), Outcome::Written, 10, 15)],
        false,
    );
    // A failed delete of the current value is a violation; on a missing key it is legal.
    check_history(
        &[o("k", set("1"), Outcome::Written, 0, 5), o("k", cad("1"), Outcome::CasFailed, 10, 15)],
        false,
    );
    check_history(&[o("k", cad("1"), Outcome::CasFailed, 0, 5)], true);
    // A deleted value does not come back.
    check_history(
        &[
            o("k", set("1"), Outcome::Written, 0, 5),
            o("k", cad("1"), Outcome::Written, 10, 15),
            o("k", Op::Get, read(Some("1")), 20, 25),
        ],
        false,
    );
    // An unknown delete may or may not have happened.
    check_history(
        &[
            o("k", set("1"), Outcome::Written, 0, 5),
            o("k", cad("1"), Outcome::Unknown, 10, 0),
            o("k", Op::Get, read(Some("1")), 20, 25),
            o("k", Op::Get, read(None), 30, 35),
        ],
        true,
    );
}
