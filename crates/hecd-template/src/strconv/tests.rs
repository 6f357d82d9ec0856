//! Unit tests for Go strconv pieces: float formatting, quoting, unquoting.

use super::{format_float, format_float_g, quote, quote_rune, unquote};

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
