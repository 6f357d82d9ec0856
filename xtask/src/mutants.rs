//! `cargo xtask mutants [--in-diff [REV]] [CRATE…]`: mutation testing with cargo-mutants,
//! one crate at a time with that crate's own tests, and a table of the outcomes.
//!
//! A measurement, like a benchmark: not part of `cargo xtask test`. `--in-diff` mutates only
//! the lines changed since REV (default `HEAD~1`), cheap enough before each stop.
//! Exclusions of equivalent mutants live in `.cargo/mutants.toml`, each with its reason.

use std::path::Path;
use std::process::Command;

use crate::ci::root;

/// The crates measured by default, with the files to restrict to (cargo-mutants `-f` globs;
/// empty: the whole crate). `hecd-kv-server`: request parsing and the state machine, with any
/// submodules they grow.
const DEFAULT: &[(&str, &[&str])] = &[
    ("hecd-store", &[]),
    ("hecd-raft", &[]),
    ("hecd-v2api", &[]),
    ("hecd-client", &[]),
    (
        "hecd-kv-server",
        &[
            "crates/hecd-kv-server/src/request.rs",
            "crates/hecd-kv-server/src/request/**",
            "crates/hecd-kv-server/src/state_machine.rs",
            "crates/hecd-kv-server/src/state_machine/**",
        ],
    ),
];

/// One crate's outcome counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Mutants generated.
    pub total: u64,
    /// Caught by a failing test.
    pub caught: u64,
    /// Not caught: every test passed.
    pub missed: u64,
    /// The tests ran out of time (a hang the tests turned into a failure).
    pub timeout: u64,
    /// The mutant did not build.
    pub unviable: u64,
}

impl Counts {
    /// Caught (timeouts count as caught: the tests failed to pass) over viable mutants.
    pub fn kill_rate(&self) -> f64 {
        let viable = self.caught + self.missed + self.timeout;
        if viable == 0 {
            return 100.0;
        }
        (self.caught + self.timeout) as f64 * 100.0 / viable as f64
    }
}

/// Reads the counts from cargo-mutants' `outcomes.json`.
pub fn parse_outcomes(json: &str) -> Result<Counts, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("outcomes.json: {e}"))?;
    let n = |k: &str| {
        v.get(k).and_then(serde_json::Value::as_u64).ok_or(format!("outcomes.json has no {k:?}"))
    };
    Ok(Counts {
        total: n("total_mutants")?,
        caught: n("caught")?,
        missed: n("missed")?,
        timeout: n("timeout")?,
        unviable: n("unviable")?,
    })
}

/// The missed mutants' names, from `missed.txt`.
fn missed(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("mutants.out/missed.txt"))
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Checks a `--shard` argument: `K/N` with `K < N` (cargo-mutants runs every N-th mutant from
/// the K-th, a sample of a crate too large to mutate whole).
fn parse_shard(k_n: &str) -> Result<String, String> {
    let parsed = k_n
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if k < n => Ok(format!("{k}/{n}")),
        _ => Err(format!("--shard wants K/N with K < N, e.g. 0/10, not {k_n:?}")),
    }
}

/// Runs cargo-mutants over the chosen crates and prints the table.
pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str =
        "cargo xtask mutants [--in-diff [REV]] [--shard K/N] [--file GLOB]... [--jobs N] [CRATE...]";
    let mut in_diff: Option<String> = None;
    let mut shard: Option<String> = None;
    let mut globs: Vec<String> = Vec::new();
    let mut jobs = "1".to_owned();
    let mut crates: Vec<String> = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if a == "--in-diff" {
            let rev = it.next_if(|r| !r.starts_with('-') && !r.starts_with("hecd-")).cloned();
            in_diff = Some(rev.unwrap_or_else(|| "HEAD~1".to_owned()));
        } else if a == "--shard" {
            let k_n = it.next().ok_or(format!("--shard needs K/N (usage: {USAGE})"))?;
            shard = Some(parse_shard(k_n)?);
        } else if a == "--file" {
            globs.push(it.next().ok_or(format!("--file needs a glob (usage: {USAGE})"))?.clone());
        } else if a == "--jobs" {
            let n = it.next().and_then(|n| n.parse::<u32>().ok()).filter(|n| *n > 0);
            jobs = n.ok_or(format!("--jobs needs a positive number (usage: {USAGE})"))?.to_string();
        } else if a.starts_with('-') {
            return Err(format!("unknown option {a:?} (usage: {USAGE})"));
        } else {
            crates.push(a.clone());
        }
    }
    let have = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        crate::ci::cargo_pub(&["install", "cargo-mutants", "--locked"])?;
    }
    let out_root = root().join("target/mutants");
    std::fs::create_dir_all(&out_root).map_err(|e| e.to_string())?;
    let diff_file = out_root.join("in-diff.patch");
    if let Some(rev) = &in_diff {
        let diff = Command::new("git")
            .args(["diff", rev.as_str(), "--", "*.rs"])
            .current_dir(root())
            .output()
            .map_err(|e| format!("git diff: {e}"))?;
        std::fs::write(&diff_file, &diff.stdout).map_err(|e| e.to_string())?;
    }
    let chosen: Vec<(String, Vec<String>)> = if crates.is_empty() {
        DEFAULT
            .iter()
            .map(|(c, f)| ((*c).to_owned(), f.iter().map(|s| (*s).to_owned()).collect()))
            .collect()
    } else {
        crates
            .iter()
            .map(|c| {
                let files = DEFAULT
                    .iter()
                    .find(|(d, _)| d == c)
                    .map(|(_, f)| f.iter().map(|s| (*s).to_owned()).collect());
                (c.clone(), files.unwrap_or_default())
            })
            .collect()
    };
    let mut rows = Vec::new();
    for (krate, files) in &chosen {
        let out = out_root.join(krate);
        let mut cmd = Command::new("cargo");
        cmd.args(["mutants", "-p", krate, "--test-package", krate, "-j", &jobs, "--no-shuffle"])
            // A mutant that makes a test hang fails after 3x the baseline (at least 20 s).
            .args(["--timeout-multiplier", "3", "--minimum-test-timeout", "20"])
            // Cargo.toml's [profile.mutants]: the test profile without debug info.
            .args(["--profile", "mutants"])
            .arg("-o")
            .arg(&out)
            .current_dir(root());
        // --file replaces the crate's default restriction.
        for f in if globs.is_empty() { files } else { &globs } {
            cmd.args(["-f", f]);
        }
        if let Some(k_n) = &shard {
            cmd.args(["--shard", k_n]);
        }
        if in_diff.is_some() {
            cmd.arg("--in-diff").arg(&diff_file);
        }
        eprintln!("xtask: cargo mutants -p {krate}");
        // A run that finds no mutant (--in-diff touching nothing of this crate) writes no
        // outcomes: remove the last run's, so they are not read as this one's.
        let outcomes = out.join("mutants.out/outcomes.json");
        let _ = std::fs::remove_file(&outcomes);
        let _ = std::fs::remove_file(out.join("mutants.out/missed.txt"));
        // cargo-mutants exits non-zero when a mutant is missed: the table says so.
        let _ = cmd.status().map_err(|e| format!("cargo mutants: {e}"))?;
        let counts = match std::fs::read_to_string(&outcomes) {
            Ok(json) => parse_outcomes(&json)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Counts::default(),
            Err(e) => return Err(format!("{}: {e}", outcomes.display())),
        };
        rows.push((krate.clone(), counts, missed(&out)));
    }
    println!(
        "{:<16} {:>7} {:>7} {:>7} {:>8} {:>9} {:>10}",
        "crate", "mutants", "caught", "missed", "timeout", "unviable", "kill rate"
    );
    for (krate, c, _) in &rows {
        println!(
            "{:<16} {:>7} {:>7} {:>7} {:>8} {:>9} {:>9.1}%",
            krate,
            c.total,
            c.caught,
            c.missed,
            c.timeout,
            c.unviable,
            c.kill_rate()
        );
    }
    let survivors: Vec<&String> = rows.iter().flat_map(|(_, _, m)| m).collect();
    if survivors.is_empty() {
        Ok(())
    } else {
        for m in &survivors {
            println!("missed: {m}");
        }
        Err(format!("{} mutant(s) missed: write the test that kills each, or exclude it in .cargo/mutants.toml with its reason", survivors.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("0/10").unwrap(), "0/10");
        assert_eq!(parse_shard("9/10").unwrap(), "9/10");
        for bad in ["10/10", "1", "a/b", "1/0", "-1/3", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn outcomes_and_kill_rate() {
        let c = parse_outcomes(r#"{"total_mutants": 10, "caught": 6, "missed": 1, "timeout": 1, "unviable": 2, "success": 0, "outcomes": []}"#).unwrap();
        assert_eq!(c, Counts { total: 10, caught: 6, missed: 1, timeout: 1, unviable: 2 });
        assert!((c.kill_rate() - 87.5).abs() < 1e-9);
        assert!(parse_outcomes("{}").is_err());
        assert_eq!(Counts::default().kill_rate(), 100.0);
    }
}
