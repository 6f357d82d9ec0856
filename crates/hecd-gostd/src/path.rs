//! Go's `path` package on `/`-separated strings: `Clean`, `Join`, `Base`, `Dir` and `Match`.
//!
//! confd normalises store keys with these and exposes `base` and `dir` to templates,
//! so the corner cases (`""` → `.`, `/` stays `/`, `..` at the root) follow Go exactly.

mod matching;
#[cfg(test)]
mod tests;

pub use matching::{matches, matches_bytes, BadPattern};

/// The shortest path equivalent to `p` by purely lexical processing (Go's `path.Clean`).
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for segment in p.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let body = parts.join("/");
    if rooted {
        format!("/{body}")
    } else if body.is_empty() {
        ".".to_owned()
    } else {
        body
    }
}

/// Joins the non-empty elements with `/` and cleans the result (Go's `path.Join`).
///
/// All-empty input gives the empty string, as in Go.
pub fn join(elements: &[&str]) -> String {
    let kept: Vec<&str> = elements.iter().copied().filter(|e| !e.is_empty()).collect();
    if kept.is_empty() {
        return String::new();
    }
    clean(&kept.join("/"))
}

/// The last element of `p` after trailing slashes are removed (Go's `path.Base`).
pub fn base(p: &str) -> String {
    base_str(p).to_owned()
}

/// [`base`] without a copy: a slice of `p`, or `.` or `/` (as Go's `path.Base`, which
/// returns a substring).
pub fn base_str(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Everything but the last element of `p`, cleaned (Go's `path.Dir`).
pub fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}
