//! Field order and omitempty rules of the wire types, checked against etcd's output.

use super::*;

#[track_caller]
fn check<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
    v: &T,
    json: &str,
) {
    let got = serde_json::to_string(v).expect("serializable");
    assert_eq!(got, json);
    let back: T = serde_json::from_str(json).expect("deserializable");
    assert_eq!(&back, v);
}

fn file(key: &str, value: &str, idx: u64) -> Node {
    Node {
        key: key.into(),
        value: Some(value.into()),
        modified_index: idx,
        created_index: idx,
        ..Node::default()
    }
}

#[test]
fn file_node_keeps_empty_value() {
    check(&file("/a", "", 4), r#"{"key":"/a","value":"","modifiedIndex":4,"createdIndex":4}"#);
}

#[test]
fn field_order_with_ttl() {
    let n = Node {
        expiration: Some("2026-11-25T14:26:29.87014051Z".into()),
        ttl: 5,
        ..file("/t", "v", 7)
    };
    check(
        &n,
        r#"{"key":"/t","value":"v","expiration":"2026-11-25T14:26:29.87014051Z","ttl":5,"modifiedIndex":7,"createdIndex":7}"#,
    );
}

#[test]
fn root_listing_has_no_key_or_indices() {
    let root = Node { dir: true, nodes: Some(vec![file("/a", "1", 3)]), ..Node::default() };
    let r = Response { action: Action::Get, node: Some(root), prev_node: None };
    check(
        &r,
        r#"{"action":"get","node":{"dir":true,"nodes":[{"key":"/a","value":"1","modifiedIndex":3,"createdIndex":3}]}}"#,
    );
}

#[test]
fn empty_dir_omits_nodes() {
    let n = Node {
        key: "/d".into(),
        dir: true,
        nodes: None,
        modified_index: 2,
        created_index: 2,
        ..Node::default()
    };
    check(&n, r#"{"key":"/d","dir":true,"modifiedIndex":2,"createdIndex":2}"#);
}

#[test]
fn no_value_on_success_body() {
    check(&Response { action: Action::Set, node: None, prev_node: None }, r#"{"action":"set"}"#);
}

#[test]
fn actions_spelled_like_etcd() {
    check(
        &Response {
            action: Action::CompareAndSwap,
            node: Some(file("/k", "v", 9)),
            prev_node: Some(file("/k", "u", 8)),
        },
        r#"{"action":"compareAndSwap","node":{"key":"/k","value":"v","modifiedIndex":9,"createdIndex":9},"prevNode":{"key":"/k","value":"u","modifiedIndex":8,"createdIndex":8}}"#,
    );
}

#[test]
fn error_body_omits_empty_cause() {
    check(
        &ErrorBody::new(crate::ErrorCode::KeyNotFound, "/no", 12),
        r#"{"errorCode":100,"message":"Key not found","cause":"/no","index":12}"#,
    );
    check(
        &ErrorBody::new(crate::ErrorCode::InvalidField, "", 0),
        r#"{"errorCode":209,"message":"Invalid field","index":0}"#,
    );
}
