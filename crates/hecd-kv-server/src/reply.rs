//! Answers that are not v2 errors: Go's `http.Error`/`http.NotFound` texts, and the
//! `{"message":...}` JSON bodies of the members and auth APIs (no trailing newline, as etcd's
//! `HTTPError`).

use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use crate::body::Body;
use crate::state::Parts;

/// `application/json`.
pub(crate) const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// Go's `text/plain; charset=utf-8`.
pub(crate) const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Go's `http.Error(w, "Method Not Allowed", 405)` with an `Allow` header.
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    r.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// Go's `http.NotFound`.
pub(crate) fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "404 page not found\n")
}

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::full(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    r
}

pub(crate) fn json_response(
    status: StatusCode,
    v: &impl serde::Serialize,
    newline: bool,
) -> Response<Body> {
    let mut b = crate::wire::go_json_plain(v);
    if newline {
        b.push(b'\n');
    }
    let mut r = Response::new(Body::full(b));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, JSON);
    r
}

pub(crate) fn message(status: StatusCode, msg: &str) -> Response<Body> {
    json_response(status, &json!({ "message": msg }), false)
}

/// etcd's `allowMethod(w, r, "GET")` on `/version`, `/health` and `/v2/stats/*`: not even HEAD.
pub(crate) fn get_only(parts: &Parts) -> Option<Response<Body>> {
    (parts.method != Method::GET).then(|| method_not_allowed("GET"))
}

/// Go's `http.Error(w, "Method Not Allowed", 405)` without an `Allow` header (etcd's
/// `getID` on a missing id, after the cluster id header is set).
pub(crate) fn method_not_allowed_plain() -> Response<Body> {
    let mut r = Response::new(Body::full("Method Not Allowed\n"));
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r.headers_mut().insert(CONTENT_TYPE, TEXT);
    r.headers_mut().insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    r
}

pub(crate) fn internal_error() -> Response<Body> {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

pub(crate) fn no_content() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}
