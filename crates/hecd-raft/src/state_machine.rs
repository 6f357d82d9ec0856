//! The `StateMachine` trait: what the driver applies committed entries to.

/// A deterministic state machine replicated by raft.
///
/// All methods are called by the raft driver, never concurrently: on its own thread, or on the
/// thread of a caller of [`crate::Handle::propose`] that found the driver idle.
pub trait StateMachine: Send + 'static {
    /// What applying one entry produces, handed back to the proposer (e.g. `Result<Event, StoreError>`).
    type Output: Send + 'static;

    /// Applies one committed entry (opaque bytes proposed earlier), in log order, exactly once per entry
    /// within one process lifetime. After a restart the state machine is rebuilt from the latest
    /// snapshot ([`StateMachine::restore`]) and the committed entries after it.
    fn apply(&mut self, index: u64, term: u64, data: &[u8]) -> Self::Output;

    /// Serializes the whole state, for raft snapshots.
    fn snapshot(&self) -> Vec<u8>;

    /// Writes the same bytes as [`StateMachine::snapshot`] to `out`. With a data directory the
    /// driver streams a snapshot to its file through this, twice (once to size and checksum it,
    /// once to write it), so a state machine that writes its state in pieces needs no buffer the size
    /// of the state. The bytes must be the same both times (nothing changes between the calls). The
    /// default writes `snapshot()`.
    ///
    /// # Errors
    ///
    /// The first error `out` returns.
    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.snapshot())
    }

    /// Replaces the whole state with a snapshot taken at `index`/`term`.
    ///
    /// # Errors
    ///
    /// A description of why the bytes could not be restored; the node then refuses to start.
    fn restore(&mut self, index: u64, term: u64, data: &[u8]) -> Result<(), String>;

    /// Called when a membership change is applied at `index`. The default does nothing.
    fn on_member_change(&mut self, index: u64, change: &crate::MemberChange) {
        let _ = (index, change);
    }
}

/// The outcome of a committed and applied proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied<T> {
    /// Raft log index of the entry.
    pub index: u64,
    /// Raft term of the entry.
    pub term: u64,
    /// What the state machine returned.
    pub output: T,
}
