//! A faithful subset of Go's `fmt`: `Sprint`, `Sprintln`, `Sprintf` verbs,
//! flags, width/precision and the `%!verb(type=val)` error forms.

use crate::value::Value;

/// Writes `fmt.Print`-style `%v` of `v`. With `top` set, `Missing` prints
/// `<no value>`; otherwise `<nil>`.
pub(crate) fn print_value(out: &mut Vec<u8>, v: &Value, top: bool) {
    match v {
        Value::Missing if top => out.extend_from_slice(b"<no value>"),
        Value::Missing | Value::Nil => out.extend_from_slice(b"<nil>"),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        _ => out.extend_from_slice(b"?"),
    }
}
