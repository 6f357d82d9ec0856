//! Go-recorded expectations for the string helpers (Go 1.19 `strings`, `strconv`,
//! `encoding/base64`).

use super::{atoi, base64_decode, base64_encode, parse_bool, replace, split, to_lower, to_upper};

#[test]
fn case_mapping_is_go_simple_mapping() {
    assert_eq!(to_upper("straße ǆ ﬁ ᾳ"), "STRAßE Ǆ ﬁ ᾼ");
    assert_eq!(to_lower("İSTANBUL ΣΑΣ Ǆ"), "istanbul σασ ǆ");
    assert_eq!(to_upper("MiXeD 1"), "MIXED 1");
    assert_eq!(to_lower("MiXeD 1"), "mixed 1");
}

#[test]
fn split_and_replace() {
    assert_eq!(split("", ""), Vec::<String>::new());
    assert_eq!(split("", ","), [""]);
    assert_eq!(split("a,b,", ","), ["a", "b", ""]);
    assert_eq!(split("héllo", ""), ["h", "é", "l", "l", "o"]);
    assert_eq!(replace("abc", "", "-", -1), "-a-b-c-");
    assert_eq!(replace("abc", "", "-", 2), "-a-bc");
    assert_eq!(replace("aaa", "a", "b", 2), "bba");
    assert_eq!(replace("aaa", "a", "b", 0), "aaa");
    assert_eq!(replace("héllo", "", "|", -1), "|h|é|l|l|o|");
    assert_eq!(replace("a-b-c", "-", "_", -1), "a_b_c");
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
        |s: &str| format!("strconv.Atoi: parsing {}: invalid syntax", crate::goquote::quote(s));
    let range =
        |s: &str| format!("strconv.Atoi: parsing {}: value out of range", crate::goquote::quote(s));
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
fn base64_like_go() {
    assert_eq!(base64_encode(b"Value"), "VmFsdWU=");
    assert_eq!(base64_encode(b""), "");
    assert_eq!(base64_encode(b"Valu"), "VmFsdQ==");
    for (input, want) in [
        ("VmFsdWU=", Ok("Value")),
        ("VmFsdQ==", Ok("Valu")),
        ("VmFs\ndWU=", Ok("Value")),
        ("VmFsdQ==\n", Ok("Valu")),
        ("VmFsdQ=\n=", Ok("Valu")),
        ("", Ok("")),
        ("VmFsdWU", Err(4)),
        ("VmFsdQ=", Err(7)),
        ("VmFsdQ", Err(4)),
        ("V", Err(0)),
        ("Vm=Fs", Err(2)),
        ("VmFsdWU=x", Err(8)),
        ("VmFsdQ=x", Err(6)),
        ("-_8=", Err(0)),
        ("=", Err(0)),
    ] {
        let got =
            base64_decode(input).map(|b| String::from_utf8(b).unwrap()).map_err(|e| e.to_string());
        let want =
            want.map(str::to_owned).map_err(|o| format!("illegal base64 data at input byte {o}"));
        assert_eq!(got, want, "input {input:?}");
    }
}

#[test]
fn byte_strings_follow_go() {
    // Recorded from Go 1.19 with strings holding invalid UTF-8.
    assert!(super::contains("é".as_bytes(), b"\xc3"));
    assert_eq!(super::to_upper_bytes(b"a\xe2\x82b\xff"), "A\u{fffd}\u{fffd}B\u{fffd}".as_bytes());
    assert_eq!(super::to_lower_bytes(b"\xffAB"), "\u{fffd}ab".as_bytes());
    assert_eq!(
        super::split_bytes(b"a\xffb", b""),
        [b"a".to_vec(), "\u{fffd}".as_bytes().to_vec(), b"b".to_vec()]
    );
    assert_eq!(super::split_bytes(b"a\xff", b""), [b"a".to_vec(), b"\xff".to_vec()]);
    assert_eq!(super::split_bytes(b"a\xff,b", b","), [b"a\xff".to_vec(), b"b".to_vec()]);
    assert_eq!(super::replace_bytes(b"a\xffb", b"", b"-", -1), b"-a-\xff-b-".to_vec());
}
