//! Counters per resource and a tiny HTTP/1.1 responder for `--metrics-addr`: `GET /health`
//! and Prometheus text on `GET /metrics`. No server framework: one request per connection,
//! answered and closed.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::resource::Resource;

#[derive(Debug, Clone, Default)]
struct Counters {
    dest: String,
    renders: u64,
    failures: u64,
    reloads: u64,
    runtime_updates: u64,
    fallbacks: BTreeMap<&'static str, u64>,
    last_success: Option<f64>,
}

/// The daemon's counters, shared between the processor and the responder.
#[derive(Debug, Default)]
pub struct Metrics {
    resources: Mutex<BTreeMap<String, Counters>>,
}

impl Metrics {
    /// Empty counters.
    pub fn new() -> Metrics {
        Metrics::default()
    }

    fn with(&self, r: &Resource, f: impl FnOnce(&mut Counters)) {
        // A std Mutex: nothing awaits while it is held.
        let mut map = self.resources.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = map.entry(r.file.display().to_string()).or_default();
        c.dest = r.dest.display().to_string();
        f(c);
    }

    /// A resource is about to be rendered.
    pub fn render_started(&self, r: &Resource) {
        self.with(r, |c| c.renders += 1);
    }

    /// A resource ended in sync (`reloaded`: its reload_cmd ran and succeeded).
    pub fn success(&self, r: &Resource, reloaded: bool) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        self.with(r, |c| {
            c.last_success = Some(now);
            if reloaded {
                c.reloads += 1;
            }
        });
    }

    /// A resource's change went through HAProxy's runtime API, without a reload.
    pub fn runtime_update(&self, r: &Resource) {
        self.with(r, |c| c.runtime_updates += 1);
    }

    /// A resource with `haproxy_socket` took the reload path instead, for `reason`.
    pub fn runtime_fallback(&self, r: &Resource, reason: &'static str) {
        self.with(r, |c| *c.fallbacks.entry(reason).or_default() += 1);
    }

    /// A resource failed.
    pub fn failure(&self, r: &Resource) {
        self.with(r, |c| c.failures += 1);
    }

    /// The Prometheus text exposition of every counter.
    pub fn prometheus(&self) -> String {
        let map = self.resources.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        let families: [Family; 5] = [
            ("hecd_confd_renders_total", "counter", "Renders attempted per resource.", |c| {
                Some(c.renders as f64)
            }),
            (
                "hecd_confd_failures_total",
                "counter",
                "Failed renders, checks or reloads per resource.",
                |c| Some(c.failures as f64),
            ),
            (
                "hecd_confd_reloads_total",
                "counter",
                "Successful reload_cmd runs per resource.",
                |c| Some(c.reloads as f64),
            ),
            (
                "hecd_confd_runtime_updates_total",
                "counter",
                "Changes applied through HAProxy's runtime API, without a reload, per resource.",
                |c| Some(c.runtime_updates as f64),
            ),
            (
                "hecd_confd_last_success_timestamp_seconds",
                "gauge",
                "Unix time of the last cycle that left the resource in sync.",
                |c| c.last_success,
            ),
        ];
        for (name, kind, help, value) in families {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (resource, c) in map.iter() {
                if let Some(v) = value(c) {
                    out.push_str(&format!(
                        "{name}{{resource=\"{}\",dest=\"{}\"}} {v}\n",
                        escape(resource),
                        escape(&c.dest)
                    ));
                }
            }
        }
        let name = "hecd_confd_runtime_fallbacks_total";
        out.push_str(&format!(
            "# HELP {name} Changes of resources with haproxy_socket that took the reload path, per reason.\n# TYPE {name} counter\n"
        ));
        for (resource, c) in map.iter() {
            for (reason, n) in &c.fallbacks {
                out.push_str(&format!(
                    "{name}{{resource=\"{}\",dest=\"{}\",reason=\"{reason}\"}} {n}\n",
                    escape(resource),
                    escape(&c.dest)
                ));
            }
        }
        out
    }
}

/// A metric family: name, type, help and how to read it from the counters.
type Family = (&'static str, &'static str, &'static str, fn(&Counters) -> Option<f64>);

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `/health` and `/metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: std::sync::Arc<Metrics>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                match tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    stream.read(&mut chunk),
                )
                .await
                {
                    Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                    _ => return,
                }
            }
            let head = String::from_utf8_lossy(&buf);
            let mut parts = head.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let (status, kind, body) = match (method, path.split('?').next().unwrap_or("")) {
                ("GET", "/health") => ("200 OK", "text/plain", "ok\n".to_owned()),
                ("GET", "/metrics") => {
                    ("200 OK", "text/plain; version=0.0.4", metrics.prometheus())
                }
                ("GET", _) => ("404 Not Found", "text/plain", "not found\n".to_owned()),
                _ => ("405 Method Not Allowed", "text/plain", "method not allowed\n".to_owned()),
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource() -> Resource {
        Resource {
            file: "/etc/confd/conf.d/haproxy.toml".into(),
            src: "/etc/confd/templates/haproxy.cfg.tmpl".into(),
            dest: "/etc/haproxy/haproxy.cfg".into(),
            prefix: "/".into(),
            keys: vec!["/app/servers".into()],
            mode: None,
            uid: None,
            gid: None,
            check_cmd: None,
            reload_cmd: None,
            min_keys: 0,
            allow_empty: false,
            command_timeout: None,
            haproxy_socket: None,
            drain_timeout: crate::resource::DEFAULT_DRAIN_TIMEOUT,
        }
    }

    #[test]
    fn runtime_updates_and_fallbacks_per_reason() {
        let m = Metrics::new();
        let r = resource();
        m.runtime_update(&r);
        m.runtime_update(&r);
        m.runtime_fallback(&r, "line");
        m.runtime_fallback(&r, "command_refused");
        m.runtime_fallback(&r, "line");
        m.success(&r, true);
        let text = m.prometheus();
        let labels = r#"resource="/etc/confd/conf.d/haproxy.toml",dest="/etc/haproxy/haproxy.cfg""#;
        for line in [
            format!("hecd_confd_runtime_updates_total{{{labels}}} 2"),
            format!("hecd_confd_reloads_total{{{labels}}} 1"),
            format!("hecd_confd_runtime_fallbacks_total{{{labels},reason=\"line\"}} 2"),
            format!("hecd_confd_runtime_fallbacks_total{{{labels},reason=\"command_refused\"}} 1"),
            "# TYPE hecd_confd_runtime_fallbacks_total counter".to_owned(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
