//! [`Address`]: a validated `HOST:PORT`, where HOST is IPv4, bracketed IPv6 or a hostname.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{Error, Result};

/// A container's reachable address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    host: String,
    port: u16,
}

impl Address {
    /// Parses `HOST:PORT` (`10.0.0.1:80`, `[fd00::1]:80`, `web-1.example:8080`).
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] with the reason.
    pub fn parse(s: &str) -> Result<Address> {
        let bad = |reason: &str| Error::InvalidAddress { address: s.into(), reason: reason.into() };
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest.split_once("]:").ok_or_else(|| bad("expected [IPv6]:PORT"))?;
            h.parse::<Ipv6Addr>().map_err(|_| bad("not an IPv6 address inside the brackets"))?;
            (h, p)
        } else {
            let (h, p) = s.rsplit_once(':').ok_or_else(|| bad("expected HOST:PORT"))?;
            if h.contains(':') {
                return Err(bad("an IPv6 address must be written in brackets: [ADDR]:PORT"));
            }
            (h, p)
        };
        Address::new(host, port).map_err(|e| match e {
            Error::InvalidAddress { reason, .. } => {
                Error::InvalidAddress { address: s.into(), reason }
            }
            other => other,
        })
    }

    /// Builds an address from a host (IPv6 with or without brackets) and a port string.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] with the reason.
    pub fn new(host: &str, port: &str) -> Result<Address> {
        let shown = format!("{host}:{port}");
        let bad =
            |reason: &str| Error::InvalidAddress { address: shown.clone(), reason: reason.into() };
        let port: u16 = match port.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => p as u16,
            Ok(_) => return Err(bad("the port must be between 1 and 65535")),
            Err(_) => return Err(bad("the port must be a number")),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        if host.parse::<Ipv6Addr>().is_ok() {
            return Ok(Address { host: format!("[{host}]"), port });
        }
        if host.parse::<Ipv4Addr>().is_ok() {
            return Ok(Address { host: host.into(), port });
        }
        if host.split('.').all(|l| l.chars().all(|c| c.is_ascii_digit())) {
            return Err(bad("not a valid IPv4 address"));
        }
        if !valid_hostname(host) {
            return Err(bad("not an IP address or a valid hostname"));
        }
        Ok(Address { host: host.into(), port })
    }

    /// The host as written in the value (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// RFC 1123 hostname: dot-separated labels of 1–63 letters, digits and inner hyphens.
fn valid_hostname(h: &str) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
