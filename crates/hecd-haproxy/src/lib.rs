//! HAProxy without reloads: tell which configuration changes the runtime API can apply, and
//! apply them.
//!
//! - [`config`] parses a configuration file into sections of words, as HAProxy splits them,
//!   and its `server` lines into [`Server`]s;
//! - [`plan()`] compares the configuration HAProxy runs with the one it should run and returns
//!   either runtime [`Op`]s or the [`Reason`] a reload is needed;
//! - [`Runtime`] talks to the stats socket or the master CLI.
//!
//! ```
//! use hecd_haproxy::{config, plan, Op, Plan};
//!
//! let old = config::parse("backend be\n  balance roundrobin\n  server a 10.0.0.1:80 check\n");
//! let new = config::parse("backend be\n  balance roundrobin\n  server a 10.0.0.1:80 check\n  server b 10.0.0.2:80 check\n");
//! match plan(&old, &new) {
//!     Plan::Runtime(ops) => assert!(matches!(&ops[..], [Op::Add { .. }])),
//!     Plan::Reload(reason) => panic!("unexpected reload: {reason}"),
//! }
//! ```
//!
//! Invariant: no knowledge of the store, templates or confd; the only I/O is the runtime API
//! socket.

#![warn(missing_docs)]

pub mod config;
mod error;
mod plan;
mod runtime;

pub use config::{Config, Line, Section, Server};
pub use error::Error;
pub use plan::{backend_refuses_add, not_addable, plan, servers_by_backend, Op, Plan, Reason};
pub use runtime::{
    parse_csv, parse_servers_state, parse_show_proc, AdminState, Endpoint, LiveServer, Process,
    Runtime,
};
