//! The helper functions of confd's `newFuncMap`: paths, strings, JSON, maps, math,
//! environment, files, lists. Network and time helpers live in sibling modules.

use std::collections::BTreeMap;

use hecd_template::{FuncMap, Function, Signature, Str, Type, Value};

use super::{bytes, convert, fail, int, net, pair_key, text, time, ConfdTypes};
use crate::error::HelperError;
use hecd_gostd::{base64, json as gojson, path, strconv, strings};

fn string_fn(f: fn(&str) -> String) -> Function {
    Function::new(Signature::new([Type::string()]), move |a| Ok(Value::from(f(&text(&a[0])))))
}

fn bytes_fn(f: fn(&[u8]) -> Vec<u8>) -> Function {
    Function::new(Signature::new([Type::string()]), move |a| Ok(Value::string(f(bytes(&a[0])))))
}

fn math_fn(f: fn(i64, i64) -> Result<i64, HelperError>) -> Function {
    Function::new(Signature::new([Type::int(), Type::int()]), move |a| {
        f(int(&a[0]), int(&a[1])).map(Value::int).map_err(fail)
    })
}

/// Every helper function.
pub(super) fn helper_map(types: &ConfdTypes, resolver: Option<crate::dns::Resolver>) -> FuncMap {
    let mut m = FuncMap::new();
    let s = Type::string;

    m.insert("base", {
        Function::new(Signature::new([s()]), |a| Ok(Value::from(path::base_str(&text(&a[0])))))
    });
    m.insert("dir", string_fn(path::dir));
    m.insert("toUpper", bytes_fn(strings::to_upper_bytes));
    m.insert("toLower", bytes_fn(strings::to_lower_bytes));
    m.insert("base64Encode", {
        Function::new(Signature::new([s()]), |a| {
            Ok(Value::from(base64::encode(a[0].as_bytes().unwrap_or(b""))))
        })
    });
    m.insert(
        "base64Decode",
        Function::new(Signature::new([s()]).returns_error(), |a| {
            base64::decode(text(&a[0]).as_bytes()).map(Value::string).map_err(fail)
        }),
    );

    let t = types.clone();
    m.insert(
        "split",
        Function::new(Signature::new([s(), s()]), move |a| {
            let parts = strings::split_bytes(bytes(&a[0]), bytes(&a[1]));
            Ok(Value::list(t.strings.clone(), parts.into_iter().map(Value::string).collect()))
        }),
    );
    m.insert(
        "join",
        Function::new(Signature::new([Type::slice(s()), s()]), |a| {
            let sep = a[1].as_bytes().unwrap_or(b"");
            let items = a[0].as_list().map(|l| l.items()).unwrap_or(&[]);
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(sep);
                }
                out.extend_from_slice(item.as_bytes().unwrap_or(b""));
            }
            Ok(Value::string(out))
        }),
    );
    m.insert(
        "contains",
        Function::new(Signature::new([s(), s()]), |a| {
            Ok(Value::bool(strings::contains(bytes(&a[0]), bytes(&a[1]))))
        }),
    );
    m.insert(
        "replace",
        Function::new(Signature::new([s(), s(), s(), Type::int()]), |a| {
            Ok(Value::string(strings::replace_bytes(
                bytes(&a[0]),
                bytes(&a[1]),
                bytes(&a[2]),
                int(&a[3]),
            )))
        }),
    );
    m.insert(
        "trimSuffix",
        Function::new(Signature::new([s(), s()]), |a| {
            let (v, suffix) = (a[0].as_bytes().unwrap_or(b""), a[1].as_bytes().unwrap_or(b""));
            Ok(Value::string(v.strip_suffix(suffix).unwrap_or(v)))
        }),
    );
    m.insert(
        "parseBool",
        Function::new(Signature::new([s()]).returns_error(), |a| {
            strconv::parse_bool(&text(&a[0])).map(Value::bool).map_err(fail)
        }),
    );
    m.insert(
        "atoi",
        Function::new(Signature::new([s()]).returns_error(), |a| {
            strconv::atoi(&text(&a[0])).map(Value::int).map_err(fail)
        }),
    );

    let t = types.clone();
    m.insert(
        "json",
        Function::new(Signature::new([s()]).returns_error(), move |a| {
            json_object(&t, &text(&a[0])).map_err(fail)
        }),
    );
    let t = types.clone();
    m.insert(
        "jsonArray",
        Function::new(Signature::new([s()]).returns_error(), move |a| {
            json_array(&t, &text(&a[0])).map_err(fail)
        }),
    );
    let t = types.clone();
    m.insert(
        "map",
        Function::new(Signature::new([]).variadic(Type::interface()).returns_error(), move |a| {
            make_map(&t, a).map_err(fail)
        }),
    );

    m.insert(
        "getenv",
        Function::new(Signature::new([s()]).variadic(s()), |a| {
            let value = getenv(&text(&a[0]));
            match (value, a.get(1)) {
                (Some(v), _) => Ok(Value::string(v)),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Ok(Value::from("")),
            }
        }),
    );
    m.insert(
        "fileExists",
        Function::new(Signature::new([s()]), |a| Ok(Value::bool(file_exists(&text(&a[0]))))),
    );

    m.insert(
        "reverse",
        Function::new(Signature::new([Type::interface()]).mutates_arg(0), |a| Ok(reverse(&a[0]))),
    );
    let t = types.clone();
    m.insert(
        "sortByLength",
        Function::new(Signature::new([t.strings.clone()]).mutates_arg(0), move |a| {
            Ok(sorted_by_len(&a[0], t.strings.clone(), |v| v.as_bytes().map_or(0, <[u8]>::len)))
        }),
    );
    let t = types.clone();
    m.insert(
        "sortKVByLength",
        // Go sorts the caller's slice in place; a `$var` argument is rebound to the
        // sorted `[]memkv.KVPair` (it loses the `memkv.KVPairs` name, which Go keeps).
        Function::new(Signature::new([t.kv_slice.clone()]).mutates_arg(0), move |a| {
            Ok(sorted_by_len(&a[0], t.kv_slice.clone(), |v| pair_key(v).len()))
        }),
    );

    m.insert("add", math_fn(|a, b| Ok(a.wrapping_add(b))));
    m.insert("sub", math_fn(|a, b| Ok(a.wrapping_sub(b))));
    m.insert("mul", math_fn(|a, b| Ok(a.wrapping_mul(b))));
    m.insert(
        "div",
        math_fn(|a, b| {
            a.checked_div(b)
                .or((b == -1).then_some(a.wrapping_neg()))
                .ok_or(HelperError::DivideByZero)
        }),
    );
    m.insert(
        "mod",
        math_fn(|a, b| {
            a.checked_rem(b).or((b == -1).then_some(0)).ok_or(HelperError::DivideByZero)
        }),
    );
    let t = types.clone();
    m.insert(
        "seq",
        Function::new(Signature::new([Type::int(), Type::int()]), move |a| {
            let (first, last) = (int(&a[0]), int(&a[1]));
            let items =
                if first > last { Vec::new() } else { (first..=last).map(Value::int).collect() };
            Ok(Value::list(t.ints.clone(), items))
        }),
    );

    net::register(&mut m, types, resolver);
    time::register(&mut m, types);
    m
}

/// `json`: a JSON object as `map[string]interface {}` (numbers are `float64`).
fn json_object(types: &ConfdTypes, src: &str) -> Result<Value, HelperError> {
    match gojson::parse(src)? {
        gojson::Json::Null => Ok(Value::map(types.object.clone(), BTreeMap::new())),
        v @ gojson::Json::Object(_) => Ok(convert::json_to_value(&v, convert::JsonNumbers::Float)?),
        other => Err(gojson::JsonError::Type {
            found: other.kind_word().to_owned(),
            go_type: "map[string]interface {}",
        }
        .into()),
    }
}

/// `jsonArray`: a JSON array as `[]interface {}`.
fn json_array(types: &ConfdTypes, src: &str) -> Result<Value, HelperError> {
    match gojson::parse(src)? {
        gojson::Json::Null => Ok(Value::list(types.array.clone(), Vec::new())),
        v @ gojson::Json::Array(_) => Ok(convert::json_to_value(&v, convert::JsonNumbers::Float)?),
        other => Err(gojson::JsonError::Type {
            found: other.kind_word().to_owned(),
            go_type: "[]interface {}",
        }
        .into()),
    }
}

/// `map`: alternating string keys and values; a later duplicate key wins.
fn make_map(types: &ConfdTypes, args: &[Value]) -> Result<Value, HelperError> {
    if args.len() % 2 == 1 {
        return Err(HelperError::InvalidMapCall);
    }
    let mut entries: BTreeMap<Str, Value> = BTreeMap::new();
    for pair in args.chunks(2) {
        let Value::String(key) = &pair[0] else {
            return Err(HelperError::MapKeyNotString);
        };
        entries.insert(key.clone(), pair[1].clone());
    }
    Ok(Value::map(types.object.clone(), entries))
}

/// `os.Getenv`, with unset and empty both reported as `None`.
fn getenv(key: &str) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    if key.is_empty() || key.contains(['=', '\0']) {
        return None;
    }
    std::env::var_os(key).map(OsStringExt::into_vec).filter(|v| !v.is_empty())
}

/// False only when `stat` says the path does not exist (permission errors count as
/// existing), like confd's `fileExists`.
fn file_exists(path: &str) -> bool {
    match std::fs::metadata(path) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// `reverse`: only values whose dynamic type is exactly `[]string` or `[]memkv.KVPair`
/// are reversed; everything else (notably `memkv.KVPairs` from `gets`) comes back as is.
/// Go reverses in place; the signature's `mutates_arg` lets the engine rebind a `$var`
/// argument to the result.
fn reverse(v: &Value) -> Value {
    match v.as_list() {
        Some(list) if matches!(list.go_type().name(), "[]string" | "[]memkv.KVPair") => {
            let mut items = list.items().to_vec();
            items.reverse();
            Value::list(list.go_type().clone(), items)
        }
        _ => v.clone(),
    }
}

/// Sorts a list by a length with Go's `sort.Sort`, so that equal lengths end up in the
/// order confd prints them.
fn sorted_by_len(v: &Value, ty: Type, len: impl Fn(&Value) -> usize) -> Value {
    let mut items = v.as_list().map(|l| l.items().to_vec()).unwrap_or_default();
    hecd_gostd::sort::sort_by(&mut items, |a, b| len(a) < len(b));
    Value::list(ty, items)
}
