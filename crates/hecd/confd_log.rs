//! confd's log format on standard error: `2006-01-02T15:04:05Z host argv0[pid]: LEVEL message`
//! (levels `DEBUG`, `INFO`, `WARNING`, `ERROR`, `FATAL`), what confd 0.16's logrus setup prints.
//!
//! [`init`] installs a `tracing` subscriber for `hecd_confd`'s events (and `hecd_client`'s at
//! `debug`); [`fatal`] prints the `FATAL` line that ends a run. It is the binary's (libraries
//! log through `tracing` only), beside `confd.rs` so that the binary stays parse → run → report.

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
            if level == LogLevel::Debug { tracing::Level::DEBUG } else { tracing::Level::ERROR },
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
    rfc3339(secs)
}

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(secs: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_is_utc_civil_time() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_601_599), "2026-12-06T23:59:59Z");
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
    }
}
