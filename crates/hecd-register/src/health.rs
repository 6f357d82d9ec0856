//! [`Check`]: an optional health check that decides whether a registration should exist.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

async fn http_ok(url: &str) -> std::io::Result<bool> {
    let (authority, path) = parse_http_url(url).map_err(std::io::Error::other)?;
    let mut s = TcpStream::connect(authority.as_str()).await?;
    let host = authority.clone();
    let req = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: hecd-register\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut head = [0u8; 32];
    let mut n = 0;
    while n < 12 {
        let r = s.read(&mut head[n..]).await?;
        if r == 0 {
            break;
        }
        n += r;
    }
    let line = String::from_utf8_lossy(&head[..n]);
    let status = line.split_whitespace().nth(1).and_then(|c| c.parse::<u16>().ok());
    Ok(matches!(status, Some(200..=299)))
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
