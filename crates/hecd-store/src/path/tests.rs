//! Path cleaning cases from Go's `path.Clean`.

use super::*;

#[track_caller]
fn check(input: &str, want: &str) {
    assert_eq!(clean_path(input), want, "input {input:?}");
}

#[test]
fn cleans_like_go() {
    check("", "/");
    check("/", "/");
    check("a", "/a");
    check("/a/", "/a");
    check("//a//b/", "/a/b");
    check("/a/./b", "/a/b");
    check("/a/../b", "/b");
    check("/../..", "/");
    check("/a/b/../../..", "/");
}

#[test]
fn hidden_below_watch_point() {
    assert!(is_hidden("/d", "/d/_h"));
    assert!(is_hidden("/", "/x/_y/z"));
    assert!(!is_hidden("/d/_h", "/d/_h"));
    assert!(!is_hidden("/d", "/d/a_b"));
    assert_eq!(join("/", "a"), "/a");
    assert_eq!(join("/a", "b"), "/a/b");
}
