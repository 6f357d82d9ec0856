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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::Transport;

    #[derive(Default)]
    struct Record(Mutex<Vec<(u64, Vec<u8>)>>);

    impl Transport for Record {
        fn send(&self, to: u64, msg: Vec<u8>) {
            self.0.lock().unwrap().push((to, msg));
        }
    }

    /// A shared transport sends through the one it shares.
    #[test]
    fn an_arc_sends_through_its_transport() {
        let inner = Arc::new(Record::default());
        Transport::send(&Arc::clone(&inner), 2, b"m".to_vec());
        assert_eq!(*inner.0.lock().unwrap(), vec![(2, b"m".to_vec())]);
    }
}
