//! etcd v2 wire types: JSON bodies, the error-code table and header names.
//!
//! **Invariant:** serde only; this crate knows nothing about HTTP servers, tokio or the store.
//! The server encodes these types and a client decodes them, so every body type is both
//! `Serialize` and `Deserialize`, with etcd's field order and omitempty rules.

#![warn(missing_docs)]

mod error_code;
pub mod header;
mod node;
pub mod time;

pub use error_code::ErrorCode;
pub use node::{Action, ErrorBody, Node, Response};
