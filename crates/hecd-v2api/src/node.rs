//! The JSON bodies of `/v2/keys` answers: [`Response`], [`Node`] and [`ErrorBody`].

use serde::{Deserialize, Serialize};

/// What a `/v2/keys` answer reports as having happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Action {
    /// A read.
    Get,
    /// A plain write (with or without a previous node).
    Set,
    /// A create (`prevExist=false` or POST).
    Create,
    /// An update (`prevExist=true`).
    Update,
    /// A delete.
    Delete,
    /// A compare-and-swap.
    CompareAndSwap,
    /// A compare-and-delete.
    CompareAndDelete,
    /// A TTL expiry.
    Expire,
}

impl Action {
    /// The wire spelling, e.g. `compareAndSwap`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Set => "set",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::CompareAndSwap => "compareAndSwap",
            Action::CompareAndDelete => "compareAndDelete",
            Action::Expire => "expire",
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

fn is_empty_nodes(v: &Option<Vec<Node>>) -> bool {
    match v {
        Some(n) => n.is_empty(),
        None => true,
    }
}

/// A node as etcd prints it, fields in etcd's order and omitted as etcd omits them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// The full key; empty (omitted) for the root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The value of a file; `None` for directories and deleted nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Whether the node is a directory.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dir: bool,
    /// RFC 3339 expiry time in UTC, when the node has a TTL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// Whole seconds left (rounded up), 0 when none.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub ttl: i64,
    /// Children of a directory listing; omitted when empty.
    #[serde(default, skip_serializing_if = "is_empty_nodes")]
    pub nodes: Option<Vec<Node>>,
    /// Index of the last change.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub modified_index: u64,
    /// Index of the creation.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub created_index: u64,
}

/// A successful `/v2/keys` answer (also one watch event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// What happened.
    pub action: Action,
    /// The node after the operation; omitted with `noValueOnSuccess=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<Node>,
    /// The node before the operation, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_node: Option<Node>,
}

/// A v2 error body: `{"errorCode","message","cause","index"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The numeric code (see [`crate::ErrorCode`]).
    pub error_code: u16,
    /// etcd's message for the code.
    pub message: String,
    /// The key or condition that failed; omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cause: String,
    /// The store index when the error happened.
    #[serde(default)]
    pub index: u64,
}

impl ErrorBody {
    /// An error body for a known code.
    pub fn new(code: crate::ErrorCode, cause: impl Into<String>, index: u64) -> Self {
        ErrorBody {
            error_code: code.code(),
            message: code.message().to_owned(),
            cause: cause.into(),
            index,
        }
    }
}

#[cfg(test)]
mod tests;
