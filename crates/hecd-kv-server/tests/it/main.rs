//! Black-box tests of the kv server over loopback HTTP (raw `TcpStream` requests).

mod support;

mod auth;
mod cluster;
mod cluster_members;
mod disk;
mod keys;
mod misc;
mod watch;
