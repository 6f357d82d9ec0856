//! Rendering one confd template: parse it with every confd function over a key/value
//! snapshot, execute it, and name it as confd does (the file's base name, which appears in
//! Go's error texts).
//!
//! The daemon's cycle ([`crate::cycle`]) and the one-shot `hecd-confd render` command
//! ([`crate::oneshot`]) both render through here.

use std::path::Path;
use std::sync::Arc;

use hecd_template::{Template, Value};

use crate::error::Result;
use crate::funcs::func_map;
use crate::memkv::KvStore;

/// Parses `source` as template `name` with every confd function over `store` and
/// executes it with `data` as dot.
///
/// # Errors
///
/// [`RenderError::Template`](crate::RenderError::Template) with Go's message.
pub fn render(name: &str, source: &[u8], data: &Value, store: Arc<KvStore>) -> Result<Vec<u8>> {
    tracing::debug!(template = name, keys = store.len(), "rendering");
    let template = Template::new(name).funcs(&func_map(store)).parse_bytes(source)?;
    Ok(template.render(data)?)
}

/// The template name confd uses: the file's base name.
pub fn template_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.to_string_lossy().into_owned(), |n| n.to_string_lossy().into_owned())
}
