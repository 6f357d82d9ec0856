//! Shell patterns with the exact semantics of Go's `path.Match` (confd's `gets` and `getvs`).
//!
//! `*` matches any run of non-`/` bytes, `?` one non-`/` character, `[...]` a character class
//! (negated with `^`, ranges with `-`, `\` escapes), and the pattern must match the whole name.
//! A malformed pattern is reported as [`BadPattern`], with Go's rules for *when* it is noticed:
//! the chunk being matched is always scanned to its end, and on a mismatch the rest of the
//! pattern is checked before `false` is returned.

use crate::utf8::decode_rune;

#[cfg(test)]
mod tests;

/// The pattern is malformed; prints as Go's `path.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Reports whether `name` matches the shell `pattern` (Go's `path.Match`).
///
/// # Errors
///
/// [`BadPattern`] when the pattern is malformed and the matcher reaches the bad part.
pub fn matches(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    matches_bytes(pattern.as_bytes(), name.as_bytes())
}

/// [`matches()`] on bytes (Go strings need not be UTF-8; `?` and classes decode runes as Go does).
///
/// # Errors
///
/// As [`matches()`].
pub fn matches_bytes(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'chunks: while !pattern.is_empty() {
        let (star, chunk, rest) = next_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star eats the rest of the name unless it would cross a slash.
            return Ok(!name.contains(&b'/'));
        }
        let last = pattern.is_empty();
        let (here, error) = match match_chunk(chunk, name) {
            Ok(Some(tail)) => (Some(tail), None),
            Ok(None) => (None, None),
            Err(e) => (None, Some(e)),
        };
        if let Some(tail) = here {
            if tail.is_empty() || !last {
                name = tail;
                continue;
            }
        }
        if let Some(e) = error {
            return Err(e);
        }
        if star {
            // Let the star swallow one more byte at a time, never a slash.
            let mut skip = 0;
            while skip < name.len() && name[skip] != b'/' {
                match match_chunk(chunk, &name[skip + 1..])? {
                    Some(tail) if last && !tail.is_empty() => {}
                    Some(tail) => {
                        name = tail;
                        continue 'chunks;
                    }
                    None => {}
                }
                skip += 1;
            }
        }
        // No match: the remainder must still be well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = next_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off leading stars and the run of single-character terms up to the next
/// unbracketed star.
fn next_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let stars = pattern.iter().take_while(|b| **b == b'*').count();
    let pattern = &pattern[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (stars > 0, &pattern[..i], &pattern[i..])
}

/// Matches a star-free chunk against the start of `s`; `Ok(Some(rest))` on success.
///
/// After a mismatch the chunk is still parsed to its end so that syntax errors surface.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&first) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match first {
            b'[' => {
                let mut ch = 0u32;
                if !failed {
                    let (c, n) = decode_rune(s);
                    ch = u32::from(c);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut hit = false;
                let mut ranges = 0;
                loop {
                    if ranges > 0 && chunk.first() == Some(&b']') {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = class_char(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= ch && ch <= hi {
                        hit = true;
                    }
                    ranges += 1;
                }
                if hit == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = &s[n..];
                }
                chunk = &chunk[1..];
            }
            b'\\' => {
                chunk = &chunk[1..];
                let literal = *chunk.first().ok_or(BadPattern)?;
                if !failed {
                    if literal != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                // A run of plain bytes is compared at once (it cannot hold a syntax error).
                let run = chunk.iter().take_while(|b| !matches!(b, b'[' | b'?' | b'\\')).count();
                if !failed {
                    match s.strip_prefix(&chunk[..run]) {
                        Some(rest) => s = rest,
                        None => failed = true,
                    }
                }
                chunk = &chunk[run..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Reads one possibly escaped character of a class; the class must go on after it.
fn class_char(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let chunk = match chunk.first() {
        None | Some(b'-') | Some(b']') => return Err(BadPattern),
        Some(b'\\') => &chunk[1..],
        Some(_) => chunk,
    };
    if chunk.is_empty() {
        return Err(BadPattern);
    }
    let (c, n) = decode_rune(chunk);
    if c == crate::utf8::RUNE_ERROR && n == 1 {
        return Err(BadPattern);
    }
    let rest = &chunk[n..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((u32::from(c), rest))
}
