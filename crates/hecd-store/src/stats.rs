//! Operation counters, as etcd reports them on `/v2/stats/store`.

use std::sync::atomic::{AtomicU64, Ordering};

/// A copy of the store's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct StoreStats {
    pub gets_success: u64,
    pub gets_fail: u64,
    pub sets_success: u64,
    pub sets_fail: u64,
    pub delete_success: u64,
    pub delete_fail: u64,
    pub update_success: u64,
    pub update_fail: u64,
    pub create_success: u64,
    pub create_fail: u64,
    pub compare_and_swap_success: u64,
    pub compare_and_swap_fail: u64,
    pub compare_and_delete_success: u64,
    pub compare_and_delete_fail: u64,
    pub expire_count: u64,
    /// Watchers currently registered.
    pub watchers: u64,
}

/// Which counter to bump.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Get,
    Set,
    Delete,
    Update,
    Create,
    Cas,
    Cad,
}

/// Live counters; atomics so that reads under a shared lock can count.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    ok: [AtomicU64; 7],
    fail: [AtomicU64; 7],
    pub(crate) expire: AtomicU64,
}

impl Counters {
    pub(crate) fn record(&self, op: Op, success: bool) {
        let arr = if success { &self.ok } else { &self.fail };
        arr[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, watchers: u64) -> StoreStats {
        let ok = |op: Op| self.ok[op as usize].load(Ordering::Relaxed);
        let fail = |op: Op| self.fail[op as usize].load(Ordering::Relaxed);
        StoreStats {
            gets_success: ok(Op::Get),
            gets_fail: fail(Op::Get),
            sets_success: ok(Op::Set),
            sets_fail: fail(Op::Set),
            delete_success: ok(Op::Delete),
            delete_fail: fail(Op::Delete),
            update_success: ok(Op::Update),
            update_fail: fail(Op::Update),
            create_success: ok(Op::Create),
            create_fail: fail(Op::Create),
            compare_and_swap_success: ok(Op::Cas),
            compare_and_swap_fail: fail(Op::Cas),
            compare_and_delete_success: ok(Op::Cad),
            compare_and_delete_fail: fail(Op::Cad),
            expire_count: self.expire.load(Ordering::Relaxed),
            watchers,
        }
    }
}
