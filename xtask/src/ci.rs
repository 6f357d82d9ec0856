//! `cargo xtask ci`: the checks CI runs, in the order that fails fastest.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Runs cargo with `args` in the workspace root.
pub fn cargo_pub(args: &[&str]) -> Result<(), String> {
    cargo(args, &[])
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo {} failed ({status})", args.join(" ")))
    }
}

/// fmt, clippy, tidy, tests, docs.
pub fn run() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])?;
    crate::tidy::run()?;
    cargo(&["test", "--workspace", "--no-fail-fast"], &[])?;
    cargo(&["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")])?;
    Ok(())
}

/// Benchmarks against the reference implementations.
pub fn bench(args: &[String]) -> Result<(), String> {
    let what = args.first().map(String::as_str).unwrap_or("all");
    match what {
        "all" | "template" | "kv" => {
            cargo(&["bench", "--workspace"], &[])?;
            Ok(())
        }
        other => Err(format!("unknown benchmark {other:?} (kv, template, all)")),
    }
}
