//! The small endpoints: `/version`, `/health`, `/v2/machines`, `/v2/members`, `/v2/stats/*`,
//! `/metrics`. Members errors are `{"message":..}` bodies, not v2 errors (as in etcd).

use std::time::SystemTime;

use hecd_v2api::time::format_rfc3339_nano;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use crate::body::Body;
use crate::server::{method_not_allowed, Parts, State};
use hecd_raft::MemberChange;

/// The etcd release whose v2 API we speak.
pub const ETCD_SERVER_VERSION: &str = "3.4.23";
/// The cluster version we report.
pub const ETCD_CLUSTER_VERSION: &str = "3.4.0";

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

fn json_response(status: StatusCode, v: &impl serde::Serialize, newline: bool) -> Response<Body> {
    let mut b = crate::render::go_json_plain(v);
    if newline {
        b.push(b'\n');
    }
    let mut r = Response::new(Body::full(b));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, JSON);
    r
}

fn message(status: StatusCode, msg: &str) -> Response<Body> {
    json_response(status, &json!({ "message": msg }), false)
}

/// etcd's `allowMethod(w, r, "GET")` on `/version`, `/health` and `/v2/stats/*`: not even HEAD.
fn get_only(parts: &Parts) -> Option<Response<Body>> {
    (parts.method != Method::GET).then(|| method_not_allowed("GET"))
}

pub(crate) fn version(parts: &Parts) -> Response<Body> {
    if let Some(r) = get_only(parts) {
        return r;
    }
    json_response(
        StatusCode::OK,
        &Version { etcdserver: ETCD_SERVER_VERSION, etcdcluster: ETCD_CLUSTER_VERSION },
        false,
    )
}

pub(crate) fn health(state: &State, parts: &Parts) -> Response<Body> {
    if let Some(r) = get_only(parts) {
        return r;
    }
    let ok = state.log.status().leader.is_some();
    let mut r = Response::new(Body::full(if ok {
        &br#"{"health":"true"}"#[..]
    } else {
        br#"{"health":"false"}"#
    }));
    if !ok {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    r.headers_mut().insert(CONTENT_TYPE, TEXT);
    r
}

pub(crate) fn machines(state: &State, parts: &Parts) -> Response<Body> {
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return method_not_allowed("GET,HEAD");
    }
    // etcd's `ClientURLs`: every member's, sorted as strings.
    let mut urls: Vec<String> =
        all_members(state).into_iter().flat_map(|(_, m)| m.client_urls).collect();
    urls.sort();
    let mut r = Response::new(Body::full(urls.join(", ")));
    r.headers_mut().insert(CONTENT_TYPE, TEXT);
    r
}

#[derive(serde::Serialize)]
struct Member {
    id: String,
    name: String,
    #[serde(rename = "peerURLs")]
    peer_urls: Vec<String>,
    #[serde(rename = "clientURLs")]
    client_urls: Vec<String>,
}

/// Every member (ordered by id), with the name and client URLs it published through the log
/// (its own are always known; a member added but not started yet has neither).
fn all_members(state: &State) -> Vec<(u64, Member)> {
    let published = state.published.read().unwrap_or_else(|p| p.into_inner());
    let initial = state.config.members();
    state
        .membership
        .get()
        .peers
        .into_iter()
        .map(|(id, urls)| {
            let own = id == state.member_id;
            let peer_urls = if own { state.config.advertise_peer_urls.clone() } else { urls };
            let (name, client_urls) = if own {
                (state.config.name.clone(), state.config.advertise_client_urls.clone())
            } else if let Some((n, u)) = published.get(&id) {
                (n.clone(), u.clone())
            } else {
                let n = initial.iter().find(|m| m.0 == id).map(|m| m.1.clone());
                (n.unwrap_or_default(), Vec::new())
            };
            // etcd keeps every URL list sorted (`types.NewURLs`).
            let (mut peer_urls, mut client_urls) = (peer_urls, client_urls);
            peer_urls.sort();
            client_urls.sort();
            (id, Member { id: format!("{id:x}"), name, peer_urls, client_urls })
        })
        .collect()
}

/// `GET /members` on the peer listener: the member list a joining member checks itself against.
pub(crate) fn peer_members(state: &State) -> Response<Body> {
    let members: Vec<Member> = all_members(state).into_iter().map(|(_, m)| m).collect();
    let mut r = json_response(StatusCode::OK, &members, true);
    state.cluster_header(r.headers_mut());
    r
}

pub(crate) async fn members(state: &State, parts: &Parts, body: &Bytes) -> Response<Body> {
    let m = &parts.method;
    if m != Method::GET && m != Method::POST && m != Method::DELETE && m != Method::PUT {
        return method_not_allowed("GET,POST,DELETE,PUT");
    }
    let rest = parts.uri.path().trim_start_matches("/v2/members").trim_start_matches('/');
    let mut r = match *m {
        Method::GET => match rest {
            "" => {
                #[derive(serde::Serialize)]
                struct Members {
                    members: Vec<Member>,
                }
                let members = all_members(state).into_iter().map(|(_, m)| m).collect();
                json_response(StatusCode::OK, &Members { members }, true)
            }
            "leader" => {
                let leader = state.log.status().leader;
                match all_members(state).into_iter().find(|(id, _)| Some(*id) == leader) {
                    Some((_, m)) => json_response(StatusCode::OK, &m, true),
                    None => message(StatusCode::SERVICE_UNAVAILABLE, "During election"),
                }
            }
            _ => message(StatusCode::NOT_FOUND, "Not found"),
        },
        Method::POST => add_member(state, parts, body).await,
        _ => {
            if rest.is_empty() {
                let mut r = method_not_allowed_plain();
                state.cluster_header(r.headers_mut());
                return r;
            }
            // etcd's `getID` (Go's `ParseUint(s, 16, 64)`: no sign), then for PUT the body,
            // then the membership checks; ids are written back as Go's `types.ID` prints them.
            let parsed = u64::from_str_radix(rest, 16).ok().filter(|_| !rest.starts_with('+'));
            let Some(id) = parsed else {
                let mut r = message(StatusCode::NOT_FOUND, &format!("No such member: {rest}"));
                state.cluster_header(r.headers_mut());
                return r;
            };
            let urls = if *m == Method::PUT {
                match member_request(parts, body) {
                    Ok(u) => u,
                    Err(r) => {
                        let mut r = *r;
                        state.cluster_header(r.headers_mut());
                        return r;
                    }
                }
            } else {
                Vec::new()
            };
            if state.membership.is_removed(id) && *m == Method::DELETE {
                message(StatusCode::GONE, &format!("Member permanently removed: {id:x}"))
            } else if state.membership.is_removed(id) {
                // etcd answers an update of a removed member with its generic error.
                internal_error()
            } else if state.membership.peer_urls(id).is_some() {
                if *m == Method::DELETE {
                    remove_member(state, id).await
                } else {
                    update_member(state, urls, id).await
                }
            } else {
                message(StatusCode::NOT_FOUND, &format!("No such member: {id:x}"))
            }
        }
    };
    state.cluster_header(r.headers_mut());
    r
}

/// Go's `http.Error(w, "Method Not Allowed", 405)` without an `Allow` header (etcd's
/// `getID` on a missing id, after the cluster id header is set).
fn method_not_allowed_plain() -> Response<Body> {
    let mut r = Response::new(Body::full("Method Not Allowed\n"));
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r.headers_mut().insert(CONTENT_TYPE, TEXT);
    r.headers_mut().insert("X-Content-Type-Options", HeaderValue::from_static("nosniff"));
    r
}

fn internal_error() -> Response<Body> {
    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
}

/// Whether member `id` has published its attributes (etcd's `IsStarted`).
fn started(state: &State, id: u64) -> bool {
    id == state.member_id
        || state.published.read().unwrap_or_else(|p| p.into_inner()).contains_key(&id)
}

/// etcd's strict reconfiguration check for an add: enough started members for the new
/// quorum, and every member reachable for the last `HEALTH_INTERVAL`.
fn may_add(state: &State) -> bool {
    let voters = state.log.voters();
    let nmembers = voters.len() + 1;
    let nstarted = voters.iter().filter(|v| started(state, **v)).count();
    let ready = nstarted > nmembers / 2 || (nstarted == 1 && nmembers == 2);
    ready && voters.iter().all(|v| state.membership.connected_since_interval(*v))
}

/// etcd's strict reconfiguration check for a removal: the rest keeps a started quorum, and
/// removing a reachable member leaves a connected quorum.
fn may_remove(state: &State, id: u64) -> bool {
    let voters = state.log.voters();
    let rest: Vec<u64> = voters.iter().copied().filter(|v| *v != id).collect();
    let nstarted = rest.iter().filter(|v| started(state, **v)).count();
    if nstarted < rest.len() / 2 + 1 {
        return false;
    }
    // A member that is down is not part of the active quorum: always safe to remove.
    if id != state.member_id && state.membership.active_since(id).is_none() {
        return true;
    }
    let active = voters.iter().filter(|v| state.membership.connected_since_interval(**v)).count();
    active > voters.len().saturating_sub(1) / 2 + 1
}

fn no_content() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r
}

/// A failed membership proposal, answered as etcd answers it.
fn change_failed(e: &crate::consensus::ConsensusError) -> Response<Body> {
    tracing::warn!(error = %e, "membership change failed");
    match e {
        crate::consensus::ConsensusError::Timeout => {
            message(StatusCode::SERVICE_UNAVAILABLE, "etcdserver: request timed out")
        }
        _ => message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
    }
}

/// The body of `POST` and `PUT`: checks of the content type, the JSON and every peer URL.
fn member_request(parts: &Parts, body: &Bytes) -> Result<Vec<String>, Box<Response<Body>>> {
    let ct = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let ct = match ct.find(';') {
        Some(i) => ct[..i].trim().to_ascii_lowercase(),
        None => ct.to_owned(),
    };
    if ct != "application/json" {
        return Err(Box::new(message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Bad Content-Type {ct}, accept application/json"),
        )));
    }
    #[derive(serde::Deserialize)]
    struct Req {
        // Go decodes `null` into a nil slice, as if the field were absent.
        #[serde(rename = "peerURLs", default)]
        peer_urls: Option<Vec<String>>,
    }
    let req: Req = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return Err(Box::new(message(StatusCode::BAD_REQUEST, &go_json_error(&e, body)))),
    };
    let peer_urls = req.peer_urls.unwrap_or_default();
    if peer_urls.is_empty() {
        // `types.NewURLs` on an empty (or absent) list, for POST and PUT alike.
        return Err(Box::new(message(StatusCode::BAD_REQUEST, "no valid URLs given")));
    }
    for u in &peer_urls {
        if let Err(msg) = check_url(u) {
            return Err(Box::new(message(StatusCode::BAD_REQUEST, &msg)));
        }
    }
    Ok(peer_urls)
}

/// Whether a member other than `except` already uses one of `urls`.
fn peer_url_taken(state: &State, urls: &[String], except: Option<u64>) -> bool {
    all_members(state)
        .into_iter()
        .filter(|(id, _)| Some(*id) != except)
        .flat_map(|(_, m)| m.peer_urls)
        .any(|u| urls.contains(&u))
}

async fn add_member(state: &State, parts: &Parts, body: &Bytes) -> Response<Body> {
    let urls = match member_request(parts, body) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let Some(first) = urls.first() else {
        return message(StatusCode::BAD_REQUEST, "no valid URLs given");
    };
    if !may_add(state) {
        tracing::warn!("not healthy for reconfigure, rejecting member add");
        return internal_error();
    }
    if peer_url_taken(state, &urls, None) {
        return message(StatusCode::CONFLICT, "membership: peerURL exists");
    }
    let id = crate::member_id_for(first, &state.config.cluster_token);
    let change = MemberChange::Add { id, url: crate::members::join_urls(&urls) };
    match state.log.change_member(change).await {
        Ok(_) => {
            let mut peer_urls = urls;
            peer_urls.sort();
            let m = Member {
                id: format!("{id:x}"),
                name: String::new(),
                peer_urls,
                client_urls: vec![],
            };
            json_response(StatusCode::CREATED, &m, true)
        }
        Err(e) => change_failed(&e),
    }
}

async fn remove_member(state: &State, id: u64) -> Response<Body> {
    let status = state.log.status();
    if status.leader == Some(id) && id == state.member_id {
        // Hand leadership over first, so the cluster need not wait for an election timeout.
        if let Some(&to) = state.log.voters().iter().find(|v| **v != id) {
            let mut watch = state.log.watch_status();
            if state.log.transfer_leader(to).await.is_ok() {
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(3),
                    watch.wait_for(|s| s.leader_id.is_some_and(|l| l != id)),
                )
                .await;
            }
        }
    }
    if !may_remove(state, id) {
        tracing::warn!(
            id = format_args!("{id:x}"),
            "not healthy for reconfigure, rejecting member remove"
        );
        return internal_error();
    }
    match state.log.change_member(MemberChange::Remove { id }).await {
        Ok(_) => no_content(),
        Err(e) => change_failed(&e),
    }
}

async fn update_member(state: &State, urls: Vec<String>, id: u64) -> Response<Body> {
    if peer_url_taken(state, &urls, Some(id)) {
        return message(StatusCode::CONFLICT, "membership: peerURL exists");
    }
    let cmd = crate::command::Command::UpdatePeers { id, peer_urls: urls };
    match state.log.propose(cmd.encode()).await {
        Ok(_) => no_content(),
        Err(e) => change_failed(&e),
    }
}

/// etcd's `types.NewURLs` checks on one peer URL.
fn check_url(u: &str) -> Result<(), String> {
    // Go's `url.Parse` fails first on a colon in a scheme-less first segment.
    let first_segment = u.split('/').next().unwrap_or("");
    if !u.starts_with(|c: char| c.is_ascii_alphabetic()) && first_segment.contains(':') {
        if u.starts_with(':') {
            return Err(format!("parse \"{u}\": missing protocol scheme"));
        }
        return Err(format!("parse \"{u}\": first path segment in URL cannot contain colon"));
    }
    let Some((scheme, rest)) = u.split_once("://") else {
        return Err(format!("URL scheme must be http, https, unix, or unixs: {u}"));
    };
    if !matches!(scheme, "http" | "https" | "unix" | "unixs") {
        return Err(format!("URL scheme must be http, https, unix, or unixs: {u}"));
    }
    let host = rest.split('/').next().unwrap_or("");
    if !host.contains(':') {
        return Err(format!("URL address does not have the form \"host:port\": {u}"));
    }
    if rest.len() > host.len() && &rest[host.len()..] != "/" {
        return Err(format!("URL must not contain a path: {u}"));
    }
    Ok(())
}

/// A JSON syntax error worded like Go's `encoding/json`.
fn go_json_error(e: &serde_json::Error, body: &[u8]) -> String {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return "unexpected end of JSON input".into();
    }
    match e.classify() {
        serde_json::error::Category::Eof => "unexpected end of JSON input".into(),
        serde_json::error::Category::Data => format!("json: cannot unmarshal {e}"),
        _ => {
            let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied().unwrap_or(b' ');
            format!("invalid character '{}' looking for beginning of value", first as char)
        }
    }
}

pub(crate) fn stats(state: &State, parts: &Parts, which: &str) -> Response<Body> {
    if let Some(r) = get_only(parts) {
        return r;
    }
    let id = format!("{:x}", state.member_id);
    match which {
        "store" => {
            let s = state.store_read().stats();
            let stats = StoreStatsJson {
                gets_success: s.gets_success,
                gets_fail: s.gets_fail,
                sets_success: s.sets_success,
                sets_fail: s.sets_fail,
                delete_success: s.delete_success,
                delete_fail: s.delete_fail,
                update_success: s.update_success,
                update_fail: s.update_fail,
                create_success: s.create_success,
                create_fail: s.create_fail,
                compare_and_swap_success: s.compare_and_swap_success,
                compare_and_swap_fail: s.compare_and_swap_fail,
                compare_and_delete_success: s.compare_and_delete_success,
                compare_and_delete_fail: s.compare_and_delete_fail,
                expire_count: s.expire_count,
                watchers: s.watchers,
            };
            json_response(StatusCode::OK, &stats, true)
        }
        "self" => {
            let status = state.log.status();
            let leader = status.leader.map(|l| format!("{l:x}")).unwrap_or_default();
            let start = format_rfc3339_nano(state.start_time);
            let uptime = SystemTime::now().duration_since(state.start_time).unwrap_or_default();
            let info =
                LeaderInfo { leader, uptime: go_duration(uptime), start_time: start.clone() };
            let stats = SelfStats {
                name: &state.config.name,
                id,
                state: if status.leader == Some(status.id) {
                    "StateLeader"
                } else {
                    "StateFollower"
                },
                start_time: start,
                leader_info: info,
                recv_append_request_cnt: state.membership.batch_counts().0,
                send_append_request_cnt: state.membership.batch_counts().1,
            };
            json_response(StatusCode::OK, &stats, true)
        }
        _ => {
            let status = state.log.status();
            if status.leader != Some(status.id) {
                return message(StatusCode::FORBIDDEN, "not current leader");
            }
            // Every other member, with the round trips and outcomes of what was sent to it.
            let sent = state.membership.peer_stats();
            // A Go map: followers sorted by id; each follower in the struct's field order.
            let mut followers = std::collections::BTreeMap::new();
            for (peer, _) in state.membership.get().peers {
                if peer == state.member_id {
                    continue;
                }
                let s = sent.get(&peer).copied().unwrap_or_default();
                followers.insert(format!("{peer:x}"), FollowerStats::from(s));
            }
            json_response(StatusCode::OK, &LeaderStats { leader: id, followers }, true)
        }
    }
}

/// `/version`, in etcd's field order (a `json!` map would sort the keys).
#[derive(Debug, serde::Serialize)]
struct Version {
    etcdserver: &'static str,
    etcdcluster: &'static str,
}

/// `/v2/stats/leader`, in etcd's field order.
#[derive(Debug, serde::Serialize)]
struct LeaderStats {
    leader: String,
    followers: std::collections::BTreeMap<String, FollowerStats>,
}

/// One follower of `/v2/stats/leader`, in etcd's field order.
#[derive(Debug, serde::Serialize)]
struct FollowerStats {
    latency: LatencyStats,
    counts: CountsStats,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LatencyStats {
    current: f64,
    average: f64,
    standard_deviation: f64,
    minimum: f64,
    maximum: f64,
}

#[derive(Debug, serde::Serialize)]
struct CountsStats {
    fail: u64,
    success: u64,
}

impl From<crate::members::PeerStats> for FollowerStats {
    fn from(s: crate::members::PeerStats) -> Self {
        FollowerStats {
            latency: LatencyStats {
                current: s.current,
                average: s.average,
                standard_deviation: s.standard_deviation,
                minimum: s.minimum,
                maximum: s.maximum,
            },
            counts: CountsStats { fail: s.fail, success: s.success },
        }
    }
}

/// `/v2/stats/self` in etcd's field order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SelfStats<'a> {
    name: &'a str,
    id: String,
    state: &'static str,
    start_time: String,
    leader_info: LeaderInfo,
    recv_append_request_cnt: u64,
    send_append_request_cnt: u64,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaderInfo {
    leader: String,
    uptime: String,
    start_time: String,
}

/// `/v2/stats/store` in etcd's field order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct StoreStatsJson {
    gets_success: u64,
    gets_fail: u64,
    sets_success: u64,
    sets_fail: u64,
    delete_success: u64,
    delete_fail: u64,
    update_success: u64,
    update_fail: u64,
    create_success: u64,
    create_fail: u64,
    compare_and_swap_success: u64,
    compare_and_swap_fail: u64,
    compare_and_delete_success: u64,
    compare_and_delete_fail: u64,
    expire_count: u64,
    watchers: u64,
}

/// A duration formatted like Go's `time.Duration.String` (seconds precision and above).
fn go_duration(d: std::time::Duration) -> String {
    let total = d.as_secs();
    let frac = d.subsec_nanos();
    if total == 0 {
        let trim = |v: u32, unit: u32, suffix: &str| {
            let f = format!("{:0w$}", v % unit, w = unit.ilog10() as usize);
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                format!("{}{suffix}", v / unit)
            } else {
                format!("{}.{f}{suffix}", v / unit)
            }
        };
        return match frac {
            0 => "0s".into(),
            n if n < 1_000 => format!("{n}ns"),
            n if n < 1_000_000 => trim(n, 1_000, "µs"),
            n => trim(n, 1_000_000, "ms"),
        };
    }
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let secs = if frac > 0 {
        let f = format!("{frac:09}");
        format!("{s}.{}s", f.trim_end_matches('0'))
    } else {
        format!("{s}s")
    };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

/// Prometheus' handler, which answers every method.
pub(crate) fn metrics(state: &State, _parts: &Parts) -> Response<Body> {
    let status = state.log.status();
    let (index, watchers) = {
        let s = state.store_read();
        (s.index(), s.stats().watchers)
    };
    let text = state.metrics.render(&[
        ("hecd_store_index", "The current etcd index.", index),
        ("hecd_raft_commit_index", "The committed Raft index.", status.commit_index),
        ("hecd_raft_term", "The current Raft term.", status.term),
        ("hecd_watchers", "Registered watchers.", watchers),
    ]);
    let mut r = Response::new(Body::full(text));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}

#[cfg(test)]
mod tests;
