//! Reading a resource's keys from the store into a [`KvStore`] snapshot.

use std::collections::BTreeMap;

use hecd_client::{Client, GetOptions, Node};

use crate::memkv::{normalise_key, KvStore};

/// The keys under each of `keys` (recursive, sorted, quorum reads), as full store paths.
/// An empty directory contributes nothing; a key that does not exist is an error, as in
/// confd, unless `missing_is_empty` (`-missing-keys-empty`), when it contributes nothing too:
/// a fresh store with no registrations yet then renders as "no servers".
///
/// # Errors
///
/// The client's error (e.g. `100: Key not found`, or every endpoint unreachable).
pub async fn fetch(
    client: &Client,
    keys: &[String],
    missing_is_empty: bool,
) -> Result<BTreeMap<String, String>, hecd_client::Error> {
    let mut out = BTreeMap::new();
    for key in keys {
        let reply = match client.get(key, GetOptions::recursive_sorted().quorum(true)).await {
            Ok(r) => r,
            Err(e) if missing_is_empty && e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        if let Some(node) = &reply.response.node {
            walk(node, &mut out);
        }
    }
    Ok(out)
}

fn walk(node: &Node, out: &mut BTreeMap<String, String>) {
    if node.dir {
        for child in node.nodes.iter().flatten() {
            walk(child, out);
        }
    } else {
        out.insert(node.key.clone(), node.value.clone().unwrap_or_default());
    }
}

/// The snapshot a template sees: every key with `prefix` stripped (confd's `setVars`).
pub fn snapshot(pairs: &BTreeMap<String, String>, prefix: &str) -> KvStore {
    KvStore::from_pairs(pairs.iter().map(|(k, v)| (normalise_key(k, prefix), v.clone())))
}
