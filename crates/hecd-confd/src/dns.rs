//! A minimal DNS client for `lookupSRV`: one SRV question over UDP to the nameservers of
//! `/etc/resolv.conf` (Go's resolver defaults: 5 s timeout, 2 attempts, `127.0.0.1:53`
//! when none is configured).
//!
//! Deliberate limits: no search-domain expansion (the name is queried as an absolute
//! name) and no TCP fallback for truncated answers.

#[cfg(test)]
mod tests;

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// One SRV record, with the target as an absolute name (`host.example.com.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    /// The target host.
    pub target: String,
    /// The port.
    pub port: u16,
    /// The priority.
    pub priority: u16,
    /// The weight.
    pub weight: u16,
}

/// Why a lookup produced nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// No server answered.
    #[error("no DNS server answered")]
    NoAnswer,
    /// The server answered with an error code.
    #[error("DNS server returned rcode {0}")]
    Rcode(u8),
    /// The reply could not be parsed.
    #[error("malformed DNS reply")]
    Malformed,
    /// The name cannot be encoded.
    #[error("invalid DNS name")]
    BadName,
}

/// Where `lookupSRV` sends its question, and how long it waits for each answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolver {
    /// The nameservers, asked in order; the whole list is tried twice.
    pub servers: Vec<SocketAddr>,
    /// How long each question waits for its answer.
    pub timeout: Duration,
}

impl Resolver {
    /// The nameservers of `/etc/resolv.conf` with Go's 5 s timeout.
    pub fn system() -> Resolver {
        Resolver { servers: system_nameservers(), timeout: Duration::from_secs(5) }
    }

    /// [`lookup_srv`] against these nameservers.
    ///
    /// # Errors
    ///
    /// [`DnsError`] when no usable answer arrives.
    pub fn lookup_srv(&self, service: &str, proto: &str, name: &str) -> Result<Vec<Srv>, DnsError> {
        lookup_srv_with(&self.servers, service, proto, name, self.timeout)
    }
}

const SRV: u16 = 33;
const CLASS_IN: u16 = 1;

/// confd's `lookupSRV`: Go's `net.LookupSRV` (queried name `_service._proto.name`, or
/// `name` alone when both are empty), ordered by the string `Target+Port+Priority+Weight`.
///
/// # Errors
///
/// [`DnsError`] when no usable answer arrives.
pub fn lookup_srv(service: &str, proto: &str, name: &str) -> Result<Vec<Srv>, DnsError> {
    Resolver::system().lookup_srv(service, proto, name)
}

/// [`lookup_srv`] against explicit nameservers.
///
/// # Errors
///
/// [`DnsError`] when no usable answer arrives.
pub fn lookup_srv_with(
    servers: &[SocketAddr],
    service: &str,
    proto: &str,
    name: &str,
    timeout: Duration,
) -> Result<Vec<Srv>, DnsError> {
    let qname = if service.is_empty() && proto.is_empty() {
        name.to_owned()
    } else {
        format!("_{service}._{proto}.{name}")
    };
    let id = query_id(&qname);
    let query = encode_query(id, &qname)?;
    let mut last = DnsError::NoAnswer;
    for _attempt in 0..2 {
        for server in servers {
            match exchange(*server, &query, id, timeout) {
                Ok(reply) => match parse_reply(&reply) {
                    Ok(mut records) => {
                        records.sort_by_cached_key(|r| {
                            format!("{}{}{}{}", r.target, r.port, r.priority, r.weight)
                        });
                        return Ok(records);
                    }
                    // A server that answered (even NXDOMAIN) ends the lookup.
                    Err(e) => return Err(e),
                },
                Err(e) => last = e,
            }
        }
    }
    Err(last)
}

/// The `nameserver` lines of `/etc/resolv.conf`, port 53.
fn system_nameservers() -> Vec<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let servers: Vec<SocketAddr> = conf
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver"))
        .filter_map(|rest| rest.trim().parse::<std::net::IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect();
    if servers.is_empty() {
        vec![SocketAddr::from(([127, 0, 0, 1], 53))]
    } else {
        servers
    }
}

/// A query id derived from the name and the clock's sub-second part (not security
/// relevant: replies are also matched on the question).
fn query_id(name: &str) -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut h: u32 = nanos;
    for b in name.bytes() {
        h = h.rotate_left(5) ^ u32::from(b);
    }
    (h ^ (h >> 16)) as u16
}

fn encode_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // recursion desired
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // one question
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(DnsError::BadName);
        }
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&SRV.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(q)
}

fn exchange(
    server: SocketAddr,
    query: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<Vec<u8>, DnsError> {
    let bind: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(bind).map_err(|_| DnsError::NoAnswer)?;
    socket.connect(server).map_err(|_| DnsError::NoAnswer)?;
    socket.set_read_timeout(Some(timeout)).map_err(|_| DnsError::NoAnswer)?;
    socket.send(query).map_err(|_| DnsError::NoAnswer)?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = socket.recv(&mut buf).map_err(|_| DnsError::NoAnswer)?;
        // Ignore stray datagrams that do not carry our id and question.
        if n >= 12 && buf[..2] == id.to_be_bytes() && buf[12..n].starts_with(&query[12..]) {
            buf.truncate(n);
            return Ok(buf);
        }
    }
}

/// Extracts the SRV answers of a reply.
fn parse_reply(msg: &[u8]) -> Result<Vec<Srv>, DnsError> {
    let u16_at = |i: usize| -> Result<u16, DnsError> {
        msg.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or(DnsError::Malformed)
    };
    let flags = u16_at(2)?;
    let rcode = (flags & 0x000f) as u8;
    if rcode != 0 {
        return Err(DnsError::Rcode(rcode));
    }
    let (qd, an) = (u16_at(4)?, u16_at(6)?);
    let mut pos = 12;
    for _ in 0..qd {
        pos = read_name(msg, pos)?.1 + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        pos = read_name(msg, pos)?.1;
        let (rtype, class, rdlen) = (u16_at(pos)?, u16_at(pos + 2)?, usize::from(u16_at(pos + 8)?));
        let rdata = pos + 10;
        if msg.len() < rdata + rdlen {
            return Err(DnsError::Malformed);
        }
        if rtype == SRV && class == CLASS_IN {
            let (target, _) = read_name(msg, rdata + 6)?;
            out.push(Srv {
                priority: u16_at(rdata)?,
                weight: u16_at(rdata + 2)?,
                port: u16_at(rdata + 4)?,
                target,
            });
        }
        pos = rdata + rdlen;
    }
    Ok(out)
}

/// Reads a possibly compressed name at `pos`; returns it (absolute, with a trailing dot)
/// and the position after it in the original stream.
fn read_name(msg: &[u8], mut pos: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut end = None;
    for _hop in 0..128 {
        let len = *msg.get(pos).ok_or(DnsError::Malformed)?;
        match len {
            0 => {
                if name.is_empty() {
                    name.push('.');
                }
                return Ok((name, end.unwrap_or(pos + 1)));
            }
            l if l & 0xc0 == 0xc0 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::Malformed)?;
                end.get_or_insert(pos + 2);
                pos = (usize::from(l & 0x3f) << 8) | usize::from(low);
            }
            l => {
                let label =
                    msg.get(pos + 1..pos + 1 + usize::from(l)).ok_or(DnsError::Malformed)?;
                name.push_str(&String::from_utf8_lossy(label));
                name.push('.');
                pos += 1 + usize::from(l);
            }
        }
    }
    Err(DnsError::Malformed)
}
