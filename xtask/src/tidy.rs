//! Structural checks of the repository, run by `cargo xtask tidy` and as a `#[test]`.
//!
//! 1. Every Rust source file starts with a `//!` module doc comment.
//! 2. Each crate depends only on the internal crates ARCHITECTURE.md allows.
//! 3. No test is ignored or expected to panic.
//! 4. No `sleep(` under a `tests/` directory: tests await events instead.
//! 5. Go's library semantics (`decode_rune`, `quote`, `unquote`, `is_print`, `atoi`, the base64
//!    alphabet) are defined only in `crates/hecd-gostd` (issue #15: they had been copied).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::ci::root;

/// The internal dependencies each crate may have (`[dependencies]`; dev-dependencies may add
/// `hecd-testkit` and `hecd-client`). Keep in step with docs/ARCHITECTURE.md.
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("hecd-v2api", &[]),
    ("hecd-gostd", &[]),
    ("hecd-template", &["hecd-gostd"]),
    ("hecd-raft", &[]),
    ("hecd-testkit", &[]),
    ("hecd-haproxy", &[]),
    ("hecd-store", &["hecd-v2api"]),
    ("hecd-client", &["hecd-v2api"]),
    ("hecd-kv-server", &["hecd-v2api", "hecd-store", "hecd-raft", "hecd-client"]),
    ("hecd-confd", &["hecd-template", "hecd-gostd", "hecd-client", "hecd-v2api", "hecd-haproxy"]),
    ("hecd-register", &["hecd-client", "hecd-v2api"]),
    // `cargo xtask chaos` drives clusters through the testkit.
    ("xtask", &["hecd-testkit"]),
];

const DEV_ALLOWED: &[&str] = &["hecd-testkit", "hecd-client"];

/// Runs every check and reports all violations at once.
pub fn run() -> Result<(), String> {
    let problems = check(&root());
    if problems.is_empty() {
        eprintln!("xtask: tidy: ok");
        Ok(())
    } else {
        Err(format!("tidy found {} problem(s):\n  {}", problems.len(), problems.join("\n  ")))
    }
}

/// Returns one line per violation below `root`.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests", "benches", "examples"] {
        collect_rs(&root.join(dir), &mut files);
    }
    for file in &files {
        let rel = file.strip_prefix(root).unwrap_or(file).display().to_string();
        let Ok(text) = fs::read_to_string(file) else {
            problems.push(format!("{rel}: not readable as UTF-8"));
            continue;
        };
        check_source(&rel, &text, &mut problems);
    }
    check_dag(root, &mut problems);
    problems
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rs(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Definitions that belong to `crates/hecd-gostd` alone. The needles are assembled so that
/// this file does not trip its own check.
fn gostd_only() -> [String; 8] {
    let f = |name: &str| format!("fn {name}(");
    [
        f("decode_rune"),
        f("quote"),
        f("quote_with"),
        f("quote_rune"),
        f("unquote"),
        f("is_print"),
        f("atoi"),
        ["ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789+/"].concat(),
    ]
}

/// Checks one source file's text; `rel` is its path relative to the root, with `/`.
pub fn check_source(rel: &str, text: &str, problems: &mut Vec<String>) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with("//!") && !first.starts_with("#![") {
        problems.push(format!("{rel}: does not start with a `//!` module doc comment"));
    }
    // The patterns are assembled so that this file does not trip its own check.
    let ignore = concat!("#[", "ignore");
    let should_panic = concat!("#[", "should_panic");
    let sleep = concat!("sleep", "(");
    let in_tests = rel.starts_with("tests/") || rel.contains("/tests/");
    let gostd_only =
        if rel.starts_with("crates/hecd-gostd/") { Vec::new() } else { gostd_only().to_vec() };
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        if code.contains(ignore) {
            problems.push(format!(
                "{rel}:{}: ignored test (assert the wrong behaviour and add a FIXME instead)",
                n + 1
            ));
        }
        if code.contains(should_panic) {
            problems.push(format!(
                "{rel}:{}: should_panic test (assert on a returned error instead)",
                n + 1
            ));
        }
        if let Some(needle) = gostd_only.iter().find(|needle| code.contains(needle.as_str())) {
            problems.push(format!(
                "{rel}:{}: `{needle}` is Go's library: use hecd-gostd's instead of a copy",
                n + 1
            ));
        }
        if in_tests && code.contains(sleep) {
            problems.push(format!("{rel}:{}: sleep in a test (await the event instead)", n + 1));
        }
    }
}

fn check_dag(root: &Path, problems: &mut Vec<String>) {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let Ok(entries) = fs::read_dir(root.join("crates")) else {
        problems.push("crates/: not readable".into());
        return;
    };
    let mut manifests: Vec<PathBuf> =
        entries.flatten().map(|e| e.path().join("Cargo.toml")).filter(|p| p.exists()).collect();
    manifests.sort();
    manifests.push(root.join("xtask/Cargo.toml"));
    for manifest in manifests {
        let rel = manifest.strip_prefix(root).unwrap_or(&manifest).display().to_string();
        let text = match fs::read_to_string(&manifest) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{rel}: {e}"));
                continue;
            }
        };
        problems.extend(check_manifest(&rel, &text, &allowed));
    }
}

/// Checks one crate manifest against the allowlist.
pub fn check_manifest(rel: &str, text: &str, allowed: &BTreeMap<&str, &[&str]>) -> Vec<String> {
    let mut problems = Vec::new();
    let doc: toml::Table = match text.parse() {
        Ok(d) => d,
        Err(e) => return vec![format!("{rel}: invalid TOML: {e}")],
    };
    let name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    let Some(ok) = allowed.get(name.as_str()) else {
        problems.push(format!(
            "{rel}: crate {name:?} is not in xtask's dependency allowlist (xtask/src/tidy.rs, docs/ARCHITECTURE.md)"
        ));
        return problems;
    };
    for (section, extra) in [("dependencies", &[][..]), ("dev-dependencies", DEV_ALLOWED)] {
        let Some(deps) = doc.get(section).and_then(|d| d.as_table()) else { continue };
        for dep in deps.keys().filter(|d| d.starts_with("hecd")) {
            if !ok.contains(&dep.as_str()) && !extra.contains(&dep.as_str()) {
                problems.push(format!("{rel}: {name} may not depend on {dep} ([{section}])"));
            }
        }
    }
    problems
}

#[cfg(test)]
#[path = "tidy_tests.rs"]
mod tests;
