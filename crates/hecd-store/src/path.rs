//! Key path normalisation, like Go's `path.Clean(path.Join("/", p))`.

/// Cleans a key path: always absolute, no empty, `.` or `..` components, no trailing `/`.
///
/// `..` never climbs above the root.
pub fn clean_path(p: &str) -> String {
    if is_clean(p) {
        return p.to_owned(); // the usual case: one allocation, no component list
    }
    rebuild(p)
}

/// Whether `p` is already what [`clean_path`] makes of it.
fn is_clean(p: &str) -> bool {
    match p.strip_prefix('/') {
        Some("") => true,
        Some(rest) => rest.split('/').all(|c| !matches!(c, "" | "." | "..")),
        None => false,
    }
}

/// [`clean_path`] the long way: the components that remain, rejoined.
fn rebuild(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(p.len() + 1);
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// The components of a cleaned path (none for the root).
pub(crate) fn components(clean: &str) -> impl Iterator<Item = &str> {
    clean.split('/').filter(|c| !c.is_empty())
}

/// The components of a cleaned path, each with the path that ends with it: `/a/b` gives
/// `("a", "/a")` then `("b", "/a/b")`. Slices of `clean`, so walking a path allocates nothing.
pub(crate) fn prefixes(clean: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || loop {
        let rest = clean.get(start..).filter(|r| !r.is_empty())?;
        let end = rest.find('/').map_or(clean.len(), |i| start + i);
        let name = &clean[start..end];
        start = end + 1;
        if !name.is_empty() {
            return Some((name, &clean[..end]));
        }
    })
}

/// Joins a cleaned parent path and a child name.
pub(crate) fn join(parent: &str, name: &str) -> String {
    let mut s = String::with_capacity(parent.len() + name.len() + 1);
    if parent != "/" {
        s.push_str(parent);
    }
    s.push('/');
    s.push_str(name);
    s
}

/// Whether `key` is hidden from a watcher on `watch` (a `_` component below the watch point).
pub(crate) fn is_hidden(watch: &str, key: &str) -> bool {
    if watch.len() > key.len() {
        return false;
    }
    let after = clean_path(&format!("/{}", &key[watch.len()..]));
    after.contains("/_")
}

#[cfg(test)]
mod tests;
