//! Unit tests for Go type names and assignability.

use crate::types::{Kind, Type};

#[test]
fn names() {
    assert_eq!(Type::slice(Type::interface()).name(), "[]interface {}");
    assert_eq!(Type::map(Type::string(), Type::interface()).name(), "map[string]interface {}");
    assert_eq!(Type::basic(Kind::Int32).name(), "int32");
}

#[test]
fn assignability_follows_go() {
    let kv = Type::record("memkv.KVPair", &["Key", "Value"]).build();
    let unnamed = Type::slice(kv.clone());
    let named = Type::named("memkv.KVPairs", &unnamed).build();
    assert!(named.assignable_to(&unnamed));
    assert!(unnamed.assignable_to(&named));
    assert!(!Type::int64().assignable_to(&Type::int()));
    assert!(Type::int64().assignable_to(&Type::interface()));
    assert!(!Type::slice(Type::interface()).assignable_to(&Type::slice(Type::string())));
    let other = Type::named("x.Other", &unnamed).build();
    assert!(!other.assignable_to(&named));
}
