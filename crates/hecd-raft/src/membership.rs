//! Membership changes, expressed without any raft-library type.

use raft::eraftpb::{ConfChange, ConfChangeType};

/// A change of the voting members, proposed with `Handle::change_member`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberChange {
    /// Adds a voting member reachable at `url`.
    Add {
        /// The new member's id.
        id: u64,
        /// Its peer url (opaque to this crate; carried in the log for the transport).
        url: String,
    },
    /// Removes a member.
    Remove {
        /// The member to remove.
        id: u64,
    },
}

impl MemberChange {
    /// The member the change is about.
    pub fn id(&self) -> u64 {
        match self {
            MemberChange::Add { id, .. } | MemberChange::Remove { id } => *id,
        }
    }

    pub(crate) fn to_conf_change(&self) -> ConfChange {
        let mut cc = ConfChange::default();
        match self {
            MemberChange::Add { id, url } => {
                cc.set_change_type(ConfChangeType::AddNode);
                cc.node_id = *id;
                cc.context = url.clone().into_bytes();
            }
            MemberChange::Remove { id } => {
                cc.set_change_type(ConfChangeType::RemoveNode);
                cc.node_id = *id;
            }
        }
        cc
    }

    pub(crate) fn from_conf_change(cc: &ConfChange) -> Option<Self> {
        match ConfChangeType::from_i32(cc.change_type)? {
            ConfChangeType::AddNode => Some(MemberChange::Add {
                id: cc.node_id,
                url: String::from_utf8_lossy(&cc.context).into_owned(),
            }),
            ConfChangeType::RemoveNode => Some(MemberChange::Remove { id: cc.node_id }),
            ConfChangeType::AddLearnerNode => None,
        }
    }
}
