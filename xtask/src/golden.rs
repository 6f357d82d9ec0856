//! `cargo xtask golden`: records the template fixtures' expectations with real Go.
//!
//! - `fixtures/template/`: Go 1.19 `text/template` through `fixtures/template/golden/main.go`;
//! - `fixtures/confd-funcs/`: Go plus confd's functions, through `fixtures/confd-funcs/regen.sh`
//!   (the shared conformance kit's oracle);
//! - `crates/hecd-gostd/fixtures/expected.txt`: Go's standard library, through
//!   `crates/hecd-gostd/fixtures/gen/main.go` (its `fixtures` test also re-checks it when `go`
//!   is installed).
//!
//! Needs `golang-go` (installed when missing); CI only reads the recorded files. Review the diff
//! before committing: expectations never come from our own output.

use std::process::Command;

use crate::ci::root;

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    eprintln!("xtask: {what}");
    let st = cmd.status().map_err(|e| format!("{what}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({st})"))
    }
}

/// Regenerates every fixture set.
pub fn run_all() -> Result<(), String> {
    if !std::path::Path::new("/usr/bin/go").exists() {
        crate::deps::install_packages(&["golang-go"])?;
    }
    let golden = root().join("fixtures/template/golden");
    run(
        Command::new("go").args(["run", ".", ".."]).current_dir(&golden).env("GOPROXY", "off"),
        "recording fixtures/template with Go",
    )?;
    run(
        Command::new("sh").arg(root().join("fixtures/confd-funcs/regen.sh")),
        "recording fixtures/confd-funcs with Go",
    )?;
    let gen = root().join("crates/hecd-gostd/fixtures/gen");
    let expected = std::fs::File::create(gen.join("../expected.txt"))
        .map_err(|e| format!("crates/hecd-gostd/fixtures/expected.txt: {e}"))?;
    run(
        Command::new("go")
            .args(["run", "."])
            .current_dir(&gen)
            .env("GOPROXY", "off")
            .stdout(expected),
        "recording crates/hecd-gostd/fixtures with Go",
    )?;
    eprintln!(
        "xtask: done; review `git diff fixtures/ crates/hecd-gostd/fixtures/` before committing"
    );
    Ok(())
}
