//! Decoding cases checked against Go's `net/url`.

use super::*;

#[track_caller]
fn check(input: &str, want: &[(&str, &str)], want_err: Option<&str>) {
    let (form, err) = parse_query(input.as_bytes());
    let got: Vec<(&str, &str)> = form.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, want, "pairs of {input:?}");
    assert_eq!(err.as_deref(), want_err, "error of {input:?}");
}

#[test]
fn query_decoding() {
    check("a=1&b=2", &[("a", "1"), ("b", "2")], None);
    check("a=x+y&a=z", &[("a", "x y"), ("a", "z")], None);
    check("v=%2F%25%00", &[("v", "/%\0")], None);
    check("flag&=e&x=", &[("flag", ""), ("", "e"), ("x", "")], None);
    check("a=%zz&b=1", &[("b", "1")], Some(r#"invalid URL escape "%zz""#));
    check("a=%4", &[], Some(r#"invalid URL escape "%4""#));
    check("a=1;b=2&c=3", &[("c", "3")], Some("invalid semicolon separator in query"));
    // A byte that is not UTF-8 is kept (marked), not replaced by U+FFFD.
    check("v=%FF", &[("v", "\u{10FFFD}\u{10FF7F}")], None);
}

#[test]
fn paths() {
    assert_eq!(decode_path("/v2/keys/a+b%2Fc").as_deref(), Some("/v2/keys/a+b/c"));
    assert_eq!(decode_path("/bad%g1"), None);
    assert_eq!(mux_clean_path("/v2/keys/a/"), "/v2/keys/a/");
    assert_eq!(mux_clean_path("/v2/keys//a"), "/v2/keys/a");
    assert_eq!(mux_clean_path("/v2/keys/a/../b"), "/v2/keys/b");
    assert_eq!(escape_path("/v2/keys/a b?"), "/v2/keys/a%20b%3F");
}

#[test]
fn bytes_that_are_not_utf8_are_kept_apart() {
    let ff = decode_path("/v2/keys/k%FF").unwrap();
    let fe = decode_path("/v2/keys/k%FE").unwrap();
    let replacement = decode_path("/v2/keys/k%EF%BF%BD").unwrap();
    assert_ne!(ff, fe);
    assert_ne!(ff, replacement);
    assert_eq!(replacement, "/v2/keys/k\u{FFFD}");
    assert_eq!(&*original_bytes(&ff), b"/v2/keys/k\xff");
    assert_eq!(&*original_bytes(&fe), b"/v2/keys/k\xfe");
    // A literal marker character is escaped too, so it cannot pose as a byte.
    let mark = format!("{MARK}");
    let literal = keep_bytes(mark.clone().into_bytes());
    assert_eq!(literal, format!("{MARK}{MARK}"));
    assert_eq!(&*original_bytes(&literal), mark.as_bytes());
    let posing = keep_bytes([mark.as_bytes(), "\u{10FF7F}".as_bytes()].concat());
    assert_ne!(posing, keep_bytes(vec![0xff]));
    // Every byte of a truncated sequence is one invalid rune, as in Go.
    let truncated = keep_bytes(vec![b'a', 0xf0, 0x9f, 0x98, b'b']);
    assert_eq!(truncated.matches(MARK).count(), 3);
    assert_eq!(&*original_bytes(&truncated), b"a\xf0\x9f\x98b");
    // Forms keep bytes as well.
    let (form, err) = parse_query(b"value=%FF%00&prevValue=%C3");
    assert_eq!(err, None);
    assert_eq!(&*original_bytes(form.first("value").unwrap()), b"\xff\x00");
    assert_eq!(&*original_bytes(form.first("prevValue").unwrap()), b"\xc3");
    assert_eq!(escape_path(&ff), "/v2/keys/k%FF");
}
