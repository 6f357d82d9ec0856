//! Go-recorded expectations for the `strings` helpers (Go 1.19).

use super::{replace, split, to_lower, to_upper};

#[test]
fn case_mapping_is_go_simple_mapping() {
    assert_eq!(to_upper("straße ǆ ﬁ ᾳ"), "STRAßE Ǆ ﬁ ᾼ");
    assert_eq!(to_lower("İSTANBUL ΣΑΣ Ǆ"), "istanbul σασ ǆ");
    assert_eq!(to_upper("MiXeD 1"), "MIXED 1");
    assert_eq!(to_lower("MiXeD 1"), "mixed 1");
}

#[test]
fn split_and_replace() {
    assert_eq!(split("", ""), Vec::<String>::new());
    assert_eq!(split("", ","), [""]);
    assert_eq!(split("a,b,", ","), ["a", "b", ""]);
    assert_eq!(split("héllo", ""), ["h", "é", "l", "l", "o"]);
    assert_eq!(replace("abc", "", "-", -1), "-a-b-c-");
    assert_eq!(replace("abc", "", "-", 2), "-a-bc");
    assert_eq!(replace("aaa", "a", "b", 2), "bba");
    assert_eq!(replace("aaa", "a", "b", 0), "aaa");
    assert_eq!(replace("héllo", "", "|", -1), "|h|é|l|l|o|");
    assert_eq!(replace("a-b-c", "-", "_", -1), "a_b_c");
}

#[test]
fn byte_strings_follow_go() {
    // Recorded from Go 1.19 with strings holding invalid UTF-8.
    assert!(super::contains("é".as_bytes(), b"\xc3"));
    assert_eq!(super::to_upper_bytes(b"a\xe2\x82b\xff"), "A\u{fffd}\u{fffd}B\u{fffd}".as_bytes());
    assert_eq!(super::to_lower_bytes(b"\xffAB"), "\u{fffd}ab".as_bytes());
    assert_eq!(
        super::split_bytes(b"a\xffb", b""),
        [b"a".to_vec(), "\u{fffd}".as_bytes().to_vec(), b"b".to_vec()]
    );
    assert_eq!(super::split_bytes(b"a\xff", b""), [b"a".to_vec(), b"\xff".to_vec()]);
    assert_eq!(super::split_bytes(b"a\xff,b", b","), [b"a\xff".to_vec(), b"b".to_vec()]);
    assert_eq!(super::replace_bytes(b"a\xffb", b"", b"-", -1), b"-a-\xff-b-".to_vec());
}
