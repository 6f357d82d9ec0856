//! Cross-process end-to-end tests: they start the real binaries (`hecd-kv`, `hecd-register`,
//! `hecd-confd`) and Debian's etcd on loopback, each with its data in a temp dir.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod auth;
mod cluster;
mod confd;
mod connections;
mod disk;
mod docker;
mod durability;
mod hostile;
mod pipeline;
mod register;
mod runtime;
