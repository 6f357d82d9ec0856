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
        form.pairs.push((keep_bytes(k), keep_bytes(v)));
    }
    (form, err)
}

/// Marks, in a decoded string, a byte that is not UTF-8 (followed by `byte_char` of it) or
/// a literal `MARK` (followed by another). Go keeps such bytes in keys and values; a Rust
/// string cannot, so they are kept by this injective escape: two different byte strings
/// stay two different strings, and the JSON writer (`render`) writes each marked byte as
/// Go's encoder writes an invalid byte, `\ufffd`.
pub const MARK: char = '\u{10FFFD}';

/// The first of the 128 characters that stand for the bytes 0x80..=0xFF after a [`MARK`].
const BYTE_BASE: u32 = 0x10_FF00;

/// The character that stands for `b` (0x80..=0xFF) after a [`MARK`].
fn byte_char(b: u8) -> char {
    char::from_u32(BYTE_BASE + u32::from(b.wrapping_sub(0x80) & 0x7f)).unwrap_or(MARK)
}

/// The byte a character after a [`MARK`] stands for, if it stands for one.
pub fn marked_byte(c: char) -> Option<u8> {
    let v = u32::from(c).checked_sub(BYTE_BASE)?;
    (v < 0x80).then(|| 0x80 + v as u8)
}

/// Decoded bytes as a string that keeps every byte (see [`MARK`]).
pub fn keep_bytes(b: Vec<u8>) -> String {
    // The common case, valid UTF-8 without a MARK, is the bytes themselves.
    let b = match String::from_utf8(b) {
        Ok(s) if !s.contains(MARK) => return s,
        Ok(s) => s.into_bytes(),
        Err(e) => e.into_bytes(),
    };
    let mut out = String::with_capacity(b.len());
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            out.push(c);
            if c == MARK {
                out.push(MARK);
            }
        }
        // Go reads every byte of an invalid sequence as one invalid rune.
        for &byte in chunk.invalid() {
            out.push(MARK);
            out.push(byte_char(byte));
        }
    }
    out
}

/// The bytes a [`keep_bytes`] string stands for.
pub fn original_bytes(s: &str) -> std::borrow::Cow<'_, [u8]> {
    if !s.contains(MARK) {
        return std::borrow::Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != MARK {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some(n) if n == MARK => out.extend_from_slice(MARK.encode_utf8(&mut [0; 4]).as_bytes()),
            Some(n) => match marked_byte(n) {
                Some(b) => out.push(b),
                None => {
                    out.extend_from_slice(MARK.encode_utf8(&mut [0; 4]).as_bytes());
                    out.extend_from_slice(n.encode_utf8(&mut [0; 4]).as_bytes());
                }
            },
            None => out.extend_from_slice(MARK.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    std::borrow::Cow::Owned(out)
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

/// Decodes a request path (`+` stays literal); non-UTF-8 bytes are kept (see [`MARK`]).
pub fn decode_path(raw: &str) -> Option<String> {
    unescape(raw.as_bytes(), false).ok().map(keep_bytes)
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
    for &b in original_bytes(p).iter() {
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
