//! Go-recorded expectations for `time.Time.Format` and the civil-date arithmetic.

use super::{tzif_zone, GoTime};

fn at(unix: i64, nanos: u32, offset: i32, zone: &str) -> GoTime {
    GoTime { unix, nanos, offset, zone: zone.to_owned(), monotonic: None }
}

#[track_caller]
fn check(t: &GoTime, layout: &str, want: &str) {
    assert_eq!(t.format(layout), want, "layout {layout:?}");
}

#[test]
fn format_reference_layouts() {
    // 2009-11-10 23:00:00.012345 UTC (a Tuesday).
    let t = at(1_257_894_000, 12_345_000, 0, "UTC");
    check(&t, "2006-01-02 15:04:05", "2009-11-10 23:00:00");
    check(&t, "Mon Jan _2 15:04:05 MST 2006", "Tue Nov 10 23:00:00 UTC 2009");
    check(&t, "Monday, 02-Jan-06 15:04:05 MST", "Tuesday, 10-Nov-09 23:00:00 UTC");
    check(&t, "January 2, 2006 3:04PM", "November 10, 2009 11:00PM");
    check(&t, "2006-01-02T15:04:05Z07:00", "2009-11-10T23:00:00Z");
    check(&t, "2006-01-02T15:04:05.000-0700", "2009-11-10T23:00:00.012+0000");
    check(&t, "15:04:05.999999999", "23:00:00.012345");
    check(&t, "05.99", "00.01");
    check(&t, "05,000000", "00,012345");
    check(&t, "MST", "UTC");
    check(&t, "Janx Mona Jan", "Janx Mona Nov");
    check(&t, "_2006 03pm", "_2009 11pm");
    check(&at(1_257_894_000, 0, 0, "UTC"), "15:04:05.999", "23:00:00");
}

#[test]
fn zones_and_offsets() {
    // 2009-11-10 23:00:00 UTC in UTC-03:30 and UTC+05:45.
    let nst = at(1_257_894_000, 0, -(3 * 3600 + 1800), "NST");
    check(
        &nst,
        "2006-01-02 15:04 -0700 -07:00 -07 Z07:00 MST",
        "2009-11-10 19:30 -0330 -03:30 -03 -03:30 NST",
    );
    let npt = at(1_257_894_000, 0, 5 * 3600 + 2700, "");
    check(&npt, "15:04 MST", "04:45 +0545");
    assert_eq!(npt.utc().format("15:04 MST"), "23:00 UTC");
}

#[test]
fn civil_dates() {
    check(&at(0, 0, 0, "UTC"), "2006-01-02 Mon", "1970-01-01 Thu");
    check(&at(951_782_400, 0, 0, "UTC"), "2006-01-02 Monday", "2000-02-29 Tuesday");
    check(&at(-86_400, 0, 0, "UTC"), "2006-01-02 15:04:05", "1969-12-31 00:00:00");
    check(&at(4_102_444_800, 0, 0, "UTC"), "2006-01-02", "2100-01-01");
    assert_eq!(at(951_782_400, 0, 0, "UTC").civil().yday, 60);
}

#[test]
fn tzif_offsets() {
    // A hand-made version-1 TZif file: two types (STD +1h, DST +2h) and one
    // transition to DST at t=1000.
    let mut f = b"TZif".to_vec();
    f.extend_from_slice(&[0; 16]);
    for count in [0u32, 0, 0, 1, 2, 8] {
        f.extend_from_slice(&count.to_be_bytes());
    }
    f.extend_from_slice(&1000i32.to_be_bytes());
    f.push(1);
    f.extend_from_slice(&3600i32.to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&7200i32.to_be_bytes());
    f.extend_from_slice(&[1, 4]);
    f.extend_from_slice(b"STD\0DST\0");
    assert_eq!(tzif_zone(&f, 2000), Some((7200, "DST".to_owned())));
    assert_eq!(tzif_zone(&f, 10), Some((3600, "STD".to_owned())));
    assert_eq!(tzif_zone(b"nope", 10), None);
}

#[test]
fn string_carries_the_monotonic_reading() {
    let mut t = at(1_257_894_000, 5, 0, "UTC");
    assert_eq!(t.go_string(), "2009-11-10 23:00:00.000000005 +0000 UTC");
    t.monotonic = Some(std::time::Duration::new(1, 466_455));
    assert_eq!(t.go_string(), "2009-11-10 23:00:00.000000005 +0000 UTC m=+1.000466455");
    assert_eq!(t.utc().go_string(), "2009-11-10 23:00:00.000000005 +0000 UTC");
}

#[test]
fn tzif_footer_rules_apply_after_the_last_transition() {
    // A version-2 TZif file with no transitions, only CET and the footer
    // `CET-1CEST,M3.5.0,M10.5.0/3`, as Debian's slim zoneinfo files are; the expectations
    // are Go 1.19's `time.LoadLocationFromTZData` on the same bytes.
    let mut f = Vec::new();
    for _ in 0..2 {
        f.extend_from_slice(b"TZif2");
        f.extend_from_slice(&[0; 15]);
        for count in [0u32, 0, 0, 0, 1, 4] {
            f.extend_from_slice(&count.to_be_bytes());
        }
        f.extend_from_slice(&3600i32.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(b"CET\0");
    }
    f.extend_from_slice(b"\nCET-1CEST,M3.5.0,M10.5.0/3\n");
    assert_eq!(tzif_zone(&f, 0), Some((3600, "CET".to_owned())));
    assert_eq!(tzif_zone(&f, 1_796_000_000), Some((3600, "CET".to_owned())));
    assert_eq!(tzif_zone(&f, 2_200_000_000), Some((7200, "CEST".to_owned())));
}
