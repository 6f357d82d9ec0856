//! `hecd-confd render`: one template rendered as confd renders it, with the store
//! functions backed by a flat key/value file and dot taken from a JSON file.
//!
//! The template is named after its file's base name (it appears in Go's error texts),
//! nothing is written on error (confd discards partial output), and store keys are
//! normalised as confd's `setVars` does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hecd_template::{Template, Value};

use crate::error::{RenderError, Result};
use crate::funcs::{data_from_json, func_map};
use crate::store::{normalise_key, KvStore};
use hecd_gostd::json::{self as gojson, Json};

/// What to render.
#[derive(Debug, Clone, Default)]
pub struct RenderRequest {
    /// The template file.
    pub template: PathBuf,
    /// The JSON document that becomes dot; `None` means nil data, as in confd.
    pub data: Option<PathBuf>,
    /// The flat JSON object of key → string backing the store functions.
    pub kv: Option<PathBuf>,
    /// The key prefix stripped from every key (confd's `-prefix`); `/` when empty.
    pub prefix: String,
}

/// Renders `request` and returns the output bytes.
///
/// # Errors
///
/// [`RenderError::Template`] for a parse or execution error (Go's text), the other
/// variants for unreadable or invalid input files.
pub fn run(request: &RenderRequest) -> Result<Vec<u8>> {
    let source = read(&request.template)?;
    let data = match &request.data {
        Some(path) => load_data(path)?,
        None => Value::Missing,
    };
    let store = match &request.kv {
        Some(path) => load_kv(path, &request.prefix)?,
        None => KvStore::new(),
    };
    render(&template_name(&request.template), &source, &data, Arc::new(store))
}

/// Parses `source` as template `name` with every confd function over `store` and
/// executes it with `data` as dot.
///
/// # Errors
///
/// [`RenderError::Template`] with Go's message.
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

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| RenderError::Read { path: path.to_owned(), source })
}

/// Reads a `--data` file: JSON whose whole numbers are `int64` and other numbers
/// `float64`; an empty file or `null` is nil data.
///
/// # Errors
///
/// [`RenderError::Read`] or [`RenderError::Data`].
pub fn load_data(path: &Path) -> Result<Value> {
    let raw = read(path)?;
    let text = String::from_utf8(raw)
        .map_err(|_| RenderError::Data { path: path.to_owned(), reason: "not UTF-8".to_owned() })?;
    data_from_json(&text)
        .map_err(|e| RenderError::Data { path: path.to_owned(), reason: e.to_string() })
}

/// Reads a `--kv` file (a flat JSON object of key → string) into a store, normalising
/// each key with `prefix` as confd does. Two keys that normalise alike are rejected.
///
/// # Errors
///
/// [`RenderError::Read`] or [`RenderError::Kv`].
pub fn load_kv(path: &Path, prefix: &str) -> Result<KvStore> {
    let bad = |reason: String| RenderError::Kv { path: path.to_owned(), reason };
    let raw = read(path)?;
    let text = String::from_utf8(raw).map_err(|_| bad("not UTF-8".to_owned()))?;
    let store = KvStore::new();
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Ok(store);
    }
    let pairs = match gojson::parse(&text).map_err(|e| bad(e.to_string()))? {
        Json::Object(map) => map,
        Json::Null => return Ok(store),
        other => return Err(bad(format!("want an object of strings, got {}", other.kind_word()))),
    };
    let prefix = if prefix.starts_with('/') { prefix.to_owned() } else { format!("/{prefix}") };
    let mut seen = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        let Json::String(value) = value else {
            return Err(bad(format!("value of {key:?} is not a string")));
        };
        let normalised = normalise_key(&key, &prefix);
        if let Some(previous) = seen.insert(normalised.clone(), key.clone()) {
            return Err(bad(format!(
                "keys {previous:?} and {key:?} both normalise to {normalised:?}"
            )));
        }
        store.set(normalised, value);
    }
    Ok(store)
}
