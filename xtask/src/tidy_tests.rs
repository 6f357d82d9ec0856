//! Tests of the tidy checks themselves, and the tidy run over the real repository.

use super::*;

#[test]
fn repository_is_tidy() {
    let problems = check(&root());
    assert!(problems.is_empty(), "tidy problems:\n{}", problems.join("\n"));
}

#[test]
fn forbidden_dependency_is_reported() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let manifest =
        "[package]\nname = \"hecd-store\"\n[dependencies]\nhecd-client = { path = \"x\" }\n";
    let problems = check_manifest("crates/hecd-store/Cargo.toml", manifest, &allowed);
    assert_eq!(problems, vec!["crates/hecd-store/Cargo.toml: hecd-store may not depend on hecd-client ([dependencies])"]);
}

#[test]
fn allowed_dependencies_pass() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let manifest = "[package]\nname = \"hecd-kv-server\"\n[dependencies]\nhecd-store.workspace = true\n[dev-dependencies]\nhecd-testkit.workspace = true\n";
    assert!(check_manifest("m", manifest, &allowed).is_empty());
}

#[test]
fn unknown_crate_is_reported() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let problems = check_manifest("m", "[package]\nname = \"hecd-new\"\n", &allowed);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("not in xtask's dependency allowlist"));
}

#[test]
fn source_rules() {
    let mut p = Vec::new();
    check_source("crates/a/src/lib.rs", "fn main() {}\n", &mut p);
    assert_eq!(p.len(), 1, "{p:?}");
    p.clear();
    let ignored = format!("//! Doc.\n#[test]\n#[{}]\nfn t() {{}}\n", "ignore");
    check_source("crates/a/src/lib.rs", &ignored, &mut p);
    assert_eq!(p.len(), 1, "{p:?}");
    p.clear();
    let sleepy =
        format!("//! Doc.\nfn t() {{ std::thread::{}std::time::Duration::ZERO); }}\n", "sleep(");
    check_source("tests/e2e/x.rs", &sleepy, &mut p);
    check_source("crates/a/src/x.rs", &sleepy, &mut p);
    assert_eq!(p.len(), 1, "only the file under tests/ is flagged: {p:?}");
}

#[test]
fn go_library_copies_are_reported() {
    let copy = format!(
        "//! Doc.\npub(crate) fn {}(b: &[u8]) -> (char, usize) {{ todo!() }}\n",
        "decode_rune"
    );
    let mut p = Vec::new();
    check_source("crates/hecd-confd/src/x.rs", &copy, &mut p);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("hecd-gostd"), "{p:?}");
    p.clear();
    check_source("crates/hecd-gostd/src/utf8.rs", &copy, &mut p);
    assert!(p.is_empty(), "{p:?}");
    let table = format!(
        "//! Doc.\nconst T: &str = \"{}{}\";\n",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "0123456789+/"
    );
    check_source("crates/hecd-client/src/x.rs", &table, &mut p);
    assert_eq!(p.len(), 1, "{p:?}");
}
