//! Log lines a test reads back: a process-wide `tracing` subscriber that writes into memory.
//!
//! The subscriber is global because a thread-scoped one can miss events: a callsite first reached
//! by another test's thread, while no subscriber was set, may keep its "never" interest. A test
//! that captures logs therefore runs in a test binary of its own, so no other test logs into it.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The captured text of every event at or above the level given to [`Logs::capture`].
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Installs the global subscriber (plain text, no colours), once per process.
    ///
    /// # Panics
    /// When a global subscriber is already set.
    pub fn capture(level: tracing::Level) -> Logs {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(level)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("one log capture per test process");
        logs
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
