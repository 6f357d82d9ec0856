//! Golden fixtures recorded from Go 1.19 `text/template`.

use std::path::{Path, PathBuf};

use hecd_template::{from_json, Template, Value};

/// `fixtures/template`, or the directory named by `HECD_TEMPLATE_GOLDEN_DIR`
/// (for ad-hoc differential runs against freshly recorded Go outputs).
fn fixture_dir() -> PathBuf {
    match std::env::var_os("HECD_TEMPLATE_GOLDEN_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/template"),
    }
}

/// Renders one fixture and returns a description of the mismatch, if any.
fn check(dir: &Path, name: &str) -> Option<String> {
    let src = std::fs::read(dir.join(format!("{name}.tmpl"))).ok()?;
    let data = match std::fs::read(dir.join(format!("{name}.json"))) {
        Ok(raw) => from_json(&serde_json::from_slice(&raw).ok()?),
        Err(_) => Value::Missing,
    };
    let res = Template::new(format!("{name}.tmpl"))
        .funcs(&crate::golden_funcs())
        .parse_bytes(&src)
        .and_then(|t| t.render(&data));
    let want_out = std::fs::read(dir.join(format!("{name}.out"))).ok();
    let want_err = std::fs::read_to_string(dir.join(format!("{name}.err"))).ok();
    match (res, want_out, want_err) {
        (Ok(got), Some(want), _) if got == want => None,
        (Err(e), _, Some(want)) if Some(e.to_string().as_str()) == want.strip_suffix('\n') => None,
        (got, out, err) => Some(format!(
            "{name}:\n  got:  {:?}\n  want: {:?}",
            got.map(|b| String::from_utf8_lossy(&b).into_owned()).map_err(|e| e.to_string()),
            out.map(|b| String::from_utf8_lossy(&b).into_owned()).ok_or(err)
        )),
    }
}

#[test]
fn golden_fixtures_match_go() {
    let dir = fixture_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/template exists")
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "tmpl" {
                return None;
            }
            Some(p.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert!(names.len() > 100, "expected the golden corpus, found {}", names.len());
    let failures: Vec<String> = names.iter().filter_map(|n| check(&dir, n)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} golden fixtures differ from Go:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
}
