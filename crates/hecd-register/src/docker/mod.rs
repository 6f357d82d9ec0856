//! `hecd-register docker`: containers register and deregister themselves from a Docker
//! engine's events.
//!
//! - [`mapping`](map_container): the pure function from one container's inspect JSON to its
//!   registrations (registrator's `SERVICE_*` controls, both key layouts, health gating);
//! - `events`: the `/events` stream's lines;
//! - [`Engine`]: the Engine API client over the unix socket;
//! - [`follow`]: the loop that keeps the store in step (events, resync, TTL refresh, cleanup,
//!   retries).

mod engine;
mod events;
mod follow;
mod mapping;

pub use engine::{Engine, EventStream};
pub use events::{parse_event, Action, Event};
pub use follow::{follow, Deregister, DockerOptions};
pub use mapping::{exited_successfully, map_container, Layout, MapOptions, Mapped, Service, Skip};

/// The system's host name (`/proc/sys/kernel/hostname`, else `/etc/hostname`, else
/// `$HOSTNAME`), as `os.Hostname()` gives it to registrator.
pub fn system_hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .find(|h| !h.is_empty())
}
