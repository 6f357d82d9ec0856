//! etcd v2 wire types: JSON bodies, the error-code table and header names.
