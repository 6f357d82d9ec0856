//! HAProxy's runtime API as the first way to apply a change (`haproxy_socket`).
//!
//! When a resource names HAProxy's admin socket and the planner (`hecd_haproxy::plan`) finds
//! that the new dest differs from the old only in servers added, removed, moved or
//! re-weighted, the changes go through the runtime API and dest is replaced without
//! `check_cmd` or `reload_cmd`. A removed server is drained first; its deletion waits, in a
//! task of its own, until its sessions end or `drain_timeout` passes, so other resources are
//! not held up. A refused command undoes what was applied so far and the caller takes the
//! ordinary check → rename → reload path with the same file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hecd_haproxy::{
    config, AdminState, Endpoint, Error as ApiError, LiveServer, Op, Plan, Runtime, Server,
};

use crate::command::run_command;
use crate::cycle::render_check_cmd;
use crate::metrics::Metrics;
use crate::resource::Resource;

/// How a runtime attempt ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Applied (or nothing to apply): replace dest, no reload.
    Applied(Vec<String>),
    /// Take the ordinary path: `label` for metrics, `why` for the log.
    Fallback { label: &'static str, why: String },
}

/// A server whose deletion waits for its sessions to end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DrainKey {
    endpoint: Endpoint,
    backend: String,
    name: String,
}

#[derive(Debug)]
struct Drain {
    id: u64,
    server: Server,
    task: tokio::task::AbortHandle,
}

/// Applies plans through the runtime API and keeps track of draining servers.
#[derive(Debug)]
pub(crate) struct RuntimeUpdater {
    /// The daemon's `-command-timeout`, for the reload a failed deletion falls back to.
    command_timeout: Duration,
    drains: Arc<Mutex<HashMap<DrainKey, Drain>>>,
    next_id: AtomicU64,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// What to do to take back one applied operation.
enum Undo {
    Delete { backend: String, name: String },
    SetAddr { backend: String, name: String, ip: std::net::IpAddr, port: u16 },
    SetWeight { backend: String, name: String, weight: u32 },
    Ready { backend: String, name: String },
    Redrain { backend: String, server: Server },
}

fn fallback_of(e: &ApiError) -> Outcome {
    let label = match e {
        ApiError::Connect { .. } | ApiError::Endpoint(_) => "socket_unavailable",
        ApiError::Timeout { .. } | ApiError::Io(_) => "socket_error",
        _ => "command_refused",
    };
    Outcome::Fallback { label, why: e.to_string() }
}

impl RuntimeUpdater {
    /// An updater with no drain in progress.
    pub(crate) fn new(command_timeout: Duration) -> RuntimeUpdater {
        RuntimeUpdater {
            command_timeout,
            drains: Arc::default(),
            next_id: AtomicU64::new(0),
            tasks: Mutex::default(),
        }
    }

    /// Tries to turn HAProxy's servers from `old` into `new` at run time.
    pub(crate) async fn update(
        &self,
        r: &Resource,
        endpoint: &Endpoint,
        old: Option<&[u8]>,
        new: &[u8],
        metrics: &Arc<Metrics>,
    ) -> Outcome {
        let Some(old) = old else {
            return Outcome::Fallback {
                label: "no_previous",
                why: "dest does not exist yet".into(),
            };
        };
        let old = config::parse(&String::from_utf8_lossy(old));
        let new = config::parse(&String::from_utf8_lossy(new));
        match hecd_haproxy::plan(&old, &new) {
            Plan::Reload(reason) => {
                Outcome::Fallback { label: reason.label(), why: reason.to_string() }
            }
            Plan::Runtime(ops) if ops.is_empty() => Outcome::Applied(Vec::new()),
            Plan::Runtime(ops) => self.apply(r, endpoint, ops, metrics).await,
        }
    }

    /// Compares HAProxy's live servers with dest and repairs the differences at run time.
    pub(crate) async fn reconcile(
        &self,
        r: &Resource,
        endpoint: &Endpoint,
        metrics: &Arc<Metrics>,
    ) -> Outcome {
        let Ok(text) = std::fs::read(&r.dest) else {
            return Outcome::Applied(Vec::new());
        };
        let desired = config::parse(&String::from_utf8_lossy(&text));
        let runtime = Runtime::new(endpoint.clone());
        let live = match runtime.servers_state(None).await {
            Ok(l) => l,
            Err(e) => return fallback_of(&e),
        };
        match self.repairs(&desired, &live, endpoint) {
            Ok(ops) if ops.is_empty() => Outcome::Applied(Vec::new()),
            Ok(ops) => self.apply(r, endpoint, ops, metrics).await,
            Err((label, why)) => Outcome::Fallback { label, why },
        }
    }

    /// The operations that turn the `live` servers into those `desired` declares, for the
    /// backends `desired` declares (others belong to other files).
    fn repairs(
        &self,
        desired: &config::Config,
        live: &[LiveServer],
        endpoint: &Endpoint,
    ) -> Result<Vec<Op>, (&'static str, String)> {
        let draining: Vec<DrainKey> = self.lock().keys().cloned().collect();
        let mut adds = Vec::new();
        let mut changes = Vec::new();
        let mut removes = Vec::new();
        for (backend, servers) in hecd_haproxy::servers_by_backend(desired) {
            let here: BTreeMap<&str, &LiveServer> = live
                .iter()
                .filter(|l| l.backend == backend)
                .map(|l| (l.name.as_str(), l))
                .collect();
            for s in &servers {
                let Some(l) = here.get(s.name.as_str()) else {
                    let why = hecd_haproxy::backend_refuses_add(desired, &backend)
                        .or_else(|| hecd_haproxy::not_addable(s));
                    if let Some(why) = why {
                        return Err((
                            "server",
                            format!("server {backend}/{} is missing: {why}", s.name),
                        ));
                    }
                    adds.push(Op::Add { backend: backend.clone(), server: s.clone() });
                    continue;
                };
                if let (Some(ip), Some(port), Some(lip), Some(lport)) =
                    (s.ip, s.port, l.addr, l.port)
                {
                    if (ip, port) != (lip, lport) {
                        changes.push(Op::SetAddr {
                            backend: backend.clone(),
                            name: s.name.clone(),
                            old: (lip, lport),
                            new: (ip, port),
                        });
                    }
                }
                if let Some(w) = s.weight() {
                    if w != l.weight {
                        changes.push(Op::SetWeight {
                            backend: backend.clone(),
                            name: s.name.clone(),
                            old: l.weight,
                            new: w,
                        });
                    }
                }
            }
            for l in here.values() {
                let key = DrainKey {
                    endpoint: endpoint.clone(),
                    backend: backend.clone(),
                    name: l.name.clone(),
                };
                if servers.iter().any(|s| s.name == l.name) || draining.contains(&key) {
                    continue;
                }
                let address = match (l.addr, l.port) {
                    (Some(ip), Some(port)) => format!("{ip}:{port}"),
                    _ => String::new(),
                };
                let server = Server {
                    name: l.name.clone(),
                    address,
                    ip: l.addr,
                    port: l.port,
                    keywords: Vec::new(),
                    conditional: false,
                };
                removes.push(Op::Remove { backend: backend.clone(), server });
            }
        }
        adds.extend(changes);
        adds.extend(removes);
        Ok(adds)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DrainKey, Drain>> {
        self.drains.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the drains of servers that dest declares again: a reload is about to load them.
    pub(crate) fn forget_drains_of(&self, endpoint: &Endpoint, dest: &Path) {
        let Ok(text) = std::fs::read(dest) else { return };
        let servers =
            hecd_haproxy::servers_by_backend(&config::parse(&String::from_utf8_lossy(&text)));
        self.lock().retain(|k, d| {
            let keep = k.endpoint != *endpoint
                || !servers.get(&k.backend).is_some_and(|s| s.iter().any(|s| s.name == k.name));
            if !keep {
                d.task.abort();
            }
            keep
        });
    }

    async fn apply(
        &self,
        r: &Resource,
        endpoint: &Endpoint,
        ops: Vec<Op>,
        metrics: &Arc<Metrics>,
    ) -> Outcome {
        let runtime = Runtime::new(endpoint.clone());
        let mut undo: Vec<Undo> = Vec::new();
        let mut done = Vec::new();
        let mut removed = Vec::new();
        for op in ops {
            let result = self.apply_one(&runtime, endpoint, &op, &mut undo, &mut removed).await;
            if let Err(e) = result {
                let outcome = fallback_of(&e);
                if !e.is_unreachable() || !undo.is_empty() {
                    self.undo(&runtime, undo).await;
                }
                return outcome;
            }
            done.push(op.to_string());
        }
        for (backend, server) in removed {
            self.spawn_drain(r, endpoint, &backend, server, metrics);
        }
        Outcome::Applied(done)
    }

    async fn apply_one(
        &self,
        rt: &Runtime,
        endpoint: &Endpoint,
        op: &Op,
        undo: &mut Vec<Undo>,
        removed: &mut Vec<(String, Server)>,
    ) -> Result<(), ApiError> {
        match op {
            Op::Add { backend, server } => {
                let key = DrainKey {
                    endpoint: endpoint.clone(),
                    backend: backend.clone(),
                    name: server.name.clone(),
                };
                let pending = self.lock().remove(&key);
                if let Some(drain) = pending {
                    drain.task.abort();
                    if drain.server.keywords_without_weight() == server.keywords_without_weight() {
                        return revive(rt, backend, &drain.server, server, undo).await;
                    }
                    // Other settings: it must go before the new one can be added.
                    rt.set_state(backend, &server.name, AdminState::Maint).await?;
                    rt.shutdown_sessions(backend, &server.name).await?;
                    delete_when_idle(rt, backend, &server.name, Duration::from_secs(2)).await?;
                }
                rt.add_server(backend, &server.name, &server.address, &server.keywords).await?;
                undo.push(Undo::Delete { backend: backend.clone(), name: server.name.clone() });
                if !server.keywords.iter().any(|k| k == "disabled") {
                    rt.enable_server(backend, &server.name).await?;
                }
                if server.has_check() {
                    rt.enable_health(backend, &server.name).await?;
                }
            }
            Op::SetAddr { backend, name, old, new } => {
                rt.set_addr(backend, name, new.0, new.1).await?;
                undo.push(Undo::SetAddr {
                    backend: backend.clone(),
                    name: name.clone(),
                    ip: old.0,
                    port: old.1,
                });
            }
            Op::SetWeight { backend, name, old, new } => {
                rt.set_weight(backend, name, *new).await?;
                undo.push(Undo::SetWeight {
                    backend: backend.clone(),
                    name: name.clone(),
                    weight: *old,
                });
            }
            Op::Remove { backend, server } => {
                rt.set_state(backend, &server.name, AdminState::Drain).await?;
                undo.push(Undo::Ready { backend: backend.clone(), name: server.name.clone() });
                removed.push((backend.clone(), server.clone()));
            }
        }
        Ok(())
    }

    /// Takes back applied operations, newest first, as far as HAProxy lets it.
    async fn undo(&self, rt: &Runtime, undo: Vec<Undo>) {
        for u in undo.into_iter().rev() {
            let result = match &u {
                Undo::Delete { backend, name } => {
                    let _ = rt.set_state(backend, name, AdminState::Maint).await;
                    let _ = rt.shutdown_sessions(backend, name).await;
                    delete_when_idle(rt, backend, name, Duration::from_secs(2)).await
                }
                Undo::SetAddr { backend, name, ip, port } => {
                    rt.set_addr(backend, name, *ip, *port).await
                }
                Undo::SetWeight { backend, name, weight } => {
                    rt.set_weight(backend, name, *weight).await
                }
                Undo::Ready { backend, name } => {
                    rt.set_state(backend, name, AdminState::Ready).await
                }
                Undo::Redrain { backend, server } => {
                    rt.set_state(backend, &server.name, AdminState::Drain).await
                }
            };
            if let Err(e) = result {
                tracing::warn!("cannot undo a runtime change: {e}");
            }
        }
    }

    fn spawn_drain(
        &self,
        r: &Resource,
        endpoint: &Endpoint,
        backend: &str,
        server: Server,
        metrics: &Arc<Metrics>,
    ) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let key = DrainKey {
            endpoint: endpoint.clone(),
            backend: backend.to_owned(),
            name: server.name.clone(),
        };
        let drains = self.drains.clone();
        let rt = Runtime::new(endpoint.clone());
        let (r, metrics, k) = (r.clone(), metrics.clone(), key.clone());
        let timeout = r.command_timeout.unwrap_or(self.command_timeout);
        // Hold the lock while spawning so the task cannot finish before it is recorded.
        let mut map = self.lock();
        let task = tokio::spawn(async move {
            let result = drain_and_delete(&rt, &k.backend, &k.name, r.drain_timeout).await;
            {
                let mut map = drains.lock().unwrap_or_else(PoisonError::into_inner);
                if map.get(&k).is_some_and(|d| d.id == id) {
                    map.remove(&k);
                }
            }
            if let Err(e) = result {
                tracing::error!(
                    "cannot delete server {}/{} from HAProxy ({e}); reloading HAProxy with {} (resource {})",
                    k.backend,
                    k.name,
                    r.dest.display(),
                    r.file.display()
                );
                metrics.runtime_fallback(&r, "delete_refused");
                reload_from_dest(&r, timeout).await;
            }
        });
        if let Some(old) = map.insert(key, Drain { id, server, task: task.abort_handle() }) {
            old.task.abort();
        }
        drop(map);
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    /// Waits until every drain started so far has deleted its server (or given up).
    pub(crate) async fn wait_drains(&self) {
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// Brings back a server that was draining, with the new line's address and weight.
async fn revive(
    rt: &Runtime,
    backend: &str,
    old: &Server,
    new: &Server,
    undo: &mut Vec<Undo>,
) -> Result<(), ApiError> {
    if let (Some(ip), Some(port)) = (new.ip, new.port) {
        if (old.ip, old.port) != (Some(ip), Some(port)) {
            rt.set_addr(backend, &new.name, ip, port).await?;
        }
    }
    if let Some(w) = new.weight() {
        if old.weight() != Some(w) {
            rt.set_weight(backend, &new.name, w).await?;
        }
    }
    rt.set_state(backend, &new.name, AdminState::Ready).await?;
    undo.push(Undo::Redrain { backend: backend.to_owned(), server: new.clone() });
    Ok(())
}

/// Waits until the drained server has no sessions and no queue (or `timeout` passes), then
/// puts it in maintenance and deletes it.
async fn drain_and_delete(
    rt: &Runtime,
    backend: &str,
    name: &str,
    timeout: Duration,
) -> Result<(), ApiError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match rt.server_load(backend, name).await? {
            None => return Ok(()),
            Some((0, 0)) => break,
            Some(_) if tokio::time::Instant::now() >= deadline => {
                tracing::warn!(
                    "server {backend}/{name} still has sessions after {timeout:?}; closing them"
                );
                break;
            }
            Some(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    rt.set_state(backend, name, AdminState::Maint).await?;
    if tokio::time::Instant::now() >= deadline {
        rt.shutdown_sessions(backend, name).await?;
    }
    delete_when_idle(rt, backend, name, Duration::from_secs(5)).await?;
    tracing::info!("Server {backend}/{name} deleted from HAProxy after draining");
    Ok(())
}

/// `del server`, retried while HAProxy still holds connections to the server (idle ones are
/// closed shortly after maintenance begins); a server already gone counts as deleted.
async fn delete_when_idle(
    rt: &Runtime,
    backend: &str,
    name: &str,
    patience: Duration,
) -> Result<(), ApiError> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match rt.del_server(backend, name).await {
            Ok(()) => return Ok(()),
            Err(ApiError::Refused { answer, .. }) if answer.starts_with("No such server") => {
                return Ok(())
            }
            Err(ApiError::Refused { ref answer, .. })
                if answer.contains("connection") && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Checks dest with `check_cmd` and runs `reload_cmd`, when runtime repairs failed.
pub(crate) async fn reload_from_dest(r: &Resource, timeout: Duration) {
    if let Some(check) = &r.check_cmd {
        match render_check_cmd(check, &r.dest) {
            Ok(cmd) => {
                let out = run_command(&cmd, timeout).await;
                if let Err(e) = out.result {
                    tracing::error!("check of {} failed ({e}); not reloading", r.dest.display());
                    return;
                }
            }
            Err(e) => {
                tracing::error!("{e}");
                return;
            }
        }
    }
    if let Some(reload) = &r.reload_cmd {
        let out = run_command(reload, timeout).await;
        match out.result {
            Ok(()) => tracing::info!("HAProxy reloaded with {}", r.dest.display()),
            Err(e) => tracing::error!("reload of {} failed: {e}", r.dest.display()),
        }
    }
}
