//! Unit tests of the unified diff.

use super::unified;

#[track_caller]
fn check(old: &str, new: &str, want: &str) {
    assert_eq!(unified("a", "b", old.as_bytes(), new.as_bytes()), want);
}

#[test]
fn equal_texts_give_nothing() {
    check("x\n", "x\n", "");
}

#[test]
fn one_changed_line_with_context() {
    check(
        "1\n2\n3\n4\n5\n6\n7\n8\n",
        "1\n2\n3\n4\nfive\n6\n7\n8\n",
        "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n",
    );
}

#[test]
fn new_file_and_missing_newline() {
    check("", "x\ny", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n");
}

#[test]
fn distant_changes_make_two_hunks() {
    let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
    let new = old.replace("2\n", "two\n").replace("19\n", "nineteen\n");
    let d = unified("a", "b", old.as_bytes(), new.as_bytes());
    assert_eq!(d.matches("@@ -").count(), 2, "{d}");
}
