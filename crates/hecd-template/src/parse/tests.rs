//! Unit tests for the parser: structure and Go's parse-time errors.

use super::parse;
use crate::func::FuncMap;

#[track_caller]
fn check_err(src: &str, want: &str) {
    match parse("t", src.as_bytes(), &FuncMap::new()) {
        Ok(_) => panic!("{src:?} parsed"),
        Err(e) => assert_eq!(e.to_string(), want, "parsing {src:?}"),
    }
}

#[test]
fn defines_become_trees() {
    let trees =
        parse("t", b"{{define \"a\"}}A{{end}}main{{block \"b\" .}}B{{end}}", &FuncMap::new())
            .expect("parses");
    let mut names: Vec<&str> = trees.iter().map(|t| &*t.name).collect();
    names.sort_unstable();
    assert_eq!(names, ["a", "b", "t"]);
}

#[test]
fn parse_time_checks() {
    check_err("{{if false}}{{nosuch}}{{end}}", "template: t:1: function \"nosuch\" not defined");
    check_err("{{$x}}", "template: t:1: undefined variable \"$x\"");
    check_err("{{if 1}}{{$x := 1}}{{end}}{{$x}}", "template: t:1: undefined variable \"$x\"");
    check_err("{{break}}", "template: t:1: {{break}} outside {{range}}");
    check_err(
        "{{range .}}{{else}}{{continue}}{{end}}",
        "template: t:1: {{continue}} outside {{range}}",
    );
}

#[test]
fn structural_errors() {
    check_err("{{end}}", "template: t:1: unexpected {{end}}");
    check_err("a\n{{if 1}}", "template: t:2: unexpected EOF");
    check_err("{{if 1}}{{else}}{{else}}{{end}}", "template: t:1: expected end; found {{else}}");
    check_err("{{ }}", "template: t:1: missing value for command");
    check_err("{{1 | 2}}", "template: t:1: non executable command in pipeline stage 2");
    check_err("{{nil.x}}", "template: t:1: unexpected . after term \"nil\"");
    check_err("{{range $a, $b, $c := .}}{{end}}", "template: t:1: too many declarations in range");
    check_err(
        "{{define \"a\"}}1{{end}}{{define \"a\"}}2{{end}}",
        "template: t:1: template: multiple definition of template \"a\"",
    );
    check_err("{{.x\n\n", "template: t:3: unclosed action started at t:1");
}
