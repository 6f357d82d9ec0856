//! Users, roles and the enabled flag as JSON records below [`AUTH_DIR`] in the store, read
//! locally and written through the log.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use hecd_store::GetOptions;
use hecd_v2api::ErrorCode;
use serde::Serialize;

use super::model::{Role, User, ROOT_ROLE};
use crate::entry::{to_nanos, LogEntry};
use crate::state::State;

/// The hidden store directory holding the auth records (etcd's `/2`).
pub const AUTH_DIR: &str = "/_hecd_v2auth";

pub(crate) const USERS_DIR: &str = "/_hecd_v2auth/users";

pub(crate) const ROLES_DIR: &str = "/_hecd_v2auth/roles";

pub(crate) const ENABLED_KEY: &str = "/_hecd_v2auth/enabled";

// --- store access ---------------------------------------------------------------------

pub(crate) fn read_value(state: &State, key: &str) -> Option<String> {
    let got = state.store_read().get(key, GetOptions::default(), SystemTime::now());
    got.ok()?.node.value
}

pub(crate) fn list(state: &State, dir: &str) -> Vec<String> {
    let got = state.store_read().get(dir, GetOptions::default(), SystemTime::now());
    let mut names: Vec<String> = got
        .ok()
        .and_then(|e| e.node.nodes)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| n.key.rsplit('/').next().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Whether auth is enabled (the replicated flag).
pub(crate) fn enabled(state: &State) -> bool {
    read_value(state, ENABLED_KEY).and_then(|v| serde_json::from_str(&v).ok()).unwrap_or(false)
}

pub(crate) fn get_user(state: &State, name: &str) -> Option<User> {
    let v = read_value(state, &format!("{USERS_DIR}/{name}"))?;
    let user: User = serde_json::from_str(&v).ok()?;
    Some(user.with_root_role())
}

pub(crate) fn get_role(state: &State, name: &str) -> Option<Role> {
    if name == ROOT_ROLE {
        return Some(Role::root());
    }
    let v = read_value(state, &format!("{ROLES_DIR}/{name}"))?;
    serde_json::from_str(&v).ok()
}

/// A write failed in the store (its code) or never got there.
pub(crate) enum WriteError {
    Store(ErrorCode),
    Log,
}

pub(crate) async fn propose(state: &State, cmd: LogEntry) -> Result<(), WriteError> {
    let applied = state.log.propose(cmd.encode()).await.map_err(|e| {
        tracing::warn!(error = %e, "auth write failed");
        WriteError::Log
    })?;
    applied.output.map(|_| ()).map_err(|e| WriteError::Store(e.code))
}

pub(crate) fn put_command(key: &str, value: String, dir: bool, prev_exist: bool) -> LogEntry {
    LogEntry::Put {
        key: key.to_owned(),
        value,
        dir,
        expiration: None,
        refresh: false,
        prev_exist: Some(prev_exist),
        prev_value: None,
        prev_index: 0,
        now: to_nanos(SystemTime::now()),
    }
}

/// etcd's `ensureAuthDirectories`: once per process, before the first auth write, create
/// the directories and the `enabled=false` flag unless they exist.
pub(crate) async fn ensure_dirs(state: &State) -> Result<(), WriteError> {
    if state.auth.ensured.load(Ordering::Acquire) {
        return Ok(());
    }
    let steps = [
        (AUTH_DIR, String::new(), true),
        (USERS_DIR, String::new(), true),
        (ROLES_DIR, String::new(), true),
        (ENABLED_KEY, "false".to_owned(), false),
    ];
    for (key, value, dir) in steps {
        match propose(state, put_command(key, value, dir, false)).await {
            Ok(()) | Err(WriteError::Store(ErrorCode::NodeExist)) => {}
            Err(e) => return Err(e),
        }
    }
    state.auth.ensured.store(true, Ordering::Release);
    Ok(())
}

pub(crate) async fn put(
    state: &State,
    key: &str,
    value: String,
    prev_exist: bool,
) -> Result<(), WriteError> {
    ensure_dirs(state).await?;
    propose(state, put_command(key, value, false, prev_exist)).await
}

pub(crate) async fn delete(state: &State, key: &str) -> Result<(), WriteError> {
    ensure_dirs(state).await?;
    let cmd = LogEntry::Delete {
        key: key.to_owned(),
        dir: false,
        recursive: false,
        prev_value: None,
        prev_index: 0,
        now: to_nanos(SystemTime::now()),
    };
    propose(state, cmd).await
}

pub(crate) fn to_json(v: &impl Serialize) -> String {
    // Plain structs of strings and lists always serialize.
    serde_json::to_string(v).unwrap_or_default()
}
