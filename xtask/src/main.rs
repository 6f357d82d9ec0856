//! Project automation (`cargo xtask <command>`), in Rust so that it runs the same everywhere.
//!
//! `main` only dispatches; each command lives in its own module.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod bench_pipeline;
mod bench_template;
mod chaos;
mod ci;
mod demo;
mod demo_docker;
mod deps;
mod golden;
mod mutants;
mod package;
mod tidy;
mod unicode_tables;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test        install missing Debian packages the tests need, then fmt --check, clippy -D warnings,
              tidy, the whole test suite, a 60 s chaos campaign and rustdoc (what CI runs)
  ci          the same as `test`, without installing packages
  deps        only install the Debian packages the tests need (apt-get; needs root)
  tidy        the repository's structural checks (module docs, crate dependency DAG, no ignored tests)
  demo        the main job: the whole pipeline on loopback (hecd-kv, hecd-confd, hecd-register, HAProxy),
              with real containers when a Docker engine is reachable (--docker: start a private one)
  mutants [--in-diff [REV]] [--shard K/N] [--file GLOB]... [CRATE...]
              mutation testing with cargo-mutants (a measurement, not part of `test`); see docs/testing.md
  package     the library crates meant for use on their own: registry metadata, then
              `cargo package --offline --no-verify --exclude-lockfile` (nothing is published)
  unicode-tables [--check]
              regenerate (or check) hecd-template's lexer Unicode table from Go 1.19's unicode package
  chaos [--members 3|5] [--seconds N] [--seed S] [--server hecd|etcd] [--release]
              a Jepsen-style fault campaign: a real cluster under a mixed workload and watchers while
              members are killed, paused, partitioned, removed and re-added; checks linearizability,
              watch completeness, durability and TTLs (docs/testing.md); `test` runs 3 members, 60 s
  golden      re-record the fixtures' expectations with real Go (template, confd-funcs, hecd-gostd; needs golang-go)
  bench [kv|template|raft|pipeline|all]  benchmarks against the reference implementations
              (pipeline: registration -> traffic, runtime API vs reload, [--rounds N])";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => deps::install().and_then(|()| ci::run()),
        Some("ci") => ci::run(),
        Some("deps") => deps::install(),
        Some("tidy") => tidy::run(),
        Some("demo") => demo::run(&args[1..]),
        Some("golden") => golden::run_all(),
        Some("package") => package::run(),
        Some("unicode-tables") => unicode_tables::run(&args[1..]),
        // Its own exit code: its last line must be the summary.
        Some("chaos") => return chaos::main(&args[1..]),
        Some("mutants") => mutants::run(&args[1..]),
        Some("bench") => ci::bench(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
