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
