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
    check("v=%FF", &[("v", "\u{fffd}")], None);
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
