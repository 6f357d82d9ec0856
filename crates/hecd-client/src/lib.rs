//! An async etcd v2 client: reads, writes, compare-and-swap, watches, with endpoint failover.
//!
//! It speaks the v2 HTTP API that both `hecd-kv` and etcd (with `--enable-v2`) serve, and
//! never depends on the server or the store crates: the wire types come from `hecd-v2api`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hecd_client::Error> {
//! use hecd_client::{Client, SetOptions};
//! let client = Client::builder().endpoints(["http://127.0.0.1:2379"]).build()?;
//! client.set("/app/servers/web1", "10.0.0.1:8080", SetOptions::default().ttl(30)).await?;
//! let reply = client.get("/app/servers", Default::default()).await?;
//! println!("{:?} at index {}", reply.response.node, reply.etcd_index);
//! # Ok(()) }
//! ```
//!
//! Writes are retried on another endpoint only when the request could not have reached a
//! server (connection refused or reset before sending); reads are retried on any transport
//! failure. Watches resume after error 401 ("index cleared") by re-reading the current state,
//! see [`Watcher`].

#![warn(missing_docs)]

mod client;
mod error;
mod options;
mod tls;
mod watch;

pub use client::{Client, ClientBuilder, Member, Reply};
pub use error::{Error, Result};
pub use hecd_v2api::{Action, ErrorBody, ErrorCode, Node, Response};
pub use options::{DeleteOptions, GetOptions, Precondition, SetOptions};
pub use tls::TlsOptions;
pub use watch::{WatchEvent, Watcher};
