//! Unit tests of `cluster`.

use super::go_duration;
use std::time::Duration;

#[test]
fn durations_print_like_go() {
    let check = |d: Duration, want: &str| assert_eq!(go_duration(d), want);
    check(Duration::from_nanos(50_071_696), "50.071696ms");
    check(Duration::from_micros(1500), "1.5ms");
    check(Duration::from_nanos(1500), "1.5µs");
    check(Duration::from_nanos(7), "7ns");
    check(Duration::ZERO, "0s");
    check(Duration::from_millis(62_300), "1m2.3s");
    check(Duration::from_secs(3600 * 2 + 5), "2h0m5s");
}
