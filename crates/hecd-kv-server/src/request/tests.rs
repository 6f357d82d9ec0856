//! Table tests of `parse_key_request`, modelled on etcd's `v2http` parse tests.

use super::*;

fn base(method: KeyMethod, key: &str) -> KeyRequest {
    KeyRequest {
        method,
        key: key.to_owned(),
        value: String::new(),
        dir: false,
        prev_value: None,
        prev_index: 0,
        prev_exist: None,
        wait: false,
        wait_index: 0,
        recursive: false,
        sorted: false,
        quorum: false,
        stream: false,
        ttl: None,
        refresh: false,
        no_value_on_success: false,
    }
}

fn req(method: &str, target: &str, body: &str) -> Result<KeyRequest, KeyRequestError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, "application/x-www-form-urlencoded".parse().expect("header"));
    let method: Method = method.parse().expect("method");
    let uri: Uri = target.parse().expect("uri");
    parse_key_request(&method, &uri, &headers, body.as_bytes())
}

#[track_caller]
fn check_ok(method: &str, target: &str, body: &str, want: KeyRequest) {
    assert_eq!(req(method, target, body), Ok(want), "{method} {target} {body}");
}

#[track_caller]
fn check_err(method: &str, target: &str, body: &str, code: u16, cause: &str) {
    match req(method, target, body) {
        Err(KeyRequestError::V2 { code: c, cause: got }) => {
            assert_eq!((c.code(), got.as_str()), (code, cause), "{method} {target} {body}")
        }
        other => panic!("{method} {target} {body}: expected error {code}, got {other:?}"),
    }
}

#[test]
fn plain_requests() {
    check_ok("GET", "/v2/keys/a/b/", "", base(KeyMethod::Get, "/a/b"));
    check_ok("GET", "/v2/keys", "", base(KeyMethod::Get, "/"));
    check_ok("HEAD", "/v2/keys/", "", base(KeyMethod::Head, "/"));
    check_ok(
        "PUT",
        "/v2/keys/a%2Fb",
        "value=x+y",
        KeyRequest { value: "x y".into(), ..base(KeyMethod::Put, "/a/b") },
    );
    check_ok("PUT", "/v2/keys/a+b", "", base(KeyMethod::Put, "/a+b"));
    check_ok(
        "POST",
        "/v2/keys/q?dir=true",
        "",
        KeyRequest { dir: true, ..base(KeyMethod::Post, "/q") },
    );
}

#[test]
fn form_body_wins_over_query_and_first_value_wins() {
    check_ok(
        "PUT",
        "/v2/keys/k?value=q",
        "value=b",
        KeyRequest { value: "b".into(), ..base(KeyMethod::Put, "/k") },
    );
    check_ok(
        "PUT",
        "/v2/keys/k?value=1&value=2",
        "",
        KeyRequest { value: "1".into(), ..base(KeyMethod::Put, "/k") },
    );
    // DELETE bodies are not parsed.
    check_ok("DELETE", "/v2/keys/k", "recursive=true", base(KeyMethod::Delete, "/k"));
}

#[test]
fn all_parameters() {
    let want = KeyRequest {
        value: "v".into(),
        prev_value: Some("p".into()),
        prev_index: 7,
        prev_exist: Some(true),
        ttl: Some(5),
        no_value_on_success: true,
        dir: false,
        ..base(KeyMethod::Put, "/k")
    };
    check_ok(
        "PUT",
        "/v2/keys/k?prevValue=p&prevIndex=7&prevExist=true&ttl=5&noValueOnSuccess=true",
        "value=v",
        want,
    );
    let watch = KeyRequest {
        wait: true,
        wait_index: 12,
        recursive: true,
        stream: true,
        sorted: true,
        quorum: true,
        ..base(KeyMethod::Get, "/d")
    };
    check_ok(
        "GET",
        "/v2/keys/d?wait=t&waitIndex=12&recursive=1&stream=True&sorted=TRUE&quorum=true",
        "",
        watch,
    );
    check_ok("PUT", "/v2/keys/k?ttl=", "", base(KeyMethod::Put, "/k"));
    check_ok(
        "PUT",
        "/v2/keys/k?ttl=0",
        "",
        KeyRequest { ttl: Some(0), ..base(KeyMethod::Put, "/k") },
    );
    let refresh = KeyRequest {
        refresh: true,
        ttl: Some(3),
        prev_exist: Some(true),
        ..base(KeyMethod::Put, "/k")
    };
    check_ok("PUT", "/v2/keys/k?refresh=true&ttl=3&prevExist=true", "", refresh);
}

#[test]
fn errors_in_etcd_order() {
    check_err("PUT", "/v2/keys/k?a=%zz", "", 210, r#"invalid URL escape "%zz""#);
    check_err(
        "PUT",
        "/v2/keys/k?prevIndex=x&waitIndex=y",
        "",
        203,
        r#"invalid value for "prevIndex""#,
    );
    check_err("GET", "/v2/keys/k?waitIndex=-1", "", 203, r#"invalid value for "waitIndex""#);
    check_err("GET", "/v2/keys/k?prevIndex=", "", 203, r#"invalid value for "prevIndex""#);
    check_err(
        "GET",
        "/v2/keys/k?recursive=yes&sorted=no",
        "",
        209,
        r#"invalid value for "recursive""#,
    );
    check_err("GET", "/v2/keys/k?sorted=2", "", 209, r#"invalid value for "sorted""#);
    check_err("GET", "/v2/keys/k?wait=x", "", 209, r#"invalid value for "wait""#);
    check_err("PUT", "/v2/keys/k?dir=x", "", 209, r#"invalid value for "dir""#);
    check_err("GET", "/v2/keys/k?quorum=x", "", 209, r#"invalid value for "quorum""#);
    check_err("GET", "/v2/keys/k?stream=", "", 209, r#"invalid value for "stream""#);
    check_err(
        "PUT",
        "/v2/keys/k?wait=true",
        "",
        209,
        r#""wait" can only be used with GET requests"#,
    );
    check_err("PUT", "/v2/keys/k?prevValue=", "", 201, r#""prevValue" cannot be empty"#);
    check_err(
        "PUT",
        "/v2/keys/k?noValueOnSuccess=x",
        "",
        209,
        r#"invalid value for "noValueOnSuccess""#,
    );
    check_err("PUT", "/v2/keys/k?ttl=abc", "", 202, r#"invalid value for "ttl""#);
    check_err("PUT", "/v2/keys/k?ttl=-1", "", 202, r#"invalid value for "ttl""#);
    check_err("PUT", "/v2/keys/k?ttl=1.5", "", 202, r#"invalid value for "ttl""#);
    check_err("PUT", "/v2/keys/k?prevExist=maybe", "", 209, "invalid value for prevExist");
    check_err("PUT", "/v2/keys/k?refresh=x", "", 209, "invalid value for refresh");
    check_err(
        "PUT",
        "/v2/keys/k?refresh=true&ttl=5",
        "value=v",
        211,
        "A value was provided on a refresh",
    );
    check_err("PUT", "/v2/keys/k?refresh=true", "", 212, "No TTL value set");
    check_err("PUT", "/v2/keys/k", "a=b;c", 210, "invalid semicolon separator in query");
}

#[test]
fn unknown_methods() {
    assert_eq!(req("PATCH", "/v2/keys/k", ""), Err(KeyRequestError::MethodNotAllowed));
    assert_eq!(req("OPTIONS", "/v2/keys/k", ""), Err(KeyRequestError::MethodNotAllowed));
}

#[test]
fn oversized_form_is_refused() {
    let big = format!("value={}", "x".repeat(MAX_FORM_BYTES));
    check_err("PUT", "/v2/keys/k", &big, 210, "http: POST too large");
}

#[test]
fn json_body_is_not_parsed() {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, "application/json".parse().expect("header"));
    let uri: Uri = "/v2/keys/k".parse().expect("uri");
    let got = parse_key_request(&Method::PUT, &uri, &headers, br#"{"value":"x"}"#);
    assert_eq!(got, Ok(base(KeyMethod::Put, "/k")));
}
