//! The hand-written event encoder agrees with the `hecd_v2api` wire types.

use std::time::{Duration, SystemTime};

use super::*;

fn node(key: &str, value: Option<&str>) -> NodeView {
    NodeView {
        key: key.into(),
        value: value.map(Into::into),
        modified_index: 5,
        created_index: 4,
        ..NodeView::default()
    }
}

#[track_caller]
fn check(e: &Event, nvos: bool, want: &str) {
    let got = event_json(e, nvos);
    assert_eq!(String::from_utf8_lossy(&got), format!("{want}\n"));
    let decoded: hecd_v2api::Response =
        serde_json::from_slice(&got).expect("decodes as v2api::Response");
    let again = serde_json::to_string(&decoded).expect("encodes");
    assert_eq!(again, want, "v2api re-encoding differs");
}

#[test]
fn events_encode_like_etcd() {
    let exp = SystemTime::UNIX_EPOCH + Duration::new(1_795_616_789, 870_140_510);
    let set = Event {
        action: Action::Set,
        node: NodeView { expiration: Some(exp), ttl: 5, ..node("/a", Some("x")) },
        prev_node: Some(node("/a", Some(""))),
        index: 5,
        refresh: false,
    };
    check(
        &set,
        false,
        r#"{"action":"set","node":{"key":"/a","value":"x","expiration":"2026-11-25T14:26:29.87014051Z","ttl":5,"modifiedIndex":5,"createdIndex":4},"prevNode":{"key":"/a","value":"","modifiedIndex":5,"createdIndex":4}}"#,
    );
    check(&set, true, r#"{"action":"set"}"#);
    let root = Event {
        action: Action::Get,
        node: NodeView { dir: true, nodes: Some(vec![node("/d", None)]), ..NodeView::default() },
        prev_node: None,
        index: 9,
        refresh: false,
    };
    check(
        &root,
        true,
        r#"{"action":"get","node":{"dir":true,"nodes":[{"key":"/d","modifiedIndex":5,"createdIndex":4}]}}"#,
    );
}

#[test]
fn statuses() {
    assert_eq!(status_of(ErrorCode::KeyNotFound), StatusCode::NOT_FOUND);
    assert_eq!(status_of(ErrorCode::NodeExist), StatusCode::PRECONDITION_FAILED);
    assert_eq!(status_of(ErrorCode::DirNotEmpty), StatusCode::FORBIDDEN);
    assert_eq!(status_of(ErrorCode::EventIndexCleared), StatusCode::BAD_REQUEST);
    assert_eq!(status_of(ErrorCode::RaftInternal), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        String::from_utf8_lossy(&error_json(ErrorCode::RootReadOnly, "/", 3)),
        "{\"errorCode\":107,\"message\":\"Root is read only\",\"cause\":\"/\",\"index\":3}\n"
    );
}

#[test]
fn strings_are_escaped_as_go_1_19_escapes_them() {
    let key = crate::form::decode_path("/k%FF%FEx").unwrap();
    let value = "<a>&\u{2028}\u{2029}\u{8}\u{c}\u{1}\n\"\\\u{FFFD}";
    let ev = Event {
        action: Action::Get,
        node: node(&key, Some(value)),
        prev_node: None,
        index: 5,
        refresh: false,
    };
    let json = String::from_utf8(event_json(&ev, false)).unwrap();
    let want_value = r#""value":"\u003ca\u003e\u0026\u2028\u2029\u0008\u000c\u0001\n\"\\R""#
        .replace('R', "\u{FFFD}");
    assert!(json.contains(r#""key":"/k\ufffd\ufffdx""#), "{json}");
    assert!(json.contains(&want_value), "{json}");
    // The same bytes as serde_json's, once decoded.
    let decoded: hecd_v2api::Response = serde_json::from_str(&json).expect("decodes");
    assert_eq!(decoded.node.and_then(|n| n.value).as_deref(), Some(value));
    let err = String::from_utf8(error_json(ErrorCode::KeyNotFound, &key, 3)).unwrap();
    assert!(err.contains(r#""cause":"/k\ufffd\ufffdx""#), "{err}");
    // A literal marker character comes out as itself.
    let literal = crate::form::decode_path("/m%F4%8F%BF%BD").unwrap();
    let err = String::from_utf8(error_json(ErrorCode::KeyNotFound, &literal, 3)).unwrap();
    assert!(err.contains("\"cause\":\"/m\u{10FFFD}\""), "{err}");
}
