//! The etcd v2 key space: tree, TTLs, event history and watches, with no I/O and no clock.
//!
//! **Invariant:** no HTTP, network, file system or clock. Every operation that depends on
//! time takes `now` as a parameter, and expiry happens only when the caller runs
//! [`Store::expire`] (in hecd-kv, when a replicated SYNC entry is applied).
//! Domain types carry no serde; the wire format lives in `hecd-v2api` and the server.
//!
//! ```
//! use hecd_store::{Store, WriteOptions, GetOptions};
//! use std::time::SystemTime;
//! let now = SystemTime::UNIX_EPOCH;
//! let mut store = Store::new(1000);
//! store.write("/a/b", WriteOptions::value("x"), now).unwrap();
//! let got = store.get("/a", GetOptions { recursive: true, sorted: true }, now).unwrap();
//! assert_eq!(got.node.nodes.as_ref().unwrap()[0].key, "/a/b");
//! ```

#![warn(missing_docs)]

mod error;
mod event;
mod history;
mod node;
mod path;
mod snapshot;
mod stats;
mod store;
mod watch;

pub use error::{Error, Result, SnapshotError};
pub use event::{Action, Event, NodeView};
pub use hecd_v2api::ErrorCode;
pub use path::clean_path;
pub use stats::StoreStats;
pub use store::{Compare, DeleteOptions, GetOptions, Precondition, Store, WriteOptions};
pub use watch::{WatchOptions, Watcher};
