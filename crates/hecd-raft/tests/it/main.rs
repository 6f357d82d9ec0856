//! Black-box tests of `hecd-raft`: a single node in memory and on disk, restarts, torn tails, snapshots,
//! and a three-node cluster over an in-memory transport.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod cluster;
mod durability;
mod faults;
mod gated;
mod inline;
mod logging;
mod peers;
mod single;
mod support;
