//! What etcd 3.4 does in front of its handlers: refusing request framings it does not
//! implement (Go's `net/http` server) and CORS (etcd's `accessController`).
//!
//! Framing: Go accepts exactly one `Transfer-Encoding` field whose value is `chunked`; any
//! other coding, list of codings or repeated field is answered 501 and the connection closed.
//! hyper decides the framing first (a list ending in `chunked` is read as chunked), so a
//! request hyper let through with another coding is refused here before its body is read,
//! and the connection is closed: no byte of an ambiguous body is ever taken as a request.
//!
//! CORS: every answer of a handler carries `Access-Control-Allow-*` headers when the origin
//! is allowed (`--cors`, default `*`), and `OPTIONS` on any path is answered 200 at once.

use std::collections::BTreeSet;

use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::{HeaderMap, Response, StatusCode, Version};

use crate::body::Body;

/// `Access-Control-Allow-Methods`, as etcd 3.4 sends it.
pub const ALLOW_METHODS: &str = "POST, GET, OPTIONS, PUT, DELETE";
/// `Access-Control-Allow-Headers`, as etcd 3.4 sends it.
pub const ALLOW_HEADERS: &str = "accept, content-type, authorization";

/// True when the request's transfer codings are not exactly `chunked` once (Go's
/// `unsupportedTEError`). HTTP/1.0 requests never get here with one: hyper refuses them.
pub fn unsupported_transfer_encoding(version: Version, headers: &HeaderMap) -> bool {
    if version < Version::HTTP_11 {
        return false;
    }
    let mut values = headers.get_all(TRANSFER_ENCODING).iter();
    match (values.next(), values.next()) {
        (None, _) => false,
        (Some(v), None) => !v.as_bytes().trim_ascii().eq_ignore_ascii_case(b"chunked"),
        (Some(_), Some(_)) => true,
    }
}

/// Go's answer to a transfer coding it does not implement; the connection is closed after it.
pub fn not_implemented() -> Response<Body> {
    let mut r = Response::new(Body::full("Unsupported transfer encoding"));
    *r.status_mut() = StatusCode::NOT_IMPLEMENTED;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Why a `--cors` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorsError {
    /// No origin given.
    #[error("no valid URLs given")]
    Empty,
    /// Not http, https, unix or unixs.
    #[error("URL scheme must be http, https, unix, or unixs: {0}")]
    Scheme(String),
    /// No `host:port`.
    #[error("URL address does not have the form \"host:port\": {0}")]
    HostPort(String),
    /// A path after the authority.
    #[error("URL must not contain a path: {0}")]
    Path(String),
}

/// The origins allowed by `--cors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// `*` (etcd's default): every answer carries `Access-Control-Allow-Origin: *`.
    #[default]
    Any,
    /// Only these origins (as etcd normalizes them) get the headers, with their own origin.
    Origins(BTreeSet<String>),
}

impl Cors {
    /// Parses a `--cors` value as etcd 3.4 does: `*`, or comma-separated URLs with a scheme
    /// of http, https, unix or unixs, a `host:port` and no path.
    ///
    /// # Errors
    /// The first origin etcd would refuse, worded as etcd words it.
    pub fn parse(s: &str) -> Result<Cors, CorsError> {
        if s == "*" {
            return Ok(Cors::Any);
        }
        let mut set = BTreeSet::new();
        for part in s.split(',') {
            set.insert(origin(part.trim())?);
        }
        if set.is_empty() {
            return Err(CorsError::Empty);
        }
        Ok(Cors::Origins(set))
    }

    /// The `Access-Control-Allow-Origin` value for a request with these headers, if any.
    fn allowed(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        match self {
            Cors::Any => Some(HeaderValue::from_static("*")),
            Cors::Origins(set) => {
                // Go's Header.Get: the first value, "" when absent.
                let o = headers.get("origin").map(HeaderValue::as_bytes).unwrap_or(b"");
                let o = std::str::from_utf8(o).ok()?;
                set.contains(o).then(|| HeaderValue::from_str(o).ok()).flatten()
            }
        }
    }

    /// Adds etcd's CORS headers to `resp` when the request's origin is allowed.
    pub fn decorate(&self, req: &HeaderMap, resp: &mut Response<Body>) {
        if let Some(origin) = self.allowed(req) {
            let h = resp.headers_mut();
            h.append("access-control-allow-methods", HeaderValue::from_static(ALLOW_METHODS));
            h.append("access-control-allow-origin", origin);
            h.append("access-control-allow-headers", HeaderValue::from_static(ALLOW_HEADERS));
        }
    }
}

/// One `--cors` origin, checked and written as Go's `url.URL.String` writes a simple one.
fn origin(s: &str) -> Result<String, CorsError> {
    let (scheme, rest) = s.split_once("://").ok_or_else(|| CorsError::Scheme(s.to_owned()))?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(scheme.as_str(), "http" | "https" | "unix" | "unixs") {
        return Err(CorsError::Scheme(s.to_owned()));
    }
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !path.is_empty() && !path.starts_with('?') && !path.starts_with('#') {
        return Err(CorsError::Path(s.to_owned()));
    }
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let ok = match host.rsplit_once(':') {
        Some((h, _)) if h.starts_with('[') => h.ends_with(']'),
        Some((h, _)) => !h.contains(':'),
        None => false,
    };
    if !ok {
        return Err(CorsError::HostPort(s.to_owned()));
    }
    Ok(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests;
