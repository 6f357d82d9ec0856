//! The HTTP server: accept loops, connection limits and timeouts, routing, shutdown.
//!
//! Shutdown order: stop accepting → ask every connection to finish (graceful) → cut the
//! ones still busy after `shutdown_grace` (long-poll watches) → stop the SYNC proposer.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hecd_store::Store;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, Semaphore};
use tracing::{debug, info, warn};

use crate::body::Body;
use crate::conns::{Conns, Registration};
use crate::consensus::{Consensus, LogConfig};
use crate::entry::{to_nanos, LogEntry};
use crate::form::{decode_path, escape_path, mux_clean_path};
use crate::metrics::Metrics;
use crate::reply::{not_found, text};
use crate::request::MAX_FORM_BYTES;
use crate::state::{Parts, State};
use crate::state_machine::{KvStateMachine, MemberAttributes};
use crate::{cluster, keys, members_api, Config, Error, Result};

/// Serves the etcd v2 client API on `listeners` until `shutdown` resolves (single member,
/// or a member whose peers reach it through another process's peer listener).
///
/// Writes go through the replicated log, reads go to the store directly.
///
/// # Errors
/// [`Error::NoListener`] when `listeners` is empty; [`Error::Raft`] when the log cannot start.
pub async fn run(
    config: Config,
    listeners: Vec<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    run_with_peers(config, listeners, Vec::new(), shutdown).await
}

/// Like [`run`], also serving Raft traffic from the other members of `config.initial_cluster`
/// on `peer_listeners`.
///
/// # Errors
/// As [`run`].
pub async fn run_with_peers(
    config: Config,
    listeners: Vec<TcpListener>,
    peer_listeners: Vec<TcpListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    if listeners.is_empty() {
        return Err(Error::NoListener);
    }
    let store = Arc::new(RwLock::new(Store::new(config.history_size)));
    let member_id = config.member_id();
    let initial: Vec<(u64, String)> =
        config.members().into_iter().map(|(id, _, url)| (id, url)).collect();
    let membership = Arc::new(crate::members::Membership::new(member_id, &initial));
    // A data directory that already has a log knows its cluster id.
    let has_log = config.data_dir.as_ref().is_some_and(|d| hecd_raft::has_state(&*config.fs, d));
    let peer_tls = config.peer_tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let peer_client = crate::peer::peer_client(config.peer_tls.as_ref())?;
    let cluster_id = if config.join_existing && !has_log {
        Some(crate::join::join_cluster(member_id, &initial, &peer_client).await?)
    } else {
        None
    };
    let log_cfg = LogConfig {
        id: member_id,
        data_dir: config.data_dir.clone(),
        snapshot_count: config.snapshot_count,
        cluster_token: config.cluster_token.clone(),
        peers: if config.initial_cluster.len() > 1 {
            config.members().into_iter().map(|(id, _, url)| (id, url)).collect()
        } else {
            Vec::new()
        },
        cluster_id,
        membership: membership.clone(),
        peer_client: peer_client.clone(),
        fs: config.fs.clone(),
    };
    let client_tls = config.client_tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let published = MemberAttributes::default();
    let sm =
        KvStateMachine::new(store.clone(), published.clone()).with_membership(membership.clone());
    let log = Consensus::start(log_cfg, sm).await.map_err(Error::Raft)?;
    let cluster_id = HeaderValue::from_str(&format!("{:x}", log.cluster_id()))
        .unwrap_or(HeaderValue::from_static("0"));
    let state = Arc::new(State {
        store,
        published,
        log,
        config,
        member_id,
        cluster_id,
        metrics: Metrics::default(),
        start_time: SystemTime::now(),
        client_tls,
        auth: crate::auth::cache::Auth::default(),
        encoded_event: Arc::default(),
        membership,
        peer_tls,
        peer_client,
    });

    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let peer_limit = Arc::new(Semaphore::new(PEER_CONNECTIONS));
    for l in peer_listeners {
        if let Ok(addr) = l.local_addr() {
            info!(%addr, "serving peer requests");
        }
        let (stop, done) = (stop_rx.clone(), done_tx.clone());
        tokio::spawn(accept_loop(
            l,
            Kind::Peer,
            state.clone(),
            stop,
            done,
            peer_limit.clone(),
            None,
        ));
    }
    tokio::spawn(crate::peer::transport::probe_loop(
        state.membership.clone(),
        state.peer_client.clone(),
        stop_rx.clone(),
    ));
    state.log.wait_ready().await;
    tokio::spawn(publish(state.clone(), stop_rx.clone(), done_tx.clone()));
    let fd_limit = crate::conns::raise_fd_limit();
    let max_conns = crate::conns::connection_limit(state.config.max_connections, fd_limit);
    info!(max_connections = max_conns, fd_limit = ?fd_limit, "client connection limit");
    let limit = Arc::new(Semaphore::new(max_conns));
    let conns = Arc::new(crate::conns::Conns::default());
    for l in listeners {
        if let Ok(addr) = l.local_addr() {
            info!(%addr, "serving client requests");
        }
        tokio::spawn(accept_loop(
            l,
            Kind::Client,
            state.clone(),
            stop_rx.clone(),
            done_tx.clone(),
            limit.clone(),
            Some(conns.clone()),
        ));
    }
    tokio::spawn(sync_loop(state.clone(), stop_rx.clone(), done_tx.clone()));
    drop(done_tx);

    let mut removed = state.membership.removed();
    let mut disk = state.log.watch_disk();
    tokio::select! {
        () = shutdown => {}
        _ = removed.wait_for(|r| *r) => {
            warn!("this member was removed from the cluster; stopping");
        }
        // A member whose disk failed stops serving (stale reads included); its next start recovers
        // from what is on disk.
        // (An in-memory log has no disk: its health channel closes at once and this branch is off.)
        Ok(_) = disk.wait_for(|h| *h == hecd_raft::DiskHealth::Failed) => {
            tracing::error!("the data directory's disk failed; stopping");
        }
    }
    info!("shutting down");
    let _ = stop_tx.send(true);
    // Every task holds a `done_tx` clone; recv() yields None once all have finished.
    let deadline = state.config.shutdown_grace + Duration::from_secs(1);
    if tokio::time::timeout(deadline, done_rx.recv()).await.is_err() {
        warn!("some connections did not finish in time");
    }
    // HTTP is drained and the SYNC proposer stopped: flush and fsync the log.
    state.log.clone().shutdown().await.map_err(Error::Raft)
}

/// Which API a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Client,
    Peer,
}

/// Most concurrent peer connections.
const PEER_CONNECTIONS: usize = 64;

/// Largest peer request (a batch of Raft messages, possibly a whole-store snapshot).
const MAX_PEER_BODY: usize = 512 << 20;

async fn accept_loop(
    listener: TcpListener,
    kind: Kind,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    done: mpsc::Sender<()>,
    limit: Arc<Semaphore>,
    conns: Option<Arc<Conns>>,
) {
    let mut backoff = Duration::from_millis(5);
    loop {
        // Peers wait for a slot before being accepted. Clients are accepted first: at the limit,
        // the idlest client connection is closed to make room (see `conns`).
        let early_permit = match conns {
            Some(_) => None,
            None => tokio::select! {
                _ = stop.changed() => return,
                p = limit.clone().acquire_owned() => match p {
                    Ok(p) => Some(p),
                    Err(_) => return,
                },
            },
        };
        let accepted = tokio::select! {
            _ = stop.changed() => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => {
                backoff = Duration::from_millis(5);
                s
            }
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let permit = match (early_permit, &conns) {
            (Some(p), _) => p,
            (None, Some(conns)) => match client_slot(&limit, conns, &mut stop).await {
                Some(p) => p,
                None => return,
            },
            (None, None) => return,
        };
        let registration = conns.as_ref().map(|c| c.register());
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stop = stop.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let tls = match kind {
                Kind::Client => &state.client_tls,
                Kind::Peer => &state.peer_tls,
            };
            match tls {
                Some(tls) => {
                    // A handshake gets the same time as a request head.
                    let timeout = state.config.header_read_timeout;
                    match tokio::time::timeout(timeout, tls.accept(stream)).await {
                        Ok(Ok(s)) => {
                            // Verified by the handshake (with --client-cert-auth); v2 auth
                            // may take the user from them.
                            let names = s.get_ref().1.peer_certificates().map(|chain| {
                                crate::auth::ClientCertNames(
                                    crate::tls::chain_common_names(chain).into(),
                                )
                            });
                            serve_connection(s, kind, state, stop, names, registration).await
                        }
                        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => debug!(%peer, "TLS handshake timed out"),
                    }
                }
                _ => serve_connection(stream, kind, state, stop, None, registration).await,
            }
            debug!(%peer, "connection closed");
            drop(permit);
            drop(done);
        });
    }
}

async fn serve_connection<S>(
    stream: S,
    kind: Kind,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    client_cert: Option<crate::auth::ClientCertNames>,
    registration: Option<Registration>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let grace = state.config.shutdown_grace;
    let svc_state = state.clone();
    let activity = registration.as_ref().map(|r| r.conn.clone());
    let svc = service_fn(move |mut req: Request<Incoming>| {
        let st = svc_state.clone();
        if let Some(names) = &client_cert {
            req.extensions_mut().insert(names.clone());
        }
        let busy = activity.as_ref().map(|c| c.request());
        async move {
            let _busy = busy;
            let resp = match kind {
                Kind::Client => route(&st, req).await,
                Kind::Peer => route_peer(&st, req).await,
            };
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(state.config.header_read_timeout)
        .serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    let evicted = async {
        match &registration {
            Some(r) => r.conn.close.notified().await,
            None => std::future::pending().await,
        }
    };
    let stopped = tokio::select! {
        _ = conn.as_mut() => false,
        r = stop.wait_for(|s| *s) => r.is_ok(),
        () = evicted => true,
    };
    if stopped {
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(grace, conn).await;
    }
}

/// Waits for a client connection slot; at the limit, closes the idlest client connection (one
/// without a request in flight) every 50 ms until a slot frees. `None` when the server stops.
async fn client_slot(
    limit: &Arc<Semaphore>,
    conns: &Conns,
    stop: &mut watch::Receiver<bool>,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    loop {
        match limit.clone().try_acquire_owned() {
            Ok(p) => return Some(p),
            Err(tokio::sync::TryAcquireError::Closed) => return None,
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        let closing = conns.close_idlest();
        debug!(closing, "at the client connection limit");
        tokio::select! {
            _ = stop.changed() => return None,
            p = limit.clone().acquire_owned() => return p.ok(),
            // Evicted connections release their slot when they close; if none was idle, or the
            // one asked is slow to go, ask again.
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

/// Proposes SYNC(now) whenever some TTL is due, so every replica expires the same keys.
async fn sync_loop(state: Arc<State>, mut stop: watch::Receiver<bool>, done: mpsc::Sender<()>) {
    let mut tick = tokio::time::interval(state.config.sync_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            r = stop.wait_for(|s| *s) => { let _ = r.is_ok(); break }
            _ = tick.tick() => {}
        }
        let status = state.log.status();
        if status.leader != Some(status.id) {
            continue;
        }
        let now = SystemTime::now();
        let due = state.store_read().next_expiry().is_some_and(|t| t <= now);
        if due {
            if let Err(e) = state.log.propose(LogEntry::Sync { now: to_nanos(now) }.encode()).await
            {
                warn!(error = %e, "SYNC proposal failed");
            }
        }
    }
    drop(done);
}

/// Proposes this member's name and client URLs until it lands in the log (etcd's `publish`).
async fn publish(state: Arc<State>, mut stop: watch::Receiver<bool>, done: mpsc::Sender<()>) {
    let cmd = LogEntry::Publish {
        id: state.member_id,
        name: state.config.name.clone(),
        client_urls: state.config.advertise_client_urls.clone(),
    };
    loop {
        let current = {
            let m = state.published.read().unwrap_or_else(|p| p.into_inner());
            m.get(&state.member_id).map(|(n, u)| (n.clone(), u.clone()))
        };
        if current.as_ref()
            == Some(&(state.config.name.clone(), state.config.advertise_client_urls.clone()))
        {
            break;
        }
        let attempt = tokio::select! {
            r = stop.wait_for(|s| *s) => { let _ = r.is_ok(); break }
            r = state.log.propose(cmd.encode()) => r,
        };
        if let Err(e) = attempt {
            debug!(error = %e, "publishing member attributes failed; retrying");
            tokio::select! {
                r = stop.wait_for(|s| *s) => { let _ = r.is_ok(); break }
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
    }
    drop(done);
}

async fn read_body(body: Incoming) -> Option<Bytes> {
    match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(c) => Some(c.to_bytes()),
        Err(_) => None,
    }
}

async fn route_peer(state: &State, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    match Limited::new(body, MAX_PEER_BODY).collect().await {
        Ok(_) if parts.uri.path() == "/members" => members_api::peer_members(state),
        Ok(b) => crate::peer::handler::handle(&state.log, &state.membership, &parts, b.to_bytes()),
        Err(_) => text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n"),
    }
}

async fn route(state: &State, req: Request<Incoming>) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let mut is_watch = false;
    let resp = 'resp: {
        // Go's server refuses these before any handler runs (no CORS headers on them).
        if crate::access::unsupported_transfer_encoding(parts.version, &parts.headers) {
            break 'resp crate::access::not_implemented();
        }
        if method == hyper::Method::OPTIONS && parts.uri.path() == "*" {
            break 'resp Response::new(Body::empty());
        }
        let Some(path) = decode_path(parts.uri.path()) else {
            break 'resp text(StatusCode::BAD_REQUEST, "400 Bad Request");
        };
        let mut resp = handle(state, &parts, path, body, &mut is_watch).await;
        state.config.cors.decorate(&parts.headers, &mut resp);
        resp
    };
    let elapsed = (!is_watch).then(|| started.elapsed());
    state.metrics.record(method.as_str(), resp.status().as_u16(), elapsed);
    debug!(method = %method, path = parts.uri.path(), status = resp.status().as_u16(), "request");
    resp
}

/// etcd's access controller and mux: preflight, clean-path redirect, then the handlers.
async fn handle(
    state: &State,
    parts: &Parts,
    path: String,
    body: Incoming,
    is_watch: &mut bool,
) -> Response<Body> {
    'resp: {
        if parts.method == hyper::Method::OPTIONS {
            break 'resp Response::new(Body::empty());
        }
        let clean = mux_clean_path(&path);
        if clean != path {
            break 'resp redirect(parts, &clean);
        }
        let body = match read_body(body).await {
            Some(b) => b,
            None => {
                if path.starts_with("/v2/keys") {
                    break 'resp state.v2_error(
                        hecd_v2api::ErrorCode::InvalidForm,
                        "http: POST too large",
                        0,
                    );
                }
                break 'resp text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
            }
        };
        match path.as_str() {
            p if p == "/v2/keys" || p.starts_with("/v2/keys/") => {
                *is_watch = parts.uri.query().is_some_and(|q| q.contains("wait="));
                keys::handle(state, parts, &body).await
            }
            "/version" => cluster::version(parts),
            "/health" => cluster::health(state, parts),
            "/metrics" => cluster::metrics(state, parts),
            "/v2/machines" => cluster::machines(state, parts),
            "/v2/stats/store" => cluster::stats(state, parts, "store"),
            "/v2/stats/self" => cluster::stats(state, parts, "self"),
            "/v2/stats/leader" => cluster::stats(state, parts, "leader"),
            p if p == "/v2/members" || p.starts_with("/v2/members/") => {
                if let Some(r) = crate::auth::check_members(state, parts).await {
                    break 'resp r;
                }
                members_api::members(state, parts, &body).await
            }
            p if p.starts_with("/v2/auth") => crate::auth::handle(state, parts, &body).await,
            _ => not_found(),
        }
    }
}

/// Go's `ServeMux` redirect of an unclean path (301, relative Location, query kept).
fn redirect(parts: &Parts, clean: &str) -> Response<Body> {
    let mut loc = escape_path(clean);
    if let Some(q) = parts.uri.query() {
        loc.push('?');
        loc.push_str(q);
    }
    let get = parts.method == hyper::Method::GET;
    let head = parts.method == hyper::Method::HEAD;
    let body = if get {
        format!("<a href=\"{}\">Moved Permanently</a>.\n\n", html_escape(&loc))
    } else {
        String::new()
    };
    let mut r = Response::new(Body::full(body));
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&loc) {
        h.insert(LOCATION, v);
    }
    if get || head {
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    }
    r
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
