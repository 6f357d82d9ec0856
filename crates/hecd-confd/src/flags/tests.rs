//! Unit tests of the Go-style flag parser.

use super::*;

#[track_caller]
fn check(args: &[&str], want: &[(&str, Option<&str>)]) {
    let flags = parse(args.iter().copied()).expect("parses");
    for (name, value) in want {
        assert_eq!(flags.get(name), *value, "flag {name} of {args:?}");
    }
}

#[test]
fn go_syntax() {
    check(
        &["--onetime", "-noop=false", "-prefix=/a", "--prefix", "/b"],
        &[
            ("onetime", Some("true")),
            ("noop", Some("false")),
            ("prefix", Some("/b")),
            ("watch", None),
        ],
    );
    check(
        &["-verbose", "-interval", "10", "-node", "127.0.0.1:4001"],
        &[("verbose", Some("true")), ("interval", Some("10"))],
    );
}

#[test]
fn nodes_accumulate_and_parsing_stops_at_a_non_flag() {
    let flags = parse(["-node", "a", "--node=b", "-watch", "false", "-noop"]).unwrap();
    assert_eq!(flags.nodes(), ["a", "b"]);
    assert_eq!(flags.rest, ["false", "-noop"]);
    assert_eq!(flags.get("noop"), None);
}

#[test]
fn errors_are_go_texts() {
    let e = |args: &[&str]| parse(args.iter().copied()).unwrap_err().to_string();
    assert_eq!(e(&["-debug"]), "flag provided but not defined: -debug");
    assert_eq!(e(&["-confdir"]), "flag needs an argument: -confdir");
    assert_eq!(e(&["-interval", "x"]), "invalid value \"x\" for flag -interval: parse error");
    assert_eq!(e(&["-noop=maybe"]), "invalid boolean value \"maybe\" for -noop: parse error");
}

#[test]
fn durations() {
    use std::time::Duration;
    assert_eq!(parse_go_duration("1.5s"), Some(Duration::from_millis(1500)));
    assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
    assert_eq!(parse_go_duration("10"), None);
}
