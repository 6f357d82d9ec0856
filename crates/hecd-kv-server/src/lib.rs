//! The hecd-kv HTTP server: etcd's v2 API over the store and the Raft log.
//!
//! **Architecture invariant:** this is the only crate that maps an etcd `ErrorCode` to an
//! HTTP status ([`render::status_of`]). Every mutation is encoded as a [`command::Command`],
//! proposed to the log and applied by [`state_machine::KvStateMachine`]; reads go to the
//! store directly (after a `read_index` barrier for `quorum=true`).
//!
//! Modules:
//! - `server`: [`run`], accept loops, connection limit and timeouts, routing, shutdown;
//! - `request`: [`request::parse_key_request`], a pure HTTP → [`request::KeyRequest`] function;
//! - `form`: Go-compatible query/form/path decoding;
//! - `keys`: the `/v2/keys` handler; `cluster`: version, health, members, machines, stats, metrics;
//! - `render`: etcd's JSON and statuses; `body`: complete and streaming (watch) bodies;
//! - `command`, `state_machine`, `consensus`: the replicated write path;
//! - `peer`: Raft messages between members over HTTP (`POST /raft` on the peer listener).
//!
//! - `access`: what etcd does before its handlers: refusing transfer codings it does not
//!   implement (Go's server) and CORS (`--cors`, preflight `OPTIONS`).
//! - `tls`: HTTPS with optional client-certificate authentication on the client listeners.
//!
//! - `auth`: etcd v2 auth (`/v2/auth/*`), checked by `keys::handle` after parsing and on
//!   `/v2/members` writes; its records are replicated store entries under a hidden directory.

#![warn(missing_docs)]

mod access;
mod auth;
pub mod body;
mod cluster;
pub mod command;
mod config;
mod conns;
pub mod consensus;
mod error;
pub mod flags;
pub mod form;
mod join;
mod keys;
pub mod members;
mod members_api;
mod metrics;
pub mod peer;
pub mod render;
mod reply;
pub mod request;
mod server;
mod state;
pub mod state_machine;
pub mod tls;

pub use access::{Cors, CorsError};
pub use config::{member_id_for, Config};
pub use error::{Error, Result};
pub use server::{run, run_with_peers};
pub use tls::TlsFiles;
