//! Tests of the error-code table.

use super::*;

#[test]
fn codes_round_trip_and_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for c in ErrorCode::all() {
        assert!(seen.insert(c.code()), "duplicate {}", c.code());
        assert_eq!(ErrorCode::from_code(c.code()), Some(c));
        assert!(!c.message().is_empty());
    }
    assert_eq!(seen.len(), TABLE.len());
}

#[test]
fn messages_match_etcd() {
    let check = |code: u16, msg: &str| {
        assert_eq!(ErrorCode::from_code(code).map(|c| c.message()), Some(msg), "code {code}")
    };
    check(100, "Key not found");
    check(101, "Compare failed");
    check(105, "Key already exists");
    check(107, "Root is read only");
    check(202, "The given TTL in POST form is not a number");
    check(209, "Invalid field");
    check(401, "The event in requested index is outdated and cleared");
    assert_eq!(ErrorCode::from_code(999), None);
}
