//! The `Transport` trait: how raft messages leave this node.

/// Sends encoded raft messages to peers.
///
/// Messages are opaque bytes; the receiving side hands them to `Handle::step`.
/// Sending must not block: queue the message or drop it (raft retransmits).
pub trait Transport: Send + Sync + 'static {
    /// Sends `msg` to member `to`, best effort.
    fn send(&self, to: u64, msg: Vec<u8>);
}

/// A transport that drops everything, for a single-member cluster.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopTransport;

impl Transport for NoopTransport {
    fn send(&self, _to: u64, _msg: Vec<u8>) {}
}

impl<T: Transport> Transport for std::sync::Arc<T> {
    fn send(&self, to: u64, msg: Vec<u8>) {
        (**self).send(to, msg)
    }
}
