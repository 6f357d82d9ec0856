//! Timestamp formatting checked against Go's RFC3339Nano output.

use super::*;

#[track_caller]
fn check(secs: u64, nanos: u32, want: &str) {
    let t = UNIX_EPOCH + Duration::new(secs, nanos);
    assert_eq!(format_rfc3339_nano(t), want);
    assert_eq!(parse_rfc3339(want), Some(t));
}

#[test]
fn formats_like_go() {
    check(0, 0, "1970-01-01T00:00:00Z");
    check(1_795_616_789, 870_140_510, "2026-11-25T14:26:29.87014051Z");
    check(951_782_400, 1, "2000-02-29T00:00:00.000000001Z");
    check(1_709_164_800, 500_000_000, "2024-02-29T00:00:00.5Z");
}

#[test]
fn parses_offsets() {
    let t = parse_rfc3339("2026-11-25T15:26:29+01:00");
    assert_eq!(t, parse_rfc3339("2026-11-25T14:26:29Z"));
    assert_eq!(parse_rfc3339("garbage"), None);
}
