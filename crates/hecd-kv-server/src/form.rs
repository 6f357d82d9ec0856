//! Go-compatible form and URL decoding (`url.ParseQuery`, `url.PathUnescape`).
//!
//! etcd reads its parameters with Go's `Request.ParseForm`; matching its decoding,
//! including its error texts, keeps error answers byte-identical.

/// Decoded `name=value` pairs in order; repeated names keep every value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The first value of `name`, if present (Go's `r.Form[name][0]`).
    pub fn first(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Whether `name` is present at all.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// Appends every pair of `other` after this form's pairs.
    pub fn extend(&mut self, other: Form) {
        self.pairs.extend(other.pairs);
    }
}

/// Parses a query string or urlencoded body like Go's `url.ParseQuery`.
///
/// Go keeps parsing after an error and reports the first one; the pairs parsed are kept.
pub fn parse_query(s: &[u8]) -> (Form, Option<String>) {
    let mut form = Form::default();
    let mut err = None;
    for part in s.split(|&b| b == b'&') {
        if part.contains(&b';') {
            err.get_or_insert_with(|| "invalid semicolon separator in query".to_owned());
            continue;
        }
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[..0]),
        };
        let k = match unescape(k, true) {
            Ok(k) => k,
            Err(e) => {
                err.get_or_insert(e);
                continue;
            }
        };
        let v = match unescape(v, true) {
            Ok(v) => v,
            Err(e) => {
                err.get_or_insert(e);
                continue;
            }
        };
        form.pairs.push((lossy(k), lossy(v)));
    }
    (form, err)
}

fn lossy(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes bytes; in query mode `+` is a space. Errors read like Go's `EscapeError`.
pub fn unescape(s: &[u8], query: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let pair =
                    s.get(i + 1).and_then(|&a| hex(a)).zip(s.get(i + 2).and_then(|&b| hex(b)));
                match pair {
                    Some((a, b)) => out.push(a << 4 | b),
                    None => {
                        let end = (i + 3).min(s.len());
                        let bad = String::from_utf8_lossy(&s[i..end]);
                        return Err(format!("invalid URL escape {bad:?}"));
                    }
                }
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Decodes a request path (`+` stays literal). Non-UTF-8 bytes become U+FFFD.
pub fn decode_path(raw: &str) -> Option<String> {
    unescape(raw.as_bytes(), false).ok().map(lossy)
}

/// Go's `cleanPath` of `net/http`: `path.Clean` that keeps a trailing slash.
pub fn mux_clean_path(p: &str) -> String {
    if p.is_empty() {
        return "/".to_owned();
    }
    let mut np = hecd_store::clean_path(p);
    if p.ends_with('/') && np != "/" {
        np.push('/');
    }
    np
}

/// Escapes a path for a `Location` header like Go's `url.URL.EscapedPath`.
pub fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for &b in p.as_bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
