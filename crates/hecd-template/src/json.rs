//! Conversion from `serde_json::Value` (feature `json`), with Go's
//! `encoding/json` + `UseNumber` typing: whole numbers are `int64`, other
//! numbers `float64`, objects `map[string]interface {}`, arrays
//! `[]interface {}`, `null` a nil interface.

use std::collections::BTreeMap;

use crate::types::Type;
use crate::value::{Str, Value};

/// Converts a JSON document into a template [`Value`].
///
/// Whole numbers that fit in `i64` become `int64`; every other number
/// becomes `float64`.
pub fn from_json(v: &serde_json::Value) -> Value {
    let map_ty = Type::map(Type::string(), Type::interface());
    let list_ty = Type::slice(Type::interface());
    conv(v, &map_ty, &list_ty)
}

fn conv(v: &serde_json::Value, map_ty: &Type, list_ty: &Type) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::int64(i)
            } else {
                Value::float64(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::string(s.as_str()),
        serde_json::Value::Array(a) => {
            Value::list(list_ty.clone(), a.iter().map(|x| conv(x, map_ty, list_ty)).collect())
        }
        serde_json::Value::Object(o) => {
            let entries: BTreeMap<Str, Value> =
                o.iter().map(|(k, x)| (Str::from(k.as_str()), conv(x, map_ty, list_ty))).collect();
            Value::map(map_ty.clone(), entries)
        }
    }
}
