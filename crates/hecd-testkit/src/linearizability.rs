//! A linearizability checker for histories of get / set / compare-and-swap /
//! compare-and-delete on single keys.
//!
//! Wing & Gong's search with Lowe's memoisation: operations on different keys commute, so each
//! key is checked alone (P-compositionality); for one key, a depth-first search picks the next
//! operation to linearize among those called before every unlinearized operation returned,
//! applies it to a register model, and remembers every (set of linearized operations, register
//! value) pair already explored so no configuration is searched twice.
//!
//! An operation whose outcome is unknown (the client timed out or lost the connection) may take
//! effect at any point after its call, or never.

use std::collections::{BTreeMap, HashSet};

/// What a client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Read the key.
    Get,
    /// Write a value.
    Set(String),
    /// Write `new` if the current value is `expect`.
    Cas {
        /// The value the key must hold.
        expect: String,
        /// The value to write.
        new: String,
    },
    /// Delete the key if its current value is `expect` (etcd's compare-and-delete).
    Cad {
        /// The value the key must hold.
        expect: String,
    },
}

/// What the client saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A read returned this value (`None`: the key did not exist).
    Read(Option<String>),
    /// A write or a successful compare-and-swap was acknowledged.
    Written,
    /// A compare-and-swap (or compare-and-delete) failed because the value differed (or the
    /// key was missing).
    CasFailed,
    /// No answer: the operation may or may not have taken effect.
    Unknown,
}

/// One completed (or abandoned) operation of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The key it acted on.
    pub key: String,
    /// The request.
    pub op: Op,
    /// The answer.
    pub outcome: Outcome,
    /// When it was called (any monotonic unit, e.g. nanoseconds since the test started).
    pub call: u64,
    /// When the answer arrived (ignored for [`Outcome::Unknown`]).
    pub ret: u64,
}

/// Why a history is not linearizable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The key whose operations admit no legal order.
    pub key: String,
    /// How many operations that key had.
    pub operations: usize,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the {} operations on {} are not linearizable", self.operations, self.key)
    }
}

/// Checks that `history` is linearizable; every key starts absent.
///
/// # Errors
/// The first key (in key order) whose operations admit no legal order.
pub fn check(history: &[Operation]) -> Result<(), Violation> {
    let mut by_key: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in history {
        by_key.entry(op.key.as_str()).or_default().push(op);
    }
    for (key, ops) in by_key {
        if !check_key(&ops) {
            return Err(Violation { key: key.to_owned(), operations: ops.len() });
        }
    }
    Ok(())
}

/// The register model: applies `op` with `outcome` to `state`, or `None` if that is illegal.
fn step(state: &Option<String>, op: &Op, outcome: &Outcome) -> Option<Option<String>> {
    match (op, outcome) {
        (Op::Get, Outcome::Read(v)) => (v == state).then(|| state.clone()),
        (Op::Get, Outcome::Unknown) => Some(state.clone()),
        (Op::Set(v), Outcome::Written | Outcome::Unknown) => Some(Some(v.clone())),
        (Op::Cas { expect, new }, Outcome::Written | Outcome::Unknown) => {
            (state.as_deref() == Some(expect.as_str())).then(|| Some(new.clone()))
        }
        (Op::Cad { expect }, Outcome::Written | Outcome::Unknown) => {
            (state.as_deref() == Some(expect.as_str())).then_some(None)
        }
        (Op::Cas { expect, .. } | Op::Cad { expect }, Outcome::CasFailed) => {
            (state.as_deref() != Some(expect.as_str())).then(|| state.clone())
        }
        _ => None,
    }
}

fn check_key(ops: &[&Operation]) -> bool {
    let n = ops.len();
    let ret = |i: usize| if ops[i].outcome == Outcome::Unknown { u64::MAX } else { ops[i].ret };
    let words = n.div_ceil(64);
    let mut seen: HashSet<(Vec<u64>, Option<String>)> = HashSet::new();
    // Depth-first search with an explicit stack of (linearized set, register value).
    let mut stack = vec![(vec![0u64; words], None::<String>)];
    while let Some((done, state)) = stack.pop() {
        let is_done = |i: usize| done[i / 64] & (1 << (i % 64)) != 0;
        // Finished when every operation with a known outcome is linearized.
        if (0..n).all(|i| is_done(i) || ops[i].outcome == Outcome::Unknown) {
            return true;
        }
        // An operation may go next only if it was called before every pending one returned.
        let horizon = (0..n).filter(|&i| !is_done(i)).map(ret).min().unwrap_or(u64::MAX);
        for i in (0..n).filter(|&i| !is_done(i) && ops[i].call <= horizon) {
            if let Some(next) = step(&state, &ops[i].op, &ops[i].outcome) {
                let mut d = done.clone();
                d[i / 64] |= 1 << (i % 64);
                if seen.insert((d.clone(), next.clone())) {
                    stack.push((d, next));
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
