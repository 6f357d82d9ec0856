//! The `hecd-register` binary: register and deregister containers in the store.
//!
//! Thin: parses flags ([`hecd_register::cli::Cli`]), builds the registrar, checks the command
//! into a [`Plan`], runs it and turns errors into one line on standard error.
//! Exit codes: 0 success, 1 runtime failure, 2 usage error.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::process::ExitCode;

use clap::Parser;
use hecd_register::cli::{format_entries, Cli, CliError, Plan};

#[path = "common.rs"]
#[allow(dead_code)] // not every binary uses every helper
mod common;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_level.as_deref());
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hecd-register: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hecd-register: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Logs to standard error at `level` (or `RUST_LOG`, else `error`).
fn init_tracing(level: Option<&str>) {
    let filter = match level {
        Some(l) => tracing_subscriber::EnvFilter::new(l),
        None => tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
    };
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// `--from-inspect`'s input: a file, or `-` for standard input.
fn read_input(src: &str) -> std::io::Result<String> {
    if src == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(src)
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let registrar = cli.registrar()?;
    match cli.plan(read_input, hecd_register::docker::system_hostname)? {
        Plan::Add { registration, ttl, no_overwrite } => {
            let e = registrar.add(&registration, ttl, no_overwrite).await?;
            println!("{} {}", e.key, e.value);
        }
        Plan::Remove(name) => registrar.remove(&name).await?,
        Plan::List(format) => print!("{}", format_entries(&registrar.list().await?, format)),
        Plan::Get(name, format) => {
            print!("{}", format_entries(&[registrar.get(&name).await?], format))
        }
        Plan::Run { registration, options } => {
            let shutdown = common::shutdown_signal();
            hecd_register::run(&registrar, &registration, &options, shutdown).await?;
        }
        Plan::Docker { engine, options } => {
            // The store client retries each request over the endpoints; the loop retries the rest.
            let client = registrar.client().clone();
            hecd_register::docker::follow(engine, client, options, common::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
