//! `--initial-cluster-state existing`: learning the cluster id from the running members.

use serde::Deserialize;

use crate::peer::transport::PeerClient;

/// How long a joining member keeps asking its peers for the cluster.
const JOIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// `--initial-cluster-state existing`: asks the other members (`GET <peer url>/members`) for
/// the cluster, checks that it lists this member (so it was added, with the same token), and
/// returns its cluster id, which the new data directory then records.
///
/// # Errors
/// [`crate::Error::Join`] when no peer answers in time, or the cluster does not list this member.
pub(crate) async fn join_cluster(
    self_id: u64,
    initial: &[(u64, String)],
    client: &PeerClient,
) -> crate::Result<u64> {
    use http_body_util::BodyExt;
    #[derive(Deserialize)]
    struct Listed {
        id: String,
    }
    let deadline = tokio::time::Instant::now() + JOIN_DEADLINE;
    let mut last = String::from("no peer to ask");
    loop {
        for (id, url) in initial.iter().filter(|(id, _)| *id != self_id) {
            let target = format!("{}/members", url.trim_end_matches('/'));
            let Ok(uri) = target.parse::<hyper::Uri>() else { continue };
            let resp = match client.get(uri).await {
                Ok(r) => r,
                Err(e) => {
                    last = format!("{url}: {e}");
                    continue;
                }
            };
            let cid = resp
                .headers()
                .get(hecd_v2api::header::X_ETCD_CLUSTER_ID)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| u64::from_str_radix(v, 16).ok());
            let body = resp.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let listed: Vec<Listed> = serde_json::from_slice(&body).unwrap_or_default();
            let Some(cid) = cid else {
                last = format!("{url}: no cluster id in the answer");
                continue;
            };
            if listed.iter().any(|m| u64::from_str_radix(&m.id, 16).ok() == Some(self_id)) {
                tracing::info!(peer = %id, cluster_id = format_args!("{cid:x}"), "joining");
                return Ok(cid);
            }
            return Err(crate::Error::Join {
                reason: format!(
                    "member {self_id:x} is not in the cluster {cid:x} of {url} \
                     (add it with POST /v2/members first; check --initial-cluster-token)"
                ),
            });
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(crate::Error::Join { reason: format!("no peer answered: {last}") });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
