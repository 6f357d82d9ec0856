//! Go's builtin template functions (and, or, not, len, index, slice, print,
//! printf, println, html, js, urlquery, eq, ne, lt, le, gt, ge, call).

/// A builtin function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Call,
}

impl Builtin {
    pub fn lookup(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            "call" => Builtin::Call,
            _ => return None,
        })
    }
}

use crate::exec::{zero_of, V};
use crate::func::Signature;
use crate::gofmt;
use crate::template::MissingKey;
use crate::types::Type;
use crate::value::Value;

type BResult = Result<V, String>;

impl Builtin {
    /// The Go signature of the builtin.
    pub fn signature(self) -> Signature {
        let rv = Type::reflect_value;
        let any = Type::interface;
        match self {
            Builtin::And | Builtin::Or => Signature::new([rv()]).variadic(rv()),
            Builtin::Not => Signature::new([rv()]),
            Builtin::Len => Signature::new([rv()]).returns_error(),
            Builtin::Index | Builtin::Slice | Builtin::Eq | Builtin::Call => {
                Signature::new([rv()]).variadic(rv()).returns_error()
            }
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                Signature::new([]).variadic(any())
            }
            Builtin::Printf => Signature::new([Type::string()]).variadic(any()),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => {
                Signature::new([rv(), rv()]).returns_error()
            }
        }
    }
}

/// Runs a builtin on converted arguments; `Err` is the text after
/// `error calling NAME: `.
pub(crate) fn call(b: Builtin, args: &[V], _mk: MissingKey) -> BResult {
    match b {
        Builtin::And | Builtin::Or => Ok(args.last().cloned().unwrap_or(V::new(Value::Missing))),
        Builtin::Not => Ok(V::new(Value::Bool(!args[0].concrete().truth()))),
        Builtin::Len => length(&args[0]),
        Builtin::Index => index(&args[0], &args[1..]),
        Builtin::Slice => slice(&args[0], &args[1..]),
        Builtin::Print => {
            let mut out = Vec::new();
            gofmt::sprint(&mut out, &plain(args));
            Ok(V::new(Value::string(out)))
        }
        Builtin::Println => {
            let mut out = Vec::new();
            gofmt::sprintln(&mut out, &plain(args));
            Ok(V::new(Value::string(out)))
        }
        Builtin::Printf => {
            let mut out = Vec::new();
            let fmt = args[0].v.as_bytes().unwrap_or_default();
            gofmt::sprintf(&mut out, fmt, &plain(&args[1..]));
            Ok(V::new(Value::string(out)))
        }
        Builtin::Html => Ok(V::new(Value::string(html_escape(&eval_args(args))))),
        Builtin::Js => Ok(V::new(Value::string(js_escape(&eval_args(args))))),
        Builtin::Urlquery => Ok(V::new(Value::string(query_escape(&eval_args(args))))),
        Builtin::Eq => eq(&args[0], &args[1..]).map(|b| V::new(Value::Bool(b))),
        Builtin::Ne => eq(&args[0], &args[1..2]).map(|b| V::new(Value::Bool(!b))),
        Builtin::Lt => lt(&args[0], &args[1]).map(|b| V::new(Value::Bool(b))),
        Builtin::Le => le(&args[0], &args[1]).map(|b| V::new(Value::Bool(b))),
        Builtin::Gt => le(&args[0], &args[1]).map(|b| V::new(Value::Bool(!b))),
        Builtin::Ge => lt(&args[0], &args[1]).map(|b| V::new(Value::Bool(!b))),
        Builtin::Call => match args[0].concrete() {
            Value::Missing => Err("call of nil".into()),
            v => Err(format!("non-function of type {}", gofmt::type_name(v))),
        },
    }
}

fn plain(args: &[V]) -> Vec<Value> {
    args.iter().map(|a| a.v.clone()).collect()
}

/// Go's `evalArgs` for html/js/urlquery.
fn eval_args(args: &[V]) -> Vec<u8> {
    if args.len() == 1 {
        if let Value::String(s) = &args[0].v {
            return s.as_bytes().to_vec();
        }
    }
    let vals: Vec<Value> = args
        .iter()
        .map(|a| match &a.v {
            Value::Missing | Value::Nil => Value::string("<no value>"),
            v => v.clone(),
        })
        .collect();
    let mut out = Vec::new();
    gofmt::sprint(&mut out, &vals);
    out
}

fn length(a: &V) -> BResult {
    match &a.v {
        Value::Missing => Err("reflect: call of reflect.Value.Type on zero Value".into()),
        Value::Nil => Err("len of nil pointer".into()),
        Value::String(s) => Ok(V::new(Value::int(s.len() as i64))),
        Value::List(l) => Ok(V::new(Value::int(l.items.len() as i64))),
        Value::Map(m) => Ok(V::new(Value::int(m.entries.len() as i64))),
        v => Err(format!("len of type {}", gofmt::type_name(v))),
    }
}

fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x: i64 = match index {
        Value::Int(v, _) => *v,
        Value::Uint(v, _) => *v as i64,
        Value::Missing => return Err("cannot index slice/array with nil".into()),
        v => return Err(format!("cannot index slice/array with type {}", gofmt::type_name(v))),
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &V, indexes: &[V]) -> BResult {
    let mut item = V { v: item.concrete().clone(), iface: false };
    if item.v.is_missing() {
        return Err("index of untyped nil".into());
    }
    for idx in indexes {
        let idx = idx.concrete();
        if item.v.is_nil() {
            return Err("index of nil pointer".into());
        }
        item = match &item.v {
            Value::List(l) => {
                let x = index_arg(idx, l.items.len())?;
                let Some(e) = l.items.get(x) else {
                    return Err("reflect: slice index out of range".into());
                };
                V::new(e.clone())
            }
            Value::String(s) => {
                let x = index_arg(idx, s.len())?;
                let Some(&b) = s.as_bytes().get(x) else {
                    return Err("reflect: string index out of range".into());
                };
                V::new(Value::uint8(b))
            }
            Value::Map(m) => {
                let key = match idx {
                    Value::String(k) => k.clone(),
                    Value::Missing => return Err("value is nil; should be of type string".into()),
                    v => {
                        return Err(format!(
                            "value has type {}; should be string",
                            gofmt::type_name(v)
                        ))
                    }
                };
                match m.entries.get(key.as_bytes()) {
                    Some(v) => V::new(v.clone()),
                    None => V::new(m.ty.elem().map_or(Value::Missing, zero_of)),
                }
            }
            v => return Err(format!("can't index item of type {}", gofmt::type_name(v))),
        };
    }
    Ok(item)
}

fn slice(item: &V, indexes: &[V]) -> BResult {
    let item = item.concrete();
    if item.is_missing() {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            (s.len(), s.len())
        }
        Value::List(l) => (l.items.len(), l.items.len()),
        v => return Err(format!("can't slice item of type {}", gofmt::type_name(v))),
    };
    let mut idx = [0usize, len, 0];
    for (i, x) in indexes.iter().enumerate() {
        // Go's `slice` does not unwrap interface-typed indexes.
        if x.iface || x.v.is_nil() {
            return Err("cannot index slice/array with type interface {}".into());
        }
        idx[i] = index_arg(&x.v, cap)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(V::new(match item {
        Value::String(s) => Value::string(&s.as_bytes()[idx[0]..idx[1]]),
        Value::List(l) => Value::list(l.ty.clone(), l.items[idx[0]..idx[1]].to_vec()),
        _ => Value::Missing,
    }))
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum BKind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Value) -> BKind {
    match v {
        Value::Bool(_) => BKind::Bool,
        Value::Int(..) => BKind::Int,
        Value::Uint(..) => BKind::Uint,
        Value::Float(..) => BKind::Float,
        Value::Complex(..) => BKind::Complex,
        Value::String(_) => BKind::String,
        _ => BKind::Invalid,
    }
}

fn sprint_verb(v: &Value, verb: &str) -> String {
    let mut out = Vec::new();
    gofmt::sprintf(&mut out, verb.as_bytes(), std::slice::from_ref(v));
    String::from_utf8_lossy(&out).into_owned()
}

fn eq(a1: &V, rest: &[V]) -> Result<bool, String> {
    let a1 = a1.concrete();
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(a1);
    for a in rest {
        let a = a.concrete();
        let k2 = basic_kind(a);
        let truth = if k1 != k2 {
            match (a1, a) {
                (Value::Int(x, _), Value::Uint(y, _)) => *x >= 0 && *x as u64 == *y,
                (Value::Uint(x, _), Value::Int(y, _)) => *y >= 0 && *x == *y as u64,
                _ => {
                    if !a1.is_missing() && !a.is_missing() {
                        return Err("incompatible types for comparison".into());
                    }
                    false
                }
            }
        } else {
            match (a1, a) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Complex(r1, i1, _), Value::Complex(r2, i2, _)) => r1 == r2 && i1 == i2,
                (Value::Float(x, _), Value::Float(y, _)) => x == y,
                (Value::Int(x, _), Value::Int(y, _)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                (Value::Uint(x, _), Value::Uint(y, _)) => x == y,
                _ => {
                    // Two values of different non-basic kinds (slice, map, struct), neither
                    // of them nil.
                    let differ = std::mem::discriminant(a1) != std::mem::discriminant(a);
                    if differ && !a1.is_missing() && !a.is_missing() {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprint_verb(a1, "%s"),
                            gofmt::type_name(a1),
                            gofmt::type_name(a),
                            sprint_verb(a, "%v")
                        ));
                    }
                    if go_is_nil(a1) || go_is_nil(a) {
                        go_is_nil(a1) == go_is_nil(a)
                    } else {
                        if matches!(a, Value::List(_) | Value::Map(_)) {
                            return Err(format!(
                                "non-comparable type {}: {}",
                                sprint_verb(a, "%s"),
                                gofmt::type_name(a)
                            ));
                        }
                        values_equal(a1, a)?
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `==` on two interface values: equal dynamic types and values. Two slices or maps of the
/// same type cannot be compared: Go panics, and the template reports the runtime error.
fn values_equal(a: &Value, b: &Value) -> Result<bool, String> {
    Ok(match (a, b) {
        (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, k1), Value::Int(y, k2)) => k1 == k2 && x == y,
        (Value::Uint(x, k1), Value::Uint(y, k2)) => k1 == k2 && x == y,
        (Value::Float(x, k1), Value::Float(y, k2)) => k1 == k2 && x == y,
        (Value::Complex(r1, i1, k1), Value::Complex(r2, i2, k2)) => {
            k1 == k2 && r1 == r2 && i1 == i2
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Record(x), Value::Record(y)) => {
            if !x.ty.same(&y.ty) || x.fields().len() != y.fields().len() {
                return Ok(false);
            }
            for (p, q) in x.fields().iter().zip(y.fields()) {
                if !values_equal(p, q)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::List(x), Value::List(y)) if x.ty.same(&y.ty) => return Err(uncomparable(a)),
        (Value::Map(x), Value::Map(y)) if x.ty.same(&y.ty) => return Err(uncomparable(a)),
        _ => false,
    })
}

fn uncomparable(v: &Value) -> String {
    format!("runtime error: comparing uncomparable type {}", gofmt::type_name(v))
}

fn lt(a1: &V, a2: &V) -> Result<bool, String> {
    let a1 = a1.concrete();
    let k1 = basic_kind(a1);
    if k1 == BKind::Invalid {
        return Err("invalid type for comparison".into());
    }
    let a2 = a2.concrete();
    let k2 = basic_kind(a2);
    if k2 == BKind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return match (a1, a2) {
            (Value::Int(x, _), Value::Uint(y, _)) => Ok(*x < 0 || (*x as u64) < *y),
            (Value::Uint(x, _), Value::Int(y, _)) => Ok(*y >= 0 && *x < *y as u64),
            _ => Err("incompatible types for comparison".into()),
        };
    }
    match (a1, a2) {
        (Value::Float(x, _), Value::Float(y, _)) => Ok(x < y),
        (Value::Int(x, _), Value::Int(y, _)) => Ok(x < y),
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes() < y.as_bytes()),
        (Value::Uint(x, _), Value::Uint(y, _)) => Ok(x < y),
        _ => Err("invalid type for comparison".into()),
    }
}

fn le(a1: &V, a2: &V) -> Result<bool, String> {
    if lt(a1, a2)? {
        return Ok(true);
    }
    eq(a1, std::slice::from_ref(a2))
}

fn html_escape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        match c {
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(b: &[u8]) -> Vec<u8> {
    const HEX: &[u8] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            match c {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'<' => out.extend_from_slice(b"\\u003C"),
                b'>' => out.extend_from_slice(b"\\u003E"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                b'=' => out.extend_from_slice(b"\\u003D"),
                c if c < b' ' => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(c >> 4)]);
                    out.push(HEX[usize::from(c & 15)]);
                }
                c => out.push(c),
            }
            i += 1;
        } else {
            let (r, w) = hecd_gostd::utf8::decode_rune(&b[i..]);
            if hecd_gostd::strconv::is_print(r) {
                out.extend_from_slice(&b[i..i + w]);
            } else {
                out.extend_from_slice(format!("\\u{:04X}", r as u32).as_bytes());
            }
            i += w.max(1);
        }
    }
    out
}

fn query_escape(b: &[u8]) -> Vec<u8> {
    const HEX: &[u8] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(c),
            b' ' => out.push(b'+'),
            c => {
                out.push(b'%');
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 15)]);
            }
        }
    }
    out
}

/// Go's `isNil` in funcs.go: invalid values, nil slices and nil maps.
fn go_is_nil(v: &Value) -> bool {
    match v {
        Value::Missing | Value::Nil => true,
        Value::List(l) => l.nil,
        Value::Map(m) => m.nil,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
