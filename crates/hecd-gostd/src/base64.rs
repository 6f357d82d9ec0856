//! Go's `encoding/base64` standard encoding (`base64.StdEncoding`): padded, and on decoding
//! `\r` and `\n` ignored, non-zero trailing bits tolerated, errors at Go's byte offsets.
//!
//! The `base64` crate is not used here: it neither skips newlines nor reports Go's offsets.

#[cfg(test)]
mod tests;

/// Malformed input; prints as Go's `base64.CorruptInputError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal base64 data at input byte {0}")]
pub struct CorruptInputError(pub usize);

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Go's `base64.StdEncoding.EncodeToString` (with `=` padding).
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for group in data.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= group.len() {
                out.push(char::from(B64[((v >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn sextet(b: u8) -> Option<u32> {
    B64.iter().position(|x| *x == b).map(|p| p as u32)
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n` ignored,
/// non-zero trailing bits tolerated.
///
/// # Errors
///
/// [`CorruptInputError`] with the byte offset Go reports.
pub fn decode(src: &[u8]) -> Result<Vec<u8>, CorruptInputError> {
    let corrupt = CorruptInputError;
    let is_newline = |b: u8| b == b'\n' || b == b'\r';
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    loop {
        let mut quantum = [0u32; 4];
        let mut len = 4;
        let mut j = 0;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(corrupt(si - j));
            }
            let b = src[si];
            si += 1;
            if let Some(v) = sextet(b) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if is_newline(b) {
                continue;
            }
            if b != b'=' || j < 2 {
                return Err(corrupt(si - 1));
            }
            if j == 2 {
                // A second '=' must follow, possibly after newlines.
                while si < src.len() && is_newline(src[si]) {
                    si += 1;
                }
                if si == src.len() {
                    return Err(corrupt(src.len()));
                }
                if src[si] != b'=' {
                    return Err(corrupt(si - 1));
                }
                si += 1;
            }
            while si < src.len() && is_newline(src[si]) {
                si += 1;
            }
            if si < src.len() {
                return Err(corrupt(si));
            }
            len = j;
            break;
        }
        let v = (quantum[0] << 18) | (quantum[1] << 12) | (quantum[2] << 6) | quantum[3];
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..len - 1]);
        if len < 4 {
            return Ok(out);
        }
    }
}
