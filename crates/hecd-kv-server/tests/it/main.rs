//! Black-box tests of the kv server over loopback HTTP (raw `TcpStream` requests).

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod support;

mod auth;
mod cluster;
mod cluster_members;
mod disk;
mod keys;
mod misc;
mod requests;
mod watch;
