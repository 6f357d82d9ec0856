//! Unit tests for the value model.

use crate::types::{Kind, Type};
use crate::value::{Record, Value};

#[test]
fn truth_follows_go() {
    assert!(!Value::Missing.truth());
    assert!(!Value::Nil.truth());
    assert!(!Value::float64(-0.0).truth());
    assert!(Value::from("0").truth());
    assert!(!Value::interface_list(vec![]).truth());
    assert!(Value::interface_list(vec![Value::Nil]).truth());
    let t = Type::record("memkv.KVPair", &["Key", "Value"]).build();
    assert!(Value::record(Record::new(t, vec![])).truth());
}

#[test]
fn go_types_and_display() {
    assert_eq!(Value::int64(1).go_type().map(|t| t.name().to_string()), Some("int64".into()));
    assert_eq!(
        Value::string_list(["a"]).go_type().map(|t| t.name().to_string()),
        Some("[]string".into())
    );
    assert_eq!(Value::uint8(7).kind(), Some(Kind::Uint8));
    assert_eq!(Value::Nil.go_type().map(|t| t.name().to_string()), None);
    assert_eq!(Value::float64(1e6).to_string(), "1e+06");
    assert_eq!(
        Value::interface_map([("b", Value::int(1)), ("a", Value::Nil)]).to_string(),
        "map[a:<nil> b:1]"
    );
    assert_eq!(Value::Missing.to_string(), "<no value>");
}

#[test]
fn records_expose_fields_and_payload() {
    let t = Type::record("main.T", &["A", "B"]).build();
    let r = Record::new(t, vec![Value::int(1)]).with_payload(42u32);
    assert_eq!(r.field("A").and_then(Value::as_i64), Some(1));
    assert!(r.field("B").is_some_and(Value::is_missing));
    assert!(r.field("C").is_none());
    assert_eq!(r.payload::<u32>(), Some(&42));
}
