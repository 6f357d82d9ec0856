//! The hecd-kv HTTP server: etcd's v2 API over the store and the Raft log.
