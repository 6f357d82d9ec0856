//! etcd v2 wire types: JSON bodies, the error-code table and header names.
//!
//! **Invariant:** serde only; this crate knows nothing about HTTP servers, tokio or the store.
//! The server encodes these types and a client decodes them, so every body type is both
//! `Serialize` and `Deserialize`, with etcd's field order and omitempty rules.
//!
//! - [`Response`] and [`Node`]: a `/v2/keys` answer (also one watch event), [`Action`] its
//!   `action`;
//! - [`ErrorBody`] and [`ErrorCode`]: the error JSON and etcd's code table (100 `Key not found`
//!   and the rest);
//! - [`header`]: the `X-Etcd-Index` family of header names; [`time`]: etcd's RFC 3339 times.
//!
//! # Example
//!
//! ```
//! use hecd_v2api::{Action, ErrorBody, ErrorCode, Node, Response};
//!
//! // What etcd answers to `PUT /v2/keys/app/servers/web1 -d value=10.0.0.1:80`.
//! let put = Response {
//!     action: Action::Set,
//!     node: Some(Node {
//!         key: "/app/servers/web1".into(),
//!         value: Some("10.0.0.1:80".into()),
//!         modified_index: 7,
//!         created_index: 7,
//!         ..Node::default()
//!     }),
//!     prev_node: None,
//! };
//! assert_eq!(
//!     serde_json::to_string(&put).unwrap(),
//!     r#"{"action":"set","node":{"key":"/app/servers/web1","value":"10.0.0.1:80","modifiedIndex":7,"createdIndex":7}}"#
//! );
//!
//! // An error body, read back as a client would.
//! let body = r#"{"errorCode":100,"message":"Key not found","cause":"/app/nope","index":7}"#;
//! let err: ErrorBody = serde_json::from_str(body).unwrap();
//! assert_eq!(ErrorCode::from_code(err.error_code), Some(ErrorCode::KeyNotFound));
//! assert_eq!(err, ErrorBody::new(ErrorCode::KeyNotFound, "/app/nope", 7));
//! ```

#![warn(missing_docs)]

mod error_code;
pub mod header;
mod node;
pub mod time;

pub use error_code::ErrorCode;
pub use node::{Action, ErrorBody, Node, Response};
