//! The replicated state machine: applies [`LogEntry`]s to the shared store.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use hecd_store::{Compare, DeleteOptions, Event, Precondition, Store, WriteOptions};

use crate::entry::{from_nanos, LogEntry};
use crate::members::{MemberSet, Membership};

/// What applying one entry produced.
pub type ApplyOutput = Result<Option<Arc<Event>>, hecd_store::Error>;

/// Published member attributes: id → (name, client URLs).
pub type MemberAttributes = Arc<RwLock<BTreeMap<u64, (String, Vec<String>)>>>;

/// Snapshot layout: this magic, a u32 BE length, the members as JSON, then the store snapshot.
const SNAPSHOT_MAGIC: &[u8; 8] = b"HECDKVS1";
/// As `HECDKVS1`, with a second u32 BE length and the peer membership as JSON before the store.
const SNAPSHOT_MAGIC_2: &[u8; 8] = b"HECDKVS2";

/// Wraps the store shared with the HTTP readers. The write lock is held only while
/// one entry is applied, never across an `.await`.
#[derive(Debug, Clone)]
pub struct KvStateMachine {
    store: Arc<RwLock<Store>>,
    members: MemberAttributes,
    membership: Option<Arc<Membership>>,
}

impl KvStateMachine {
    /// A state machine over `store`, recording published member attributes in `members`.
    pub fn new(store: Arc<RwLock<Store>>, members: MemberAttributes) -> Self {
        KvStateMachine { store, members, membership: None }
    }

    /// Also keeps `membership` (peer URLs, removed ids) up to date and in snapshots.
    pub fn with_membership(mut self, membership: Arc<Membership>) -> Self {
        self.membership = Some(membership);
        self
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store> {
        // A panic in apply would already have failed the proposal; keep serving.
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    fn compare(prev_value: Option<String>, prev_index: u64) -> Option<Compare> {
        (prev_value.is_some() || prev_index > 0)
            .then_some(Compare { prev_value, prev_index: (prev_index > 0).then_some(prev_index) })
    }

    /// Applies one entry. Entries that are not commands are ignored (`Ok(None)`).
    /// The snapshot's bytes before the store's: magic, member attributes, peer set.
    fn snapshot_header(&self) -> Vec<u8> {
        let members = {
            let m = self.members.read().unwrap_or_else(|p| p.into_inner());
            serde_json::to_vec(&*m).unwrap_or_default()
        };
        let peers = self
            .membership
            .as_ref()
            .map(|m| serde_json::to_vec(&m.get()).unwrap_or_default())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(16 + members.len() + peers.len());
        out.extend_from_slice(if peers.is_empty() { SNAPSHOT_MAGIC } else { SNAPSHOT_MAGIC_2 });
        out.extend_from_slice(&(members.len() as u32).to_be_bytes());
        out.extend_from_slice(&members);
        if !peers.is_empty() {
            out.extend_from_slice(&(peers.len() as u32).to_be_bytes());
            out.extend_from_slice(&peers);
        }
        out
    }

    pub fn apply_entry(&mut self, data: &[u8]) -> ApplyOutput {
        let Ok(cmd) = LogEntry::decode(data) else {
            tracing::warn!(len = data.len(), "ignoring an undecodable log entry");
            return Ok(None);
        };
        if let LogEntry::Publish { id, name, client_urls } = cmd {
            let mut m = self.members.write().unwrap_or_else(|p| p.into_inner());
            m.insert(id, (name, client_urls));
            return Ok(None);
        }
        if let LogEntry::UpdatePeers { id, peer_urls } = cmd {
            if let Some(m) = &self.membership {
                m.update(id, peer_urls);
            }
            return Ok(None);
        }
        let mut store = self.write();
        match cmd {
            LogEntry::Put {
                key,
                value,
                dir,
                expiration,
                refresh,
                prev_exist,
                prev_value,
                prev_index,
                now,
            } => {
                let compare = Self::compare(prev_value, prev_index);
                // etcd's routing: prevExist first, then a compare, then a plain set.
                let precondition = match (prev_exist, compare) {
                    (Some(true), Some(c)) => Precondition::Matches(c),
                    (Some(true), None) => Precondition::Exists(true),
                    (Some(false), _) => Precondition::Exists(false),
                    (None, Some(c)) => Precondition::Matches(c),
                    (None, None) => Precondition::None,
                };
                let opts = WriteOptions {
                    value,
                    dir,
                    expiration: expiration.map(from_nanos),
                    refresh,
                    precondition,
                };
                store.write(&key, opts, from_nanos(now)).map(Some)
            }
            LogEntry::Post { key, value, dir, expiration, now } => store
                .create_in_order(&key, value, dir, expiration.map(from_nanos), from_nanos(now))
                .map(Some),
            LogEntry::Delete { key, dir, recursive, prev_value, prev_index, now } => {
                let opts = DeleteOptions {
                    dir,
                    recursive,
                    compare: Self::compare(prev_value, prev_index),
                };
                store.delete(&key, opts, from_nanos(now)).map(Some)
            }
            LogEntry::Sync { now } => {
                store.expire(from_nanos(now));
                Ok(None)
            }
            LogEntry::Publish { .. } | LogEntry::UpdatePeers { .. } => Ok(None),
        }
    }
}

impl hecd_raft::StateMachine for KvStateMachine {
    type Output = ApplyOutput;

    fn apply(&mut self, _index: u64, _term: u64, data: &[u8]) -> ApplyOutput {
        self.apply_entry(data)
    }

    fn snapshot(&self) -> Vec<u8> {
        let mut out = self.snapshot_header();
        // The store's bytes go straight into the snapshot: no copy of a tree-sized buffer.
        self.store.read().unwrap_or_else(|p| p.into_inner()).snapshot_into(&mut out);
        out
    }

    fn write_snapshot(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.snapshot_header())?;
        self.store.read().unwrap_or_else(|p| p.into_inner()).write_snapshot(out)
    }

    fn on_member_change(&mut self, _index: u64, change: &hecd_raft::MemberChange) {
        if let Some(m) = &self.membership {
            m.apply(change);
        }
    }

    fn restore(&mut self, _index: u64, _term: u64, data: &[u8]) -> Result<(), String> {
        let (v2, rest) = match data.strip_prefix(SNAPSHOT_MAGIC_2) {
            Some(rest) => (true, rest),
            None => (false, data.strip_prefix(SNAPSHOT_MAGIC).ok_or("not a hecd-kv snapshot")?),
        };
        let len = rest.get(..4).ok_or("truncated snapshot")?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let members = rest.get(4..4 + len).ok_or("truncated snapshot")?;
        let members: BTreeMap<u64, (String, Vec<String>)> =
            serde_json::from_slice(members).map_err(|e| format!("snapshot members: {e}"))?;
        let mut rest = rest.get(4 + len..).ok_or("truncated snapshot")?;
        let mut peers = None;
        if v2 {
            let len = rest.get(..4).ok_or("truncated snapshot")?;
            let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let set = rest.get(4..4 + len).ok_or("truncated snapshot")?;
            let set: MemberSet =
                serde_json::from_slice(set).map_err(|e| format!("snapshot peers: {e}"))?;
            peers = Some(set);
            rest = &rest[4 + len..];
        }
        // The store validates the whole snapshot before replacing anything; the membership
        // follows only then, so a refused snapshot leaves every part of the member as it was.
        self.write().restore(rest).map_err(|e| e.to_string())?;
        if let (Some(m), Some(set)) = (&self.membership, peers) {
            m.restore(set);
        }
        *self.members.write().unwrap_or_else(|p| p.into_inner()) = members;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod replicas;
