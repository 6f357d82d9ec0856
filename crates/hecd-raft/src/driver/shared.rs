//! The driver shared between its own thread and the callers of `Handle::propose`.
//!
//! The thread handles ticks, peer messages and every queued command. A proposal that finds the
//! driver free and nothing else pending runs on its caller's thread instead: it is appended,
//! fdatasynced and applied there, and its reply is ready when the call returns, so an
//! uncontended write crosses no thread at all (it used to wake the driver's thread and then be
//! woken by it). Under load the lock is busy or proposals are pending, and commands queue for
//! the thread, which takes them in batches (group commit) as before.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::{interval, MissedTickBehavior};

use super::{Cmd, Driver, Ran, Replies};
use crate::error::{Error, Result};
use crate::state_machine::StateMachine;
use crate::storage::Attempts;
use crate::transport::Transport;

/// The driver behind a lock, and a bell its thread listens to when a proposal run by its caller
/// left work for it (a snapshot, or a storage error that stops the node).
pub(crate) struct Shared<S: StateMachine, T> {
    driver: Mutex<Option<Driver<S, T>>>,
    bell: Notify,
    /// Commands sent to the inbox and not yet handled: while there are any, proposals queue behind
    /// them instead of running first on their callers' threads.
    queued: AtomicUsize,
}

/// What `Handle` sees of the shared driver (its transport type erased).
pub(crate) trait Inline<O>: Send + Sync {
    /// Runs `cmd` (a proposal) on the calling thread if the driver is free, no command is queued
    /// for its thread and no proposal is pending; gives it back otherwise.
    fn try_run(&self, cmd: Cmd<O>) -> Option<Cmd<O>>;

    /// The count of commands queued for the driver's thread and not yet handled.
    fn queued(&self) -> &AtomicUsize;
}

impl<S: StateMachine, T: Transport> Shared<S, T> {
    /// Holds the driver, as its thread does while it works.
    #[cfg(test)]
    pub(crate) fn lock_for_test(&self) -> std::sync::MutexGuard<'_, Option<Driver<S, T>>> {
        self.driver.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn new(driver: Driver<S, T>) -> Self {
        Shared {
            driver: Mutex::new(Some(driver)),
            bell: Notify::new(),
            queued: AtomicUsize::new(0),
        }
    }
}

impl<S: StateMachine, T: Transport> Inline<S::Output> for Shared<S, T> {
    fn try_run(&self, cmd: Cmd<S::Output>) -> Option<Cmd<S::Output>> {
        let Ok(mut guard) = self.driver.try_lock() else { return Some(cmd) };
        let Some(driver) = guard.as_mut() else { return Some(cmd) };
        // Read under the lock: the driver's thread uncounts a command as it handles it.
        if self.queued.load(Ordering::SeqCst) != 0 {
            return Some(cmd);
        }
        match driver.run_inline(cmd) {
            Ran::Queued(cmd) => Some(cmd),
            Ran::Done { replies, wake } => {
                drop(guard);
                if wake {
                    self.bell.notify_one();
                }
                replies.send();
                None
            }
        }
    }

    fn queued(&self) -> &AtomicUsize {
        &self.queued
    }
}

/// What wakes the driver's thread.
enum Event<C> {
    Tick,
    Cmd(C),
    Bell,
}

/// What the driver's thread does after one event.
enum Step<O> {
    /// Send these replies and wait for the next event.
    Go(Replies<O>),
    /// Stop, and answer this shutdown once stopped.
    Stop(oneshot::Sender<()>),
}

/// Handles one event with the driver held: first a storage error or a stalled batch a caller left,
/// then the event, then raft's `Ready`.
fn step<S: StateMachine, T: Transport>(
    d: &mut Driver<S, T>,
    event: Event<Cmd<S::Output>>,
    inbox: &mut mpsc::Receiver<Cmd<S::Output>>,
    queued: &AtomicUsize,
) -> Result<Step<S::Output>> {
    if let Some(err) = d.failed.take() {
        return Err(err); // Logged where it happened.
    }
    let handle = || {
        d.resume_stalled()?;
        match event {
            Event::Bell => d.maybe_snapshot()?,
            Event::Tick => d.on_tick(),
            Event::Cmd(cmd) => {
                let (stop, handled) = d.handle_batch(cmd, inbox);
                queued.fetch_sub(handled, Ordering::SeqCst);
                if let Some(stop) = stop {
                    return Ok(Step::Stop(stop));
                }
            }
        }
        d.advance_held().map(Step::Go)
    };
    handle()
        .inspect_err(|err| tracing::error!(error = %err, "raft storage failed; stopping the node"))
}

/// The driver's thread: runs until shutdown (a `Shutdown` command, the `shutdown` future, every
/// handle dropped, or a storage error).
pub(crate) async fn run<S: StateMachine, T: Transport>(
    shared: Arc<Shared<S, T>>,
    mut inbox: mpsc::Receiver<Cmd<S::Output>>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<()> {
    let tick_interval = match shared.driver.lock() {
        Ok(mut g) => match g.as_mut() {
            Some(d) => {
                d.publish_status();
                d.tick_interval
            }
            None => return Err(Error::Stopped),
        },
        Err(_) => return Err(Error::Stopped),
    };
    let mut ticker = interval(tick_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut reply = None;
    let result = loop {
        let event = tokio::select! {
            biased;
            () = &mut shutdown => break Ok(()),
            () = shared.bell.notified() => Event::Bell,
            // Ticks come before the inbox so a flood of proposals or messages cannot starve them.
            _ = ticker.tick() => Event::Tick,
            cmd = inbox.recv() => match cmd {
                Some(cmd) => Event::Cmd(cmd),
                None => break Ok(()),
            },
        };
        let Ok(mut guard) = shared.driver.lock() else { break Err(Error::Stopped) };
        let Some(d) = guard.as_mut() else { break Err(Error::Stopped) };
        match step(d, event, &mut inbox, &shared.queued) {
            Ok(Step::Go(replies)) => {
                // Let the driver go first: a caller woken by its reply may run its next proposal.
                drop(guard);
                replies.send();
            }
            Ok(Step::Stop(stop)) => {
                reply = Some(stop);
                break Ok(());
            }
            Err(err) => break Err(err),
        }
    };
    inbox.close();
    let driver = match shared.driver.lock() {
        Ok(mut g) => g.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    let Some(mut d) = driver else { return result };
    d.publish_status();
    d.take_replies().send();
    let deferred = match d.deferred_hs.take() {
        Some(hs) if result.is_ok() => {
            d.disk.write(Attempts::UntilWritten, None, &[], Some(&hs), true)
        }
        _ => Ok(()),
    };
    let closed = deferred.and(d.disk.close());
    tracing::info!(id = d.raw.raft.id, applied = d.applied, "raft node stopped");
    // Pending proposals and reads are dropped here: their callers see `Error::Stopped`.
    drop(d);
    if let Some(reply) = reply {
        let _ = reply.send(());
    }
    result.and(closed)
}
