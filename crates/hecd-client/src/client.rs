//! [`Client`]: the request methods, endpoint failover and answer decoding.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Deserialize;
use tracing::{debug, warn};

use crate::options::{DeleteOptions, GetOptions, Precondition, SetOptions};
use crate::tls::TlsOptions;
use crate::watch::Watcher;
use crate::{Error, ErrorBody, Response, Result};

/// Characters escaped in a key's path segments (everything but unreserved and `/`).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'+')
    .add(b'&')
    .add(b'=')
    .add(b';')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// A successful answer with the index headers etcd sends beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The decoded body.
    pub response: Response,
    /// `X-Etcd-Index`: the store index when the answer was made.
    pub etcd_index: u64,
    /// `X-Raft-Index`, 0 when absent.
    pub raft_index: u64,
    /// `X-Raft-Term`, 0 when absent.
    pub raft_term: u64,
    /// The HTTP status (200 or 201).
    pub status: u16,
}

/// A cluster member as `/v2/members` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member id, in hex.
    pub id: String,
    /// The member name (empty until it has started).
    #[serde(default)]
    pub name: String,
    /// Its peer URLs.
    #[serde(default, rename = "peerURLs")]
    pub peer_urls: Vec<String>,
    /// Its client URLs.
    #[serde(default, rename = "clientURLs")]
    pub client_urls: Vec<String>,
}

#[derive(Deserialize)]
struct Members {
    #[serde(default)]
    members: Vec<Member>,
}

/// Whether a request may be sent again after a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads: any transport failure moves on to the next endpoint.
    Always,
    /// Writes: only when the connection was never made.
    ConnectOnly,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    endpoints: Vec<String>,
    timeout: Duration,
    rounds: u32,
    backoff: Duration,
    basic_auth: Option<(String, String)>,
    tls: TlsOptions,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            endpoints: Vec::new(),
            timeout: Duration::from_secs(5),
            rounds: 3,
            backoff: Duration::from_millis(100),
            basic_auth: None,
            tls: TlsOptions::default(),
        }
    }
}

impl ClientBuilder {
    /// The endpoints, as URLs (`http://host:port`) or `host:port` (taken as `http`).
    pub fn endpoints<I, S>(mut self, endpoints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.endpoints = endpoints.into_iter().map(|e| e.as_ref().to_owned()).collect();
        self
    }

    /// The timeout of each request other than watches (default 5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times the whole endpoint list is tried before giving up (default 3).
    pub fn rounds(mut self, rounds: u32) -> Self {
        self.rounds = rounds.max(1);
        self
    }

    /// The pause before the first repeated round; it doubles each round (default 100 ms).
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// HTTP basic authentication (etcd v2 auth).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic_auth = Some((user.into(), password.into()));
        self
    }

    /// TLS options for `https://` endpoints (CA bundle, client certificate and key).
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::NoEndpoints`] or [`Error::InvalidEndpoint`].
    pub fn build(self) -> Result<Client> {
        if self.endpoints.is_empty() {
            return Err(Error::NoEndpoints);
        }
        let endpoints =
            self.endpoints.iter().map(|e| normalize_endpoint(e)).collect::<Result<Vec<_>>>()?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(self.timeout));
        connector.enforce_http(false);
        let tls = crate::tls::client_config(&self.tls)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = HttpClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let auth = self.basic_auth.map(|(u, p)| {
            HeaderValue::from_str(&format!("Basic {}", base64(format!("{u}:{p}").as_bytes())))
                .unwrap_or_else(|_| HeaderValue::from_static(""))
        });
        Ok(Client {
            inner: Arc::new(Inner {
                endpoints,
                http,
                timeout: self.timeout,
                rounds: self.rounds,
                backoff: self.backoff,
                auth,
                preferred: AtomicUsize::new(0),
            }),
        })
    }
}

/// An etcd v2 client. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    endpoints: Vec<String>,
    http: HttpClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    rounds: u32,
    backoff: Duration,
    auth: Option<HeaderValue>,
    preferred: AtomicUsize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoints", &self.inner.endpoints).finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with defaults (5 s timeout, 3 rounds over the endpoints).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The normalised endpoint URLs.
    pub fn endpoints(&self) -> &[String] {
        &self.inner.endpoints
    }

    /// Reads a key or lists a directory.
    ///
    /// # Errors
    /// [`Error::Etcd`] with code 100 when the key does not exist; transport errors.
    pub async fn get(&self, key: &str, opts: GetOptions) -> Result<Reply> {
        let mut q = Query::default();
        q.flag("recursive", opts.recursive);
        q.flag("sorted", opts.sorted);
        q.flag("quorum", opts.quorum);
        self.keys(Method::GET, key, q, None, Retry::Always, true).await
    }

    /// Writes a value (`PUT`), with any TTL and preconditions in `opts`.
    ///
    /// # Errors
    /// etcd errors (105 exists, 100 not found, 101 compare failed, 102 not a file, ...).
    pub async fn set(&self, key: &str, value: &str, opts: SetOptions) -> Result<Reply> {
        let mut form = Query::default();
        if !opts.dir && !opts.refresh {
            form.pair("value", value);
        }
        self.put(key, form, opts).await
    }

    /// Creates a key that must not exist yet (`prevExist=false`).
    ///
    /// # Errors
    /// 105 when the key exists.
    pub async fn create(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<Reply> {
        let opts = SetOptions { ttl, ..SetOptions::default() }.create();
        self.set(key, value, opts).await
    }

    /// Updates a key that must exist (`prevExist=true`).
    ///
    /// # Errors
    /// 100 when the key does not exist.
    pub async fn update(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<Reply> {
        let opts = SetOptions { ttl, ..SetOptions::default() }.update();
        self.set(key, value, opts).await
    }

    /// Compare-and-swap on the previous value and/or index.
    ///
    /// # Errors
    /// 101 when a condition fails.
    pub async fn compare_and_swap(
        &self,
        key: &str,
        value: &str,
        prev_value: Option<&str>,
        prev_index: Option<u64>,
    ) -> Result<Reply> {
        let prev =
            Precondition { exists: None, value: prev_value.map(str::to_owned), index: prev_index };
        self.set(key, value, SetOptions { prev, ..SetOptions::default() }).await
    }

    /// Resets a key's TTL without changing its value (`refresh=true`, watchers are not woken).
    ///
    /// # Errors
    /// 100 when the key does not exist.
    pub async fn refresh(&self, key: &str, ttl: u64) -> Result<Reply> {
        let opts = SetOptions { ttl: Some(ttl), refresh: true, ..SetOptions::default() }.update();
        self.set(key, "", opts).await
    }

    /// Creates a directory.
    ///
    /// # Errors
    /// 102 when a file exists there.
    pub async fn mkdir(&self, key: &str, ttl: Option<u64>) -> Result<Reply> {
        self.set(key, "", SetOptions { ttl, dir: true, ..SetOptions::default() }).await
    }

    /// Creates an in-order key below `dir` (`POST`): a zero-padded, increasing name.
    ///
    /// # Errors
    /// 104 when `dir` is a file.
    pub async fn create_in_order(&self, dir: &str, value: &str, ttl: Option<u64>) -> Result<Reply> {
        let mut form = Query::default();
        form.pair("value", value);
        if let Some(t) = ttl {
            form.pair("ttl", &t.to_string());
        }
        self.keys(Method::POST, dir, Query::default(), Some(form), Retry::ConnectOnly, true).await
    }

    /// Deletes a key or directory.
    ///
    /// # Errors
    /// 100 not found, 108 directory not empty, 101 compare failed.
    pub async fn delete(&self, key: &str, opts: DeleteOptions) -> Result<Reply> {
        let mut q = Query::default();
        q.flag("recursive", opts.recursive);
        q.flag("dir", opts.dir);
        q.precondition(&opts.prev);
        self.keys(Method::DELETE, key, q, None, Retry::ConnectOnly, true).await
    }

    /// Compare-and-delete on the previous value and/or index.
    ///
    /// # Errors
    /// 101 when a condition fails.
    pub async fn compare_and_delete(
        &self,
        key: &str,
        prev_value: Option<&str>,
        prev_index: Option<u64>,
    ) -> Result<Reply> {
        let prev =
            Precondition { exists: None, value: prev_value.map(str::to_owned), index: prev_index };
        self.delete(key, DeleteOptions { prev, ..DeleteOptions::default() }).await
    }

    /// One long-poll watch: waits (without timeout) for the first event on `key` (or below it
    /// when `recursive`) with an index ≥ `wait_index`, or the next event when `None`.
    ///
    /// # Errors
    /// 401 when `wait_index` fell out of the server's event history; transport errors.
    pub async fn watch_once(
        &self,
        key: &str,
        recursive: bool,
        wait_index: Option<u64>,
    ) -> Result<Reply> {
        let mut q = Query::default();
        q.pair("wait", "true");
        q.flag("recursive", recursive);
        if let Some(i) = wait_index {
            q.pair("waitIndex", &i.to_string());
        }
        self.keys(Method::GET, key, q, None, Retry::Always, false).await
    }

    /// A [`Watcher`] that yields every change on `key` (recursively when `recursive`) after
    /// `after_index`, resuming after error 401 by re-reading the current state.
    pub fn watcher(&self, key: &str, recursive: bool, after_index: u64) -> Watcher {
        Watcher::new(self.clone(), key, recursive, after_index)
    }

    /// Lists the cluster's members (`GET /v2/members`).
    ///
    /// # Errors
    /// Transport and decode errors.
    pub async fn members(&self) -> Result<Vec<Member>> {
        let (_, _, body, endpoint) =
            self.send(Method::GET, "/v2/members".into(), None, Retry::Always, true).await?;
        let m: Members =
            serde_json::from_slice(&body).map_err(|source| Error::Decode { endpoint, source })?;
        Ok(m.members)
    }

    /// The server's `/version` answer.
    ///
    /// # Errors
    /// Transport and decode errors.
    pub async fn version(&self) -> Result<serde_json::Value> {
        let (_, _, body, endpoint) =
            self.send(Method::GET, "/version".into(), None, Retry::Always, true).await?;
        serde_json::from_slice(&body).map_err(|source| Error::Decode { endpoint, source })
    }

    async fn put(&self, key: &str, mut form: Query, opts: SetOptions) -> Result<Reply> {
        if let Some(t) = opts.ttl {
            form.pair("ttl", &t.to_string());
        } else if opts.clear_ttl {
            form.pair("ttl", "");
        }
        form.flag("dir", opts.dir);
        form.flag("refresh", opts.refresh);
        form.flag("noValueOnSuccess", opts.no_value_on_success);
        form.precondition(&opts.prev);
        self.keys(Method::PUT, key, Query::default(), Some(form), Retry::ConnectOnly, true).await
    }

    async fn keys(
        &self,
        method: Method,
        key: &str,
        query: Query,
        form: Option<Query>,
        retry: Retry,
        timed: bool,
    ) -> Result<Reply> {
        let mut path = String::from("/v2/keys");
        if !key.starts_with('/') {
            path.push('/');
        }
        path.push_str(&utf8_percent_encode(key, PATH).to_string());
        let q = query.finish();
        if !q.is_empty() {
            path.push('?');
            path.push_str(&q);
        }
        let (status, headers, body, endpoint) =
            self.send(method, path, form.map(Query::finish), retry, timed).await?;
        let response: Response =
            serde_json::from_slice(&body).map_err(|source| Error::Decode { endpoint, source })?;
        Ok(Reply {
            response,
            etcd_index: header_u64(&headers, "x-etcd-index"),
            raft_index: header_u64(&headers, "x-raft-index"),
            raft_term: header_u64(&headers, "x-raft-term"),
            status,
        })
    }

    /// Sends one request, failing over between endpoints; returns 2xx answers and turns the
    /// others into errors.
    async fn send(
        &self,
        method: Method,
        path: String,
        form: Option<String>,
        retry: Retry,
        timed: bool,
    ) -> Result<(u16, HeaderMap, Bytes, String)> {
        let inner = &self.inner;
        let n = inner.endpoints.len();
        let mut last = String::new();
        let mut pause = inner.backoff;
        for round in 0..inner.rounds {
            if round > 0 {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            let start = inner.preferred.load(Ordering::Relaxed);
            for i in 0..n {
                let idx = (start + i) % n;
                let endpoint = &inner.endpoints[idx];
                match self.send_one(endpoint, &method, &path, form.as_deref(), timed).await {
                    Ok((status, headers, body)) => {
                        inner.preferred.store(idx, Ordering::Relaxed);
                        if (200..300).contains(&status) {
                            return Ok((status, headers, body, endpoint.clone()));
                        }
                        return Err(match serde_json::from_slice::<ErrorBody>(&body) {
                            Ok(body) => Error::Etcd { status, body },
                            Err(_) => Error::Http {
                                endpoint: endpoint.clone(),
                                status,
                                body: String::from_utf8_lossy(&body).trim().to_owned(),
                            },
                        });
                    }
                    Err(Failure::Timeout) if retry == Retry::ConnectOnly => {
                        return Err(Error::Timeout {
                            endpoint: endpoint.clone(),
                            millis: inner.timeout.as_millis(),
                        });
                    }
                    Err(Failure::Transport { connect, text }) => {
                        warn!(endpoint = %endpoint, error = %text, "endpoint failed");
                        if !connect && retry == Retry::ConnectOnly {
                            return Err(Error::Unavailable {
                                endpoints: endpoint.clone(),
                                last: text,
                            });
                        }
                        last = text;
                    }
                    Err(Failure::Timeout) => {
                        last = format!("timed out after {} ms", inner.timeout.as_millis());
                    }
                }
            }
        }
        Err(Error::Unavailable { endpoints: inner.endpoints.join(","), last })
    }

    async fn send_one(
        &self,
        endpoint: &str,
        method: &Method,
        path: &str,
        form: Option<&str>,
        timed: bool,
    ) -> std::result::Result<(u16, HeaderMap, Bytes), Failure> {
        let uri = format!("{endpoint}{path}");
        debug!(%method, %uri, "request");
        let mut req = Request::builder().method(method.clone()).uri(&uri);
        if form.is_some() {
            req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        if let Some(auth) = &self.inner.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let body = Full::new(Bytes::from(form.unwrap_or("").to_owned()));
        let req = req
            .body(body)
            .map_err(|e| Failure::Transport { connect: true, text: format!("bad request: {e}") })?;
        let exchange = async {
            let resp = self.inner.http.request(req).await.map_err(|e| Failure::Transport {
                connect: e.is_connect(),
                text: error_chain(&e),
            })?;
            let status = resp.status().as_u16();
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| Failure::Transport { connect: false, text: e.to_string() })?
                .to_bytes();
            Ok((status, parts.headers, body))
        };
        if timed {
            match tokio::time::timeout(self.inner.timeout, exchange).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Timeout),
            }
        } else {
            exchange.await
        }
    }
}

enum Failure {
    Timeout,
    Transport { connect: bool, text: String },
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn header_u64(h: &HeaderMap, name: &str) -> u64 {
    h.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Accepts `http://host:port[/]`, `https://…` and `host:port` (as http).
/// Splits a comma-separated list of URLs as flags and environment variables carry them
/// (`CONFD_NODE`, `ETCDCTL_PEERS`, `--listen-client-urls`): items trimmed, empty ones
/// dropped.
pub fn split_urls(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned).collect()
}

fn normalize_endpoint(e: &str) -> Result<String> {
    let e = e.trim().trim_end_matches('/');
    let url = if e.contains("://") { e.to_owned() } else { format!("http://{e}") };
    let invalid =
        |reason: &str| Error::InvalidEndpoint { endpoint: e.into(), reason: reason.into() };
    let uri: hyper::Uri =
        url.parse().map_err(|err: hyper::http::uri::InvalidUri| invalid(&err.to_string()))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(invalid("the scheme must be http or https"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    Ok(url)
}

/// A form or query string under construction (a plain `String`, so that request futures
/// stay `Send`: `form_urlencoded::Serializer` holds a non-`Sync` encoder reference).
#[derive(Default)]
struct Query(String);

impl Query {
    fn pair(&mut self, k: &str, v: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0.extend(form_urlencoded::byte_serialize(k.as_bytes()));
        self.0.push('=');
        self.0.extend(form_urlencoded::byte_serialize(v.as_bytes()));
    }

    fn flag(&mut self, k: &str, on: bool) {
        if on {
            self.pair(k, "true");
        }
    }

    fn precondition(&mut self, p: &Precondition) {
        if let Some(e) = p.exists {
            self.pair("prevExist", if e { "true" } else { "false" });
        }
        if let Some(v) = &p.value {
            self.pair("prevValue", v);
        }
        if let Some(i) = p.index {
            self.pair("prevIndex", &i.to_string());
        }
    }

    fn finish(self) -> String {
        self.0
    }
}

/// Standard base64 with padding, for the basic-auth header.
fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
