//! Black-box tests of `hecd-confd`'s renderer: every fixture under
//! `fixtures/confd-funcs/` (expectations recorded from Go by `regen.sh`) is rendered
//! through the public `oneshot::run` entry point, plus the input-file contract of the
//! `render` command.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};

use hecd_confd::oneshot::{run, Request};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/confd-funcs")
}

/// What a fixture expects: the exact output, or Go's error text.
#[derive(Debug, PartialEq)]
enum Outcome {
    Output(String),
    Error(String),
}

fn request(dir: &Path, name: &str) -> Request {
    let data = dir.join(format!("{name}.data.json"));
    Request {
        template: dir.join(format!("{name}.tmpl")),
        data: data.exists().then_some(data),
        kv: Some(dir.join(format!("{name}.kv.json"))),
        prefix: "/".to_owned(),
    }
}

fn render_outcome(request: &Request) -> Outcome {
    match run(request) {
        Ok(out) => Outcome::Output(String::from_utf8_lossy(&out).into_owned()),
        Err(e) => {
            assert!(
                e.is_template_error(),
                "{}: not a template error: {e}",
                request.template.display()
            );
            Outcome::Error(e.to_string())
        }
    }
}

/// Renders fixture `name` and compares with its recorded expectation; returns a
/// description of the mismatch, if any.
fn check(dir: &Path, name: &str) -> Option<String> {
    let want = match std::fs::read_to_string(dir.join(format!("{name}.out"))) {
        Ok(out) => Outcome::Output(out),
        Err(_) => {
            let err = std::fs::read_to_string(dir.join(format!("{name}.err")))
                .unwrap_or_else(|_| panic!("{name}: neither .out nor .err; run regen.sh"));
            Outcome::Error(err.trim_end_matches('\n').to_owned())
        }
    };
    let got = render_outcome(&request(dir, name));
    (got != want).then(|| format!("--- {name}\n want: {want:?}\n  got: {got:?}"))
}

#[test]
fn fixtures_render_like_go() {
    let dir = fixtures();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/confd-funcs exists")
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".tmpl").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 60, "only {} fixtures found", names.len());
    let failures: Vec<String> = names.iter().filter_map(|n| check(&dir, n)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}

#[test]
fn haproxy_seed_lists_four_containers() {
    let dir = fixtures();
    let Outcome::Output(out) = render_outcome(&request(&dir, "haproxy-seed-lines")) else {
        panic!("the seed HAProxy template must render");
    };
    let servers: Vec<&str> =
        out.lines().filter(|l| l.trim_start().starts_with("server ")).collect();
    assert_eq!(
        servers,
        [
            "    server shop-1 172.17.0.2:8080 check inter 5000 fall 1 rise 2",
            "    server shop-10 172.17.0.5:8080 check inter 5000 fall 1 rise 2",
            "    server shop-2 172.17.0.3:8080 check inter 5000 fall 1 rise 2",
            "    server shop-3 172.17.0.4:8080 check inter 5000 fall 1 rise 2",
        ]
    );
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[track_caller]
fn check_input_error(kv: &str, data: &str, want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let request = Request {
        template: write(dir.path(), "t.tmpl", "x"),
        data: Some(write(dir.path(), "data.json", data)),
        kv: Some(write(dir.path(), "kv.json", kv)),
        prefix: "/".to_owned(),
    };
    let err = run(&request).expect_err("input must be rejected");
    assert!(!err.is_template_error(), "{err}");
    assert!(err.to_string().contains(want), "{err:?} does not mention {want:?}");
}

#[test]
fn bad_input_files_are_usage_errors() {
    check_input_error("[1]", "", "want an object of strings, got array");
    check_input_error(r#"{"/a": 1}"#, "", r#"value of "/a" is not a string"#);
    check_input_error(r#"{"/a/": "1", "/a": "2"}"#, "", "both normalise to \"/a\"");
    check_input_error("{", "", "unexpected end of JSON input");
    check_input_error("{}", "{", "unexpected end of JSON input");
    check_input_error("{}", r#"{"n": 1e400}"#, "cannot unmarshal number 1e400");
}

#[test]
fn missing_files_and_empty_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "t.tmpl", "[{{.}}] {{ls \"/\"}}");
    let empty = write(dir.path(), "empty.json", " \n");
    let request = Request {
        template: template.clone(),
        data: Some(empty.clone()),
        kv: Some(empty),
        prefix: String::new(),
    };
    assert_eq!(render_outcome(&request), Outcome::Output("[<no value>] []".to_owned()));

    let missing = Request { template: dir.path().join("nope.tmpl"), ..Request::default() };
    let err = run(&missing).unwrap_err();
    assert!(!err.is_template_error());
    assert!(err.to_string().contains("nope.tmpl"), "{err}");
}

#[test]
fn prefix_is_trimmed_textually() {
    let dir = tempfile::tempdir().unwrap();
    let request = Request {
        template: write(dir.path(), "t.tmpl", "{{getv \"/db\"}} {{getv \"/uction/x\"}}"),
        data: None,
        kv: Some(write(dir.path(), "kv.json", r#"{"/prod/db": "pg", "/production/x": "quirk"}"#)),
        prefix: "prod".to_owned(),
    };
    assert_eq!(render_outcome(&request), Outcome::Output("pg quirk".to_owned()));
}
