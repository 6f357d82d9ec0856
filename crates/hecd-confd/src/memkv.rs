//! The key/value snapshot that confd's store functions read (a re-creation of confd's `memkv`).
//!
//! Keys are absolute, already normalised paths (see [`normalise_key`]); lookups never clean
//! their argument, so `/a/` is not `/a`. Pairs are kept in byte order, which is the order
//! `gets` must return them in.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

use crate::error::StoreError;
use hecd_gostd::path as gopath;
use hecd_template::Str;

/// One key and its value, what `get` and `gets` hand to templates (`memkv.KVPair`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KvPair {
    /// The full store path, e.g. `/app/servers/web1`.
    pub key: String,
    /// The raw value.
    pub value: String,
}

/// The store key confd files a backend key under: `path.Join("/", strings.TrimPrefix(key, prefix))`.
///
/// The trim is textual, as in confd: prefix `/prod` turns `/production/x` into `/uction/x`.
pub fn normalise_key(key: &str, prefix: &str) -> String {
    let trimmed = key.strip_prefix(prefix).unwrap_or(key);
    gopath::join(&["/", trimmed])
}

/// An in-memory snapshot of key/value pairs, shared by every template rendered from it.
///
/// The lock is a std `RwLock` because no caller holds it across an `.await`: each
/// function copies what it needs out of the map and releases the guard at once.
///
/// Keys and values are shared strings ([`Str`]), so that `gets` hands a template its pairs
/// without copying their bytes (as Go's `memkv` shares its strings).
#[derive(Debug, Default)]
pub struct KvStore {
    pairs: RwLock<BTreeMap<Str, Str>>,
}

/// A key or value as text; the store only ever holds text (it is filled from `String`s).
fn text(s: &Str) -> std::borrow::Cow<'_, str> {
    s.to_str_lossy()
}

impl KvStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding exactly `pairs` (keys are taken verbatim).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs.into_iter().map(|(k, v)| (shared(k.into()), shared(v.into()))).collect();
        Self { pairs: RwLock::new(map) }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Str, Str>> {
        // A poisoned lock only means a writer panicked; the map itself is still whole.
        self.pairs.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Str, Str>> {
        self.pairs.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores `value` under `key` verbatim.
    pub fn set(&self, key: impl Into<String>, value: impl Into<String>) {
        self.write().insert(shared(key.into()), shared(value.into()));
    }

    /// Removes `key`, if present.
    pub fn del(&self, key: &str) {
        self.write().remove(key.as_bytes());
    }

    /// Removes every pair.
    pub fn purge(&self) {
        self.write().clear();
    }

    /// Replaces the whole content at once (confd's purge-and-refill before a render).
    pub fn replace_all<I, K, V>(&self, pairs: I)
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map = pairs.into_iter().map(|(k, v)| (shared(k.into()), shared(v.into()))).collect();
        *self.write() = map;
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether the store holds no pair.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// `exists`: whether `key` is present (exact match, no globbing).
    pub fn exists(&self, key: &str) -> bool {
        self.read().contains_key(key.as_bytes())
    }

    /// `get`: the pair stored under exactly `key`.
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyNotFound`] (`key does not exist: KEY`) when it is absent.
    pub fn get(&self, key: &str) -> Result<KvPair, StoreError> {
        match self.read().get(key.as_bytes()) {
            Some(value) => Ok(KvPair { key: key.to_owned(), value: text(value).into_owned() }),
            None => Err(StoreError::KeyNotFound { key: key.to_owned() }),
        }
    }

    /// `getv`: the value of `key`, or `default` when the key is absent.
    ///
    /// An existing empty value is returned as is; the default is not used for it.
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyNotFound`] when the key is absent and no default was given.
    pub fn get_value(&self, key: &str, default: Option<&str>) -> Result<String, StoreError> {
        match (self.get(key), default) {
            (Ok(pair), _) => Ok(pair.value),
            (Err(_), Some(d)) => Ok(d.to_owned()),
            (Err(e), None) => Err(e),
        }
    }

    /// `gets`: every pair whose key matches the `path.Match` pattern, sorted by key.
    ///
    /// No match is an empty list, not an error.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadPattern`] for a malformed pattern; as in confd it is only noticed
    /// when there is at least one key to test it against.
    pub fn get_all(&self, pattern: &str) -> Result<Vec<KvPair>, StoreError> {
        let mut out = Vec::new();
        self.for_each_match(pattern, |key, value| {
            out.push(KvPair { key: text(key).into_owned(), value: text(value).into_owned() });
        })?;
        Ok(out)
    }

    /// [`get_all`](Self::get_all) without copies: calls `f` with the shared key and value
    /// of every pair whose key matches `pattern`, in key order.
    ///
    /// # Errors
    ///
    /// As [`get_all`](Self::get_all).
    pub fn for_each_match(
        &self,
        pattern: &str,
        mut f: impl FnMut(&Str, &Str),
    ) -> Result<(), StoreError> {
        let map = self.read();
        for (key, value) in map.iter() {
            // Keys are text (the store is filled from `String`s): bytes match as the text would.
            if gopath::matches_bytes(pattern.as_bytes(), key.as_bytes())? {
                f(key, value);
            }
        }
        Ok(())
    }

    /// `getvs`: the values of [`get_all`](Self::get_all), sorted by value (bytewise).
    ///
    /// # Errors
    ///
    /// As [`get_all`](Self::get_all).
    pub fn get_all_values(&self, pattern: &str) -> Result<Vec<String>, StoreError> {
        let mut values: Vec<String> = self.get_all(pattern)?.into_iter().map(|p| p.value).collect();
        values.sort();
        Ok(values)
    }

    /// `ls`: the sorted, distinct names of the first path component below `dir`.
    ///
    /// Component-based, with confd's quirks kept: a key equal to `dir` contributes its own
    /// base name, and `ls "/"` sees only top-level leaf keys.
    pub fn list(&self, dir: &str) -> Vec<String> {
        let want = components(dir);
        let mut names = BTreeSet::new();
        for key in self.read().keys() {
            let key = text(key);
            if key == dir {
                names.insert(gopath::base(&key));
            } else if starts_with(&components(&gopath::dir(&key)), &want) {
                names.insert(first_below(&key, dir).to_owned());
            }
        }
        names.into_iter().collect()
    }

    /// `lsdir`: like [`list`](Self::list), but only names that have children themselves.
    pub fn list_dir(&self, dir: &str) -> Vec<String> {
        let want = components(dir);
        let mut names = BTreeSet::new();
        for key in self.read().keys().filter(|k| k.as_bytes().starts_with(dir.as_bytes())) {
            let parent = components(&gopath::dir(&text(key)));
            if parent.len() > want.len() && starts_with(&parent, &want) {
                names.insert(parent[want.len()].clone());
            }
        }
        names.into_iter().collect()
    }
}

/// A `String` as a shared string (its bytes are copied once, when stored).
fn shared(s: String) -> Str {
    Str::from(s)
}

/// `strings.Split(path.Clean(p), "/")`.
fn components(p: &str) -> Vec<String> {
    gopath::clean(p).split('/').map(str::to_owned).collect()
}

fn starts_with(have: &[String], prefix: &[String]) -> bool {
    have.len() >= prefix.len() && have.iter().zip(prefix).all(|(a, b)| a == b)
}

/// The first `/`-component of `key` once `dir` and then one slash are trimmed off (textually).
fn first_below<'k>(key: &'k str, dir: &str) -> &'k str {
    let rest = key.strip_prefix(dir).unwrap_or(key);
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    rest.split('/').next().unwrap_or(rest)
}
