//! `cargo xtask ci`: the checks CI runs, in the order that fails fastest.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the workspace root) or `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root().join(p) } else { p })
        .unwrap_or_else(|| root().join("target"))
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

/// fmt, clippy, tidy, packaging of the library crates, tests, a 60 s chaos campaign, docs.
pub fn run() -> Result<(), String> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])?;
    crate::tidy::run()?;
    crate::package::run()?;
    cargo(&["test", "--workspace", "--no-fail-fast"], &[])?;
    chaos_step()?;
    cargo(&["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")])?;
    Ok(())
}

/// `chaos --members 3 --seconds 60` with a fresh seed (printed first, for a replay).
fn chaos_step() -> Result<(), String> {
    let opts = crate::chaos::Options {
        members: 3,
        seconds: 60,
        seed: fastrand::u64(..),
        etcd: false,
        release: false,
    };
    let s = crate::chaos::run(&opts)?;
    if s.anomalies == 0 {
        Ok(())
    } else {
        Err(format!("chaos found {} anomalies (seed {})", s.anomalies, opts.seed))
    }
}

/// Benchmarks against the reference implementations.
///
/// `kv` runs the side-by-side yardstick `../shared/conformance/bench/kvbench.sh` (etcd 3.4 with
/// `--enable-v2` against a release `hecd-kv`, interleaved, reporting medians and ratios);
/// `template` compares `hecd-template` with Go's text/template (see `bench_template`); `raft`
/// runs that crate's criterion benches; `all` runs everything.
pub fn bench(args: &[String]) -> Result<(), String> {
    let what = args.first().map(String::as_str).unwrap_or("all");
    match what {
        "kv" => bench_kv(&args[1..]),
        "template" => crate::bench_template::run(),
        "raft" => cargo(&["bench", "-p", "hecd-raft"], &[]),
        "pipeline" => crate::bench_pipeline::run(&args[1..]),
        "all" => {
            cargo(&["bench", "--workspace"], &[])?;
            crate::bench_template::run()?;
            bench_kv(&[])
        }
        other => Err(format!("unknown benchmark {other:?} (kv, template, raft, pipeline, all)")),
    }
}

fn bench_kv(extra: &[String]) -> Result<(), String> {
    let script = root().join("../shared/conformance/bench/kvbench.sh");
    if !script.exists() {
        return Err(format!(
            "{} is missing (the shared yardsticks sit beside the repository)",
            script.display()
        ));
    }
    if !std::path::Path::new("/usr/bin/wrk").exists() {
        crate::deps::install_packages(&["wrk"])?;
    }
    crate::deps::install()?;
    cargo(&["build", "--release", "--bin", "hecd-kv"], &[])?;
    let bin = root().join("target/release/hecd-kv");
    let target = format!(
        "exec {} --name kvb --data-dir {{data}} --listen-client-urls {{url}} --advertise-client-urls {{url}} --log-level warn",
        bin.display()
    );
    eprintln!("xtask: kvbench.sh with TARGET_CMD={target}");
    let status = Command::new("bash")
        .arg(&script)
        .args(extra)
        .env("TARGET_CMD", target)
        .status()
        .map_err(|e| format!("cannot run kvbench.sh: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kvbench.sh failed ({status})"))
    }
}
