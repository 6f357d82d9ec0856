//! Unit tests of `command`.

use super::*;

#[test]
fn round_trips() {
    let cmds = [
        Command::Sync { now: 5 },
        Command::Put {
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
        Command::Delete {
            key: "/d".into(),
            dir: true,
            recursive: true,
            prev_value: Some("x".into()),
            prev_index: 0,
            now: 2,
        },
    ];
    for c in cmds {
        assert_eq!(Command::decode(&c.encode()).ok(), Some(c));
    }
    assert!(Command::decode(b"junk").is_err());
}
