//! A confd-compatible renderer: confd's template functions over a key/value snapshot,
//! and the `hecd-confd render` command.
//!
//! Role (see ARCHITECTURE.md): everything confd does between "the backend returned these
//! keys" and "this file was written". [`store::KvStore`] is the snapshot (confd's `memkv`),
//! [`funcs::func_map`] registers every confd function with its exact Go signature in a
//! `hecd_template::FuncMap`, and [`render`] runs one template the way confd does.
//!
//! **Invariant:** no HTTP server; the Go semantics (path matching, JSON, `strconv`,
//! case mapping, base64) are reimplemented here, each in its own module, so the
//! template engine stays free of confd knowledge.
#![warn(missing_docs)]

pub mod dns;
pub mod error;
pub mod funcs;
pub mod glob;
pub mod gojson;
pub mod gopath;
pub mod goquote;
pub mod gosort;
pub mod gostr;
pub mod render;
pub mod store;

pub use error::{FuncError, RenderError, StoreError};
pub use store::{KvPair, KvStore};
