//! Unit tests of `state`.

use super::*;

#[test]
fn number_headers_match_the_http_crates() {
    let mut n = 1u64;
    let mut cases = vec![0, u64::MAX, u64::MAX / 10, 10_000_000_000_000_000_000];
    while let Some(next) = n.checked_mul(10) {
        cases.extend([n - 1, n, n + 1]);
        n = next;
    }
    for n in cases {
        assert_eq!(number(n), HeaderValue::from(n), "{n}");
    }
}
