//! [`Check`]: an optional health check that decides whether a registration should exist.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How `run` decides that the container is healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Always healthy.
    None,
    /// An HTTP GET to this `http://` URL answers with a 2xx status.
    Http(String),
    /// A TCP connection to this `host:port` succeeds.
    Tcp(String),
}

impl Check {
    /// Runs the check once, giving up after `timeout`.
    pub async fn passes(&self, timeout: Duration) -> bool {
        let probe = async {
            match self {
                Check::None => true,
                Check::Tcp(addr) => TcpStream::connect(addr.as_str()).await.is_ok(),
                Check::Http(url) => http_ok(url).await.unwrap_or(false),
            }
        };
        tokio::time::timeout(timeout, probe).await.unwrap_or(false)
    }
}

/// Validates an `http://host:port/path` URL for [`Check::Http`].
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_http_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("health check URL {url:?} must start with http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(format!("health check URL {url:?} has no host"));
    }
    let authority = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_owned()))
}

/// GET `url` with hyper's HTTP/1 client on one connection, driven here (no spawned task
/// outlives the check); healthy on a 2xx status.
async fn http_ok(url: &str) -> std::io::Result<bool> {
    let (authority, path) = parse_http_url(url).map_err(std::io::Error::other)?;
    let stream = TcpStream::connect(authority.as_str()).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    let req = Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::USER_AGENT, "hecd-register")
        .body(Empty::<Bytes>::new())
        .map_err(std::io::Error::other)?;
    let send = sender.send_request(req);
    tokio::pin!(send, conn);
    let response = tokio::select! {
        biased;
        r = &mut send => r,
        // The connection may end right after handing over the response.
        _ = &mut conn => send.await,
    };
    Ok(response.is_ok_and(|r| r.status().is_success()))
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
