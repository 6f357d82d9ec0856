//! The typed function-registration API: [`Signature`], [`Function`],
//! [`FuncMap`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::FuncError;
use crate::types::Type;
use crate::value::Value;

/// A Go function signature as the engine needs it: parameter types, an
/// optional variadic tail, and whether the Go function returns an error.
///
/// The engine checks arity (`wrong number of args for NAME: want N got M`)
/// and converts/validates each argument against its parameter type (literal
/// conversion, `wrong type for value; expected int; got int64`, ...).
#[derive(Debug, Clone)]
pub struct Signature {
    pub(crate) params: Vec<Type>,
    pub(crate) variadic: Option<Type>,
    pub(crate) returns_error: bool,
    pub(crate) mutates_arg: Option<usize>,
}

impl Signature {
    /// A signature with fixed parameters.
    pub fn new(params: impl IntoIterator<Item = Type>) -> Signature {
        Signature {
            params: params.into_iter().collect(),
            variadic: None,
            returns_error: false,
            mutates_arg: None,
        }
    }

    /// Adds a variadic tail `...ELEM` (declare the element type, e.g.
    /// `Type::string()` for `...string`).
    pub fn variadic(mut self, elem: Type) -> Signature {
        self.variadic = Some(elem);
        self
    }

    /// Declares that the Go function returns `(T, error)`.
    pub fn returns_error(mut self) -> Signature {
        self.returns_error = true;
        self
    }

    /// Declares that the Go function mutates argument `index` in place (as
    /// confd's `reverse` and `sortByLength` do to their slice). Values are
    /// immutable here, so the engine emulates Go's aliasing for the common
    /// case: when that argument is written as a plain variable (`$s`), the
    /// variable is rebound to the function's result after a successful call.
    pub fn mutates_arg(mut self, index: usize) -> Signature {
        self.mutates_arg = Some(index);
        self
    }

    /// The fixed parameter types.
    pub fn params(&self) -> &[Type] {
        &self.params
    }

    /// The variadic element type.
    pub fn variadic_elem(&self) -> Option<&Type> {
        self.variadic.as_ref()
    }

    /// True when the function declares an error result.
    pub fn has_error_result(&self) -> bool {
        self.returns_error
    }
}

type FuncImpl = dyn Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync;

/// A registered template function: a [`Signature`] plus an implementation
/// that receives the converted arguments (a variadic tail is flattened onto
/// the end of the slice).
///
/// An `Err` is reported as `error calling NAME: MESSAGE`. Returning
/// [`Value::Nil`] models a Go function returning a nil `interface {}`.
#[derive(Clone)]
pub struct Function {
    pub(crate) sig: Signature,
    pub(crate) imp: Arc<FuncImpl>,
}

impl Function {
    /// A function with signature `sig` and implementation `imp`.
    pub fn new<F>(sig: Signature, imp: F) -> Function
    where
        F: Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        Function { sig, imp: Arc::new(imp) }
    }

    /// The declared signature.
    pub fn signature(&self) -> &Signature {
        &self.sig
    }

    /// Calls the implementation directly (no conversion or checks).
    ///
    /// # Errors
    ///
    /// Whatever the implementation returns.
    pub fn call(&self, args: &[Value]) -> Result<Value, FuncError> {
        (self.imp)(args)
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function").field("sig", &self.sig).finish_non_exhaustive()
    }
}

/// Name → function map (Go's `template.FuncMap`). Functions registered here
/// override builtins of the same name.
#[derive(Debug, Clone, Default)]
pub struct FuncMap {
    pub(crate) funcs: HashMap<String, Function>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Registers (or replaces) `name`.
    pub fn insert(&mut self, name: impl Into<String>, f: Function) -> &mut FuncMap {
        self.funcs.insert(name.into(), f);
        self
    }

    /// Builder-style [`FuncMap::insert`].
    pub fn with(mut self, name: impl Into<String>, f: Function) -> FuncMap {
        self.funcs.insert(name.into(), f);
        self
    }

    /// Looks up a function.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    /// Merges `other` into `self` (entries of `other` win).
    pub fn extend(&mut self, other: &FuncMap) {
        for (k, v) in &other.funcs {
            self.funcs.insert(k.clone(), v.clone());
        }
    }
}
