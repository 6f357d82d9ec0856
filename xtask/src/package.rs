//! `cargo xtask package`: the library crates meant for use on their own can be packaged.
//!
//! For each of [`CRATES`], the manifest carries the metadata a registry asks for (a version of
//! its own, description, license, keywords, categories, readme), and
//! `cargo package --offline --no-verify --allow-dirty --exclude-lockfile` assembles the
//! `.crate` (in `target/package/`): every path dependency has a version, the readme and
//! sources are found, nothing needed lies outside the crate.
//!
//! Why these flags, offline (cargo 1.95): `--no-verify` does not build the unpacked crate,
//! which would resolve `hecd-gostd` & co. from crates.io, where they are not; and
//! `--exclude-lockfile` skips the lock file, whose resolution needs the same registry. Without
//! it cargo stops with "no matching package named `hecd-gostd` found", even with every crate
//! selected at once (the crates are `publish = false`, and cargo's overlay of the workspace's
//! own crates did not apply). `--allow-dirty` lets the check run on a work tree.
//! Path dependencies need a version to be packaged: `[workspace.dependencies]` gives one to
//! these crates and to `hecd-haproxy` (0.0.0, which `hecd-confd` uses and which would have to
//! be published first). `--list` alone would check less: it does not need those versions.
//! Nothing is published.

use crate::ci::{cargo_pub, root};

/// The crates checked, in dependency order.
pub const CRATES: &[&str] = &[
    "hecd-v2api",
    "hecd-gostd",
    "hecd-store",
    "hecd-raft",
    "hecd-client",
    "hecd-template",
    "hecd-confd",
];

/// Checks each crate's metadata, then packages them all.
pub fn run() -> Result<(), String> {
    let mut problems = Vec::new();
    for name in CRATES {
        let rel = format!("crates/{name}/Cargo.toml");
        let text = std::fs::read_to_string(root().join(&rel)).map_err(|e| format!("{rel}: {e}"))?;
        problems.extend(check_manifest(&rel, &text));
    }
    if !problems.is_empty() {
        return Err(format!("package metadata:\n  {}", problems.join("\n  ")));
    }
    let mut args =
        vec!["package", "--offline", "--no-verify", "--allow-dirty", "--exclude-lockfile"];
    for name in CRATES {
        args.extend(["-p", name]);
    }
    cargo_pub(&args)
}

/// One line per missing or workspace-inherited metadata field of the manifest `text`.
pub fn check_manifest(rel: &str, text: &str) -> Vec<String> {
    let doc: toml::Table = match text.parse() {
        Ok(d) => d,
        Err(e) => return vec![format!("{rel}: invalid TOML: {e}")],
    };
    let Some(package) = doc.get("package").and_then(|p| p.as_table()) else {
        return vec![format!("{rel}: no [package]")];
    };
    let mut problems = Vec::new();
    match package.get("version").and_then(|v| v.as_str()) {
        Some(v) if v != "0.0.0" => {}
        _ => {
            problems.push(format!("{rel}: needs a version of its own (not the workspace's 0.0.0)"))
        }
    }
    for field in ["description", "readme"] {
        if package.get(field).is_none_or(|v| v.as_str().is_none_or(str::is_empty)) {
            problems.push(format!("{rel}: no `{field}`"));
        }
    }
    if package.get("license").is_none() {
        problems.push(format!("{rel}: no `license`"));
    }
    for field in ["keywords", "categories"] {
        if package.get(field).and_then(|v| v.as_array()).is_none_or(|a| a.is_empty()) {
            problems.push(format!("{rel}: no `{field}`"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::check_manifest;

    #[test]
    fn complete_manifest_passes() {
        let ok = r#"[package]
name = "x"
description = "d"
version = "0.1.0"
license.workspace = true
keywords = ["a"]
categories = ["b"]
readme = "../../README.md"
"#;
        assert!(check_manifest("x", ok).is_empty(), "{:?}", check_manifest("x", ok));
    }

    #[test]
    fn workspace_version_and_missing_fields_fail() {
        let bad = "[package]\nname = \"x\"\nversion.workspace = true\nkeywords = []\n";
        assert_eq!(check_manifest("x", bad).len(), 6, "{:?}", check_manifest("x", bad));
    }
}
