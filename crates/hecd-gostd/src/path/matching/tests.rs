//! Table tests for `path.Match`; expectations are Go 1.19's results (its own test table
//! plus the cases confd templates use).

use super::{matches, BadPattern};

#[track_caller]
fn check(pattern: &str, name: &str, want: Result<bool, BadPattern>) {
    assert_eq!(matches(pattern, name), want, "pattern {pattern:?} name {name:?}");
}

#[test]
fn literal_star_and_question() {
    check("abc", "abc", Ok(true));
    check("*", "abc", Ok(true));
    check("*c", "abc", Ok(true));
    check("a*", "a", Ok(true));
    check("a*", "abc", Ok(true));
    check("a*", "ab/c", Ok(false));
    check("a*/b", "abc/b", Ok(true));
    check("a*/b", "a/c/b", Ok(false));
    check("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true));
    check("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true));
    check("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false));
    check("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false));
    check("a*b?c*x", "abxbbxdbxebxczzx", Ok(true));
    check("a*b?c*x", "abxbbxdbxebxczzy", Ok(false));
    check("a?b", "a☺b", Ok(true));
    check("a???b", "a☺b", Ok(false));
    check("a?b", "a/b", Ok(false));
    check("*x", "xxx", Ok(true));
    check("/app/servers/*", "/app/servers/web1", Ok(true));
    check("/app/*", "/app/db/host", Ok(false));
    check("/*", "/app", Ok(true));
}

#[test]
fn classes() {
    check("ab[c]", "abc", Ok(true));
    check("ab[b-d]", "abc", Ok(true));
    check("ab[e-g]", "abc", Ok(false));
    check("ab[^c]", "abc", Ok(false));
    check("ab[^b-d]", "abc", Ok(false));
    check("ab[^e-g]", "abc", Ok(true));
    check("a\\*b", "a*b", Ok(true));
    check("a\\*b", "ab", Ok(false));
    check("a[^a]b", "a☺b", Ok(true));
    check("[a-ζ]*", "α", Ok(true));
    check("*[a-ζ]", "A", Ok(false));
    check("[\\]a]", "]", Ok(true));
    check("[\\-]", "-", Ok(true));
    check("[x\\-]", "x", Ok(true));
    check("[x\\-]", "-", Ok(true));
    check("[x\\-]", "z", Ok(false));
    check("[\\-x]", "a", Ok(false));
    check("/app/servers/web[13]", "/app/servers/web3", Ok(true));
    check("/app/servers/web[13]", "/app/servers/web2", Ok(false));
}

#[test]
fn bad_patterns() {
    check("[]a]", "]", Err(BadPattern));
    check("[-]", "-", Err(BadPattern));
    check("[x-]", "x", Err(BadPattern));
    check("[x-]", "-", Err(BadPattern));
    check("[-x]", "x", Err(BadPattern));
    check("\\", "a", Err(BadPattern));
    check("[a-b-c]", "a", Err(BadPattern));
    check("[", "a", Err(BadPattern));
    check("[^", "a", Err(BadPattern));
    check("[^bc", "a", Err(BadPattern));
    check("a[", "a", Err(BadPattern));
    check("a[", "ab", Err(BadPattern));
    check("a[", "x", Err(BadPattern));
    check("a/b[", "x", Err(BadPattern));
    check("*x[", "a", Err(BadPattern));
    check("a*b[", "x", Err(BadPattern));
    check("/app/[", "/app/name", Err(BadPattern));
}
