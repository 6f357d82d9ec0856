//! Fuzz-style robustness: random templates never panic, hang or overflow
//! the stack; deep nesting fails with a clear error.

use hecd_template::{Template, Value};

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    " -}}",
    "if",
    "else",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ".",
    ".a",
    ".b.c",
    "$",
    "\"s\"",
    "`r`",
    "'c'",
    "1",
    "-2",
    "3.5",
    "0x1f",
    "1e3",
    "nil",
    "true",
    "print",
    "printf",
    "\"%d %s %v\"",
    "len",
    "index",
    "slice",
    "eq",
    "lt",
    "and",
    "or",
    "not",
    "html",
    "js",
    "add",
    "kv",
    " ",
    "\n",
    "/*",
    "*/",
    "x",
    "{",
    "}",
    ",",
    "\\",
    "\"",
    "%",
];

#[test]
fn random_templates_do_not_panic() {
    let funcs = crate::golden_funcs();
    let data = hecd_template::from_json(&serde_json::json!({
        "a": [1, "x", null], "b": {"c": {"d": 1}}, "s": "str"
    }));
    // `HECD_TEMPLATE_FUZZ_ITERS` scales the run for longer local sessions.
    let iters =
        std::env::var("HECD_TEMPLATE_FUZZ_ITERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for i in 0..iters {
        let src: Vec<u8> = if i % 4 == 3 {
            // Raw random bytes, including invalid UTF-8.
            (0..rng.usize(1..60)).map(|_| rng.u8(..)).collect()
        } else {
            let n = rng.usize(1..40);
            (0..n).flat_map(|_| PIECES[rng.usize(..PIECES.len())].bytes()).collect()
        };
        if let Ok(t) = Template::new("f").funcs(&funcs).parse_bytes(&src) {
            let _ = t.render(&data);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let depth = 100_000;
    let src = format!("{{{{{}1{}}}}}", "(".repeat(depth), ")".repeat(depth));
    let err = Template::new("deep").parse(&src).expect_err("too deep");
    assert_eq!(err.to_string(), "template: deep:1: max expression depth exceeded");
    let src = "{{if 1}}".repeat(depth) + &"{{end}}".repeat(depth);
    let err = Template::new("deep").parse(&src).expect_err("too deep");
    assert_eq!(err.to_string(), "template: deep:1: max expression depth exceeded");
}

#[test]
fn infinite_template_recursion_stops() {
    let t =
        Template::new("r").parse("{{define \"r\"}}x{{template \"r\" .}}{{end}}").expect("parses");
    let mut out = Vec::new();
    let err = t.execute_template(&mut out, "r", &Value::Missing).expect_err("too deep");
    assert!(err.to_string().ends_with("exceeded maximum template depth (100000)"), "{err}");
}

#[test]
fn deep_nesting_across_recursive_templates_stops() {
    let body =
        format!("{}{{{{template \"r\" .}}}}{}", "{{if 1}}".repeat(150), "{{end}}".repeat(150));
    let src = format!("{{{{define \"r\"}}}}{body}{{{{end}}}}");
    let t = Template::new("n").parse(&src).expect("parses");
    let mut out = Vec::new();
    let err = t.execute_template(&mut out, "r", &Value::Missing).expect_err("too deep");
    assert!(err.to_string().ends_with("exceeded maximum template depth (100000)"), "{err}");
}

#[test]
fn deepest_allowed_expressions_fit_the_stack() {
    // 150 nested parenthesised pipelines inside 45 nested ifs inside
    // recursive templates: limits are hit before the stack is.
    let expr = format!("{}1{}", "(print ".repeat(150), ")".repeat(150));
    let body = format!(
        "{}{{{{print {expr}}}}}{{{{template \"r\" .}}}}{}",
        "{{if 1}}".repeat(45),
        "{{end}}".repeat(45)
    );
    let src = format!("{{{{define \"r\"}}}}{body}{{{{end}}}}");
    let t = Template::new("n").parse(&src).expect("parses");
    let mut out = Vec::new();
    let err = t.execute_template(&mut out, "r", &Value::Missing).expect_err("too deep");
    assert!(err.to_string().ends_with("exceeded maximum template depth (100000)"), "{err}");
}
