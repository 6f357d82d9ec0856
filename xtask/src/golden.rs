//! `cargo xtask golden`: records the template fixtures' expectations with real Go.
//!
//! - `fixtures/template/`: Go 1.19 `text/template` through `fixtures/template/golden/main.go`;
//! - `fixtures/confd-funcs/`: Go plus confd's functions, through `fixtures/confd-funcs/regen.sh`
//!   (the shared conformance kit's oracle).
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

/// Regenerates both fixture sets.
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
    eprintln!("xtask: done; review `git diff fixtures/` before committing");
    Ok(())
}
