//! `/v2/members` (list, add, remove, update, with etcd's strict reconfiguration checks) and the
//! peer listener's `/members`. Errors are `{"message":..}` bodies, not v2 errors (as in etcd).

use hyper::body::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Response, StatusCode};

use crate::body::Body;
use crate::reply::{
    internal_error, json_response, message, method_not_allowed, method_not_allowed_plain,
    no_content,
};
use crate::state::{Parts, State};
use hecd_raft::MemberChange;

#[derive(serde::Serialize)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(rename = "peerURLs")]
    pub(crate) peer_urls: Vec<String>,
    #[serde(rename = "clientURLs")]
    pub(crate) client_urls: Vec<String>,
}

/// Every member (ordered by id), with the name and client URLs it published through the log
/// (its own are always known; a member added but not started yet has neither).
pub(crate) fn all_members(state: &State) -> Vec<(u64, Member)> {
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
    let cmd = crate::entry::LogEntry::UpdatePeers { id, peer_urls: urls };
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
