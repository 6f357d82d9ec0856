//! A unified diff of two texts, what `-onetime -noop` prints for each file it would change
//! (the `similar` crate's Myers diff, three lines of context).

#[cfg(test)]
mod tests;

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// After this long the diff stops looking for a minimal edit script (huge, very different
/// files); what it prints is still a correct diff.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The unified diff (`--- old_name`, `+++ new_name`, `@@` hunks) turning `old` into `new`;
/// empty when they are equal. Invalid UTF-8 is shown as U+FFFD.
pub fn unified(old_name: &str, new_name: &str, old: &[u8], new: &[u8]) -> String {
    if old == new {
        return String::new();
    }
    let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
    similar::TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(CONTEXT)
        .header(old_name, new_name)
        .to_string()
}
