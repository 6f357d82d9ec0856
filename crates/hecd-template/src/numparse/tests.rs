//! Unit tests for Go number-literal parsing.

use super::{new_number, parse_float, parse_int, parse_uint};

#[test]
fn integer_bases_and_underscores() {
    assert_eq!(parse_int(b"017"), Some(15));
    assert_eq!(parse_int(b"0x_FF"), Some(255));
    assert_eq!(parse_int(b"0b101"), Some(5));
    assert_eq!(parse_int(b"0o17"), Some(15));
    assert_eq!(parse_int(b"1_000"), Some(1000));
    assert_eq!(parse_int(b"1__0"), None);
    assert_eq!(parse_int(b"089"), None);
    assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_int(b"9223372036854775808"), None);
    assert_eq!(parse_uint(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_uint(b"+1"), None);
}

#[test]
fn floats() {
    assert_eq!(parse_float(b"1e3"), Some(1000.0));
    assert_eq!(parse_float(b".5"), Some(0.5));
    assert_eq!(parse_float(b"7."), Some(7.0));
    assert_eq!(parse_float(b"0x1p-2"), Some(0.25));
    assert_eq!(parse_float(b"0x1.8p1"), Some(3.0));
    assert_eq!(parse_float(b"1e309"), None);
    assert_eq!(parse_float(b"1e"), None);
    assert_eq!(parse_float(b"0x1"), None);
}

#[track_caller]
fn check_err(text: &str, want: &str) {
    match new_number(0, text.as_bytes(), text.starts_with('\''), false) {
        Ok(n) => panic!("{text} parsed as {n:?}"),
        Err(e) => assert_eq!(e, want),
    }
}

#[test]
fn number_node_rules() {
    let n = new_number(0, b"089", false, false);
    assert!(n.is_err());
    check_err("089", "integer overflow: \"089\"");
    check_err("0x", "illegal number syntax: \"0x\"");
    check_err("1e309", "illegal number syntax: \"1e309\"");
    check_err("'ab'", "malformed character constant: 'ab'");
    check_err("''", "invalid syntax");
    let n = new_number(0, b"3.0", false, false).expect("number");
    assert!(n.is_int && n.is_float && n.int == 3);
    let n = new_number(0, b"'a'", true, false).expect("char");
    assert_eq!((n.int, n.is_int, n.is_float), (97, true, true));
    let n = new_number(0, b"1+2i", false, true).expect("complex");
    assert_eq!(n.complex, (1.0, 2.0));
}
