//! The daemon: onetime, interval and watch modes over one [`Processor`], driven by signals
//! the binary forwards (terminate, reload).
//!
//! Watch mode runs one long-poll watcher per resource, each resuming from the last index it
//! saw (never from "now") and re-reading after error 401, so no change is missed; the
//! watchers only mark resources dirty, and one loop renders the dirty resources after the
//! quiescence window. A terminate signal is acted on between cycles, so the cycle in
//! progress always finishes; SIGHUP re-reads conf.d.

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use hecd_client::{Client, GetOptions, WatchEvent};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::config::{Config, Mode};
use crate::cycle::{CycleOptions, CycleReport, Processor};
use crate::metrics::Metrics;
use crate::resource::{self, Resource};

/// A signal the binary forwards to the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM or SIGINT: finish the cycle in progress and exit 0. The name is logged
    /// (`Captured terminated. Exiting...`).
    Terminate(&'static str),
    /// SIGHUP: re-read conf.d (and render now).
    Reload,
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct RunReport {
    /// The process exit status: 0 when everything succeeded (onetime) or after a
    /// terminate signal, 1 on failure.
    pub exit_code: u8,
    /// The message to log as `FATAL` before exiting, if any.
    pub fatal: Option<String>,
    /// Unified diffs of what `-onetime -noop` would change, in resource order.
    pub diffs: Vec<String>,
}

impl RunReport {
    fn fatal(msg: String) -> RunReport {
        RunReport { exit_code: 1, fatal: Some(msg), diffs: Vec::new() }
    }
}

/// Runs the daemon as `config` says until it is done (onetime) or told to stop.
pub async fn run(config: Config, mut signals: mpsc::UnboundedReceiver<Signal>) -> RunReport {
    tracing::info!("Backend set to etcd");
    tracing::info!("Starting confd");
    let mut builder = Client::builder().endpoints(&config.nodes).tls(config.tls.clone());
    if let Some((user, password)) = &config.basic_auth {
        builder = builder.basic_auth(user, password);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return RunReport::fatal(e.to_string()),
    };
    tracing::info!("Backend source(s) set to {}", config.nodes.join(", "));
    let metrics = Arc::new(Metrics::new());
    let _server = match config.metrics_addr {
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                tracing::info!("Serving /health and /metrics on {addr}");
                Some(AbortOnDrop(tokio::spawn(crate::metrics::serve(listener, metrics.clone()))))
            }
            Err(e) => return RunReport::fatal(format!("cannot listen on {addr}: {e}")),
        },
        None => None,
    };
    let options = CycleOptions {
        noop: config.noop,
        sync_only: config.sync_only,
        keep_stage_file: config.keep_stage_file,
        collect_diffs: config.noop && config.mode == Mode::Onetime,
        command_timeout: config.command_timeout,
        missing_keys_empty: config.missing_keys_empty,
        resolver: None,
        slow_render: None,
    };
    let mut processor = Processor::new(client.clone(), options, metrics);
    match config.mode {
        Mode::Onetime => onetime(&config, &mut processor).await,
        Mode::Interval(every) => interval(&config, &mut processor, every, &mut signals).await,
        Mode::Watch => watch(&config, &mut processor, &client, &mut signals).await,
    }
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The resources of conf.d, with bad files logged. `Err` is fatal in onetime mode.
struct Loaded {
    resources: Vec<Resource>,
    bad: usize,
    last_error: Option<String>,
}

fn load(config: &Config) -> Result<Loaded, String> {
    let mut loaded = Loaded { resources: Vec::new(), bad: 0, last_error: None };
    if std::fs::metadata(&config.confdir).is_err() {
        tracing::warn!(
            "Cannot load template resources: confdir '{}' does not exist",
            config.confdir.display()
        );
        return Ok(loaded);
    }
    tracing::debug!("Loading template resources from confdir {}", config.confdir.display());
    let (good, bad) =
        resource::load_all(&config.confdir, config.prefix.as_deref()).map_err(|e| e.to_string())?;
    for e in &bad {
        tracing::error!("{e}");
        loaded.last_error = Some(e.to_string());
    }
    if good.is_empty() && bad.is_empty() {
        tracing::warn!("Found no templates");
    }
    loaded.bad = bad.len();
    loaded.resources = good;
    Ok(loaded)
}

async fn onetime(config: &Config, processor: &mut Processor) -> RunReport {
    let loaded = match load(config) {
        Ok(l) => l,
        Err(e) => return RunReport::fatal(e),
    };
    processor.reconcile(&loaded.resources).await;
    let report = processor.cycle(&loaded.resources).await;
    processor.wait_drains().await;
    let failed = loaded.bad + report.failed;
    let fatal = report.last_error.or(loaded.last_error);
    RunReport {
        exit_code: u8::from(failed > 0),
        fatal: if failed > 0 { fatal } else { None },
        diffs: report.diffs,
    }
}

fn terminated(name: &str) -> RunReport {
    tracing::info!("Captured {name}. Exiting...");
    RunReport::default()
}

async fn interval(
    config: &Config,
    processor: &mut Processor,
    every: Duration,
    signals: &mut mpsc::UnboundedReceiver<Signal>,
) -> RunReport {
    let mut first = true;
    loop {
        match load(config) {
            Ok(loaded) => {
                if std::mem::take(&mut first) {
                    processor.reconcile(&loaded.resources).await;
                }
                processor.cycle(&loaded.resources).await;
            }
            Err(e) => tracing::error!("{e}"),
        }
        let next = tokio::time::sleep(every);
        tokio::pin!(next);
        tokio::select! {
            () = &mut next => {}
            sig = signals.recv() => match sig {
                Some(Signal::Terminate(name)) => return terminated(name),
                Some(Signal::Reload) => tracing::info!("Captured hangup. Re-reading conf.d"),
                None => next.await,
            },
        }
    }
}

/// What a resource's watcher tells the main loop.
#[derive(Debug, Clone, Copy)]
enum Note {
    /// The watcher has its starting index (or failed to get it once): render now.
    Started { generation: u64, resource: usize },
    /// Something under the resource's keys changed: render again.
    Dirty { generation: u64, resource: usize },
}

/// The watchers of one set of resources; aborted when dropped.
struct Watchers {
    generation: u64,
    _tasks: Vec<AbortOnDrop>,
}

fn spawn_watchers(
    client: &Client,
    resources: &[Resource],
    generation: u64,
    notes: &mpsc::UnboundedSender<Note>,
) -> Watchers {
    let tasks = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (client, notes, r) = (client.clone(), notes.clone(), r.clone());
            AbortOnDrop(tokio::spawn(watch_resource(client, r, generation, i, notes)))
        })
        .collect();
    Watchers { generation, _tasks: tasks }
}

/// Whether a change of `key` concerns a resource watching `keys`: the key is one of them or
/// below one (confd's string-prefix test), or above one (a deleted or expired directory).
pub fn concerns(key: &str, keys: &[String]) -> bool {
    keys.iter().any(|k| {
        key.starts_with(k.as_str()) || k.starts_with(&format!("{}/", key.trim_end_matches('/')))
    })
}

/// How long one watch long-poll may stay open before it is re-issued.
const LONG_POLL_RENEWAL: Duration = Duration::from_secs(300);

async fn watch_resource(
    client: Client,
    r: Resource,
    generation: u64,
    resource: usize,
    notes: mpsc::UnboundedSender<Note>,
) {
    let started = Note::Started { generation, resource };
    let dirty = Note::Dirty { generation, resource };
    if r.keys.is_empty() {
        let _ = notes.send(started);
        return;
    }
    let root = r.prefix.clone();
    let mut pause = Duration::from_millis(100);
    let mut announced = false;
    // The starting index: everything after it will be seen.
    let index = loop {
        match client.get(&root, GetOptions::default()).await {
            Ok(reply) => break reply.etcd_index,
            Err(hecd_client::Error::Etcd { body, .. }) => break body.index,
            Err(e) => {
                tracing::error!(
                    "cannot start watching {root}: {e} (resource {})",
                    r.file.display()
                );
                if !announced {
                    let _ = notes.send(started);
                    announced = true;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    };
    let _ = notes.send(if announced { dirty } else { started });
    let mut watcher = client.watcher(&root, true, index);
    let mut failing = false;
    loop {
        // A long-poll on a connection that died silently would never return: re-issue it
        // now and then. The watcher keeps its position, so nothing is skipped.
        let Ok(next) = tokio::time::timeout(LONG_POLL_RENEWAL, watcher.next()).await else {
            continue;
        };
        match next {
            Ok(WatchEvent::Changed(reply)) => {
                let key = reply.response.node.as_ref().map(|n| n.key.as_str()).unwrap_or("");
                let prev = reply.response.prev_node.as_ref().map(|n| n.key.as_str()).unwrap_or("");
                if failing
                    || concerns(key, &r.keys)
                    || (!prev.is_empty() && concerns(prev, &r.keys))
                {
                    let _ = notes.send(dirty);
                }
                failing = false;
                pause = Duration::from_millis(100);
            }
            Ok(WatchEvent::Resync { .. }) => {
                tracing::warn!("watch of {root} fell behind the store's history; re-reading");
                let _ = notes.send(dirty);
            }
            Err(e) => {
                tracing::error!("watch of {root} failed: {e} (resource {})", r.file.display());
                failing = true;
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn watch(
    config: &Config,
    processor: &mut Processor,
    client: &Client,
    signals: &mut mpsc::UnboundedReceiver<Signal>,
) -> RunReport {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut generation = 0u64;
    let mut resources = load(config).map(|l| l.resources).unwrap_or_else(|e| {
        tracing::error!("{e}");
        Vec::new()
    });
    processor.reconcile(&resources).await;
    let mut watchers = spawn_watchers(client, &resources, generation, &tx);
    let mut waiting: BTreeSet<usize> = (0..resources.len()).collect();
    let mut dirty: BTreeSet<usize> = BTreeSet::new();
    let mut retry: Option<(Instant, BTreeSet<usize>, Duration)> = None;
    loop {
        // Until every watcher has its starting index, collect; then render what is dirty.
        let ready = waiting.is_empty() && !dirty.is_empty();
        if ready {
            let window = config.wait;
            if !window.min.is_zero() {
                let hard = Instant::now() + window.max;
                loop {
                    let quiet = (Instant::now() + window.min).min(hard);
                    tokio::select! {
                        () = tokio::time::sleep_until(quiet) => break,
                        note = rx.recv() => if let Some(n) = note { absorb(n, watchers.generation, &mut waiting, &mut dirty) },
                    }
                }
            }
            while let Ok(n) = rx.try_recv() {
                absorb(n, watchers.generation, &mut waiting, &mut dirty);
            }
            let batch: Vec<usize> = std::mem::take(&mut dirty).into_iter().collect();
            let subset: Vec<Resource> = batch.iter().map(|&i| resources[i].clone()).collect();
            let report = processor.cycle(&subset).await;
            schedule_retry(&mut retry, &report, &batch, &subset);
            continue;
        }
        let retry_at = retry.as_ref().map(|(at, _, _)| *at);
        tokio::select! {
            note = rx.recv() => if let Some(n) = note { absorb(n, watchers.generation, &mut waiting, &mut dirty) },
            () = sleep_until_opt(retry_at) => {
                if let Some((_, set, _)) = &retry {
                    dirty.extend(set.iter().copied());
                }
                if let Some(r) = retry.as_mut() {
                    r.0 = Instant::now() + Duration::from_secs(3600);
                }
            }
            sig = signals.recv() => match sig {
                Some(Signal::Terminate(name)) => return terminated(name),
                Some(Signal::Reload) => {
                    tracing::info!("Captured hangup. Re-reading conf.d");
                    match load(config) {
                        Ok(l) => resources = l.resources,
                        Err(e) => tracing::error!("{e}"),
                    }
                    generation += 1;
                    drop(watchers);
                    watchers = spawn_watchers(client, &resources, generation, &tx);
                    waiting = (0..resources.len()).collect();
                    dirty.clear();
                    retry = None;
                }
                None => std::future::pending::<()>().await,
            },
        }
    }
}

fn absorb(note: Note, generation: u64, waiting: &mut BTreeSet<usize>, dirty: &mut BTreeSet<usize>) {
    match note {
        Note::Started { generation: g, resource } if g == generation => {
            waiting.remove(&resource);
            dirty.insert(resource);
        }
        Note::Dirty { generation: g, resource } if g == generation => {
            dirty.insert(resource);
        }
        _ => {}
    }
}

/// After a reload failed and dest was restored, the resource is out of sync again: retry it
/// with a doubling delay (1 s to 5 min) until it succeeds.
fn schedule_retry(
    retry: &mut Option<(Instant, BTreeSet<usize>, Duration)>,
    report: &CycleReport,
    batch: &[usize],
    subset: &[Resource],
) {
    let failed: BTreeSet<usize> = batch
        .iter()
        .zip(subset)
        .filter(|(_, r)| report.retry.contains(&r.file))
        .map(|(i, _)| *i)
        .collect();
    let mut set = retry.take().map(|(_, s, d)| (s, d)).unwrap_or_default();
    for i in batch {
        set.0.remove(i);
    }
    set.0.extend(failed.iter().copied());
    if set.0.is_empty() {
        return;
    }
    let delay = if failed.is_empty() {
        set.1
    } else if set.1.is_zero() {
        Duration::from_secs(1)
    } else {
        (set.1 * 2).min(Duration::from_secs(300))
    };
    *retry = Some((Instant::now() + delay, set.0, delay));
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
