//! Cross-process end-to-end tests: they start the real binaries (`hecd-kv`, `hecd-register`,
//! `hecd-confd`) and Debian's etcd on loopback, each with its data in a temp dir.

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
