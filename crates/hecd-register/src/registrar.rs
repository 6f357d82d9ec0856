//! [`Registrar`]: add, remove, list and refresh registrations under a prefix.

use hecd_client::{Client, DeleteOptions, GetOptions, SetOptions};
use serde::Serialize;
use tracing::info;

use crate::{Address, Error, Result};

/// One container to register: a name (a single path segment) and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    name: String,
    address: Address,
}

impl Registration {
    /// Validates the name: one visible path segment of printable characters.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the reason.
    pub fn new(name: &str, address: Address) -> Result<Registration> {
        validate_name(name)?;
        Ok(Registration { name: name.into(), address })
    }

    /// The container name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address.
    pub fn address(&self) -> &Address {
        &self.address
    }
}

/// Checks that `name` can be a key's last segment and will be listed by the store.
///
/// # Errors
/// [`Error::InvalidName`] with the reason.
pub fn validate_name(name: &str) -> Result<()> {
    let bad = |reason| Err(Error::InvalidName { name: name.into(), reason });
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.contains('/') {
        return bad("it must be a single path segment (no '/')");
    }
    if name == "." || name == ".." {
        return bad("'.' and '..' are not names");
    }
    if name.starts_with('_') {
        return bad("names starting with '_' are hidden keys in etcd and would never be listed");
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("it must not contain spaces or control characters");
    }
    Ok(())
}

/// A registration as read back from the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The container name (the key's last segment).
    pub name: String,
    /// The full key.
    pub key: String,
    /// The registered address.
    pub value: String,
    /// Seconds left when the key has a TTL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    /// The key's modified index.
    pub modified_index: u64,
}

/// Registers containers under one prefix through a v2 client.
#[derive(Debug, Clone)]
pub struct Registrar {
    client: Client,
    prefix: String,
}

impl Registrar {
    /// A registrar for `prefix` (default `/app/servers`).
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] when it does not start with `/`.
    pub fn new(client: Client, prefix: &str) -> Result<Registrar> {
        if !prefix.starts_with('/') {
            return Err(Error::InvalidPrefix { prefix: prefix.into() });
        }
        let prefix = prefix.trim_end_matches('/');
        Ok(Registrar { client, prefix: prefix.into() })
    }

    /// The store client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The key a name is registered under.
    pub fn key(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }

    /// Writes the registration, with a TTL when given. With `no_overwrite` an existing key is
    /// an error and is left unchanged.
    ///
    /// # Errors
    /// [`Error::AlreadyRegistered`], store errors.
    pub async fn add(
        &self,
        reg: &Registration,
        ttl: Option<u64>,
        no_overwrite: bool,
    ) -> Result<Entry> {
        let key = self.key(&reg.name);
        let value = reg.address.to_string();
        let mut opts = SetOptions { ttl, ..SetOptions::default() };
        if no_overwrite {
            opts = opts.create();
        }
        let reply = match self.client.set(&key, &value, opts).await {
            Ok(r) => r,
            Err(e) if e.code() == Some(hecd_client::ErrorCode::NodeExist) => {
                let current = self.get(&reg.name).await.map(|e| e.value).unwrap_or_default();
                return Err(Error::AlreadyRegistered { key, value: current });
            }
            Err(e) => return Err(e.into()),
        };
        info!(key = %key, value = %value, ttl = ?ttl, "registered");
        Ok(entry(&reg.name, reply.response.node.unwrap_or_default()))
    }

    /// Resets the TTL without changing the value or waking watchers. Returns `false` when the
    /// key had vanished (expired or deleted) and was written again.
    ///
    /// # Errors
    /// Store errors.
    pub async fn refresh(&self, reg: &Registration, ttl: u64) -> Result<bool> {
        match self.client.refresh(&self.key(&reg.name), ttl).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => {
                self.add(reg, Some(ttl), false).await?;
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a registration.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], store errors.
    pub async fn remove(&self, name: &str) -> Result<()> {
        validate_name(name)?;
        let key = self.key(name);
        match self.client.delete(&key, DeleteOptions::default()).await {
            Ok(_) => {
                info!(key = %key, "deregistered");
                Ok(())
            }
            Err(e) if e.is_not_found() => Err(Error::NotRegistered { key }),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads one registration.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], store errors.
    pub async fn get(&self, name: &str) -> Result<Entry> {
        validate_name(name)?;
        let key = self.key(name);
        match self.client.get(&key, GetOptions::default()).await {
            Ok(r) => Ok(entry(name, r.response.node.unwrap_or_default())),
            Err(e) if e.is_not_found() => Err(Error::NotRegistered { key }),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists every registration under the prefix, sorted by name (none when the prefix does
    /// not exist yet).
    ///
    /// # Errors
    /// Store errors.
    pub async fn list(&self) -> Result<Vec<Entry>> {
        let reply = match self.client.get(&self.prefix, GetOptions::recursive_sorted()).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let nodes = reply.response.node.and_then(|n| n.nodes).unwrap_or_default();
        Ok(nodes
            .into_iter()
            .filter(|n| !n.dir)
            .map(|n| {
                let name = n.key.rsplit('/').next().unwrap_or_default().to_owned();
                entry(&name, n)
            })
            .collect())
    }
}

fn entry(name: &str, n: hecd_client::Node) -> Entry {
    Entry {
        name: name.into(),
        key: n.key,
        value: n.value.unwrap_or_default(),
        ttl: (n.ttl > 0).then_some(n.ttl),
        modified_index: n.modified_index,
    }
}

#[cfg(test)]
#[path = "registrar_tests.rs"]
mod tests;
