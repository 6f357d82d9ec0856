//! etcd v2 authentication: `/v2/auth/{enable,users,roles}` and the access checks on
//! `/v2/keys` (read/write key-prefix permissions) and on `/v2/members` writes (root only).
//!
//! **Replication.** As in etcd, users, roles and the enabled flag live in the store itself,
//! as JSON values below the hidden directory [`records::AUTH_DIR`] (etcd uses its internal `/2`):
//! every change is an ordinary `Put`/`Delete` command proposed through the log, so it is
//! applied on every member, consumes one etcd index, is carried by snapshots and survives
//! restarts. Clients cannot reach that directory through `/v2/keys`.
//!
//! **Passwords** are bcrypt hashes (cost 10, `$2a$`, etcd's format; see ADR 0003).
//! Hashing and verification run on the blocking pool.
//!
//! **Credential cache.** etcd 2 runs bcrypt on every authenticated request (~100 ms).
//! Here a verified `(user, password)` pair is remembered as a salted SHA-256 digest of the
//! password next to the stored hash it was checked against. An entry only counts while
//! the user's stored hash is still that hash, so a password change (or the user's
//! deletion) invalidates it at once; roles and permissions are read from the store on
//! every request, so a revoked role takes effect immediately too.

pub(crate) mod cache;
mod checks;
mod handlers;
mod model;
mod records;

pub(crate) use checks::{check_keys, check_members, ClientCertNames};
pub(crate) use handlers::handle;

#[cfg(test)]
mod tests;
