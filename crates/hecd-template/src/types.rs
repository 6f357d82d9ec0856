//! Go types as the engine needs them: names (for `%T` and error texts),
//! kinds, assignability, element types, struct fields and methods.

use std::fmt;
use std::sync::Arc;

use crate::error::FuncError;
use crate::func::Signature;
use crate::value::Value;

/// The kind of a Go type (`reflect.Kind`, restricted to what the engine models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// `interface {}` (any value, or a nil interface).
    Interface,
    /// `bool`
    Bool,
    /// `int` (64-bit)
    Int,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32` (`rune`)
    Int32,
    /// `int64`
    Int64,
    /// `uint` (64-bit)
    Uint,
    /// `uint8` (`byte`)
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `uintptr`
    Uintptr,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `complex64`
    Complex64,
    /// `complex128`
    Complex128,
    /// `string`
    String,
    /// A slice type (`[]T`, possibly named).
    Slice,
    /// A map type (`map[K]V`, possibly named).
    Map,
    /// A struct type (host-defined record).
    Struct,
    /// `reflect.Value`: the parameter receives the argument unconverted.
    ReflectValue,
}

impl Kind {
    /// Go's spelling of a basic kind (`int64`, `string`, ...).
    pub fn basic_name(self) -> &'static str {
        match self {
            Kind::Interface => "interface {}",
            Kind::Bool => "bool",
            Kind::Int => "int",
            Kind::Int8 => "int8",
            Kind::Int16 => "int16",
            Kind::Int32 => "int32",
            Kind::Int64 => "int64",
            Kind::Uint => "uint",
            Kind::Uint8 => "uint8",
            Kind::Uint16 => "uint16",
            Kind::Uint32 => "uint32",
            Kind::Uint64 => "uint64",
            Kind::Uintptr => "uintptr",
            Kind::Float32 => "float32",
            Kind::Float64 => "float64",
            Kind::Complex64 => "complex64",
            Kind::Complex128 => "complex128",
            Kind::String => "string",
            Kind::Slice => "slice",
            Kind::Map => "map",
            Kind::Struct => "struct",
            Kind::ReflectValue => "reflect.Value",
        }
    }

    /// True for the signed integer kinds.
    pub fn is_int(self) -> bool {
        matches!(self, Kind::Int | Kind::Int8 | Kind::Int16 | Kind::Int32 | Kind::Int64)
    }

    /// True for the unsigned integer kinds.
    pub fn is_uint(self) -> bool {
        matches!(
            self,
            Kind::Uint | Kind::Uint8 | Kind::Uint16 | Kind::Uint32 | Kind::Uint64 | Kind::Uintptr
        )
    }

    /// True for `float32`/`float64`.
    pub fn is_float(self) -> bool {
        matches!(self, Kind::Float32 | Kind::Float64)
    }

    /// True for `complex64`/`complex128`.
    pub fn is_complex(self) -> bool {
        matches!(self, Kind::Complex64 | Kind::Complex128)
    }

    /// True when the kind is a basic (non-composite, non-interface) kind.
    pub fn is_basic(self) -> bool {
        !matches!(
            self,
            Kind::Interface | Kind::Slice | Kind::Map | Kind::Struct | Kind::ReflectValue
        )
    }
}

/// A host method: a function with a receiver.
///
/// The engine checks arity and converts arguments by the method's
/// [`Signature`] before calling it, exactly as for functions.
#[derive(Clone)]
pub struct Method {
    pub(crate) name: Arc<str>,
    pub(crate) sig: Signature,
    #[allow(clippy::type_complexity)]
    pub(crate) imp: Arc<dyn Fn(&Value, &[Value]) -> Result<Value, FuncError> + Send + Sync>,
}

impl Method {
    /// Declares a method `name` with signature `sig`; `imp` gets the receiver
    /// and the converted arguments (a variadic tail is flattened).
    pub fn new<F>(name: impl Into<Arc<str>>, sig: Signature, imp: F) -> Self
    where
        F: Fn(&Value, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        Method { name: name.into(), sig, imp: Arc::new(imp) }
    }

    /// The method name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The declared signature.
    pub fn signature(&self) -> &Signature {
        &self.sig
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Method").field("name", &self.name).field("sig", &self.sig).finish()
    }
}

#[derive(Debug)]
pub(crate) struct TypeInfo {
    pub(crate) name: Arc<str>,
    /// Name of the underlying (unnamed) type; equal to `name` when unnamed.
    pub(crate) underlying: Arc<str>,
    pub(crate) kind: Kind,
    pub(crate) elem: Option<Type>,
    pub(crate) key: Option<Type>,
    pub(crate) fields: Vec<Arc<str>>,
    pub(crate) methods: Vec<Method>,
}

#[derive(Debug, Clone)]
enum Repr {
    Basic(Kind),
    Composite(Arc<TypeInfo>),
}

/// A Go type: a basic kind, `interface {}`, or a (possibly named) slice,
/// map or struct type with optional methods. Cheap to clone.
///
/// Type identity is by name (`[]string`, `memkv.KVPairs`); assignability
/// follows Go: identical types, or identical underlying types when at least
/// one side is unnamed, or any type to `interface {}`.
#[derive(Debug, Clone)]
pub struct Type(Repr);

impl Type {
    /// A basic type or `interface {}` of the given kind.
    ///
    /// Composite kinds (`Slice`, `Map`, `Struct`) must be built with
    /// [`Type::slice`], [`Type::map`], [`Type::record`]; passing one here gives
    /// `interface {}`.
    pub fn basic(kind: Kind) -> Type {
        match kind {
            Kind::Slice | Kind::Map | Kind::Struct => Type(Repr::Basic(Kind::Interface)),
            k => Type(Repr::Basic(k)),
        }
    }
    /// `interface {}`
    pub fn interface() -> Type {
        Type(Repr::Basic(Kind::Interface))
    }
    /// `bool`
    pub fn bool() -> Type {
        Type(Repr::Basic(Kind::Bool))
    }
    /// `int`
    pub fn int() -> Type {
        Type(Repr::Basic(Kind::Int))
    }
    /// `int64`
    pub fn int64() -> Type {
        Type(Repr::Basic(Kind::Int64))
    }
    /// `float64`
    pub fn float64() -> Type {
        Type(Repr::Basic(Kind::Float64))
    }
    /// `string`
    pub fn string() -> Type {
        Type(Repr::Basic(Kind::String))
    }
    /// `reflect.Value` (parameter receives the argument as is).
    pub fn reflect_value() -> Type {
        Type(Repr::Basic(Kind::ReflectValue))
    }

    /// The unnamed slice type `[]ELEM`.
    pub fn slice(elem: Type) -> Type {
        let name: Arc<str> = format!("[]{}", elem.name()).into();
        Type(Repr::Composite(Arc::new(TypeInfo {
            underlying: name.clone(),
            name,
            kind: Kind::Slice,
            elem: Some(elem),
            key: None,
            fields: Vec::new(),
            methods: Vec::new(),
        })))
    }

    /// The unnamed map type `map[KEY]ELEM`. Only `string` keys are
    /// supported by [`crate::Map`].
    pub fn map(key: Type, elem: Type) -> Type {
        let name: Arc<str> = format!("map[{}]{}", key.name(), elem.name()).into();
        Type(Repr::Composite(Arc::new(TypeInfo {
            underlying: name.clone(),
            name,
            kind: Kind::Map,
            elem: Some(elem),
            key: Some(key),
            fields: Vec::new(),
            methods: Vec::new(),
        })))
    }

    /// A named struct type (host record) such as `memkv.KVPair` with the
    /// given exported field names, in declaration order.
    pub fn record(name: &str, fields: &[&str]) -> TypeBuilder {
        let fields_s: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        TypeBuilder {
            info: TypeInfo {
                name: name.into(),
                underlying: format!("struct {{ {} }}", fields_s.join("; ")).into(),
                kind: Kind::Struct,
                elem: None,
                key: None,
                fields: fields.iter().map(|f| Arc::from(*f)).collect(),
                methods: Vec::new(),
            },
        }
    }

    /// A named type `name` whose underlying type is `underlying` (a slice or
    /// map type), e.g. `memkv.KVPairs` over `[]memkv.KVPair`.
    pub fn named(name: &str, underlying: &Type) -> TypeBuilder {
        let (kind, elem, key, fields) = match &underlying.0 {
            Repr::Basic(k) => (*k, None, None, Vec::new()),
            Repr::Composite(i) => (i.kind, i.elem.clone(), i.key.clone(), i.fields.clone()),
        };
        TypeBuilder {
            info: TypeInfo {
                name: name.into(),
                underlying: underlying.underlying_name().into(),
                kind,
                elem,
                key,
                fields,
                methods: Vec::new(),
            },
        }
    }

    /// Go's name of the type (`int64`, `[]interface {}`, `memkv.KVPairs`).
    pub fn name(&self) -> &str {
        match &self.0 {
            Repr::Basic(k) => k.basic_name(),
            Repr::Composite(i) => &i.name,
        }
    }

    /// Name of the underlying type (equal to [`Type::name`] for unnamed types).
    pub fn underlying_name(&self) -> &str {
        match &self.0 {
            Repr::Basic(k) => k.basic_name(),
            Repr::Composite(i) => &i.underlying,
        }
    }

    /// True for named types (basic types count as named, as in Go).
    pub fn is_named(&self) -> bool {
        match &self.0 {
            Repr::Basic(_) => true,
            Repr::Composite(i) => i.name != i.underlying,
        }
    }

    /// The kind.
    pub fn kind(&self) -> Kind {
        match &self.0 {
            Repr::Basic(k) => *k,
            Repr::Composite(i) => i.kind,
        }
    }

    /// True when this is the basic type of kind `k` (not a named type over it).
    pub(crate) fn is_basic_of(&self, k: Kind) -> bool {
        matches!(self.0, Repr::Basic(b) if b == k)
    }

    /// Element type of a slice or map type.
    pub fn elem(&self) -> Option<&Type> {
        match &self.0 {
            Repr::Basic(_) => None,
            Repr::Composite(i) => i.elem.as_ref(),
        }
    }

    /// Key type of a map type.
    pub fn key(&self) -> Option<&Type> {
        match &self.0 {
            Repr::Basic(_) => None,
            Repr::Composite(i) => i.key.as_ref(),
        }
    }

    /// Field names of a struct type.
    pub fn fields(&self) -> &[Arc<str>] {
        match &self.0 {
            Repr::Basic(_) => &[],
            Repr::Composite(i) => &i.fields,
        }
    }

    /// Looks up a method by name.
    pub fn method(&self, name: &str) -> Option<&Method> {
        match &self.0 {
            Repr::Basic(_) => None,
            Repr::Composite(i) => i.methods.iter().find(|m| &*m.name == name),
        }
    }

    /// Type identity (by name).
    pub fn same(&self, other: &Type) -> bool {
        match (&self.0, &other.0) {
            (Repr::Basic(a), Repr::Basic(b)) => a == b,
            (Repr::Composite(a), Repr::Composite(b)) => Arc::ptr_eq(a, b) || a.name == b.name,
            _ => false,
        }
    }

    /// Go assignability of a value of type `self` to a variable of type `to`.
    pub fn assignable_to(&self, to: &Type) -> bool {
        if to.kind() == Kind::Interface || self.same(to) {
            return true;
        }
        (!self.is_named() || !to.is_named())
            && self.underlying_name() == to.underlying_name()
            && self.kind() != Kind::Interface
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Builder for named types; finish with [`TypeBuilder::build`].
#[derive(Debug)]
pub struct TypeBuilder {
    info: TypeInfo,
}

impl TypeBuilder {
    /// Adds a method.
    pub fn method(mut self, m: Method) -> Self {
        self.info.methods.push(m);
        self
    }

    /// Finishes the type.
    pub fn build(self) -> Type {
        Type(Repr::Composite(Arc::new(self.info)))
    }
}

#[cfg(test)]
mod tests;
