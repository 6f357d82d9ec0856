//! The etcd v2 key space: tree, TTLs, event history and watches, with no I/O and no clock.
