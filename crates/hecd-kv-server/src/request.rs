//! `parse_key_request`: a pure function from an HTTP request to a [`KeyRequest`],
//! with etcd's checks in etcd's order (so the first failing check decides the error).

use hecd_v2api::ErrorCode;
use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Method, Uri};

use crate::form::{decode_path, parse_query, Form};

/// The URL prefix of the key space.
pub const KEYS_PREFIX: &str = "/v2/keys";

/// Go's `ParseForm` refuses bodies larger than this (`http: POST too large`).
pub const MAX_FORM_BYTES: usize = 10 << 20;

/// The method of a key request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMethod {
    /// `GET`: read or watch.
    Get,
    /// `HEAD`: read without a body.
    Head,
    /// `PUT`: set, create, update or compare-and-swap.
    Put,
    /// `POST`: create an in-order key.
    Post,
    /// `DELETE`: delete or compare-and-delete.
    Delete,
}

/// Every parameter etcd accepts on `/v2/keys`, decoded and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    /// The method.
    pub method: KeyMethod,
    /// The cleaned key path (`/` for the root).
    pub key: String,
    /// `value` (empty when absent).
    pub value: String,
    /// `dir=true`.
    pub dir: bool,
    /// `prevValue` (never empty when present).
    pub prev_value: Option<String>,
    /// `prevIndex` (0 = no condition).
    pub prev_index: u64,
    /// `prevExist`, when given.
    pub prev_exist: Option<bool>,
    /// `wait=true`.
    pub wait: bool,
    /// `waitIndex` (0 = next event).
    pub wait_index: u64,
    /// `recursive=true`.
    pub recursive: bool,
    /// `sorted=true`.
    pub sorted: bool,
    /// `quorum=true`.
    pub quorum: bool,
    /// `stream=true`.
    pub stream: bool,
    /// `ttl` in seconds; `None` when absent or empty (no TTL).
    pub ttl: Option<u64>,
    /// `refresh=true`.
    pub refresh: bool,
    /// `noValueOnSuccess=true`.
    pub no_value_on_success: bool,
}

/// Why a key request was refused before reaching the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyRequestError {
    /// A v2 error (index 0), as etcd's request checks produce.
    #[error("{code} ({cause})")]
    V2 {
        /// The code.
        code: ErrorCode,
        /// etcd's cause text.
        cause: String,
    },
    /// Not one of HEAD, GET, PUT, POST, DELETE.
    #[error("method not allowed")]
    MethodNotAllowed,
}

fn v2(code: ErrorCode, cause: impl Into<String>) -> KeyRequestError {
    KeyRequestError::V2 { code, cause: cause.into() }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(s, 10, 64)`.
fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn get_bool(form: &Form, name: &str) -> Result<bool, KeyRequestError> {
    match form.first(name) {
        None => Ok(false),
        Some(v) => parse_bool(v)
            .ok_or_else(|| v2(ErrorCode::InvalidField, format!("invalid value for \"{name}\""))),
    }
}

fn get_u64(form: &Form, name: &str) -> Result<u64, KeyRequestError> {
    match form.first(name) {
        None => Ok(0),
        Some(v) => parse_u64(v)
            .ok_or_else(|| v2(ErrorCode::IndexNaN, format!("invalid value for \"{name}\""))),
    }
}

/// The media type of a Content-Type header, lower-cased, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Parses the form like Go's `Request.ParseForm`: a urlencoded body (POST/PUT/PATCH) first,
/// then the query string.
///
/// # Errors
/// The first decoding error, as Go words it.
pub fn parse_form(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Form, String> {
    let mut form = Form::default();
    let mut err = None;
    if (method == Method::POST || method == Method::PUT || method == Method::PATCH)
        && media_type(headers) == "application/x-www-form-urlencoded"
    {
        if body.len() > MAX_FORM_BYTES {
            err = Some("http: POST too large".to_owned());
        } else {
            let (f, e) = parse_query(body);
            form = f;
            err = e;
        }
    }
    let (q, e) = parse_query(uri.query().unwrap_or("").as_bytes());
    form.extend(q);
    match err.or(e) {
        Some(e) => Err(e),
        None => Ok(form),
    }
}

/// Turns an HTTP request on `/v2/keys...` into a [`KeyRequest`].
///
/// # Errors
/// [`KeyRequestError::MethodNotAllowed`], or the v2 error etcd returns for the first bad parameter.
pub fn parse_key_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<KeyRequest, KeyRequestError> {
    let kmethod = match *method {
        Method::GET => KeyMethod::Get,
        Method::HEAD => KeyMethod::Head,
        Method::PUT => KeyMethod::Put,
        Method::POST => KeyMethod::Post,
        Method::DELETE => KeyMethod::Delete,
        _ => return Err(KeyRequestError::MethodNotAllowed),
    };
    let form = parse_form(method, uri, headers, body).map_err(|e| v2(ErrorCode::InvalidForm, e))?;
    let path = decode_path(uri.path())
        .ok_or_else(|| v2(ErrorCode::InvalidForm, "incorrect key prefix"))?;
    let rest = path
        .strip_prefix(KEYS_PREFIX)
        .ok_or_else(|| v2(ErrorCode::InvalidForm, "incorrect key prefix"))?;
    let key = hecd_store::clean_path(rest);

    let prev_index = get_u64(&form, "prevIndex")?;
    let wait_index = get_u64(&form, "waitIndex")?;
    let recursive = get_bool(&form, "recursive")?;
    let sorted = get_bool(&form, "sorted")?;
    let wait = get_bool(&form, "wait")?;
    let dir = get_bool(&form, "dir")?;
    let quorum = get_bool(&form, "quorum")?;
    let stream = get_bool(&form, "stream")?;
    if wait && kmethod != KeyMethod::Get {
        return Err(v2(ErrorCode::InvalidField, "\"wait\" can only be used with GET requests"));
    }
    let prev_value = form.first("prevValue");
    if prev_value == Some("") {
        return Err(v2(ErrorCode::PrevValueRequired, "\"prevValue\" cannot be empty"));
    }
    let no_value_on_success = get_bool(&form, "noValueOnSuccess")?;
    let ttl = match form.first("ttl") {
        None | Some("") => None,
        Some(t) => {
            Some(parse_u64(t).ok_or_else(|| v2(ErrorCode::TtlNaN, "invalid value for \"ttl\""))?)
        }
    };
    let prev_exist = match form.first("prevExist") {
        None => None,
        Some(v) => Some(
            parse_bool(v)
                .ok_or_else(|| v2(ErrorCode::InvalidField, "invalid value for prevExist"))?,
        ),
    };
    let value = form.first("value").unwrap_or("");
    let refresh = match form.first("refresh") {
        None => false,
        Some(v) => {
            let r = parse_bool(v)
                .ok_or_else(|| v2(ErrorCode::InvalidField, "invalid value for refresh"))?;
            if r && !value.is_empty() {
                return Err(v2(ErrorCode::RefreshValue, "A value was provided on a refresh"));
            }
            if r && ttl.is_none() {
                return Err(v2(ErrorCode::RefreshTtlRequired, "No TTL value set"));
            }
            r
        }
    };
    Ok(KeyRequest {
        method: kmethod,
        key,
        value: value.to_owned(),
        dir,
        prev_value: prev_value.map(str::to_owned),
        prev_index,
        prev_exist,
        wait,
        wait_index,
        recursive,
        sorted,
        quorum,
        stream,
        ttl,
        refresh,
        no_value_on_success,
    })
}

#[cfg(test)]
mod tests;
