//! The value model: Go's typed values (invalid vs nil interface, sized
//! ints, floats, byte strings, typed slices and maps, host records).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::types::{Kind, Type};

/// A Go string: immutable bytes (usually, but not necessarily, UTF-8).
/// Cheap to clone.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Arc<[u8]>);

impl Str {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The text if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }
    /// The text, with invalid UTF-8 replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        // `from_utf8` checks valid text faster than `from_utf8_lossy` walks it.
        match std::str::from_utf8(&self.0) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(&self.0),
        }
    }
    /// Length in bytes (Go's `len`).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::borrow::Borrow<[u8]> for Str {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_str_lossy(), f)
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Str(Arc::from(s.as_bytes()))
    }
}
impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Arc::from(s.into_bytes()))
    }
}
impl From<&[u8]> for Str {
    fn from(s: &[u8]) -> Self {
        Str(Arc::from(s))
    }
}
impl From<Vec<u8>> for Str {
    fn from(s: Vec<u8>) -> Self {
        Str(Arc::from(s))
    }
}

/// A typed Go value.
///
/// `Missing` is Go's invalid `reflect.Value` (a missing map key, nil data):
/// an action prints it as `<no value>`. `Nil` is a nil `interface {}` (JSON
/// `null`): printed through fmt it is `<nil>`.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Value {
    /// Invalid / missing value.
    #[default]
    Missing,
    /// A nil interface value.
    Nil,
    /// `bool`
    Bool(bool),
    /// A signed integer; the kind is one of `Int`, `Int8` .. `Int64`.
    Int(i64, Kind),
    /// An unsigned integer; the kind is one of `Uint`, `Uint8` .. `Uintptr`.
    Uint(u64, Kind),
    /// A float; the kind is `Float32` or `Float64`.
    Float(f64, Kind),
    /// A complex number (re, im); the kind is `Complex64` or `Complex128`.
    Complex(f64, f64, Kind),
    /// `string`
    String(Str),
    /// A slice value of a (possibly named) slice type.
    List(Arc<List>),
    /// A map value with string keys, iterated in sorted key order.
    Map(Arc<Map>),
    /// A host-defined struct value.
    Record(Arc<Record>),
}

impl Value {
    /// `int` value.
    pub fn int(v: i64) -> Value {
        Value::Int(v, Kind::Int)
    }
    /// `int64` value.
    pub fn int64(v: i64) -> Value {
        Value::Int(v, Kind::Int64)
    }
    /// `uint8` value.
    pub fn uint8(v: u8) -> Value {
        Value::Uint(v.into(), Kind::Uint8)
    }
    /// `float64` value.
    pub fn float64(v: f64) -> Value {
        Value::Float(v, Kind::Float64)
    }
    /// `bool` value.
    pub fn bool(v: bool) -> Value {
        Value::Bool(v)
    }
    /// `string` value.
    pub fn string(s: impl Into<Str>) -> Value {
        Value::String(s.into())
    }
    /// A slice of type `ty` (which must be a slice type) holding `items`.
    pub fn list(ty: Type, items: Vec<Value>) -> Value {
        Value::List(Arc::new(List { ty, items, nil: false }))
    }
    /// A nil slice of type `ty` (what a Go function returning a nil slice
    /// gives: prints `[]`, but `%#v` prints `TYPE(nil)`).
    pub fn nil_list(ty: Type) -> Value {
        Value::List(Arc::new(List { ty, items: Vec::new(), nil: true }))
    }
    /// A nil map of type `ty` (e.g. `encoding/json` decoding `null` into a map).
    pub fn nil_map(ty: Type) -> Value {
        Value::Map(Arc::new(Map { ty, entries: BTreeMap::new(), nil: true }))
    }
    /// A `[]interface {}` slice.
    pub fn interface_list(items: Vec<Value>) -> Value {
        Value::list(Type::slice(Type::interface()), items)
    }
    /// A `[]string` slice.
    pub fn string_list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<Str>,
    {
        Value::list(
            Type::slice(Type::string()),
            items.into_iter().map(|s| Value::String(s.into())).collect(),
        )
    }
    /// A map of type `ty` (a map type with `string` keys).
    pub fn map(ty: Type, entries: BTreeMap<Str, Value>) -> Value {
        Value::Map(Arc::new(Map { ty, entries, nil: false }))
    }
    /// A `map[string]interface {}`.
    pub fn interface_map<I, K>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<Str>,
    {
        Value::map(
            Type::map(Type::string(), Type::interface()),
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        )
    }
    /// A host record value.
    pub fn record(r: Record) -> Value {
        Value::Record(Arc::new(r))
    }

    /// The dynamic Go type; `None` for `Missing` and `Nil`.
    pub fn go_type(&self) -> Option<Type> {
        Some(match self {
            Value::Missing | Value::Nil => return None,
            Value::Bool(_) => Type::bool(),
            Value::Int(_, k) | Value::Uint(_, k) | Value::Float(_, k) | Value::Complex(_, _, k) => {
                Type::basic(*k)
            }
            Value::String(_) => Type::string(),
            Value::List(l) => l.ty.clone(),
            Value::Map(m) => m.ty.clone(),
            Value::Record(r) => r.ty.clone(),
        })
    }

    /// Go's kind of the dynamic type; `None` for `Missing` and `Nil`.
    pub fn kind(&self) -> Option<Kind> {
        Some(match self {
            Value::Missing | Value::Nil => return None,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_, k) | Value::Uint(_, k) | Value::Float(_, k) | Value::Complex(_, _, k) => {
                *k
            }
            Value::String(_) => Kind::String,
            Value::List(_) => Kind::Slice,
            Value::Map(_) => Kind::Map,
            Value::Record(_) => Kind::Struct,
        })
    }

    /// True for `Missing`.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
    /// True for `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }
    /// The bytes of a string value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
    /// The text of a string value that is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => s.as_str(),
            _ => None,
        }
    }
    /// The value of any signed integer kind.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v, _) => Some(*v),
            _ => None,
        }
    }
    /// The value of a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The slice, if this is one.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }
    /// The map, if this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The record, if this is one.
    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Go template truth (`if`, `with`, `and`, `or`, `not`).
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(v, _) => *v != 0,
            Value::Uint(v, _) => *v != 0,
            Value::Float(v, _) => *v != 0.0,
            Value::Complex(r, i, _) => *r != 0.0 || *i != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Record(_) => true,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}
impl From<Str> for Value {
    fn from(s: Str) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
/// `i64` converts to Go `int64`.
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::int64(v)
    }
}
/// `f64` converts to Go `float64`.
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::float64(v)
    }
}

/// `Display` is Go's `fmt.Print` of the value (`%v`); `Missing` prints
/// `<no value>`, `Nil` prints `<nil>`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::gofmt::print_value(&mut out, self, true);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// A slice value: a slice type plus elements.
#[derive(Debug, Clone)]
pub struct List {
    pub(crate) ty: Type,
    pub(crate) items: Vec<Value>,
    pub(crate) nil: bool,
}

impl List {
    /// The slice type.
    pub fn go_type(&self) -> &Type {
        &self.ty
    }
    /// True for a nil slice (Go's `[]T(nil)`; prints `[]`, `%#v` shows `(nil)`).
    pub fn is_nil(&self) -> bool {
        self.nil
    }
    /// The elements.
    pub fn items(&self) -> &[Value] {
        &self.items
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A map value with string keys, iterated in sorted (bytewise) key order.
#[derive(Debug, Clone)]
pub struct Map {
    pub(crate) ty: Type,
    pub(crate) entries: BTreeMap<Str, Value>,
    pub(crate) nil: bool,
}

impl Map {
    /// The map type.
    pub fn go_type(&self) -> &Type {
        &self.ty
    }
    /// True for a nil map (Go's `map[K]V(nil)`).
    pub fn is_nil(&self) -> bool {
        self.nil
    }
    /// The entries in sorted key order.
    pub fn entries(&self) -> &BTreeMap<Str, Value> {
        &self.entries
    }
    /// Looks up a key.
    pub fn get(&self, key: &[u8]) -> Option<&Value> {
        self.entries.get(key)
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Field values of a record. Up to [`INLINE_FIELDS`] of them live inside the record, so
/// that a small record (`memkv.KVPair`) costs one allocation, not two.
#[derive(Clone)]
pub(crate) enum Fields {
    Inline(u8, [Value; INLINE_FIELDS]),
    Heap(Box<[Value]>),
}

/// How many field values a record holds without a separate allocation.
const INLINE_FIELDS: usize = 2;

impl Fields {
    fn from_iter(n: usize, values: impl IntoIterator<Item = Value>) -> Fields {
        let mut values = values.into_iter();
        if n <= INLINE_FIELDS {
            let mut inline: [Value; INLINE_FIELDS] = Default::default();
            for slot in inline.iter_mut().take(n) {
                *slot = values.next().unwrap_or_default();
            }
            // n <= INLINE_FIELDS, which is a u8-sized constant
            Fields::Inline(n as u8, inline)
        } else {
            let mut heap: Vec<Value> = values.take(n).collect();
            heap.resize(n, Value::Missing);
            Fields::Heap(heap.into_boxed_slice())
        }
    }

    pub(crate) fn as_slice(&self) -> &[Value] {
        match self {
            Fields::Inline(n, v) => &v[..usize::from(*n)],
            Fields::Heap(v) => v,
        }
    }
}

/// A host-defined struct value: a struct [`Type`] (built with
/// [`Type::record`]), one value per declared field, and an optional opaque
/// payload for host data that is not a Go-visible field (e.g. an instant
/// behind `time.Time`).
#[derive(Clone)]
pub struct Record {
    pub(crate) ty: Type,
    pub(crate) fields: Fields,
    pub(crate) payload: Option<Arc<dyn Any + Send + Sync>>,
}

impl Record {
    /// A record of type `ty`; `fields` are in the type's field order (missing
    /// trailing fields are `Missing`, extra ones are dropped).
    pub fn new(ty: Type, fields: Vec<Value>) -> Record {
        Record::from_values(ty, fields)
    }

    /// Like [`Record::new`] from any sequence of field values (an array avoids the
    /// allocation of a `Vec`).
    pub fn from_values(ty: Type, fields: impl IntoIterator<Item = Value>) -> Record {
        let fields = Fields::from_iter(ty.fields().len(), fields);
        Record { ty, fields, payload: None }
    }

    /// Attaches an opaque host payload.
    pub fn with_payload<T: Any + Send + Sync>(mut self, payload: T) -> Record {
        self.payload = Some(Arc::new(payload));
        self
    }

    /// The struct type.
    pub fn go_type(&self) -> &Type {
        &self.ty
    }
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&Value> {
        let i = self.ty.fields().iter().position(|f| &**f == name)?;
        self.fields.as_slice().get(i)
    }
    /// All field values in declaration order.
    pub fn fields(&self) -> &[Value] {
        self.fields.as_slice()
    }
    /// The host payload, if it has type `T`.
    pub fn payload<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.payload.as_ref()?.downcast_ref::<T>()
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("ty", &self.ty.name())
            .field("fields", &self.fields())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
