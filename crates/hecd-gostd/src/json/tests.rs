//! Go-recorded expectations for the JSON reader (`encoding/json` of Go 1.19).

use super::{number_to_f64, parse, Json, JsonError};

#[track_caller]
fn check_err(input: &str, want: &str) {
    match parse(input) {
        Ok(v) => panic!("{input:?} parsed as {v:?}, want error {want:?}"),
        Err(e) => assert_eq!(e.to_string(), want, "input {input:?}"),
    }
}

#[test]
fn syntax_errors_match_go() {
    let cases = [
        ("", "unexpected end of JSON input"),
        (" ", "unexpected end of JSON input"),
        ("{", "unexpected end of JSON input"),
        ("\"", "unexpected end of JSON input"),
        ("[", "unexpected end of JSON input"),
        ("{}x", "invalid character 'x' after top-level value"),
        ("{\"a\" 1}", "invalid character '1' after object key"),
        ("{\"a\":1 2}", "invalid character '2' after object key:value pair"),
        ("{1:2}", "invalid character '1' looking for beginning of object key string"),
        ("[1 2]", "invalid character '2' after array element"),
        ("tru", "invalid character ' ' in literal true (expecting 'e')"),
        ("trux", "invalid character 'x' in literal true (expecting 'e')"),
        ("fals", "invalid character ' ' in literal false (expecting 'e')"),
        ("nul", "invalid character ' ' in literal null (expecting 'l')"),
        ("-", "invalid character ' ' in numeric literal"),
        ("-x", "invalid character 'x' in numeric literal"),
        ("01", "invalid character '1' after top-level value"),
        ("1.", "invalid character ' ' after decimal point in numeric literal"),
        ("1.x", "invalid character 'x' after decimal point in numeric literal"),
        ("1e", "invalid character ' ' in exponent of numeric literal"),
        ("1e+", "invalid character ' ' in exponent of numeric literal"),
        ("\"a\nb\"", "invalid character '\\n' in string literal"),
        ("\"\\x\"", "invalid character 'x' in string escape code"),
        ("\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape"),
        ("é", "invalid character 'Ã' looking for beginning of value"),
        ("[1,]", "invalid character ']' looking for beginning of value"),
        ("{\"a\":}", "invalid character '}' looking for beginning of value"),
        ("'", "invalid character '\\'' looking for beginning of value"),
        ("\u{1}", "invalid character '\\x01' looking for beginning of value"),
    ];
    for (input, want) in cases {
        check_err(input, want);
    }
}

#[test]
fn values_and_strings() {
    let v = parse(r#" {"b": [1, -2.5e3, true, null], "a": "x\/y\t", "a": "dup"} "#).unwrap();
    let Json::Object(map) = v else { panic!("not an object") };
    assert_eq!(map["a"], Json::String("dup".into()));
    assert_eq!(
        map["b"],
        Json::Array(vec![
            Json::Number("1".into()),
            Json::Number("-2.5e3".into()),
            Json::Bool(true),
            Json::Null
        ])
    );
    for (input, want) in [
        (r#""\ud83d\ude00""#, "😀"),
        (r#""\ud83d""#, "\u{fffd}"),
        (r#""\ude00x""#, "\u{fffd}x"),
        (r#""\ud83d\u0041""#, "\u{fffd}A"),
        (r#""a\/b\tc""#, "a/b\tc"),
    ] {
        assert_eq!(parse(input).unwrap(), Json::String(want.into()), "input {input}");
    }
}

#[test]
fn numbers_overflow_like_go() {
    assert_eq!(number_to_f64("1e2").unwrap(), 100.0);
    assert_eq!(
        number_to_f64("1e400").unwrap_err(),
        JsonError::Type { found: "number 1e400".into(), go_type: "float64" }
    );
    assert_eq!(
        number_to_f64("1e400").unwrap_err().to_string(),
        "json: cannot unmarshal number 1e400 into Go value of type float64"
    );
}
