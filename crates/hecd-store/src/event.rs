//! What the store reports: [`Event`]s made of [`NodeView`]s.

use std::time::SystemTime;

/// What an event reports as having happened: the wire type itself, so that the server
/// never translates one enum into another.
pub use hecd_v2api::Action;

/// A node as seen at one moment, detached from the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeView {
    /// The full key; empty for the root.
    pub key: String,
    /// The value of a file; `None` for directories and for deleted nodes.
    pub value: Option<String>,
    /// Whether the node is a directory.
    pub dir: bool,
    /// When the node expires, if it has a TTL.
    pub expiration: Option<SystemTime>,
    /// Seconds left, rounded up as etcd does (0 when none or already due).
    pub ttl: i64,
    /// Children, for directory listings (`None` when not listed).
    pub nodes: Option<Vec<NodeView>>,
    /// Index of the last change.
    pub modified_index: u64,
    /// Index of the creation.
    pub created_index: u64,
}

/// One store answer or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub action: Action,
    /// The node after the change (for deletes: key, dir flag and indices only).
    pub node: NodeView,
    /// The node before the change, if there was one.
    pub prev_node: Option<NodeView>,
    /// The store index after the operation (for reads: the current index).
    pub index: u64,
    /// A TTL refresh: kept in history but not delivered to watchers.
    pub refresh: bool,
}

/// etcd's TTL rule: whole seconds left, rounded up; zero or negative when due.
pub(crate) fn ttl_of(expiration: Option<SystemTime>, now: SystemTime) -> i64 {
    let Some(exp) = expiration else { return 0 };
    let (neg, d) = match exp.duration_since(now) {
        Ok(d) => (false, d),
        Err(e) => (true, e.duration()),
    };
    let secs = d.as_secs() as i64;
    if neg {
        -secs
    } else if d.subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}
