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

#[test]
fn clean_paths_are_kept_as_they_are() {
    // Every path of up to six characters from `/`, `.` and `a`: the ones taken as clean are
    // exactly the fixed points of the long way, and the long way always yields a clean path.
    let mut paths = vec![String::new()];
    for _ in 0..6 {
        let longer: Vec<String> = paths
            .iter()
            .filter(|p| p.len() == paths.last().map_or(0, String::len))
            .flat_map(|p| ['/', '.', 'a'].map(|c| format!("{p}{c}")))
            .collect();
        paths.extend(longer);
    }
    assert_eq!(paths.len(), (0..=6).map(|n| 3usize.pow(n)).sum::<usize>());
    for p in &paths {
        let long = rebuild(p);
        assert_eq!(is_clean(p), long == *p, "{p:?} -> {long:?}");
        assert!(is_clean(&long), "{p:?} -> {long:?}");
        assert_eq!(clean_path(p), long, "{p:?}");
    }
}

#[test]
fn prefixes_walk_a_clean_path() {
    let walk = |p| prefixes(p).collect::<Vec<_>>();
    assert_eq!(walk("/"), []);
    assert_eq!(walk("/a"), [("a", "/a")]);
    assert_eq!(walk("/ab/c/de"), [("ab", "/ab"), ("c", "/ab/c"), ("de", "/ab/c/de")]);
    for p in ["/", "/a", "/ab/c/de", "/x/_y/z"] {
        assert!(walk(p).iter().map(|(n, _)| *n).eq(components(p)), "{p}");
    }
}
