//! etcd v2 auth records (users, roles, key permissions) and their grant/revoke merges.
//!
//! Pure data: no store, no HTTP. The JSON shapes are etcd's, both on the wire and in the
//! store: a list that was never set is `null`, a list that went through a grant or revoke
//! is a sorted, de-duplicated array (etcd rebuilds it from a set).

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize};

/// The role every user named `root` has, with access to every key and to `/v2/auth`.
pub const ROOT_ROLE: &str = "root";
/// The role that applies to requests without credentials once auth is enabled.
pub const GUEST_ROLE: &str = "guest";
/// The user that must exist before auth can be enabled.
pub const ROOT_USER: &str = "root";

/// Why a change was refused: an HTTP status and etcd's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The `message` of the JSON error body.
    pub message: String,
}

impl Refusal {
    /// An etcd `auth: ...` error.
    pub fn auth(status: u16, message: impl std::fmt::Display) -> Refusal {
        Refusal { status, message: format!("auth: {message}") }
    }

    /// A plain (non-`auth:`) HTTP error.
    pub fn plain(status: u16, message: &str) -> Refusal {
        Refusal { status, message: message.to_owned() }
    }
}

/// Go's JSON decoding of `null` into a value: the zero value.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A user as stored (with its bcrypt hash) and as sent by clients (with a password).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user name.
    #[serde(default)]
    pub user: String,
    /// Plain text from a client, a bcrypt hash in the store; never answered.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// Role names (`null` until set).
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Roles to add (requests only).
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub grant: Vec<String>,
    /// Roles to remove (requests only).
    #[serde(default, deserialize_with = "null_as_default", skip_serializing_if = "Vec::is_empty")]
    pub revoke: Vec<String>,
}

impl User {
    /// The `root` user always has the `root` role, whatever is stored.
    pub fn with_root_role(mut self) -> User {
        if self.user == ROOT_USER {
            let roles = self.roles.get_or_insert_with(Vec::new);
            if !roles.iter().any(|r| r == ROOT_ROLE) {
                roles.push(ROOT_ROLE.to_owned());
            }
        }
        self
    }

    /// The role names, empty when unset.
    pub fn role_names(&self) -> &[String] {
        self.roles.as_deref().unwrap_or_default()
    }

    /// Applies `change.grant` then `change.revoke` to the roles (etcd's `User.merge`, minus
    /// the password, which the caller hashes). The result's roles are sorted.
    ///
    /// # Errors
    /// 409 when granting a role the user has, or revoking one it does not have.
    pub fn merge_roles(&self, change: &User) -> Result<User, Refusal> {
        let mut roles: BTreeSet<String> = self.role_names().iter().cloned().collect();
        for g in &change.grant {
            if !roles.insert(g.clone()) {
                return Err(Refusal::auth(
                    409,
                    format_args!("Granting duplicate role {g} for user {}", change.user),
                ));
            }
        }
        for r in &change.revoke {
            if !roles.remove(r) {
                return Err(Refusal::auth(
                    409,
                    format_args!("Revoking ungranted role {r} for user {}", change.user),
                ));
            }
        }
        Ok(User {
            user: self.user.clone(),
            password: self.password.clone(),
            roles: Some(roles.into_iter().collect()),
            grant: Vec::new(),
            revoke: Vec::new(),
        })
    }
}

/// Read and write key patterns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RwPermission {
    /// Patterns readable (`null` until set).
    #[serde(default)]
    pub read: Option<Vec<String>>,
    /// Patterns writable (`null` until set).
    #[serde(default)]
    pub write: Option<Vec<String>>,
}

/// A role's permissions (only the `kv` kind exists).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Key-value permissions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub kv: RwPermission,
}

impl Permissions {
    /// No read and no write pattern.
    pub fn is_empty(&self) -> bool {
        self.kv.read.as_deref().unwrap_or_default().is_empty()
            && self.kv.write.as_deref().unwrap_or_default().is_empty()
    }

    fn grant(&self, add: &Permissions) -> Result<Permissions, Refusal> {
        let merge = |have: &Option<Vec<String>>, add: &Option<Vec<String>>, kind: &str| {
            let mut set: BTreeSet<String> = have.iter().flatten().cloned().collect();
            for p in add.iter().flatten() {
                if !set.insert(p.clone()) {
                    return Err(Refusal::auth(
                        409,
                        format_args!("Granting duplicate {kind} permission {p}"),
                    ));
                }
            }
            Ok(Some(set.into_iter().collect()))
        };
        Ok(Permissions {
            kv: RwPermission {
                read: merge(&self.kv.read, &add.kv.read, "read")?,
                write: merge(&self.kv.write, &add.kv.write, "write")?,
            },
        })
    }

    fn revoke(&self, remove: &Permissions) -> Permissions {
        let cut = |have: &Option<Vec<String>>, remove: &Option<Vec<String>>| {
            let mut set: BTreeSet<String> = have.iter().flatten().cloned().collect();
            for p in remove.iter().flatten() {
                set.remove(p);
            }
            Some(set.into_iter().collect())
        };
        Permissions {
            kv: RwPermission {
                read: cut(&self.kv.read, &remove.kv.read),
                write: cut(&self.kv.write, &remove.kv.write),
            },
        }
    }
}

/// A role as stored and as exchanged with clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The role name.
    #[serde(default)]
    pub role: String,
    /// What the role may access.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Permissions,
    /// Permissions to add (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Permissions>,
    /// Permissions to remove (requests only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Permissions>,
}

impl Role {
    /// The built-in `root` role: everything.
    pub fn root() -> Role {
        Role::all(ROOT_ROLE)
    }

    /// The `guest` role created when auth is enabled without one: everything.
    pub fn default_guest() -> Role {
        Role::all(GUEST_ROLE)
    }

    fn all(name: &str) -> Role {
        let all = Some(vec!["/*".to_owned()]);
        Role {
            role: name.to_owned(),
            permissions: Permissions { kv: RwPermission { read: all.clone(), write: all } },
            grant: None,
            revoke: None,
        }
    }

    /// Whether the request carries a non-empty grant or revoke (an update, not a create).
    pub fn is_change(&self) -> bool {
        self.grant.as_ref().is_some_and(|p| !p.is_empty())
            || self.revoke.as_ref().is_some_and(|p| !p.is_empty())
    }

    /// Applies `change.grant` then `change.revoke` (etcd's `Role.merge`).
    ///
    /// # Errors
    /// 409 when granting a pattern the role already has.
    pub fn merge(&self, change: &Role) -> Result<Role, Refusal> {
        let mut permissions = self.permissions.clone();
        if let Some(g) = &change.grant {
            permissions = permissions.grant(g)?;
        }
        if let Some(r) = &change.revoke {
            permissions = permissions.revoke(r);
        }
        Ok(Role { role: self.role.clone(), permissions, grant: None, revoke: None })
    }

    /// Whether the role may read (or write) exactly `key`: a pattern ending in `*` matches
    /// every key it prefixes, any other pattern only itself.
    pub fn has_key_access(&self, key: &str, write: bool) -> bool {
        self.role == ROOT_ROLE
            || self.patterns(write).iter().any(|p| match p.strip_suffix('*') {
                Some(prefix) => key.starts_with(prefix),
                None => !p.is_empty() && p == key,
            })
    }

    /// Whether the role may read (or write) the whole subtree at `key`: only `*` patterns
    /// grant recursive access.
    pub fn has_recursive_access(&self, key: &str, write: bool) -> bool {
        self.role == ROOT_ROLE
            || self
                .patterns(write)
                .iter()
                .any(|p| p.strip_suffix('*').is_some_and(|prefix| key.starts_with(prefix)))
    }

    fn patterns(&self, write: bool) -> &[String] {
        let list = if write { &self.permissions.kv.write } else { &self.permissions.kv.read };
        list.as_deref().unwrap_or_default()
    }
}

/// The credentials of an `Authorization: Basic` header (Go's `Request.BasicAuth`).
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    const PREFIX: &str = "basic ";
    let head = header.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(&header[PREFIX.len()..]).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}
