//! Unit tests for the builtin functions.

use crate::template::Template;

#[track_caller]
fn check(src: &str, want: &str) {
    let data = crate::json::from_json(
        &serde_json::json!({"l": [1, 2, 3], "m": {"a": 1}, "s": "abc", "z": null}),
    );
    let t = Template::new("t").parse(src).expect("parses");
    let got = match t.render(&data) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, want, "executing {src:?}");
}

#[test]
fn and_or_not() {
    check("{{and 1 0 2}} {{or 0 \"\"}} {{or .nope \"d\"}} {{not .z}}", "0  d true");
}

#[test]
fn len_index_slice() {
    check(
        "{{len .s}} {{len .l}} {{index .l 1}} {{index .s 1}} {{slice .s 1 2}} {{slice .l 1}}",
        "3 3 2 98 b [2 3]",
    );
    check("{{index .l 3}}", "template: t:1:2: executing \"t\" at <index .l 3>: error calling index: reflect: slice index out of range");
    check("{{index .m 1}}", "template: t:1:2: executing \"t\" at <index .m 1>: error calling index: value has type int; should be string");
    check(
        "{{len 3}}",
        "template: t:1:2: executing \"t\" at <len 3>: error calling len: len of type int",
    );
}

#[test]
fn comparisons() {
    check(
        "{{eq 1 2 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{ge 1.5 2.5}} {{eq .nope nil}}",
        "true true true false true",
    );
    check("{{eq 1 1.5}}", "template: t:1:2: executing \"t\" at <eq 1 1.5>: error calling eq: incompatible types for comparison");
    check("{{lt true false}}", "template: t:1:2: executing \"t\" at <lt true false>: error calling lt: invalid type for comparison");
}

#[test]
fn escapers() {
    check("{{html \"<a&'\\\">\"}}", "&lt;a&amp;&#39;&#34;&gt;");
    check("{{js \"<'=\\\\\"}}", "\\u003C\\'\\u003D\\\\");
    check("{{urlquery \"a b&c\"}}", "a+b%26c");
}

#[test]
fn print_family() {
    check(
        "{{print 1 2 \"a\" 3}}|{{println 1 \"a\"}}|{{printf \"%05.1f\" 2.25}}",
        "1 2a3|1 a\n|002.2",
    );
}
