//! An async etcd v2 client with endpoint failover.
