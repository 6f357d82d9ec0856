//! The hecd-kv HTTP server: etcd's v2 API over the store and the Raft log.
//!
//! The public API is the server's entry points: [`run`] / [`run_with_peers`] with a [`Config`]
//! (and [`TlsFiles`], [`Cors`]), and [`flags`], etcd's command line read into a launch plan (what
//! the `hecd-kv` binary runs). Every module below is internal.
//!
//! **Architecture invariant:** this is the only crate that maps an etcd `ErrorCode` to an
//! HTTP status (`wire::status_of`). Every mutation is encoded as an `entry::LogEntry`, proposed
//! to the log and applied by `state_machine::KvStateMachine`; reads go to the store directly
//! (after a `read_index` barrier for `quorum=true`).
//!
//! Modules, from the entry points down (they form a DAG; see docs/ARCHITECTURE.md):
//! - `server`: accept loops, the client connection budget (`conns`), timeouts, routing,
//!   shutdown;
//! - handlers: `keys` (`/v2/keys`), `auth` (`/v2/auth/*` and the access checks on keys and
//!   members writes), `members_api` (`/v2/members`), `cluster` (version, health, machines,
//!   stats, metrics);
//! - `state` (what handlers read, answers with etcd's headers) and `reply` (plain answers);
//! - `access`: what etcd does before its handlers: refusing transfer codings it does not
//!   implement (Go's server) and CORS (`--cors`, preflight `OPTIONS`);
//! - the write path: `entry` (log entries), `consensus` (the log), `state_machine`;
//! - `peer` (`transport` sends Raft messages, `handler` receives `POST /raft`), `join`,
//!   `members`;
//! - `request` (pure HTTP → `KeyRequest`), `form` (Go's query/form/path decoding), `wire`
//!   (etcd's JSON and statuses), `body` (complete and streaming bodies), `tls`.

#![warn(missing_docs)]

mod access;
mod auth;
pub(crate) mod body;
mod cluster;
mod config;
mod conns;
pub(crate) mod consensus;
pub(crate) mod entry;
mod error;
pub mod flags;
pub(crate) mod form;
mod join;
mod keys;
pub(crate) mod members;
mod members_api;
mod metrics;
pub(crate) mod peer;
mod reply;
pub(crate) mod request;
mod server;
mod state;
pub(crate) mod state_machine;
pub(crate) mod tls;
pub(crate) mod wire;

pub use access::{Cors, CorsError};
pub use config::{member_id_for, Config};
pub use error::{Error, Result};
pub use server::{run, run_with_peers};
pub use tls::TlsFiles;
