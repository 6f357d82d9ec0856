//! JSON documents to template values, with the number typing of the two consumers:
//! confd's `json`/`jsonArray` (every number `float64`, as Go's `encoding/json` into
//! `interface{}`) and the render command's `--data` (whole numbers `int64`).

use std::collections::BTreeMap;

use hecd_template::{Str, Type, Value};

use hecd_gostd::json::{self as gojson, Json, JsonError};

/// How JSON numbers become Go values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonNumbers {
    /// Every number is `float64`.
    Float,
    /// Numbers written without `.`, `e` or `E` that fit are `int64`, others `float64`
    /// (Go's `UseNumber` followed by `ParseInt`, then `ParseFloat`).
    IntOrFloat,
}

/// Converts a parsed document: objects become `map[string]interface {}`, arrays
/// `[]interface {}`, `null` a nil interface.
///
/// # Errors
///
/// [`JsonError::Type`] for a number that overflows `float64`.
pub fn json_to_value(json: &Json, numbers: JsonNumbers) -> Result<Value, JsonError> {
    let object = Type::map(Type::string(), Type::interface());
    let array = Type::slice(Type::interface());
    convert(json, numbers, &object, &array)
}

fn convert(
    json: &Json,
    numbers: JsonNumbers,
    object: &Type,
    array: &Type,
) -> Result<Value, JsonError> {
    Ok(match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::bool(*b),
        Json::String(s) => Value::from(s.as_str()),
        Json::Number(raw) => number(raw, numbers)?,
        Json::Array(items) => Value::list(
            array.clone(),
            items.iter().map(|i| convert(i, numbers, object, array)).collect::<Result<_, _>>()?,
        ),
        Json::Object(map) => {
            let mut entries = BTreeMap::new();
            for (k, v) in map {
                entries.insert(Str::from(k.as_str()), convert(v, numbers, object, array)?);
            }
            Value::map(object.clone(), entries)
        }
    })
}

fn number(raw: &str, numbers: JsonNumbers) -> Result<Value, JsonError> {
    if numbers == JsonNumbers::IntOrFloat && !raw.contains(['.', 'e', 'E']) {
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(Value::int64(i));
        }
    }
    gojson::number_to_f64(raw).map(Value::float64)
}

/// Parses a `--data` document: empty (or all-whitespace) input and `null` are nil data,
/// which templates see as Go's invalid value (`{{.}}` prints `<no value>`).
///
/// # Errors
///
/// The JSON error for malformed input or an overflowing number.
pub fn data_from_json(src: &str) -> Result<Value, JsonError> {
    if src.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Ok(Value::Missing);
    }
    match gojson::parse(src)? {
        Json::Null => Ok(Value::Missing),
        doc => json_to_value(&doc, JsonNumbers::IntOrFloat),
    }
}
