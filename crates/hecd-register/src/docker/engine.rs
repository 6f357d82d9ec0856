//! [`Engine`]: the few Docker Engine API calls the registrar needs, over hyper's HTTP/1 client
//! on the engine's unix socket (or a plain `tcp://` address). See ADR 0007.
//!
//! Requests use the unversioned paths, which the engine serves at its own API version; the
//! fields read (`Id`, `Name`, `State`, `Config`, `NetworkSettings`, `HostConfig`) have been
//! stable since API 1.24.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::debug;

use super::events::{parse_event, Event, LineBuffer};
use crate::{Error, Result};

/// `{"type":["container"]}`, URL-encoded: only container events are streamed.
const CONTAINER_EVENTS: &str = "%7B%22type%22%3A%5B%22container%22%5D%7D";

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Unix(PathBuf),
    Tcp(String),
}

/// A Docker Engine API client. Cheap to clone; each request opens its own connection (a unix
/// socket connect costs microseconds), and the events stream keeps one open.
#[derive(Debug, Clone)]
pub struct Engine {
    target: Target,
    host: String,
    timeout: Duration,
}

impl Engine {
    /// A client for `host`: `unix:///var/run/docker.sock`, a socket path, or `tcp://HOST:PORT`
    /// (plain HTTP; TLS to the engine is not supported).
    ///
    /// # Errors
    /// [`Error::InvalidOptions`] for another scheme.
    pub fn new(host: &str) -> Result<Engine> {
        let target = if let Some(p) = host.strip_prefix("unix://") {
            Target::Unix(PathBuf::from(p))
        } else if let Some(a) = host.strip_prefix("tcp://").or_else(|| host.strip_prefix("http://"))
        {
            Target::Tcp(a.trim_end_matches('/').to_owned())
        } else if host.starts_with('/') {
            Target::Unix(PathBuf::from(host))
        } else {
            return Err(Error::InvalidOptions(format!(
                "docker host {host:?}: expected unix:///PATH or tcp://HOST:PORT"
            )));
        };
        Ok(Engine { target, host: host.to_owned(), timeout: Duration::from_secs(10) })
    }

    /// The engine address as given.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `GET /_ping`.
    ///
    /// # Errors
    /// [`Error::Engine`] when the engine cannot be reached or does not answer `OK`.
    pub async fn ping(&self) -> Result<()> {
        let (status, body) = self.get("/_ping").await?;
        if status == 200 {
            Ok(())
        } else {
            Err(self.error(format!("/_ping answered {status}: {}", String::from_utf8_lossy(&body))))
        }
    }

    /// The ids of the running containers (`GET /containers/json`).
    ///
    /// # Errors
    /// [`Error::Engine`].
    pub async fn running(&self) -> Result<Vec<String>> {
        let (status, body) = self.get("/containers/json").await?;
        if status != 200 {
            return Err(self.error(format!("/containers/json answered {status}")));
        }
        let list: Value = serde_json::from_slice(&body)
            .map_err(|e| self.error(format!("/containers/json: {e}")))?;
        Ok(list
            .as_array()
            .map(|a| a.iter().filter_map(|c| c.get("Id")?.as_str().map(str::to_owned)).collect())
            .unwrap_or_default())
    }

    /// A container's inspect JSON (`GET /containers/{id}/json`); `None` when it no longer
    /// exists.
    ///
    /// # Errors
    /// [`Error::Engine`].
    pub async fn inspect(&self, id: &str) -> Result<Option<Value>> {
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(self.error(format!("not a container id: {id:?}")));
        }
        let (status, body) = self.get(&format!("/containers/{id}/json")).await?;
        match status {
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| self.error(format!("inspect {id}: {e}"))),
            404 => Ok(None),
            s => Err(self.error(format!("inspect {id} answered {s}"))),
        }
    }

    /// Subscribes to container events. The subscription is live when this returns, so a
    /// listing made afterwards misses nothing.
    ///
    /// # Errors
    /// [`Error::Engine`].
    pub async fn events(&self) -> Result<EventStream> {
        let path = format!("/events?filters={CONTAINER_EVENTS}");
        let resp = tokio::time::timeout(self.timeout, self.request(&path))
            .await
            .map_err(|_| self.error("the events request timed out".into()))??;
        if resp.status() != 200 {
            return Err(self.error(format!("/events answered {}", resp.status())));
        }
        Ok(EventStream {
            body: resp.into_body(),
            lines: LineBuffer::default(),
            host: self.host.clone(),
        })
    }

    async fn get(&self, path: &str) -> Result<(u16, Bytes)> {
        let exchange = async {
            let resp = self.request(path).await?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| self.error(format!("GET {path}: {e}")))?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| self.error(format!("GET {path} timed out")))?
    }

    async fn request(&self, path: &str) -> Result<hyper::Response<Incoming>> {
        debug!(engine = %self.host, %path, "docker request");
        match &self.target {
            Target::Unix(p) => {
                let io = tokio::net::UnixStream::connect(p)
                    .await
                    .map_err(|e| self.error(format!("connect {}: {e}", p.display())))?;
                self.send(io, path).await
            }
            Target::Tcp(a) => {
                let io = tokio::net::TcpStream::connect(a.as_str())
                    .await
                    .map_err(|e| self.error(format!("connect {a}: {e}")))?;
                self.send(io, path).await
            }
        }
    }

    async fn send<T>(&self, io: T, path: &str) -> Result<hyper::Response<Incoming>>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| self.error(format!("handshake: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "docker connection ended");
            }
        });
        let req = Request::get(path)
            .header(hyper::header::HOST, "docker")
            .body(Empty::<Bytes>::new())
            .map_err(|e| self.error(format!("request {path}: {e}")))?;
        sender.send_request(req).await.map_err(|e| self.error(format!("GET {path}: {e}")))
    }

    fn error(&self, reason: String) -> Error {
        Error::Engine { host: self.host.clone(), reason }
    }
}

/// The live events stream.
#[derive(Debug)]
pub struct EventStream {
    body: Incoming,
    lines: LineBuffer,
    host: String,
}

impl EventStream {
    /// The next followed container event; `None` when the engine closed the stream (it
    /// stopped or restarted).
    ///
    /// # Errors
    /// [`Error::Engine`] when the connection broke.
    pub async fn next(&mut self) -> Result<Option<Event>> {
        loop {
            while let Some(line) = self.lines.next_line() {
                if let Some(ev) = parse_event(&line) {
                    return Ok(Some(ev));
                }
            }
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(Error::Engine { host: self.host.clone(), reason: e.to_string() })
                }
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.lines.push(data);
                    }
                }
            }
        }
    }
}
