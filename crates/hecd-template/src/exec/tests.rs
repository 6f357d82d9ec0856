//! Unit tests for evaluation semantics, one construct at a time.

use crate::template::Template;
use crate::value::Value;

fn data() -> Value {
    crate::json::from_json(&serde_json::json!({
        "s": "str", "n": 3, "l": [1, "two", null], "m": {"b": 2, "a": 1}, "z": null, "e": []
    }))
}

#[track_caller]
fn check(src: &str, want: &str) {
    let t = Template::new("t").parse(src).expect("parses");
    let got = match t.render(&data()) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, want, "executing {src:?}");
}

#[test]
fn missing_versus_nil() {
    check("{{.nope}} {{print .nope}} {{.z}} {{print .z}}", "<no value> <nil> <no value> <nil>");
    check(
        "{{.z.x}}",
        "template: t:1:4: executing \"t\" at <.z.x>: nil pointer evaluating interface {}.x",
    );
    check("{{.nope.x.y}}", "<no value>");
}

#[test]
fn static_types_in_field_errors() {
    check(
        "{{.s.x}}",
        "template: t:1:4: executing \"t\" at <.s.x>: can't evaluate field x in type interface {}",
    );
    check(
        "{{$c := .n}}{{$c.x}}",
        "template: t:1:16: executing \"t\" at <$c.x>: can't evaluate field x in type int64",
    );
}

#[test]
fn control_flow() {
    check("{{if .e}}a{{else if .s}}b{{end}}", "b");
    check("{{with .nope}}x{{else}}{{.s}}{{end}}", "str");
    check("{{range $k, $v := .m}}{{$k}}{{$v}}{{end}}", "a1b2");
    check("{{range $i, $e := .l}}{{if eq $i 1}}{{break}}{{end}}{{$e}}{{end}}", "1");
    check("{{range .e}}x{{else}}empty{{end}}", "empty");
    check(
        "{{range .s}}{{end}}",
        "template: t:1:8: executing \"t\" at <.s>: range can't iterate over str",
    );
}

#[test]
fn variables_and_templates() {
    check("{{$x := 1}}{{range .l}}{{$x = .}}{{end}}{{$x}}", "<no value>");
    check("{{define \"d\"}}<{{.}}>{{end}}{{template \"d\" .s}}", "<str>");
    check("{{template \"nope\"}}", "template: t:1:11: executing \"t\" at <{{template \"nope\"}}>: template \"nope\" not defined");
}

#[test]
fn literals_and_pipes() {
    check("{{1e6}} {{0x10}} {{'a'}} {{1i}} {{3.0}}", "1e+06 16 97 (0+1i) 3");
    check("{{.s | printf \"%s!\" | len}}", "4");
    check(
        "{{1 2}}",
        "template: t:1:2: executing \"t\" at <1>: can't give argument to non-function 1",
    );
}

/// The by-reference field lookups and the direct print/printf/println of an action give
/// what the general path gives (expectations from Go 1.19).
#[test]
fn fast_paths_agree_with_go() {
    check("{{$m := .m}}{{$m.a}} {{$m.nope}}", "1 <no value>");
    check(
        "{{$m := .m}}{{$m.a}} {{$m.nope}} {{$m.a.x}}",
        "template: t:1:37: executing \"t\" at <$m.a.x>: can't evaluate field x in type interface {}",
    );
    check(
        "{{$m := .m}}{{$m.b.c}}",
        "template: t:1:16: executing \"t\" at <$m.b.c>: can't evaluate field c in type interface {}",
    );
    check(
        "{{.m.a}}{{.m.zz}}{{.l.x}}",
        "template: t:1:21: executing \"t\" at <.l.x>: can't evaluate field x in type interface {}",
    );
    check("{{.m.a}}{{.m.zz}}", "1<no value>");
    check(
        "{{printf \"%v-%s\" .n .s}} {{.s | printf \"%q\"}} {{print .n .s}}{{println .z}}",
        "3-str \"str\" 3str<nil>\n",
    );
    check(
        "a{{printf}}",
        "template: t:1:3: executing \"t\" at <printf>: wrong number of args for printf: want at least 1 got 0",
    );
    check("x{{printf 3}}", "template: t:1:10: executing \"t\" at <3>: expected string; found 3");
    check("a{{printf \"%d\" 1 | printf \"%s\"}}", "a1");
    check("{{$x := printf \"%d\" 7}}{{$x}}", "7");
    check(
        "{{with $y := .m}}{{$y.b}}{{end}}{{range $k, $v := .m}}{{print $k $v | printf \"[%s]\"}}{{end}}",
        "2[a1][b2]",
    );
    check("{{print (printf \"%v\" .l) .e}}", "[1 two <nil>][]");
    check("{{index .l 1 | print}}", "two");
}
