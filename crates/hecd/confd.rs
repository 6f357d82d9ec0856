//! The `hecd-confd` binary: the confd-compatible daemon (Go-style single-dash flags such as
//! `-confdir`, `-onetime`, `-watch`), and `hecd-confd render TEMPLATE [--data FILE] [--kv FILE]`,
//! which renders one template to standard output.
//!
//! Thin: it parses the command line ([`hecd_confd::config::from_args`],
//! [`hecd_confd::oneshot::parse`]), sets up confd's log format (`confd_log.rs`), forwards
//! SIGTERM/SIGINT/SIGHUP to [`hecd_confd::daemon::run`] and turns its report into an exit
//! status. Daemon exit codes: 0 success (or stopped by a signal), 1 failure, 2 usage error.
//! `render` exit codes: 0 rendered, 1 template (parse or execution) error, 2 usage or input error.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;

#[path = "common.rs"]
#[allow(dead_code)] // not every binary uses every helper
mod common;

#[path = "confd_log.rs"]
mod logfmt;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("render") => oneshot(&argv[1..]),
        _ => daemon(&argv),
    }
}

/// The daemon: confd's command line, then [`hecd_confd::daemon::run`] until it is done.
fn daemon(argv: &[std::ffi::OsString]) -> ExitCode {
    let args = argv.iter().skip(1).map(|a| a.to_string_lossy().into_owned());
    let env = |name: &str| std::env::var(name).ok();
    let config = match hecd_confd::config::from_args(args, &env) {
        Ok(hecd_confd::Invocation::Run(config)) => config,
        Ok(hecd_confd::Invocation::Version) => {
            println!("hecd-confd {} (confd 0.16.0 compatible)", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(hecd_confd::Invocation::Help) => {
            eprint!("{}", hecd_confd::flags::usage());
            return ExitCode::SUCCESS;
        }
        Err(e @ hecd_confd::ConfigError::Usage(_)) => {
            eprintln!("{e}");
            eprint!("{}", hecd_confd::flags::usage());
            return ExitCode::from(e.exit_code());
        }
        Err(e) => {
            logfmt::fatal(&e.to_string());
            return ExitCode::from(e.exit_code());
        }
    };
    logfmt::init(config.log_level);
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(r) => r,
            Err(e) => {
                logfmt::fatal(&format!("cannot start the runtime: {e}"));
                return ExitCode::from(1);
            }
        };
    let report = runtime.block_on(async move {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        if let Err(e) = forward_signals(tx) {
            logfmt::fatal(&format!("cannot install signal handlers: {e}"));
            return hecd_confd::RunReport { exit_code: 1, ..Default::default() };
        }
        hecd_confd::daemon::run(*config, rx).await
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let mut stdout = std::io::stdout().lock();
    for diff in &report.diffs {
        let _ = stdout.write_all(diff.as_bytes());
    }
    let _ = stdout.flush();
    if let Some(fatal) = &report.fatal {
        logfmt::fatal(fatal);
    }
    ExitCode::from(report.exit_code)
}

/// Forwards SIGTERM, SIGINT and SIGHUP to the daemon.
fn forward_signals(
    tx: tokio::sync::mpsc::UnboundedSender<hecd_confd::Signal>,
) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            let sig = tokio::select! {
                _ = term.recv() => hecd_confd::Signal::Terminate("terminated"),
                _ = int.recv() => hecd_confd::Signal::Terminate("interrupt"),
                _ = hup.recv() => hecd_confd::Signal::Reload,
            };
            if tx.send(sig).is_err() {
                break;
            }
        }
    });
    Ok(())
}

fn oneshot(args: &[std::ffi::OsString]) -> ExitCode {
    let request = match hecd_confd::oneshot::parse(args.iter().skip(1).cloned()) {
        Ok(r) => r,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // Printing help or a usage error is all that is left to do.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match hecd_confd::oneshot::run(&request) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", common::one_line(&e));
            ExitCode::from(if e.is_template_error() { 1 } else { 2 })
        }
    }
}
