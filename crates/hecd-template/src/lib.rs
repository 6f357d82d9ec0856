//! Go `text/template`, byte-identical to Go 1.19, written with nom.
//!
//! Role (see ARCHITECTURE.md): a leaf crate with no I/O besides writing to
//! the caller's [`std::io::Write`], no globals and no clock. Templates are
//! parsed once into a compact AST ([`Template::parse`]) and executed many
//! times ([`Template::execute`]) with a [`Value`] as dot. Values model Go's
//! typed values (`int` vs `int64`, invalid vs nil interface, named slices,
//! host records with methods) because output and error texts depend on them.
//! Errors print exactly Go's messages.
//!
//! # Value model
//!
//! * [`Value::Missing`] is Go's invalid value (missing map key, nil data): an
//!   action prints `<no value>`; [`Value::Nil`] is a nil `interface {}`
//!   (JSON `null`): fmt prints `<nil>`.
//! * Numbers carry their Go kind (`int` vs `int64` vs `uint8` ...), because
//!   `%T`, comparisons and typed parameters depend on it. JSON data converts
//!   with [`from_json`] (feature `json`): whole numbers → `int64`, others →
//!   `float64`, objects → `map[string]interface {}`, arrays → `[]interface {}`.
//! * Slices and maps carry a [`Type`] (possibly named, e.g. `memkv.KVPairs`),
//!   may be nil ([`Value::nil_list`]), and maps iterate in sorted key order.
//! * Host structs are [`Record`]s of a [`Type::record`] type with exported
//!   fields, [`Method`]s (a zero-argument `String`/`Error` method makes the
//!   type a Stringer for fmt) and an optional opaque payload.
//!
//! # Functions
//!
//! A [`Function`] declares its Go [`Signature`]: the engine checks arity,
//! converts literals by parameter type and checks assignability of other
//! arguments with Go's error texts before calling the implementation. An
//! `Err(FuncError)` becomes `error calling NAME: MESSAGE`. Functions must be
//! registered before parsing (unknown names are parse errors).
//! [`Signature::mutates_arg`] emulates Go's in-place slice mutation for
//! `{{reverse $s}}{{$s}}`-style templates.
//!
//! # Layout
//!
//! `lex` (nom token recognisers driven by Go's lexer state machine) →
//! `parse` (recursive descent with Go's look-ahead, producing `ast` trees
//! with byte positions) → `exec` (the walker; `builtins` for Go's builtin
//! functions, `gofmt` for `fmt`, `numparse` for Go's number syntax; Go's
//! `strconv` and `utf8` come from `hecd-gostd`, shared with `hecd-confd`). Golden fixtures recorded from Go live in
//! `fixtures/template/` (see its README).
//!
//! # Limits
//!
//! Go allows 100000 nested template invocations; native recursion cannot, so
//! execution stops earlier (500 invocations, or a combined nesting budget)
//! with Go's message `exceeded maximum template depth (100000)`. Parsing
//! rejects more than 200 nested actions/parenthesised pipelines with
//! `max expression depth exceeded` (the text later Go releases use).
//!
//! # Example: a typed function and a host record type
//!
//! ```
//! use hecd_template::{FuncError, FuncMap, Function, Method, Record, Signature, Template, Type, Value};
//!
//! // func add(a, b int) int
//! let add = Function::new(Signature::new([Type::int(), Type::int()]), |args| {
//!     let (a, b) = (args[0].as_i64().unwrap_or(0), args[1].as_i64().unwrap_or(0));
//!     Ok(Value::int(a.wrapping_add(b)))
//! });
//!
//! // type KVPair struct { Key, Value string } with a method `Full() string`.
//! let kv_type = Type::record("memkv.KVPair", &["Key", "Value"])
//!     .method(Method::new("Full", Signature::new([]), |recv, _args| {
//!         let r = recv.as_record().ok_or_else(|| FuncError::new("not a record"))?;
//!         let k = r.field("Key").and_then(Value::as_str).unwrap_or("");
//!         let v = r.field("Value").and_then(Value::as_str).unwrap_or("");
//!         Ok(Value::from(format!("{k}={v}")))
//!     }))
//!     .build();
//!
//! // func get(key string) (memkv.KVPair, error)
//! let ty = kv_type.clone();
//! let get = Function::new(Signature::new([Type::string()]).returns_error(), move |args| {
//!     let key = args[0].as_str().unwrap_or("");
//!     if key != "/app/port" {
//!         return Err(FuncError::new(format!("key does not exist: {key}")));
//!     }
//!     Ok(Value::record(Record::new(ty.clone(), vec![Value::from(key), Value::from("80")])))
//! });
//!
//! let funcs = FuncMap::new().with("add", add).with("get", get);
//! let t = Template::new("t.tmpl")
//!     .funcs(&funcs)
//!     .parse(r#"{{add 1 2}} {{(get "/app/port").Value}} {{(get "/app/port").Full}} {{printf "%+v" (get "/app/port")}}"#)
//!     .unwrap();
//! let out = t.render(&Value::Missing).unwrap();
//! assert_eq!(String::from_utf8(out).unwrap(), "3 80 /app/port=80 {Key:/app/port Value:80}");
//!
//! let err = t.clone().parse("{{get \"/nope\"}}").unwrap().render(&Value::Missing).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     r#"template: t.tmpl:1:2: executing "t.tmpl" at <get "/nope">: error calling get: key does not exist: /nope"#
//! );
//! ```
#![warn(missing_docs)]

mod ast;
mod builtins;
mod error;
mod exec;
mod func;
mod gofmt;
#[cfg(feature = "json")]
mod json;
mod lex;
mod numparse;
mod parse;
mod template;
mod types;
mod value;

pub use error::{Error, ExecError, FuncError, Location, ParseError, Result};
pub use func::{FuncMap, Function, Signature};
pub use template::{MissingKey, Template};
pub use types::{Kind, Method, Type, TypeBuilder};
pub use value::{List, Map, Record, Str, Value};

#[cfg(feature = "json")]
pub use json::from_json;

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that
/// round-trip, in exponent form when the decimal exponent is < -4 or >= 6
/// (`1e+06`, `100000`, `1e-05`, `0.0001`).
///
/// ```
/// use hecd_template::format_float;
/// assert_eq!(format_float(1e6), "1e+06");
/// assert_eq!(format_float(100000.0), "100000");
/// assert_eq!(format_float(0.00001), "1e-05");
/// assert_eq!(format_float(0.0001), "0.0001");
/// assert_eq!(format_float(0.1 + 0.2), "0.30000000000000004");
/// ```
pub fn format_float(f: f64) -> String {
    hecd_gostd::strconv::format_float_g(f)
}
