//! Key path normalisation, like Go's `path.Clean(path.Join("/", p))`.

/// Cleans a key path: always absolute, no empty, `.` or `..` components, no trailing `/`.
///
/// `..` never climbs above the root.
pub fn clean_path(p: &str) -> String {
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
