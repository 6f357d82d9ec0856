//! A confd-compatible renderer daemon: confd's template functions over a key/value
//! snapshot, the one-shot `hecd-confd render` command ([`oneshot`]), and the daemon
//! ([`daemon::run`]) that keeps files in step with an etcd v2 store.
//!
//! Role (see ARCHITECTURE.md): everything confd does between "the backend returned these
//! keys" and "this file was written". [`memkv::KvStore`] is the snapshot (confd's `memkv`),
//! [`funcs::func_map`] registers every confd function with its exact Go signature in a
//! `hecd_template::FuncMap`, [`render`] renders one template the way confd does, and
//! [`oneshot`] is the `hecd-confd render` command over files.
//!
//! The daemon side: [`config`] merges flags, `CONFD_*` variables and `confd.toml`;
//! [`resource`] loads `conf.d/*toml`; [`cycle`] runs fetch → render → stage → compare →
//! check → rename → reload with rollback and guards, or, for a resource with
//! `haproxy_socket`, applies server-only changes through HAProxy's runtime API (`haproxy`); [`command::run_command`] is the only
//! place that starts a shell; [`daemon`] drives onetime, interval and watch modes.
//!
//! **Invariant:** no HTTP server framework (the `--metrics-addr` responder in [`metrics`]
//! is a few lines over a `TcpListener`); the Go semantics (path matching, JSON, `strconv`,
//! case mapping, base64, `sort.Sort`) come from `hecd-gostd`, shared with the template
//! engine, which stays free of confd knowledge.
//!
//! # Names
//!
//! - `render` is always *rendering a template* ([`render::render`], [`RenderError`]); the
//!   `hecd-confd render` subcommand is [`oneshot`] ([`oneshot::parse`], [`oneshot::run`]).
//! - `memkv` is confd's in-memory snapshot; "store" is the etcd v2 store the backend reads
//!   (the `hecd-store` crate is the server's, and this crate does not depend on it).
//! - [`Config`] is the daemon's configuration (flags, `CONFD_*`, `confd.toml`); a template
//!   resource's is [`Resource`]; a cycle's is [`cycle::CycleOptions`].
//!
//! Changes in the 0.1 re-cut: `render::run`, `render::RenderRequest`, `render::load_data` and
//! `render::load_kv` are now [`oneshot::run`], [`oneshot::Request`], [`oneshot::load_data`]
//! and [`oneshot::load_kv`]; the `store` module is now [`memkv`] (its types are still
//! re-exported at the root).
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

pub mod backend;
pub mod command;
pub mod config;
pub mod cycle;
pub mod daemon;
pub mod diff;
pub mod dns;
pub mod error;
pub mod flags;
pub mod funcs;
mod haproxy;
pub mod memkv;
pub mod metrics;
pub mod oneshot;
pub mod render;
pub mod resource;

pub use config::{Config, Invocation, Mode};
pub use daemon::{run, RunReport, Signal};
pub use error::{
    CommandError, ConfigError, HelperError, LoadError, RenderError, StoreError, SyncError,
};
pub use memkv::{KvPair, KvStore};
pub use resource::Resource;
