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
//! A runnable round trip against a one-shot stand-in for etcd (a real server answers the
//! same way):
//!
//! ```
//! use std::io::{Read, Write};
//!
//! use hecd_client::{Client, GetOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let url = format!("http://{}", listener.local_addr()?);
//! let server = std::thread::spawn(move || {
//!     let (mut conn, _) = listener.accept().unwrap();
//!     let mut request = [0u8; 1024];
//!     let n = conn.read(&mut request).unwrap();
//!     assert!(request[..n].starts_with(b"GET /v2/keys/app/port"));
//!     let body = r#"{"action":"get","node":{"key":"/app/port","value":"80","modifiedIndex":7,"createdIndex":7}}"#;
//!     write!(
//!         conn,
//!         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Etcd-Index: 7\r\nContent-Length: {}\r\n\r\n{body}",
//!         body.len()
//!     )
//!     .unwrap();
//! });
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let client = Client::builder().endpoints([url]).build()?;
//! let reply = runtime.block_on(client.get("/app/port", GetOptions::default()))?;
//! let node = reply.response.node.expect("a node");
//! assert_eq!((node.key.as_str(), node.value.as_deref()), ("/app/port", Some("80")));
//! assert_eq!(reply.etcd_index, 7);
//! server.join().unwrap();
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

pub use client::{split_urls, Client, ClientBuilder, Member, Reply};
pub use error::{Error, Result};
pub use hecd_v2api::{Action, ErrorBody, ErrorCode, Node, Response};
pub use options::{DeleteOptions, GetOptions, Precondition, SetOptions};
pub use tls::{pem, TlsOptions};
pub use watch::{WatchEvent, Watcher};
