//! The public API: parse once / execute many, typed values, options.

use hecd_template::{Error, MissingKey, Template, Value};

#[track_caller]
fn check(src: &str, data: &Value, want: &str) {
    let t = Template::new("t").funcs(&crate::golden_funcs()).parse(src).expect("parses");
    let got = t.render(data).map(|b| String::from_utf8_lossy(&b).into_owned());
    match got {
        Ok(s) => assert_eq!(s, want, "rendering {src:?}"),
        Err(e) => assert_eq!(e.to_string(), want, "rendering {src:?}"),
    }
}

#[test]
fn typed_values_print_like_go() {
    let data = Value::interface_map([
        ("i", Value::int(1)),
        ("i64", Value::int64(2)),
        ("u8", Value::uint8(3)),
        ("f", Value::float64(1e6)),
        ("s", Value::string_list(["a", "b"])),
    ]);
    check("{{.i}} {{.i64}} {{.u8}} {{.f}} {{.s}}", &data, "1 2 3 1e+06 [a b]");
    check("{{printf \"%T %T %T %T\" .i .i64 .u8 .s}}", &data, "int int64 uint8 []string");
}

#[test]
fn typed_args_are_checked() {
    let data = Value::interface_map([("n", Value::int64(1)), ("i", Value::int(2))]);
    check(
        "{{add .n 1}}",
        &data,
        "template: t:1:6: executing \"t\" at <.n>: wrong type for value; expected int; got int64",
    );
    check("{{add .i 1}}", &data, "3");
}

#[test]
fn missing_key_options() {
    let data = Value::interface_map([("a", Value::int(1))]);
    let t = Template::new("t").parse("{{.b}}").expect("parses");
    assert_eq!(t.render(&data).expect("renders"), b"<no value>");
    let t = t.missing_key(MissingKey::Error);
    let err = t.render(&data).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "template: t:1:2: executing \"t\" at <.b>: map has no entry for key \"b\""
    );
    assert!(matches!(err, Error::Exec(_)));
}

#[test]
fn execute_template_by_name_and_reuse() {
    let t = Template::new("main")
        .parse("{{define \"row\"}}<{{.}}>{{end}}{{template \"row\" .}}")
        .expect("parses");
    assert!(t.has_template("row"));
    let mut out = Vec::new();
    t.execute_template(&mut out, "row", &Value::from("x")).expect("renders");
    assert_eq!(out, b"<x>");
    for i in 0..3 {
        assert_eq!(t.render(&Value::int(i)).expect("renders"), format!("<{i}>").as_bytes());
    }
    let err = t.execute_template(&mut out, "nope", &Value::Missing).expect_err("unknown");
    assert_eq!(err.to_string(), "template: no template \"nope\" associated with template \"main\"");
}

#[test]
fn parse_errors_are_typed() {
    let err = Template::new("t.tmpl").parse("{{nosuch}}").expect_err("fails");
    match &err {
        Error::Parse(p) => {
            assert_eq!(p.line, 1);
            assert_eq!(p.message, "function \"nosuch\" not defined");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.to_string(), "template: t.tmpl:1: function \"nosuch\" not defined");
}

#[test]
fn templates_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    assert_send_sync::<Value>();
    let t = Template::new("t").parse("{{.}}").expect("parses");
    std::thread::scope(|s| {
        for i in 0..4 {
            let t = &t;
            s.spawn(move || {
                assert_eq!(t.render(&Value::int(i)).expect("ok"), i.to_string().as_bytes())
            });
        }
    });
}

#[test]
fn write_errors_surface() {
    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = Template::new("t").parse("hello").expect("parses");
    let err = t.execute(&mut Broken, &Value::Missing).expect_err("fails");
    assert!(matches!(err, Error::Write(_)));
    assert_eq!(err.to_string(), "disk full");
}

#[test]
fn mutating_functions_rebind_their_variable() {
    use hecd_template::{FuncMap, Function, Signature, Type};
    let strings = Type::slice(Type::string());
    let t2 = strings.clone();
    let reverse = Function::new(Signature::new([Type::interface()]).mutates_arg(0), move |a| {
        let mut items = a[0].as_list().map(|l| l.items().to_vec()).unwrap_or_default();
        items.reverse();
        Ok(Value::list(t2.clone(), items))
    });
    let funcs = FuncMap::new().with("reverse", reverse).with(
        "strs",
        Function::new(Signature::new([]).variadic(Type::string()), move |a| {
            Ok(Value::list(strings.clone(), a.to_vec()))
        }),
    );
    let t = Template::new("t")
        .funcs(&funcs)
        .parse("{{$s := strs \"a\" \"b\" \"c\"}}{{reverse $s}} {{$s}}")
        .expect("parses");
    assert_eq!(t.render(&Value::Missing).expect("renders"), b"[c b a] [c b a]");
}

/// Expected outputs recorded from Go 1.19 `Template.Delims`.
#[test]
fn custom_delimiters() {
    let data = Value::interface_map([("x", Value::int64(1))]);
    let run = |l: &str, r: &str, src: &str| {
        Template::new("d")
            .delims(l, r)
            .parse(src)
            .and_then(|t| t.render(&data))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|e| e.to_string())
    };
    let src = "a <<.>> b <<- .x ->> c <</* c */>> <<if .>>y<<end>> {{.}}";
    assert_eq!(run("<<", ">>", src), "a map[x:1] b1c  y {{.}}");
    assert_eq!(run("[[", "]]", src), src);
    assert_eq!(
        run("[[", "]]", "[[.]] [[ .x ]] [[- 1 -]]  [[/*x*/]][["),
        "template: d:1: unclosed action"
    );
    assert_eq!(run("((", "))", "((.))(((1)))"), "template: d:1: unclosed left paren");
    assert_eq!(run("", "", "{{.x}}"), "1");
}

/// Expected texts recorded from Go 1.19 with `Option("missingkey=...")`.
#[test]
fn missing_key_zero_and_error_match_go() {
    let data = hecd_template::from_json(&serde_json::json!({"a": {"b": 1}, "s": {"k": "v"}}));
    let run = |mk: MissingKey, src: &str| {
        Template::new("mk.tmpl")
            .missing_key(mk)
            .parse(src)
            .and_then(|t| t.render(&data))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|e| e.to_string())
    };
    let zero = [
        ("{{.nope}}", "<no value>"),
        ("{{.a.nope}}", "<no value>"),
        (
            "{{.nope.x}}",
            "template: mk.tmpl:1:7: executing \"mk.tmpl\" at <.nope.x>: nil pointer evaluating interface {}.x",
        ),
        ("{{index .a \"nope\"}}", "<no value>"),
        ("{{.a.b}}|{{print .a.nope}}", "1|<nil>"),
        ("{{with .nope}}x{{else}}y{{end}}", "y"),
    ];
    for (src, want) in zero {
        assert_eq!(run(MissingKey::Zero, src), want, "zero: {src}");
    }
    let error = [
        ("{{.nope}}", "template: mk.tmpl:1:2: executing \"mk.tmpl\" at <.nope>: map has no entry for key \"nope\""),
        (
            "{{.nope.x}}",
            "template: mk.tmpl:1:7: executing \"mk.tmpl\" at <.nope.x>: map has no entry for key \"nope\"",
        ),
        ("{{index .a \"nope\"}}", "<no value>"),
        (
            "{{range .nope}}x{{end}}",
            "template: mk.tmpl:1:8: executing \"mk.tmpl\" at <.nope>: map has no entry for key \"nope\"",
        ),
    ];
    for (src, want) in error {
        assert_eq!(run(MissingKey::Error, src), want, "error: {src}");
    }
}

#[test]
fn executing_an_unparsed_template_is_an_error() {
    let err = Template::new("x").render(&Value::Missing).expect_err("empty");
    assert_eq!(err.to_string(), "template: x: \"x\" is an incomplete or empty template");
}
