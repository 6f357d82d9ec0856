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
        LogEntry::Post { key: "/q".into(), value: "".into(), dir: true, expiration: None, now: 4 },
        LogEntry::Publish {
            id: 7,
            name: "n1".into(),
            client_urls: vec!["http://127.0.0.1:2379".into()],
        },
        LogEntry::UpdatePeers { id: 8, peer_urls: vec![] },
    ];
    for c in cmds {
        assert_eq!(LogEntry::decode(&c.encode()).ok(), Some(c));
    }
    assert!(LogEntry::decode(b"junk").is_err());
}

#[test]
fn decodes_fields_in_any_order_and_ignores_unknown_ones() {
    let json = br#"{"now":3,"x":[1],"prev_index":2,"key":"/k","dir":false,"recursive":true,
        "prev_value":null,"op":"delete"}"#;
    let want = LogEntry::Delete {
        key: "/k".into(),
        dir: false,
        recursive: true,
        prev_value: None,
        prev_index: 2,
        now: 3,
    };
    assert_eq!(LogEntry::decode(json).ok(), Some(want));
    // Optional fields may be absent or null.
    let json = br#"{"op":"put","key":"/a","value":"v","dir":false,"expiration":null,"refresh":true,
        "prev_index":0,"now":1}"#;
    let Ok(LogEntry::Put { expiration, prev_exist, prev_value, refresh, .. }) =
        LogEntry::decode(json)
    else {
        panic!("put does not decode")
    };
    assert_eq!((expiration, prev_exist, prev_value, refresh), (None, None, None, true));
}

#[test]
fn refuses_entries_missing_what_their_op_requires() {
    for (json, missing) in [
        (&br#"{"op":"sync"}"#[..], "now"),
        (
            br#"{"op":"put","key":"/a","value":"v","dir":false,"refresh":false,"now":1}"#,
            "prev_index",
        ),
        (br#"{"op":"delete","key":"/a","dir":false,"prev_index":0,"now":1}"#, "recursive"),
        (br#"{"op":"post","key":null,"value":"v","dir":false,"now":1}"#, "key"),
        (br#"{"op":"publish","id":1,"name":"n"}"#, "client_urls"),
        (br#"{"op":"update_peers","peer_urls":[]}"#, "id"),
    ] {
        let err = LogEntry::decode(json).expect_err("incomplete entry");
        assert!(err.to_string().contains(&format!("missing field `{missing}`")), "{err}");
    }
    assert!(LogEntry::decode(br#"{"op":"rename","now":1}"#).is_err());
    assert!(LogEntry::decode(br#"{"now":1}"#).is_err());
    assert!(LogEntry::decode(br#"{"op":"sync","now":-1}"#).is_err());
}
