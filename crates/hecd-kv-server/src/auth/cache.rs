//! The verified-credentials cache (see the module docs of `auth`).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use super::model::User;

/// Most remembered verified credentials; the cache starts over when full.
pub(crate) const MAX_CACHED: usize = 4096;

/// Per-member auth state that is not replicated: the verified-credentials cache and
/// whether the auth directories were ensured by this process (etcd's `ensuredOnce`).
#[derive(Debug)]
pub(crate) struct Auth {
    verified: Mutex<HashMap<String, Verified>>,
    /// Random per process, so cached digests mean nothing outside it.
    salt: Option<[u8; 32]>,
    pub(crate) ensured: AtomicBool,
}

#[derive(Debug)]
struct Verified {
    /// The stored bcrypt hash the password was verified against.
    hash: String,
    digest: [u8; 32],
}

impl Default for Auth {
    fn default() -> Self {
        use ring::rand::SecureRandom as _;
        let mut salt = [0u8; 32];
        // Without randomness the cache stays off and every request pays for bcrypt.
        let salt = ring::rand::SystemRandom::new().fill(&mut salt).ok().map(|()| salt);
        Auth { verified: Mutex::default(), salt, ensured: AtomicBool::new(false) }
    }
}

impl Auth {
    fn digest(&self, password: &str) -> Option<[u8; 32]> {
        let salt = self.salt?;
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&salt);
        ctx.update(password.as_bytes());
        let d = ctx.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Some(out)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Verified>> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` is the user's, from the cache when this exact pair was verified
    /// against the user's current hash, else with bcrypt (then remembered).
    pub(crate) async fn check_password(&self, user: &User, password: &str) -> bool {
        let digest = self.digest(password);
        if let Some(d) = digest {
            let cache = self.cache();
            if cache.get(&user.user).is_some_and(|v| v.hash == user.password && v.digest == d) {
                return true;
            }
        }
        let (hash, pw) = (user.password.clone(), password.to_owned());
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(pw, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
        if let (true, Some(digest)) = (ok, digest) {
            let mut cache = self.cache();
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(user.user.clone(), Verified { hash: user.password.clone(), digest });
        }
        ok
    }
}
