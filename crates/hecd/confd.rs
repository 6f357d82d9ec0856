//! The `hecd-confd` binary: the confd-compatible daemon (Go-style single-dash flags such as
//! `-confdir`, `-onetime`, `-watch`), and `hecd-confd render TEMPLATE [--data FILE] [--kv FILE]`,
//! which renders one template to standard output.
//!
//! Thin: it parses the command line, sets up confd's log format on standard error, forwards
//! SIGTERM/SIGINT/SIGHUP to [`hecd_confd::daemon::run`] and turns its report into an exit
//! status. Daemon exit codes: 0 success (or stopped by a signal), 1 failure, 2 usage error.
//! `render` exit codes: 0 rendered, 1 template (parse or execution) error, 2 usage or input error.

// Tests, benchmarks, examples, binaries and xtask may unwrap and print; libraries may not.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[path = "common.rs"]
#[allow(dead_code)] // not every binary uses every helper
mod common;

/// `hecd-confd render`: render one template the way confd does.
#[derive(Debug, Parser)]
#[command(name = "hecd-confd render", about = "Render one confd template to standard output")]
struct RenderArgs {
    /// The template file (its base name is the template's name in errors).
    template: PathBuf,
    /// JSON document that becomes dot (whole numbers are int64, others float64).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Flat JSON object of key to string value backing get/gets/getv/getvs/ls/lsdir/exists.
    #[arg(long)]
    kv: Option<PathBuf>,
    /// Key prefix stripped from every --kv key, as confd's -prefix.
    #[arg(long, default_value = "/")]
    prefix: String,
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("render") => render(&argv[1..]),
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

/// confd's log format: `2006-01-02T15:04:05Z host argv0[pid]: LEVEL message` on stderr.
mod logfmt {
    use std::fmt::Write as _;

    use hecd_confd::config::LogLevel;
    use tracing::{Event, Subscriber};
    use tracing_subscriber::fmt::format::Writer;
    use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
    use tracing_subscriber::registry::LookupSpan;

    /// Installs the subscriber for the library's events at `level`.
    pub fn init(level: LogLevel) {
        let max = match level {
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Warning => tracing::Level::WARN,
            LogLevel::Error | LogLevel::Fatal | LogLevel::Panic => tracing::Level::ERROR,
        };
        let filter =
            tracing_subscriber::filter::Targets::new().with_target("hecd_confd", max).with_target(
                "hecd_client",
                if level == LogLevel::Debug {
                    tracing::Level::DEBUG
                } else {
                    tracing::Level::ERROR
                },
            );
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(ConfdFormat);
        let _ = tracing_subscriber::registry().with(filter).with(fmt).try_init();
    }

    /// Prints a `FATAL` line (there is no such tracing level).
    pub fn fatal(msg: &str) {
        eprintln!("{}FATAL {msg}", prefix());
    }

    struct ConfdFormat;

    impl<S, N> FormatEvent<S, N> for ConfdFormat
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        fn format_event(
            &self,
            ctx: &FmtContext<'_, S, N>,
            mut writer: Writer<'_>,
            event: &Event<'_>,
        ) -> std::fmt::Result {
            let level = match *event.metadata().level() {
                tracing::Level::ERROR => "ERROR",
                tracing::Level::WARN => "WARNING",
                tracing::Level::INFO => "INFO",
                _ => "DEBUG",
            };
            write!(writer, "{}{level} ", prefix())?;
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            writeln!(writer)
        }
    }

    fn prefix() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".to_owned());
        let argv0 = std::env::args().next().unwrap_or_else(|| "hecd-confd".to_owned());
        let mut out = String::new();
        let _ = write!(out, "{} {host} {argv0}[{}]: ", now_rfc3339(), std::process::id());
        out
    }

    /// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
    fn now_rfc3339() -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let days = i64::try_from(secs / 86_400).unwrap_or(0);
        let rem = secs % 86_400;
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        )
    }
}

fn render(args: &[std::ffi::OsString]) -> ExitCode {
    // clap names the command after argv[0]; show the full invocation in usage texts.
    let argv = std::iter::once(std::ffi::OsString::from("hecd-confd render"))
        .chain(args[1..].iter().cloned());
    let args = match RenderArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // Printing help or a usage error is all that is left to do.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let request = hecd_confd::render::RenderRequest {
        template: args.template,
        data: args.data,
        kv: args.kv,
        prefix: args.prefix,
    };
    match hecd_confd::render::run(&request) {
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
