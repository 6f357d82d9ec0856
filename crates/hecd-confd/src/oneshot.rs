//! `hecd-confd render TEMPLATE [--data FILE] [--kv FILE] [--prefix P]`: one template
//! rendered once to standard output, as confd renders it, with the store functions backed by
//! a flat key/value file and dot taken from a JSON file.
//!
//! The template is named after its file's base name (it appears in Go's error texts),
//! nothing is written on error (confd discards partial output), and store keys are
//! normalised as confd's `setVars` does.
//!
//! [`parse`] reads the command line into a [`Request`]; [`run`] renders it. Exit codes (what
//! the binary maps the outcome to): 0 rendered (or `--help`), 1 template parse or execution
//! error ([`RenderError::is_template_error`]), 2 usage or input error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use hecd_template::Value;

use crate::error::{RenderError, Result};
use crate::funcs::data_from_json;
use crate::memkv::{normalise_key, KvStore};
use crate::render::{render, template_name};
use hecd_gostd::json::{self as gojson, Json};

/// `hecd-confd render`: render one template the way confd does.
#[derive(Debug, Parser)]
#[command(name = "hecd-confd render", about = "Render one confd template to standard output")]
struct Args {
    /// The template file (its base name is the template's name in errors).
    template: PathBuf,
    /// JSON document that becomes dot (whole numbers are int64, others float64).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Flat JSON object of key to string value backing get/gets/getv/getvs/ls/lsdir/exists.
    #[arg(long)]
    kv: Option<PathBuf>,
    /// Key prefix stripped from every --kv key, as confd's -prefix.
    #[arg(long, default_value = "/")]
    prefix: String,
}

/// Reads the arguments that follow `render` on the command line.
///
/// # Errors
/// clap's error for a usage error or `--help`: print it as it is, and exit with 2 when
/// [`clap::Error::use_stderr`], else 0.
pub fn parse<I>(args: I) -> std::result::Result<Request, clap::Error>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    // clap names the command after argv[0]; show the full invocation in usage texts.
    let argv = std::iter::once(OsString::from("hecd-confd render"))
        .chain(args.into_iter().map(Into::into));
    let args = Args::try_parse_from(argv)?;
    Ok(Request { template: args.template, data: args.data, kv: args.kv, prefix: args.prefix })
}

/// What to render.
#[derive(Debug, Clone, Default)]
pub struct Request {
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
pub fn run(request: &Request) -> Result<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_the_flags() {
        let r = parse(["t.tmpl", "--data", "d.json", "--kv", "kv.json", "--prefix", "/p"]).unwrap();
        assert_eq!(r.template, PathBuf::from("t.tmpl"));
        assert_eq!(r.data, Some(PathBuf::from("d.json")));
        assert_eq!(r.kv, Some(PathBuf::from("kv.json")));
        assert_eq!(r.prefix, "/p");
        assert_eq!(parse(["t.tmpl"]).unwrap().prefix, "/");
    }

    #[test]
    fn parse_refuses_usage_errors() {
        let no_template: [&str; 0] = [];
        for args in [&no_template[..], &["t.tmpl", "--nope"], &["a", "b"], &["t.tmpl", "--data"]] {
            let e = parse(args.iter().copied()).unwrap_err();
            assert!(e.use_stderr(), "{args:?}");
        }
        let unknown = parse(["t.tmpl", "--nope"]).unwrap_err().to_string();
        assert!(unknown.contains("Usage: hecd-confd render"), "{unknown}");
        let help = parse(["--help"]).unwrap_err();
        assert!(!help.use_stderr());
    }
}
