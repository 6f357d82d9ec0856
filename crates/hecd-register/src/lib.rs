//! Registers application containers in the store: one key per container under a prefix
//! (`/app/servers/NAME` → `HOST:PORT`), optionally with a TTL kept alive by refreshes.
//!
//! The library is what `hecd-register` runs; other tools can embed it:
//!
//! ```no_run
//! # async fn demo() -> Result<(), hecd_register::Error> {
//! use hecd_register::{Address, Registrar, Registration};
//! let client = hecd_client::Client::builder().endpoints(["127.0.0.1:2379"]).build()?;
//! let registrar = Registrar::new(client, "/app/servers")?;
//! let reg = Registration::new("web1", Address::parse("10.0.0.7:8080")?)?;
//! registrar.add(&reg, Some(30), false).await?;
//! # Ok(()) }
//! ```
//!
//! [`cli`] is `hecd-register`'s command line: clap flags, checked into a [`cli::Plan`].
//!
//! [`docker`] follows a Docker engine's events and registers each container's published
//! ports (`hecd-register docker`).
//!
//! Invariant: this crate talks to the store only through `hecd-client`; it knows nothing of
//! Raft or the store's internals.

#![warn(missing_docs)]

mod address;
pub mod cli;
pub mod docker;
mod error;
mod health;
mod inspect;
mod registrar;
mod run;

pub use address::Address;
pub use error::{Error, Result};
pub use health::{parse_http_url, Check};
pub use inspect::{from_inspect, Inspected};
pub use registrar::{Entry, Registrar, Registration};
pub use run::{run, RunOptions};
