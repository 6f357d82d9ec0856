//! confd's template functions, registered with their exact Go signatures.
//!
//! Go's text/template converts and rejects arguments by parameter type, so each function
//! is declared with the signature confd's Go function has (`add(a, b int) int`,
//! `getv(key string, default ...string) (string, error)`, ...). The returned values carry
//! Go's types too: `gets` returns the named `memkv.KVPairs` (which has a `Len` method and
//! is *not* reversed by `reverse`), `sortKVByLength` the unnamed `[]memkv.KVPair`.

#[cfg(test)]
mod tests;

mod convert;
mod helpers;
mod net;
mod store_fns;
mod time;

use std::sync::Arc;

use hecd_template::{FuncMap, Method, Record, Signature, Str, Type, Value};

use crate::memkv::{KvPair, KvStore};

pub use convert::{data_from_json, json_to_value, JsonNumbers};
pub use time::GoTime;

/// Every confd function: the store functions over `store` merged over the helpers
/// (confd master / v0.16 function set).
pub fn func_map(store: Arc<KvStore>) -> FuncMap {
    func_map_with(store, None)
}

/// [`func_map`] with `lookupSRV` asking `resolver` (`None`: the nameservers of
/// `/etc/resolv.conf`, read at each lookup).
pub fn func_map_with(store: Arc<KvStore>, resolver: Option<crate::dns::Resolver>) -> FuncMap {
    let types = ConfdTypes::new();
    let mut map = helpers::helper_map(&types, resolver);
    map.extend(&store_fns::store_map(store, &types));
    map
}

/// The Go types confd's functions hand to templates, built once per function map so
/// that every value of a type shares one definition.
#[derive(Debug, Clone)]
pub struct ConfdTypes {
    /// `memkv.KVPair` (fields `Key`, `Value`).
    pub kv_pair: Type,
    /// `memkv.KVPairs`, the named slice `gets` returns (methods `Len`, `Less`).
    pub kv_pairs: Type,
    /// `[]memkv.KVPair`.
    pub kv_slice: Type,
    /// `[]string`.
    pub strings: Type,
    /// `[]int`.
    pub ints: Type,
    /// `map[string]interface {}`.
    pub object: Type,
    /// `[]interface {}`.
    pub array: Type,
    /// `net.SRV` (fields `Target`, `Port`, `Priority`, `Weight`).
    pub srv: Type,
    /// `[]*net.SRV`.
    pub srv_list: Type,
    /// `time.Time`.
    pub time: Type,
}

impl ConfdTypes {
    /// Builds the types.
    pub fn new() -> Self {
        let kv_pair = Type::record("memkv.KVPair", &["Key", "Value"]).build();
        let kv_slice = Type::slice(kv_pair.clone());
        let kv_pairs = Type::named("memkv.KVPairs", &kv_slice)
            .method(Method::new("Len", Signature::new([]), |recv, _| {
                Ok(Value::int(recv.as_list().map_or(0, |l| l.len()) as i64))
            }))
            .method(Method::new(
                "Less",
                Signature::new([Type::int(), Type::int()]),
                |recv, args| {
                    let key_at = |i: &Value| -> Result<Vec<u8>, hecd_template::FuncError> {
                        let items = recv.as_list().map(|l| l.items()).unwrap_or(&[]);
                        let i = i.as_i64().unwrap_or(-1);
                        let item = usize::try_from(i).ok().and_then(|i| items.get(i)).ok_or_else(
                            || {
                                hecd_template::FuncError::new(format!(
                                    "runtime error: index out of range [{i}] with length {}",
                                    items.len()
                                ))
                            },
                        )?;
                        Ok(pair_key(item).to_vec())
                    };
                    Ok(Value::bool(key_at(&args[0])? < key_at(&args[1])?))
                },
            ))
            .build();
        let srv = Type::record("net.SRV", &["Target", "Port", "Priority", "Weight"]).build();
        let srv_list = Type::named("[]*net.SRV", &Type::slice(srv.clone())).build();
        ConfdTypes {
            kv_pair,
            kv_pairs,
            kv_slice,
            strings: Type::slice(Type::string()),
            ints: Type::slice(Type::int()),
            object: Type::map(Type::string(), Type::interface()),
            array: Type::slice(Type::interface()),
            srv,
            srv_list,
            time: time::time_type(),
        }
    }

    /// A `memkv.KVPair` value.
    pub fn pair(&self, pair: KvPair) -> Value {
        Value::record(Record::from_values(
            self.kv_pair.clone(),
            [pair.key.into(), pair.value.into()],
        ))
    }

    /// A `memkv.KVPair` value sharing the store's strings.
    pub fn shared_pair(&self, key: &Str, value: &Str) -> Value {
        Value::record(Record::from_values(
            self.kv_pair.clone(),
            [Value::String(key.clone()), Value::String(value.clone())],
        ))
    }

    /// A `[]string` value.
    pub fn string_list<I: IntoIterator<Item = String>>(&self, items: I) -> Value {
        Value::list(self.strings.clone(), items.into_iter().map(Value::from).collect())
    }
}

impl Default for ConfdTypes {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Key` field of a `memkv.KVPair` value (empty for anything else).
fn pair_key(v: &Value) -> &[u8] {
    v.as_record().and_then(|r| r.field("Key")).and_then(Value::as_bytes).unwrap_or(b"")
}

/// A string argument as text (invalid UTF-8 becomes U+FFFD).
fn text(v: &Value) -> std::borrow::Cow<'_, str> {
    let b = v.as_bytes().unwrap_or(b"");
    // `from_utf8` checks valid text faster than `from_utf8_lossy` walks it.
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A string argument's bytes (Go strings need not be UTF-8).
fn bytes(v: &Value) -> &[u8] {
    v.as_bytes().unwrap_or(b"")
}

/// An `int` argument.
fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// Converts a crate error into the engine's function error.
fn fail(e: impl std::fmt::Display) -> hecd_template::FuncError {
    hecd_template::FuncError::new(e.to_string())
}
