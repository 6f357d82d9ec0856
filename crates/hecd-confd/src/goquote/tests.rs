//! Expectations are Go 1.19's `strconv.Quote` results.
use super::quote;

#[test]
fn quotes_like_go() {
    for (input, want) in [
        ("x", "\"x\""),
        ("a\"b\\", "\"a\\\"b\\\\\""),
        ("\n\t\u{1}\u{7f}", "\"\\n\\t\\x01\\x7f\""),
        ("ü ✓", "\"ü ✓\""),
        ("\u{a0}\u{ad}\u{80}", "\"\\u00a0\\u00ad\\u0080\""),
        ("\u{e0001}", "\"\\U000e0001\""),
    ] {
        assert_eq!(quote(input), want, "input {input:?}");
    }
}
