//! Unit tests of `command`.

use super::*;

#[test]
fn round_trips() {
    let cmds = [
        LogEntry::Sync { now: 5 },
        LogEntry::Put {
            key: "/a".into(),
            value: "v\n\"".into(),
            dir: false,
            expiration: Some(9),
            refresh: false,
            prev_exist: Some(true),
            prev_value: None,
            prev_index: 3,
            now: 1,
        },
        LogEntry::Delete {
            key: "/d".into(),
            dir: true,
            recursive: true,
            prev_value: Some("x".into()),
            prev_index: 0,
            now: 2,
        },
    ];
    for c in cmds {
        assert_eq!(LogEntry::decode(&c.encode()).ok(), Some(c));
    }
    assert!(LogEntry::decode(b"junk").is_err());
}
