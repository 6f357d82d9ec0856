//! Raft traffic between members: [`transport`] sends (the `hecd_raft::Transport`), `handler`
//! receives (`POST /raft`). Messages travel in batches framed as `[len: u32 BE][bytes]`.

pub(crate) mod handler;
pub(crate) mod transport;

pub(crate) use transport::{peer_client, HttpTransport, PeerClient};

#[cfg(test)]
mod tests;
