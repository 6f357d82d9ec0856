//! Unit tests of the client's pure helpers.

use super::*;

#[test]
fn endpoints_are_normalised() {
    assert_eq!(normalize_endpoint("127.0.0.1:4001").unwrap(), "http://127.0.0.1:4001");
    assert_eq!(normalize_endpoint("http://h:2379/").unwrap(), "http://h:2379");
    assert!(matches!(normalize_endpoint("ftp://h:1"), Err(Error::InvalidEndpoint { .. })));
    assert!(matches!(normalize_endpoint("http://:80"), Err(Error::InvalidEndpoint { .. })));
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (i, o) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(i.as_bytes()), o, "{i}");
    }
}

#[test]
fn forms_encode_like_etcd_clients() {
    let mut q = Query::default();
    q.pair("value", "a b&c=d");
    q.flag("dir", false);
    q.flag("refresh", true);
    q.precondition(&Precondition { exists: Some(false), value: Some("x".into()), index: Some(7) });
    assert_eq!(
        q.finish(),
        "value=a+b%26c%3Dd&refresh=true&prevExist=false&prevValue=x&prevIndex=7"
    );
}

#[test]
fn key_paths_are_escaped_but_keep_slashes() {
    assert_eq!(utf8_percent_encode("/a b/c?d#e%", PATH).to_string(), "/a%20b/c%3Fd%23e%25");
}

#[test]
fn url_lists_split_on_commas() {
    assert_eq!(split_urls(" http://a:1 ,http://b:2,, "), ["http://a:1", "http://b:2"]);
    assert!(split_urls("").is_empty());
}
