//! The small endpoints: `/version`, `/health`, `/v2/machines`, `/v2/stats/*`, `/metrics`.

use std::time::SystemTime;

use hecd_v2api::time::format_rfc3339_nano;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};

use crate::body::Body;
use crate::members_api::all_members;
use crate::reply::{get_only, json_response, message, method_not_allowed, TEXT};
use crate::state::{Parts, State};

/// The etcd release whose v2 API we speak.
pub const ETCD_SERVER_VERSION: &str = "3.4.23";

/// The cluster version we report.
pub const ETCD_CLUSTER_VERSION: &str = "3.4.0";

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
