//! A consensus driver over tikv's raft: tick/step/propose/ready, WAL and snapshot files.
//!
//! **Architecture invariant:** this crate knows nothing about keys, HTTP or etcd v2, and no type of the
//! raft library (`raft`, `eraftpb`, `slog`) appears in its public API. Entries are opaque bytes applied to
//! a [`StateMachine`]; peer messages are opaque bytes sent through a [`Transport`] and received with
//! [`Handle::step`].
//!
//! Modules:
//! - `driver`: the driver owning `RawNode` (ticks, proposals, `Ready` handling, snapshots), on a
//!   thread of its own; an uncontended proposal runs it on the caller's thread (`driver::shared`);
//! - `node`: [`start`] and [`Handle`];
//! - `storage`: meta file, WAL segments and snapshot files (see `docs/storage.md`), written by the driver;
//! - [`fs`]: the narrow file-system interface storage goes through, and a fault-injecting one for tests;
//! - `log_store`: the in-memory `raft::Storage` the driver keeps in step with the WAL;
//! - `logger`: the slog → tracing bridge.
//!
//! ```
//! use hecd_raft::{start, Config, NoopTransport, StateMachine};
//!
//! #[derive(Default)]
//! struct Counter(u64);
//!
//! impl StateMachine for Counter {
//!     type Output = u64;
//!     fn apply(&mut self, _index: u64, _term: u64, data: &[u8]) -> u64 {
//!         self.0 += data.len() as u64;
//!         self.0
//!     }
//!     fn snapshot(&self) -> Vec<u8> {
//!         self.0.to_le_bytes().to_vec()
//!     }
//!     fn restore(&mut self, _index: u64, _term: u64, data: &[u8]) -> Result<(), String> {
//!         let bytes: [u8; 8] = data.try_into().map_err(|_| "bad snapshot".to_string())?;
//!         self.0 = u64::from_le_bytes(bytes);
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), hecd_raft::Error> {
//! let node = start(Config::new(1), Counter::default(), NoopTransport, std::future::pending()).await?;
//! let applied = node.propose(b"abc".to_vec()).await?;
//! assert_eq!(applied.output, 3);
//! assert!(node.read_index().await? >= applied.index);
//! node.shutdown().await
//! # }
//! ```

#![warn(missing_docs)]

mod config;
mod driver;
mod error;
pub mod fs;
mod log_store;
mod logger;
mod membership;
mod node;
mod state_machine;
mod status;
mod storage;
mod transport;

pub use config::Config;
pub use error::{Error, Result};
pub use membership::MemberChange;
pub use node::{start, Handle};
pub use state_machine::{Applied, StateMachine};
pub use status::{DiskHealth, Role, Status};
pub use storage::has_state;
pub use transport::{NoopTransport, Transport};
