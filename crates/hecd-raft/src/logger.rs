//! A `slog` drain that forwards raft-rs log records to `tracing`.
//!
//! raft-rs logs through `slog`; nothing of `slog` leaves this module.

use std::fmt::Write as _;

use slog::{Drain, Level, OwnedKVList, Record, KV};

/// Forwards every slog record to the `tracing` event of the same level, target `hecd_raft::raft`.
struct TracingDrain;

/// Collects slog key/value pairs as `k=v` text.
struct KvText(String);

impl slog::Serializer for KvText {
    fn emit_arguments(&mut self, key: slog::Key, val: &std::fmt::Arguments<'_>) -> slog::Result {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        // Writing into a String cannot fail.
        let _ = write!(self.0, "{key}={val}");
        Ok(())
    }
}

impl Drain for TracingDrain {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        let mut kv = KvText(String::new());
        let _ = record.kv().serialize(record, &mut kv);
        let _ = values.serialize(record, &mut kv);
        let msg = record.msg();
        let kv = kv.0;
        match record.level() {
            Level::Critical | Level::Error => {
                tracing::error!(target: "hecd_raft::raft", kv = %kv, "{msg}")
            }
            Level::Warning => tracing::warn!(target: "hecd_raft::raft", kv = %kv, "{msg}"),
            Level::Info => tracing::info!(target: "hecd_raft::raft", kv = %kv, "{msg}"),
            Level::Debug => tracing::debug!(target: "hecd_raft::raft", kv = %kv, "{msg}"),
            Level::Trace => tracing::trace!(target: "hecd_raft::raft", kv = %kv, "{msg}"),
        }
        Ok(())
    }
}

/// A slog logger whose records end up in `tracing` (raft-rs adds the `raft_id` key itself).
pub(crate) fn logger() -> slog::Logger {
    slog::Logger::root(TracingDrain, slog::o!())
}
