//! Unit tests of the watch filter.

use super::concerns;

#[test]
fn changes_below_at_and_above_the_keys_concern_a_resource() {
    let keys = vec!["/app/servers".to_owned()];
    assert!(concerns("/app/servers/a", &keys));
    assert!(concerns("/app/servers", &keys));
    assert!(concerns("/app", &keys), "deleting a parent directory");
    // confd's string-prefix test: a sibling sharing the prefix also triggers a render.
    assert!(concerns("/app/servers2/x", &keys));
    assert!(!concerns("/other/key", &keys));
    assert!(!concerns("/ap", &keys));
}
