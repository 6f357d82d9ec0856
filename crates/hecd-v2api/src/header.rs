//! Names of the HTTP headers etcd v2 sets on its answers.

/// The store index after the operation (or the error's index).
pub const X_ETCD_INDEX: &str = "X-Etcd-Index";
/// The committed Raft index.
pub const X_RAFT_INDEX: &str = "X-Raft-Index";
/// The current Raft term.
pub const X_RAFT_TERM: &str = "X-Raft-Term";
/// The cluster id, lower-case hex without leading zeros.
pub const X_ETCD_CLUSTER_ID: &str = "X-Etcd-Cluster-Id";
/// The content type of every JSON answer.
pub const APPLICATION_JSON: &str = "application/json";
/// The content type of form bodies.
pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";
