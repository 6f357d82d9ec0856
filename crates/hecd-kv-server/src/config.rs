//! Server configuration: identity, advertised URLs, limits.

use std::path::PathBuf;
use std::time::Duration;

/// What `run` needs to know. Build with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// Member name (`--name`).
    pub name: String,
    /// Client URLs advertised in `/v2/members` and `/v2/machines`.
    pub advertise_client_urls: Vec<String>,
    /// Peer URLs advertised in `/v2/members`.
    pub advertise_peer_urls: Vec<String>,
    /// `--initial-cluster-token`, part of the cluster id.
    pub cluster_token: String,
    /// `--initial-cluster` as `(name, peer url)`; empty means a single-member cluster.
    pub initial_cluster: Vec<(String, String)>,
    /// Where Raft keeps its files; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Entries between Raft snapshots.
    pub snapshot_count: u64,
    /// Events kept for `waitIndex` in the past.
    pub history_size: usize,
    /// Longest a client may take to send a request head, and so also the longest an idle
    /// keep-alive connection stays open (etcd never closes one; clients with connection pools
    /// then meet fewer closed connections the longer this is).
    pub header_read_timeout: Duration,
    /// Most concurrent client connections (capped by the file-descriptor limit, which the server
    /// raises to its hard maximum). At the limit, the connection idle the longest (no request in
    /// flight: keep-alive or a slow request head) is closed for the new one; if every connection
    /// is busy, the new one waits.
    pub max_connections: usize,
    /// How long shutdown waits for in-flight requests (watches are cut after it).
    pub shutdown_grace: Duration,
    /// How often the leader checks for due TTLs and proposes a SYNC.
    pub sync_interval: Duration,
    /// HTTPS on the client listeners (`--cert-file`, `--key-file`, ...); `None` serves HTTP.
    pub client_tls: Option<crate::TlsFiles>,
    /// `--initial-cluster-state existing`: join a running cluster (this member was added with
    /// `POST /v2/members`) instead of bootstrapping a new one.
    pub join_existing: bool,
    /// TLS for peer traffic (`--peer-cert-file`, `--peer-key-file`, `--peer-client-cert-auth`,
    /// `--peer-trusted-ca-file`): HTTPS on the peer listeners and for `https://` peer URLs.
    pub peer_tls: Option<crate::TlsFiles>,
    /// The file system the data dir lives on (the operating system's; tests inject disk faults
    /// with [`hecd_raft::fs::FaultFs`]).
    pub fs: std::sync::Arc<dyn hecd_raft::fs::Fs>,
    /// `--cors`: the origins that get etcd's `Access-Control-Allow-*` headers (default `*`).
    pub cors: crate::Cors,
}

impl Config {
    /// Defaults for a member called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Config {
            name: name.into(),
            advertise_client_urls: Vec::new(),
            advertise_peer_urls: vec!["http://localhost:2380".into()],
            cluster_token: "etcd-cluster".into(),
            initial_cluster: Vec::new(),
            data_dir: None,
            snapshot_count: 100_000,
            history_size: 1000,
            header_read_timeout: Duration::from_secs(120),
            max_connections: 65_536,
            shutdown_grace: Duration::from_secs(2),
            sync_interval: Duration::from_millis(100),
            client_tls: None,
            join_existing: false,
            peer_tls: None,
            cors: crate::Cors::Any,
            fs: std::sync::Arc::new(hecd_raft::fs::OsFs),
        }
    }

    /// This member's id: derived from its peer URL in `initial_cluster` (by name), else from
    /// its first advertised peer URL, and the cluster token. Every member computes the same ids.
    pub fn member_id(&self) -> u64 {
        let own =
            self.initial_cluster.iter().find(|(n, _)| *n == self.name).map(|(_, u)| u.as_str());
        let url = own.or(self.advertise_peer_urls.first().map(String::as_str)).unwrap_or("");
        member_id_for(url, &self.cluster_token)
    }

    /// Every initial member as `(id, name, peer url)`, this one included.
    pub fn members(&self) -> Vec<(u64, String, String)> {
        if self.initial_cluster.is_empty() {
            let url = self.advertise_peer_urls.first().cloned().unwrap_or_default();
            return vec![(self.member_id(), self.name.clone(), url)];
        }
        self.initial_cluster
            .iter()
            .map(|(n, u)| (member_id_for(u, &self.cluster_token), n.clone(), u.clone()))
            .collect()
    }
}

/// The id of the member with peer URL `url` in a cluster made with `token` (never 0).
pub fn member_id_for(url: &str, token: &str) -> u64 {
    fnv64(format!("{}|{token}", url.trim_end_matches('/')).as_bytes()).max(1)
}

fn fnv64(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
