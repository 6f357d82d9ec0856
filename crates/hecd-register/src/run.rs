//! [`run`]: keep one registration alive until shutdown, following an optional health check.

use std::future::Future;
use std::time::Duration;

use tracing::{info, info_span, warn, Instrument};

use crate::{Check, Error, Registrar, Registration, Result};

/// How [`run`] keeps a registration alive.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The key's TTL in seconds.
    pub ttl: u64,
    /// How often the TTL is refreshed; must be shorter than the TTL.
    pub refresh: Duration,
    /// The health check (`Check::None` for none).
    pub check: Check,
    /// How often the health check runs.
    pub check_interval: Duration,
    /// How long one check or the final deregistration may take.
    pub timeout: Duration,
}

impl RunOptions {
    /// Options with a refresh at a third of the TTL and a check every 2 s (or the refresh
    /// interval, whichever is shorter).
    pub fn new(ttl: u64, check: Check) -> RunOptions {
        let refresh = Duration::from_millis((ttl.max(1) * 1000) / 3);
        RunOptions {
            ttl,
            refresh,
            check,
            check_interval: refresh.min(Duration::from_secs(2)),
            timeout: Duration::from_secs(2),
        }
    }

    /// Checks that the refresh interval is shorter than the TTL.
    ///
    /// # Errors
    /// A message for the user.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.ttl == 0 {
            return Err("--ttl must be at least 1 second".into());
        }
        if self.refresh >= Duration::from_secs(self.ttl) || self.refresh.is_zero() {
            return Err(format!(
                "the refresh interval ({:?}) must be shorter than the TTL ({}s)",
                self.refresh, self.ttl
            ));
        }
        Ok(())
    }
}

/// Registers `reg` with a TTL and refreshes it (without waking watchers) until `shutdown`
/// resolves, then deregisters it. While the health check fails the key is removed; it is
/// written again when the check passes. Store outages are logged and retried at the next tick;
/// they do not end the loop.
///
/// # Errors
/// Only configuration errors; runtime store errors are logged.
pub async fn run(
    registrar: &Registrar,
    reg: &Registration,
    opts: &RunOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    opts.validate()
        .map_err(|reason| Error::InvalidAddress { address: reg.address().to_string(), reason })?;
    let key = registrar.key(reg.name());
    let span = info_span!("register", key = %key, ttl = opts.ttl);
    async {
        tokio::pin!(shutdown);
        let mut registered = false;
        let tick = opts.refresh.min(opts.check_interval);
        let mut since_refresh = Duration::ZERO;
        loop {
            let healthy = opts.check.passes(opts.timeout).await;
            match (healthy, registered) {
                (true, false) => match registrar.add(reg, Some(opts.ttl), false).await {
                    Ok(_) => {
                        registered = true;
                        since_refresh = Duration::ZERO;
                    }
                    Err(e) => warn!(error = %e, "registration failed; retrying"),
                },
                (false, true) => {
                    info!("health check failing; deregistering");
                    match registrar.remove(reg.name()).await {
                        Ok(()) | Err(Error::NotRegistered { .. }) => registered = false,
                        Err(e) => warn!(error = %e, "deregistration failed; retrying"),
                    }
                }
                (true, true) if since_refresh >= opts.refresh => {
                    match registrar.refresh(reg, opts.ttl).await {
                        Ok(true) => since_refresh = Duration::ZERO,
                        Ok(false) => {
                            warn!("registration had expired; written again");
                            since_refresh = Duration::ZERO;
                        }
                        Err(e) => warn!(error = %e, "refresh failed; retrying"),
                    }
                }
                _ => {}
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(tick) => since_refresh += tick,
            }
        }
        if registered {
            match tokio::time::timeout(opts.timeout, registrar.remove(reg.name())).await {
                Ok(Ok(()) | Err(Error::NotRegistered { .. })) => {}
                Ok(Err(e)) => warn!(error = %e, "could not deregister on shutdown"),
                Err(_) => warn!("deregistration timed out on shutdown"),
            }
        }
        Ok(())
    }
    .instrument(span)
    .await
}
