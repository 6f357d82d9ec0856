//! The tree: files and directories with their indices and expiry.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::event::{ttl_of, NodeView};
use crate::path::join;

/// One node of the tree. Children are kept in a `BTreeMap`, so listings come out
/// byte-wise sorted by name, which is etcd's `sorted=true` order at every level.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub created: u64,
    pub modified: u64,
    pub expire: Option<SystemTime>,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    File(String),
    Dir(BTreeMap<String, Node>),
}

impl Node {
    pub fn file(value: String, index: u64, expire: Option<SystemTime>) -> Node {
        Node { created: index, modified: index, expire, kind: Kind::File(value) }
    }

    pub fn dir(index: u64, expire: Option<SystemTime>) -> Node {
        Node { created: index, modified: index, expire, kind: Kind::Dir(BTreeMap::new()) }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir(_))
    }

    pub fn value(&self) -> &str {
        match &self.kind {
            Kind::File(v) => v,
            Kind::Dir(_) => "",
        }
    }

    pub fn children(&self) -> Option<&BTreeMap<String, Node>> {
        match &self.kind {
            Kind::Dir(c) => Some(c),
            Kind::File(_) => None,
        }
    }

    pub fn children_mut(&mut self) -> Option<&mut BTreeMap<String, Node>> {
        match &mut self.kind {
            Kind::Dir(c) => Some(c),
            Kind::File(_) => None,
        }
    }

    /// etcd's `Repr`: a file with its value; a directory with its children when `recursive`.
    pub fn view(&self, key: &str, recursive: bool, now: SystemTime) -> NodeView {
        let mut v = NodeView {
            key: key.to_owned(),
            value: None,
            dir: false,
            expiration: self.expire,
            ttl: ttl_of(self.expire, now),
            nodes: None,
            modified_index: self.modified,
            created_index: self.created,
        };
        match &self.kind {
            Kind::File(val) => v.value = Some(val.clone()),
            Kind::Dir(children) => {
                v.dir = true;
                if recursive {
                    v.nodes = Some(list(children, key, true, now));
                }
            }
        }
        v
    }

    /// Visits this node and all descendants, children before parents, with their paths.
    pub fn walk_post_order(&self, key: &str, f: &mut impl FnMut(&str, &Node)) {
        if let Kind::Dir(children) = &self.kind {
            for (name, child) in children {
                child.walk_post_order(&join(key, name), f);
            }
        }
        f(key, self);
    }
}

/// The visible (non-hidden) children of a directory.
pub(crate) fn list(
    children: &BTreeMap<String, Node>,
    parent: &str,
    recursive: bool,
    now: SystemTime,
) -> Vec<NodeView> {
    children
        .iter()
        .filter(|(name, _)| !name.starts_with('_'))
        .map(|(name, child)| child.view(&join(parent, name), recursive, now))
        .collect()
}
