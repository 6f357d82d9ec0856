//! Raft traffic between members: [`transport`] sends (the `hecd_raft::Transport`), `handler`
//! receives (`POST /raft`). Messages travel in batches framed as `[len: u32 BE][bytes]`.

pub(crate) mod handler;
pub mod transport;

pub use transport::{
    decode_batch, peer_client, HttpTransport, PeerClient, RAFT_PATH, X_SERVER_FROM,
};

#[cfg(test)]
mod tests;
