//! One processing cycle: for each resource, fetch → render → stage → compare → check →
//! rename → reload, with confd's log lines and hecd's safety guards.
//!
//! Every resource of a cycle is fetched, rendered and staged at once, each in its own task;
//! rendering and staging run on tokio's blocking pool, because template functions may wait
//! on DNS (`lookupSRV`, `lookupIP`: up to 2 × 5 s) and the stage file is fsynced. The rest
//! (compare, check, rename, reload) follows the resources' order, except that a resource
//! whose render is still running after [`SLOW_RENDER`] lets the ready ones after it go first.
//!
//! The stage file is `.<dest name><random>` beside dest, written, fsynced and chmod/chown-ed
//! before the compare, so a mode or owner difference alone makes dest out of sync. dest is
//! replaced with `rename(2)` and the directory fsynced after it. When `reload_cmd` fails
//! and the previous dest was a configuration the service accepted, it is put back (it was
//! kept as a hard link). Resources that share a `reload_cmd` and change in the same cycle
//! cause one reload, run after the last of them.

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hecd_client::Client;
use hecd_template::{Template, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend;
use crate::command::run_command;
use crate::dns::Resolver;
use crate::error::{CommandError, SyncError};
use crate::funcs::func_map_with;
use crate::haproxy::{Outcome, RuntimeUpdater};
use crate::metrics::Metrics;
use crate::render::template_name;
use crate::resource::Resource;
use hecd_gostd::strconv::quote;

/// How a cycle treats dest files.
#[derive(Debug, Clone, Default)]
pub struct CycleOptions {
    /// Render and compare only.
    pub noop: bool,
    /// Replace dest without running the commands.
    pub sync_only: bool,
    /// Leave stage files behind.
    pub keep_stage_file: bool,
    /// Collect a unified diff for each dest that would change (noop only).
    pub collect_diffs: bool,
    /// Default timeout of `check_cmd` and `reload_cmd`.
    pub command_timeout: Duration,
    /// A listed key that does not exist renders as an empty directory.
    pub missing_keys_empty: bool,
    /// Where `lookupSRV` asks; `None`: the nameservers of `/etc/resolv.conf`, read at each
    /// lookup, as Go does.
    pub resolver: Option<Resolver>,
    /// How long a resource's render may run before the rendered ones after it go first;
    /// `None`: [`SLOW_RENDER`].
    pub slow_render: Option<Duration>,
}

/// How long a cycle waits for a resource's render before the resources after it that are
/// already rendered go first.
pub const SLOW_RENDER: Duration = Duration::from_millis(500);

/// What a resource's render task hands back.
struct Rendered {
    /// Keys fetched.
    keys: usize,
    /// The rendered content and its stage file.
    staged: Result<(Vec<u8>, Stage), SyncError>,
}

/// What the processor remembers about one dest between cycles.
#[derive(Debug, Clone, Copy, Default)]
struct DestState {
    /// Keys seen by the last successful render (the collapsed-data guard).
    last_keys: Option<usize>,
    /// `false` when dest was written by us and its reload failed: not worth restoring.
    unaccepted: bool,
}

/// The result of a cycle.
#[derive(Debug, Default)]
pub struct CycleReport {
    /// Resources that failed.
    pub failed: usize,
    /// Resources whose dest was replaced.
    pub changed: usize,
    /// Resource files whose reload failed and whose dest was restored (worth retrying).
    pub retry: Vec<PathBuf>,
    /// The last error logged, for the closing `FATAL` line of `-onetime`.
    pub last_error: Option<String>,
    /// Unified diffs of what would change (noop with `collect_diffs`).
    pub diffs: Vec<String>,
}

/// Runs cycles over resources, keeping the per-dest state the guards need.
#[derive(Debug)]
pub struct Processor {
    client: Client,
    options: CycleOptions,
    state: HashMap<PathBuf, DestState>,
    metrics: Arc<Metrics>,
    runtime: RuntimeUpdater,
}

/// A dest that was replaced and waits for its reload.
#[derive(Debug)]
struct Swapped {
    resource: Resource,
    backup: Option<PathBuf>,
    keys: usize,
    /// Applied through HAProxy's runtime API: no reload.
    runtime: bool,
}

/// How one resource ended before its reload.
enum Step {
    Unchanged { keys: usize },
    Swapped(Box<Swapped>),
}

impl Processor {
    /// A processor reading from `client`.
    pub fn new(client: Client, options: CycleOptions, metrics: Arc<Metrics>) -> Processor {
        let runtime = RuntimeUpdater::new(options.command_timeout);
        Processor { client, options, state: HashMap::new(), metrics, runtime }
    }

    /// Processes `resources` in order and reports what happened. Errors are logged with
    /// the resource's file name; the other resources are still processed.
    pub async fn cycle(&mut self, resources: &[Resource]) -> CycleReport {
        let mut report = CycleReport::default();
        let mut pending: BTreeMap<String, Vec<Swapped>> = BTreeMap::new();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for (i, resource) in resources.iter().enumerate() {
            self.metrics.render_started(resource);
            let task = render_task(
                self.client.clone(),
                resource.clone(),
                self.options.missing_keys_empty,
                self.options.resolver.clone(),
            );
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Err(mpsc::error::SendError((
                    _,
                    Ok(Rendered { staged: Ok((_, stage)), .. }),
                ))) = tx.send((i, task.await))
                {
                    // The cycle is gone; nobody else will remove the stage file.
                    stage.discard(false);
                }
            });
        }
        drop(tx);
        let mut results: Vec<Option<Result<Rendered, SyncError>>> =
            resources.iter().map(|_| None).collect();
        let mut todo: BTreeSet<usize> = (0..resources.len()).collect();
        let slow_render = self.options.slow_render.unwrap_or(SLOW_RENDER);
        let (mut head, mut head_since) = (usize::MAX, Instant::now());
        while let Some(&first) = todo.first() {
            if first != head {
                (head, head_since) = (first, Instant::now());
            }
            let next = if results[first].is_some() {
                Some(first)
            } else if head_since.elapsed() >= slow_render {
                todo.iter().copied().find(|&j| results[j].is_some())
            } else {
                None
            };
            let Some(i) = next else {
                let wake = head_since + slow_render;
                let received = if Instant::now() < wake {
                    match tokio::time::timeout_at(wake, rx.recv()).await {
                        Ok(received) => received,
                        Err(_elapsed) => continue,
                    }
                } else {
                    rx.recv().await
                };
                match received {
                    Some((j, result)) => results[j] = Some(result),
                    None => {
                        // Every task has ended: one that panicked sent nothing.
                        for j in &todo {
                            results[*j].get_or_insert_with(|| Err(task_lost(&resources[*j])));
                        }
                    }
                }
                continue;
            };
            todo.remove(&i);
            let resource = &resources[i];
            let rendered = results[i].take().unwrap_or_else(|| Err(task_lost(resource)));
            match self.prepare(resource, rendered, &mut report).await {
                Ok(Step::Unchanged { keys }) => {
                    self.state.entry(resource.dest.clone()).or_default().last_keys = Some(keys);
                    self.metrics.success(resource, false);
                }
                Ok(Step::Swapped(swapped)) if swapped.runtime => {
                    report.changed += 1;
                    self.accept(&swapped);
                    self.metrics.runtime_update(resource);
                    self.metrics.success(resource, false);
                }
                Ok(Step::Swapped(swapped)) => {
                    report.changed += 1;
                    match resource.reload_cmd.clone().filter(|_| !self.options.sync_only) {
                        Some(cmd) => pending.entry(cmd).or_default().push(*swapped),
                        None => {
                            self.accept(&swapped);
                            self.metrics.success(resource, false);
                        }
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    self.metrics.failure(resource);
                    report.last_error = Some(e.to_string());
                    log_error(resource, &e);
                }
            }
            // Reload every group that no resource still to come in this cycle can join.
            let ready: Vec<String> = pending
                .keys()
                .filter(|cmd| {
                    !todo.iter().any(|&j| resources[j].reload_cmd.as_deref() == Some(cmd.as_str()))
                })
                .cloned()
                .collect();
            for cmd in ready {
                if let Some(group) = pending.remove(&cmd) {
                    self.reload(&cmd, group, &mut report).await;
                }
            }
        }
        report
    }

    fn accept(&mut self, swapped: &Swapped) {
        let state = self.state.entry(swapped.resource.dest.clone()).or_default();
        state.last_keys = Some(swapped.keys);
        state.unaccepted = false;
        if let Some(backup) = &swapped.backup {
            let _ = std::fs::remove_file(backup);
        }
        tracing::info!("Target config {} has been updated", swapped.resource.dest.display());
    }

    async fn reload(&mut self, cmd: &str, group: Vec<Swapped>, report: &mut CycleReport) {
        let timeout = group
            .iter()
            .filter_map(|s| s.resource.command_timeout)
            .max()
            .unwrap_or(self.options.command_timeout);
        for swapped in &group {
            if let Some(endpoint) = &swapped.resource.haproxy_socket {
                self.runtime.forget_drains_of(endpoint, &swapped.resource.dest);
            }
        }
        tracing::debug!("Running {cmd}");
        let out = run_command(cmd, timeout).await;
        match out.result {
            Ok(()) => {
                log_output(&out.output, false);
                for swapped in &group {
                    self.metrics.success(&swapped.resource, true);
                    self.accept(swapped);
                }
                for swapped in &group {
                    self.reconcile_one(&swapped.resource, false).await;
                }
            }
            Err(error) => {
                log_output(&out.output, true);
                for swapped in group {
                    report.failed += 1;
                    self.metrics.failure(&swapped.resource);
                    let restored = self.roll_back(&swapped);
                    if restored {
                        report.retry.push(swapped.resource.file.clone());
                    }
                    let e = SyncError::Reload { source: clone_command_error(&error), restored };
                    report.last_error = Some(e.to_string());
                    log_error(&swapped.resource, &e);
                }
            }
        }
    }

    /// Puts the previous dest back after a failed reload, when it was accepted before.
    fn roll_back(&mut self, swapped: &Swapped) -> bool {
        let dest = &swapped.resource.dest;
        let state = self.state.entry(dest.clone()).or_default();
        let restored = match &swapped.backup {
            Some(backup) if !state.unaccepted => match std::fs::rename(backup, dest) {
                Ok(()) => {
                    sync_dir(dest);
                    tracing::warn!(
                        "Restored the previous {} after the failed reload",
                        dest.display()
                    );
                    true
                }
                Err(e) => {
                    tracing::error!(
                        "cannot restore {} from {}: {e}",
                        dest.display(),
                        backup.display()
                    );
                    false
                }
            },
            _ => false,
        };
        if let Some(backup) = &swapped.backup {
            let _ = std::fs::remove_file(backup);
        }
        if !restored {
            state.unaccepted = true;
            state.last_keys = Some(swapped.keys);
        }
        restored
    }

    /// Waits for the servers removed through HAProxy's runtime API to finish draining and be
    /// deleted (before a `-onetime` run exits).
    pub async fn wait_drains(&self) {
        self.runtime.wait_drains().await;
    }

    /// Compares HAProxy's live servers with dest for every resource with `haproxy_socket`
    /// and repairs differences (at daemon start).
    pub async fn reconcile(&mut self, resources: &[Resource]) {
        if self.options.noop || self.options.sync_only {
            return;
        }
        for r in resources {
            self.reconcile_one(r, true).await;
        }
    }

    /// Repairs HAProxy's servers of one resource at run time; with `may_reload`, reloads
    /// HAProxy from dest when the runtime API cannot repair them.
    async fn reconcile_one(&mut self, r: &Resource, may_reload: bool) {
        let Some(endpoint) = r.haproxy_socket.clone() else { return };
        match self.runtime.reconcile(r, &endpoint, &self.metrics).await {
            Outcome::Applied(ops) if ops.is_empty() => {
                tracing::debug!("HAProxy's servers match {}", r.dest.display());
            }
            Outcome::Applied(ops) => {
                self.metrics.runtime_update(r);
                tracing::info!(
                    "HAProxy's servers repaired to match {} through the runtime API: {}",
                    r.dest.display(),
                    ops.join("; ")
                );
            }
            Outcome::Fallback { label: "socket_unavailable", why } => {
                tracing::info!(
                    "HAProxy's runtime API is not reachable ({why}); changes to {} will reload",
                    r.dest.display()
                );
            }
            Outcome::Fallback { label, why } => {
                self.metrics.runtime_fallback(r, label);
                if may_reload {
                    tracing::warn!(
                        "HAProxy's servers differ from {} and need a reload: {why}",
                        r.dest.display()
                    );
                    let timeout = r.command_timeout.unwrap_or(self.options.command_timeout);
                    crate::haproxy::reload_from_dest(r, timeout).await;
                } else {
                    tracing::warn!(
                        "HAProxy's servers still differ from {} after the reload: {why}",
                        r.dest.display()
                    );
                }
            }
        }
    }

    /// Everything after the render up to the rename: guards, compare, check, swap.
    async fn prepare(
        &mut self,
        r: &Resource,
        rendered: Result<Rendered, SyncError>,
        report: &mut CycleReport,
    ) -> Result<Step, SyncError> {
        let Rendered { keys, staged } = rendered?;
        let guard = if keys < r.min_keys {
            Some(SyncError::TooFewKeys { found: keys, min: r.min_keys })
        } else if keys == 0 && !r.allow_empty {
            self.state
                .get(&r.dest)
                .and_then(|s| s.last_keys)
                .filter(|n| *n > 0)
                .map(|before| SyncError::Collapsed { before })
        } else {
            None
        };
        if let Some(e) = guard {
            // The guards come first: this render is not used, whatever its outcome.
            if let Ok((_, stage)) = staged {
                stage.discard(false);
            }
            return Err(e);
        }
        let (content, stage) = staged?;
        let keep = self.options.keep_stage_file;
        if keep {
            // confd says so before comparing, whatever happens to the file afterwards.
            tracing::info!("Keeping staged file: {}", stage.path.display());
        }
        let same = stage.compare(&r.dest)?;
        if same {
            tracing::debug!("Target config {} in sync", r.dest.display());
            if self.options.noop {
                tracing::warn!("Noop mode enabled. {} will not be modified", r.dest.display());
            }
            stage.discard(keep);
            return Ok(Step::Unchanged { keys });
        }
        if self.options.noop {
            tracing::warn!("Noop mode enabled. {} will not be modified", r.dest.display());
            if self.options.collect_diffs {
                let old = std::fs::read(&r.dest).unwrap_or_default();
                let mut diff = crate::diff::unified(
                    &r.dest.display().to_string(),
                    &format!("{} (rendered)", r.dest.display()),
                    &old,
                    &content,
                );
                if diff.is_empty() {
                    diff = format!("{}: mode or owner would change\n", r.dest.display());
                }
                report.diffs.push(diff);
            }
            stage.discard(keep);
            return Ok(Step::Unchanged { keys });
        }
        tracing::info!("Target config {} out of sync", r.dest.display());
        if let Some(endpoint) = r.haproxy_socket.as_ref().filter(|_| !self.options.sync_only) {
            let old = std::fs::read(&r.dest).ok();
            match self.runtime.update(r, endpoint, old.as_deref(), &content, &self.metrics).await {
                Outcome::Applied(ops) => {
                    if let Err(source) = std::fs::rename(&stage.path, &r.dest) {
                        // HAProxy runs the new servers; the next cycle writes dest again.
                        stage.discard(keep);
                        return Err(SyncError::Io { op: "rename", path: r.dest.clone(), source });
                    }
                    sync_dir_off_executor(&r.dest).await;
                    tracing::info!(
                        "Target config {} updated through HAProxy's runtime API, no reload: {}",
                        r.dest.display(),
                        if ops.is_empty() { "no server change".to_owned() } else { ops.join("; ") }
                    );
                    let swapped =
                        Swapped { resource: r.clone(), backup: None, keys, runtime: true };
                    return Ok(Step::Swapped(Box::new(swapped)));
                }
                Outcome::Fallback { label, why } => {
                    self.metrics.runtime_fallback(r, label);
                    tracing::info!("Target config {} needs a reload: {why}", r.dest.display());
                }
            }
        }
        if !self.options.sync_only {
            if let Some(check) = &r.check_cmd {
                if let Err(e) = self.check(r, check, &stage.path).await {
                    stage.discard(keep);
                    return Err(e);
                }
            }
        }
        let will_reload = r.reload_cmd.is_some() && !self.options.sync_only;
        let backup = if will_reload { stage.backup_dest(&r.dest) } else { None };
        tracing::debug!("Overwriting target config {}", r.dest.display());
        if let Err(source) = std::fs::rename(&stage.path, &r.dest) {
            if let Some(b) = &backup {
                let _ = std::fs::remove_file(b);
            }
            stage.discard(keep);
            return Err(SyncError::Io { op: "rename", path: r.dest.clone(), source });
        }
        sync_dir_off_executor(&r.dest).await;
        Ok(Step::Swapped(Box::new(Swapped { resource: r.clone(), backup, keys, runtime: false })))
    }

    async fn check(&self, r: &Resource, check: &str, stage: &Path) -> Result<(), SyncError> {
        let cmd = render_check_cmd(check, stage)
            .map_err(|e| SyncError::Check(CommandError::Template(e)))?;
        tracing::debug!("Running {cmd}");
        let out =
            run_command(&cmd, r.command_timeout.unwrap_or(self.options.command_timeout)).await;
        log_output(&out.output, out.result.is_err());
        out.result.map_err(SyncError::Check)
    }
}

/// `check_cmd` rendered as a Go template whose only field is `.src`.
///
/// # Errors
///
/// The template's parse or execution error (`template: checkcmd:1: ...`).
pub fn render_check_cmd(check: &str, stage: &Path) -> Result<String, hecd_template::Error> {
    let data = Value::interface_map([("src", Value::string(stage.to_string_lossy().as_ref()))]);
    let out = Template::new("checkcmd").parse(check)?.render(&data)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Fetches a resource's keys, then renders and stages it on the blocking pool (template
/// functions may wait on DNS; the stage file is written and fsynced).
async fn render_task(
    client: Client,
    r: Resource,
    missing_keys_empty: bool,
    resolver: Option<Resolver>,
) -> Result<Rendered, SyncError> {
    tracing::debug!("Retrieving keys from store");
    tracing::debug!("Key prefix set to {}", r.prefix);
    let pairs = backend::fetch(&client, &r.keys, missing_keys_empty).await?;
    let keys = pairs.len();
    if tracing::enabled!(tracing::Level::DEBUG) {
        let shown: BTreeMap<String, &String> =
            pairs.iter().map(|(k, v)| (crate::memkv::normalise_key(k, &r.prefix), v)).collect();
        let shown: Vec<String> = shown.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        tracing::debug!("Got the following map from store: map[{}]", shown.join(" "));
    }
    let src = r.src.clone();
    let staged = tokio::task::spawn_blocking(move || {
        let content = render_resource(&r, &pairs, resolver)?;
        let stage = Stage::create(&r, &content)?;
        Ok((content, stage))
    })
    .await
    .unwrap_or_else(|e| {
        Err(SyncError::Io { op: "render", path: src, source: std::io::Error::other(e.to_string()) })
    });
    Ok(Rendered { keys, staged })
}

/// The error of a resource whose render task ended without a result (it panicked).
fn task_lost(r: &Resource) -> SyncError {
    let source = std::io::Error::other("the render task ended without a result");
    SyncError::Io { op: "render", path: r.src.clone(), source }
}

/// Reads, parses and executes a resource's template over its keys, as confd does.
fn render_resource(
    r: &Resource,
    pairs: &BTreeMap<String, String>,
    resolver: Option<Resolver>,
) -> Result<Vec<u8>, SyncError> {
    tracing::debug!("Using source template {}", r.src.display());
    let source = match std::fs::read(&r.src) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SyncError::MissingTemplate(r.src.clone()))
        }
        Err(source) => return Err(SyncError::ReadTemplate { path: r.src.clone(), source }),
    };
    tracing::debug!("Compiling source template {}", r.src.display());
    let store = Arc::new(backend::snapshot(pairs, &r.prefix));
    let template = Template::new(template_name(&r.src))
        .funcs(&func_map_with(store, resolver))
        .parse_bytes(&source)
        .map_err(|source| SyncError::Parse { path: r.src.clone(), source })?;
    template.render(&Value::Missing).map_err(SyncError::Execute)
}

/// The stage file beside dest.
struct Stage {
    path: PathBuf,
    content_len: usize,
    content_md5: String,
}

impl Stage {
    fn create(r: &Resource, content: &[u8]) -> Result<Stage, SyncError> {
        let dir = dest_dir(&r.dest);
        let base = r.dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Like Go's `ioutil.TempFile(dir, "."+base)`: created exclusively, mode 0600, kept.
        let (mut file, path) = tempfile::Builder::new()
            .prefix(&format!(".{base}"))
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(&dir)
            .and_then(|t| t.keep().map_err(|e| e.error))
            .map_err(|source| SyncError::Io {
                op: "open",
                path: dir.join(format!(".{base}")),
                source,
            })?;
        let io = |op: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| SyncError::Io { op, path, source }
        };
        let written = file.write_all(content).and_then(|()| file.sync_all());
        let mode = r.mode.unwrap_or_else(|| {
            std::fs::metadata(&r.dest).map(|m| m.mode() & 0o7777).unwrap_or(0o644)
        });
        let result = written
            .map_err(io("write", &path))
            .and_then(|()| {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .map_err(io("chmod", &path))
            })
            .and_then(|()| {
                if r.uid.is_some() || r.gid.is_some() {
                    std::os::unix::fs::chown(&path, r.uid, r.gid).map_err(io("chown", &path))
                } else {
                    Ok(())
                }
            });
        if let Err(e) = result {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(Stage { path, content_len: content.len(), content_md5: hex_digest(content) })
    }

    /// Whether dest already has this content, mode and owner.
    fn compare(&self, dest: &Path) -> Result<bool, SyncError> {
        tracing::debug!("Comparing candidate config to {}", dest.display());
        let Ok(dest_meta) = std::fs::metadata(dest) else {
            return Ok(false);
        };
        let stage_meta = std::fs::metadata(&self.path).map_err(|source| SyncError::Io {
            op: "stat",
            path: self.path.clone(),
            source,
        })?;
        let mut same = true;
        if dest_meta.uid() != stage_meta.uid() {
            tracing::info!(
                "{} has UID {} should be {}",
                dest.display(),
                dest_meta.uid(),
                stage_meta.uid()
            );
            same = false;
        }
        if dest_meta.gid() != stage_meta.gid() {
            tracing::info!(
                "{} has GID {} should be {}",
                dest.display(),
                dest_meta.gid(),
                stage_meta.gid()
            );
            same = false;
        }
        if dest_meta.mode() & 0o7777 != stage_meta.mode() & 0o7777 {
            tracing::info!(
                "{} has mode {} should be {}",
                dest.display(),
                go_mode_string(dest_meta.mode()),
                go_mode_string(stage_meta.mode())
            );
            same = false;
        }
        let old = std::fs::read(dest).unwrap_or_default();
        let old_md5 = hex_digest(&old);
        if old.len() != self.content_len || old_md5 != self.content_md5 {
            tracing::info!(
                "{} has md5sum {old_md5} should be {}",
                dest.display(),
                self.content_md5
            );
            same = false;
        }
        Ok(same)
    }

    /// A hard link to the current dest (a symlink stays a symlink), to restore it after a
    /// failed reload. `None` when there is no dest or the link cannot be made.
    fn backup_dest(&self, dest: &Path) -> Option<PathBuf> {
        std::fs::symlink_metadata(dest).ok()?;
        let dir = dest_dir(dest);
        let base = dest.file_name()?.to_string_lossy().into_owned();
        for attempt in 0..100 {
            let path = dir.join(format!(".{base}.hecd-prev{}", random_suffix(attempt)));
            match std::fs::hard_link(dest, &path) {
                Ok(()) => return Some(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    tracing::warn!(
                        "cannot keep the previous {} for a rollback: {e}",
                        dest.display()
                    );
                    return None;
                }
            }
        }
        None
    }

    fn discard(self, keep: bool) {
        if !keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The hex MD5 digest of `data`, for confd's log line `DEST has md5sum OLD should be NEW`.
fn hex_digest(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// A regular file's mode as Go's `os.FileMode.String` prints it (`-rw-r--r--`,
/// `ugrwxr-xr-x` with setuid and setgid, `t` for sticky).
pub fn go_mode_string(mode: u32) -> String {
    let mut out = String::new();
    for (bit, c) in [(0o4000, 'u'), (0o2000, 'g'), (0o1000, 't')] {
        if mode & bit != 0 {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push('-');
    }
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        out.push(if mode & (1 << (8 - i)) != 0 { c } else { '-' });
    }
    out
}

fn dest_dir(dest: &Path) -> PathBuf {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// [`sync_dir`] on the blocking pool.
async fn sync_dir_off_executor(path: &Path) {
    let path = path.to_owned();
    let _ = tokio::task::spawn_blocking(move || sync_dir(&path)).await;
}

/// fsyncs the directory holding `path`, so a rename survives a crash.
fn sync_dir(path: &Path) {
    if let Err(e) = std::fs::File::open(dest_dir(path)).and_then(|d| d.sync_all()) {
        tracing::warn!("cannot fsync the directory of {}: {e}", path.display());
    }
}

/// A decimal suffix like Go's `ioutil.TempFile`.
fn random_suffix(attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() % 1_000_000_000).to_string()
}

fn log_output(output: &[u8], failed: bool) {
    if output.is_empty() {
        return;
    }
    let text = quote(String::from_utf8_lossy(output).as_bytes());
    if failed {
        tracing::error!("{text}");
    } else {
        tracing::debug!("{text}");
    }
}

fn log_error(r: &Resource, e: &SyncError) {
    tracing::error!("{e} (resource {})", r.file.display());
}

fn clone_command_error(e: &CommandError) -> CommandError {
    match e {
        CommandError::Exit(c) => CommandError::Exit(*c),
        CommandError::Signal(s) => CommandError::Signal(*s),
        CommandError::Timeout(t) => CommandError::Timeout(*t),
        other => CommandError::Spawn(std::io::Error::other(other.to_string())),
    }
}
