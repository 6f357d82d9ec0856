//! A point-in-time view of a node: role, leader, term and indices.

/// The raft role of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// Following a leader (or waiting for one).
    Follower,
    /// Asking peers whether an election could be won.
    PreCandidate,
    /// Running for leader.
    Candidate,
    /// The leader.
    Leader,
}

/// A snapshot of a node's raft state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// This member's id.
    pub id: u64,
    /// The known leader, if any.
    pub leader_id: Option<u64>,
    /// The current term.
    pub term: u64,
    /// The highest log index known to be committed.
    pub commit_index: u64,
    /// The highest log index applied to the state machine.
    pub applied_index: u64,
    /// This node's role.
    pub role: Role,
    /// The current voting members, sorted.
    pub voters: Vec<u64>,
}

impl Status {
    pub(crate) fn initial(id: u64) -> Self {
        Status {
            id,
            leader_id: None,
            term: 0,
            commit_index: 0,
            applied_index: 0,
            role: Role::Follower,
            voters: Vec::new(),
        }
    }

    /// Whether this node is the leader.
    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }
}

/// The state of a node's data directory disk, as the driver last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DiskHealth {
    /// Writes succeed (or the node keeps its log in memory).
    #[default]
    Ok,
    /// The disk is full: the pending batch is rolled back and retried until space is freed; new
    /// proposals fail at once with [`crate::Error::NoSpace`]. Reads go on.
    Full,
    /// A sync or a write failed: the node stopped and writes nothing more. Restart it to recover from
    /// what is on disk.
    Failed,
}
