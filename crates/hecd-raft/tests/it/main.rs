//! Black-box tests of `hecd-raft`: a single node in memory and on disk, restarts, torn tails, snapshots,
//! and a three-node cluster over an in-memory transport.

mod cluster;
mod durability;
mod faults;
mod logging;
mod single;
mod support;
