//! Unit tests for Go strconv pieces: float formatting, quoting, unquoting.

use super::{atoi, format_float, format_float_g, parse_bool, quote, quote_rune, unquote};

#[track_caller]
fn check_g(f: f64, want: &str) {
    assert_eq!(format_float_g(f), want, "FormatFloat({f:e}, 'g', -1)");
}

#[test]
fn shortest_g_uses_exponent_outside_minus4_to_6() {
    check_g(100000.0, "100000");
    check_g(1e6, "1e+06");
    check_g(123456789.0, "1.23456789e+08");
    check_g(0.0001, "0.0001");
    check_g(0.00001, "1e-05");
    check_g(1.0, "1");
    check_g(-0.0, "-0");
    check_g(0.1 + 0.2, "0.30000000000000004");
    check_g(1e21, "1e+21");
    check_g(5e-324, "5e-324");
    check_g(f64::INFINITY, "+Inf");
    check_g(f64::NAN, "NaN");
}

#[test]
fn fixed_precision_formats() {
    assert_eq!(format_float(4.56789, 'f', 2, false), "4.57");
    assert_eq!(format_float(2.5, 'f', 0, false), "2");
    assert_eq!(format_float(123456.789, 'e', 3, false), "1.235e+05");
    assert_eq!(format_float(0.000012345, 'g', 3, false), "1.23e-05");
    assert_eq!(format_float(100000.0, 'g', 3, false), "1e+05");
    assert_eq!(format_float(0.0, 'e', 2, false), "0.00e+00");
    assert_eq!(format_float(1e100, 'f', 0, false).len(), 101);
}

#[test]
fn quoting_matches_go() {
    assert_eq!(quote(b"a\"b\\c\n"), r#""a\"b\\c\n""#);
    assert_eq!(quote(b"\x00\x7f\xff"), r#""\x00\x7f\xff""#);
    assert_eq!(quote("é\u{a0}\u{200b}".as_bytes()), r#""é\u00a0\u200b""#);
    assert_eq!(quote("😀".as_bytes()), "\"😀\"");
    assert_eq!(quote_rune(97, false), "'a'");
    assert_eq!(quote_rune(0x1F600, true), r"'\U0001f600'");
}

#[test]
fn unquoting_matches_go() {
    assert_eq!(unquote(br#""a\tb\x41\101\u00e9""#).as_deref(), Some("a\tbAAé".as_bytes()));
    assert_eq!(unquote(b"`raw\r\n`").as_deref(), Some(&b"raw\n"[..]));
    assert_eq!(unquote(br#""\'""#), None);
    assert_eq!(unquote(br#""\q""#), None);
    assert_eq!(unquote(br#""\xff""#).as_deref(), Some(&b"\xff"[..]));
}

#[test]
fn parse_bool_like_strconv() {
    for t in ["1", "t", "T", "TRUE", "true", "True"] {
        assert_eq!(parse_bool(t), Ok(true));
    }
    for f in ["0", "f", "F", "FALSE", "false", "False"] {
        assert_eq!(parse_bool(f), Ok(false));
    }
    assert_eq!(
        parse_bool("yes").unwrap_err().to_string(),
        "strconv.ParseBool: parsing \"yes\": invalid syntax"
    );
}

#[test]
fn atoi_like_strconv() {
    let syntax =
        |s: &str| format!("strconv.Atoi: parsing {}: invalid syntax", super::quote(s.as_bytes()));
    let range = |s: &str| {
        format!("strconv.Atoi: parsing {}: value out of range", super::quote(s.as_bytes()))
    };
    for (input, want) in [
        ("42", Ok(42)),
        ("+5", Ok(5)),
        ("-0", Ok(0)),
        ("9223372036854775807", Ok(i64::MAX)),
        ("-9223372036854775808", Ok(i64::MIN)),
        ("", Err(syntax(""))),
        ("+", Err(syntax("+"))),
        ("-", Err(syntax("-"))),
        (" 4", Err(syntax(" 4"))),
        ("0x10", Err(syntax("0x10"))),
        ("1_0", Err(syntax("1_0"))),
        ("\n", Err(syntax("\n"))),
        ("1x9999999999999999999999", Err(syntax("1x9999999999999999999999"))),
        ("9223372036854775808", Err(range("9223372036854775808"))),
        ("-9223372036854775809", Err(range("-9223372036854775809"))),
        ("99999999999999999999x", Err(range("99999999999999999999x"))),
    ] {
        assert_eq!(atoi(input).map_err(|e| e.to_string()), want, "input {input:?}");
    }
    assert_eq!(syntax("\n"), "strconv.Atoi: parsing \"\\n\": invalid syntax");
}

#[test]
fn quotes_like_go() {
    for (input, want) in [
        ("x", "\"x\""),
        ("a\"b\\", "\"a\\\"b\\\\\""),
        ("\n\t\u{1}\u{7f}", "\"\\n\\t\\x01\\x7f\""),
        ("ü ✓", "\"ü ✓\""),
        ("\u{a0}\u{ad}\u{80}", "\"\\u00a0\\u00ad\\u0080\""),
        ("\u{e0001}", "\"\\U000e0001\""),
    ] {
        assert_eq!(quote(input.as_bytes()), want, "input {input:?}");
    }
}
