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

/// The instant `secs` seconds (negative: before) and `nanos` after the Unix epoch.
fn instant(secs: i64, nanos: u32) -> SystemTime {
    let base = if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    base + Duration::from_nanos(nanos.into())
}

/// Every line of `fixtures/v2api/time/time.txt`, recorded from Go 1.19 (`gen.go`): leap
/// days, century years, before the epoch, the year 1 and 9999, offsets, bad forms.
#[test]
fn formats_and_parses_as_go_does() {
    let table = include_str!("../../../../fixtures/v2api/time/time.txt");
    let mut checked = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        // A parse line's text may hold a space: split its numbers off the end.
        let f: Vec<&str> = if line.starts_with("parse ") && !line.ends_with(" error") {
            let mut r: Vec<&str> = line.rsplitn(3, ' ').collect();
            r.reverse();
            let (head, text) = r[0].split_once(' ').unwrap();
            vec![head, text, r[1], r[2]]
        } else if let Some(text) =
            line.strip_prefix("parse ").and_then(|l| l.strip_suffix(" error"))
        {
            vec!["parse", text, "error"]
        } else {
            line.split(' ').collect()
        };
        match f[..] {
            ["format", secs, nanos, text] => {
                let t = instant(secs.parse().unwrap(), nanos.parse().unwrap());
                assert_eq!(format_rfc3339_nano(t), text, "{line}");
                assert_eq!(parse_rfc3339(text), Some(t), "{line}");
            }
            ["parse", text, "error"] => assert_eq!(parse_rfc3339(text), None, "{line}"),
            ["parse", text, secs, nanos] => {
                let t = instant(secs.parse().unwrap(), nanos.parse().unwrap());
                assert_eq!(parse_rfc3339(text), Some(t), "{line}");
            }
            _ => panic!("bad fixture line {line:?}"),
        }
        checked += 1;
    }
    assert!(checked > 40, "{checked} lines");
}
