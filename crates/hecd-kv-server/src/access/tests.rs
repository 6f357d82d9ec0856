//! Framing refusals and CORS, checked against what etcd 3.4 answers.

use super::*;

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_static(v));
    }
    h
}

#[test]
fn only_a_single_chunked_coding_is_implemented() {
    let v11 = Version::HTTP_11;
    assert!(!unsupported_transfer_encoding(v11, &headers(&[])));
    assert!(!unsupported_transfer_encoding(v11, &headers(&[("transfer-encoding", "chunked")])));
    assert!(!unsupported_transfer_encoding(v11, &headers(&[("transfer-encoding", "Chunked")])));
    for bad in ["gzip, chunked", "chunked, chunked", "identity", "gzip", "chunked;x=1", ""] {
        let h = HeaderMap::from_iter([(TRANSFER_ENCODING, HeaderValue::from_str(bad).unwrap())]);
        assert!(unsupported_transfer_encoding(v11, &h), "{bad:?}");
    }
    let twice = headers(&[("transfer-encoding", "chunked"), ("transfer-encoding", "chunked")]);
    assert!(unsupported_transfer_encoding(v11, &twice));
    // Go ignores Transfer-Encoding on HTTP/1.0 (hyper refuses such requests before us).
    assert!(!unsupported_transfer_encoding(Version::HTTP_10, &twice));
}

#[test]
fn the_501_answer_closes_the_connection() {
    let r = not_implemented();
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    assert_eq!(r.headers()[CONNECTION], "close");
    assert_eq!(r.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
}

#[test]
fn cors_values_are_checked_as_etcd_checks_them() {
    assert_eq!(Cors::parse("*"), Ok(Cors::Any));
    let two = Cors::parse("http://b.example:80, HTTPS://a.example:443").unwrap();
    let want: BTreeSet<String> =
        ["https://a.example:443", "http://b.example:80"].into_iter().map(String::from).collect();
    assert_eq!(two, Cors::Origins(want));
    assert!(matches!(Cors::parse(""), Err(CorsError::Scheme(_))));
    assert!(matches!(Cors::parse("example.com:80"), Err(CorsError::Scheme(_))));
    assert!(matches!(Cors::parse("ftp://a:1"), Err(CorsError::Scheme(_))));
    assert!(matches!(Cors::parse("http://a"), Err(CorsError::HostPort(_))));
    assert!(matches!(Cors::parse("http://a:1/x"), Err(CorsError::Path(_))));
    assert!(matches!(Cors::parse("*,http://a:1"), Err(CorsError::Scheme(_))));
    assert!(Cors::parse("http://[::1]:2379").is_ok());
    assert_eq!(
        CorsError::HostPort("http://a".into()).to_string(),
        "URL address does not have the form \"host:port\": http://a"
    );
}

fn decorated(cors: &Cors, req: &HeaderMap) -> HeaderMap {
    let mut r = Response::new(Body::empty());
    cors.decorate(req, &mut r);
    r.headers().clone()
}

#[test]
fn any_origin_gets_a_star_even_without_an_origin_header() {
    let h = decorated(&Cors::Any, &headers(&[]));
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(h["access-control-allow-methods"], ALLOW_METHODS);
    assert_eq!(h["access-control-allow-headers"], ALLOW_HEADERS);
}

#[test]
fn a_listed_origin_is_echoed_and_others_get_nothing() {
    let cors = Cors::parse("http://a.example:8080").unwrap();
    let h = decorated(&cors, &headers(&[("origin", "http://a.example:8080")]));
    assert_eq!(h["access-control-allow-origin"], "http://a.example:8080");
    assert_eq!(h["access-control-allow-methods"], ALLOW_METHODS);
    for other in [&headers(&[("origin", "http://b.example:8080")]), &headers(&[])] {
        let h = decorated(&cors, other);
        assert!(h.get("access-control-allow-origin").is_none());
        assert!(h.get("access-control-allow-methods").is_none());
    }
}
