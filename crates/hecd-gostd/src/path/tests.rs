//! Table tests for the Go `path` helpers; expectations are Go 1.19's results.

use super::{base, clean, dir, join};

#[track_caller]
fn check(f: fn(&str) -> String, cases: &[(&str, &str)]) {
    for (input, want) in cases {
        assert_eq!(f(input), *want, "input {input:?}");
    }
}

#[test]
fn clean_matches_go() {
    check(
        clean,
        &[
            ("", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("a/./b", "a/b"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("a/..", "."),
            ("a/../..", ".."),
            ("../a/../../b", "../../b"),
            ("/a/b/../c/.", "/a/c"),
        ],
    );
}

#[test]
fn base_matches_go() {
    check(
        base,
        &[
            ("/a/b/c", "c"),
            ("/a/b/", "b"),
            ("", "."),
            ("/", "/"),
            ("a//", "a"),
            ("///", "/"),
            ("a", "a"),
        ],
    );
}

#[test]
fn dir_matches_go() {
    check(
        dir,
        &[
            ("/a/b/c", "/a/b"),
            ("a", "."),
            ("/", "/"),
            ("/a/", "/a"),
            ("", "."),
            ("/a/../b", "/"),
            ("a/b", "a"),
        ],
    );
}

#[test]
fn join_matches_go() {
    assert_eq!(join(&["/", "app/x"]), "/app/x");
    assert_eq!(join(&["/", "//a/b/"]), "/a/b");
    assert_eq!(join(&["/", ""]), "/");
    assert_eq!(join(&["", ""]), "");
    assert_eq!(join(&["a", "..", ".."]), "..");
}
