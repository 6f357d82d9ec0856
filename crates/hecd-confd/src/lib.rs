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
//!
//! # Example: confd's classic HAProxy backend list
//!
//! ```
//! use std::sync::Arc;
//!
//! use hecd_confd::{funcs::func_map, KvStore};
//! use hecd_template::{Template, Value};
//!
//! // The snapshot a backend fetch produced, keys relative to the prefix.
//! let store = Arc::new(KvStore::from_pairs([
//!     ("/app/servers/web2", "10.0.0.2:80"),
//!     ("/app/servers/web1", "10.0.0.1:80"),
//! ]));
//! let template = Template::new("haproxy.cfg.tmpl")
//!     .funcs(&func_map(store.clone()))
//!     .parse("{{range gets \"/app/servers/*\"}}server {{base .Key}} {{.Value}}\n{{end}}")
//!     .unwrap();
//! // confd executes with nil data.
//! let out = template.render(&Value::Missing).unwrap();
//! assert_eq!(out, b"server web1 10.0.0.1:80\nserver web2 10.0.0.2:80\n");
//!
//! // The same through the render entry point, with Go's error text on failure.
//! let err = hecd_confd::render::render("t.tmpl", b"{{getv \"/nope\"}}", &Value::Missing, store)
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     r#"template: t.tmpl:1:2: executing "t.tmpl" at <getv "/nope">: error calling getv: key does not exist: /nope"#
//! );
//! ```
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
