//! Request counters and latencies, exposed as Prometheus text on `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const METHODS: [&str; 6] = ["GET", "HEAD", "PUT", "POST", "DELETE", "OTHER"];
const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

/// Live counters, updated without locks.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by method index and status class (1xx..5xx).
    requests: [[AtomicU64; 5]; 6],
    /// Latency histogram (non-watch requests), cumulative per bucket, plus +Inf.
    buckets: [AtomicU64; 11],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
}

fn method_index(m: &str) -> usize {
    METHODS.iter().position(|x| *x == m).unwrap_or(5)
}

impl Metrics {
    /// Records one finished request.
    pub fn record(&self, method: &str, status: u16, elapsed: Option<Duration>) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[method_index(method)][class].fetch_add(1, Ordering::Relaxed);
        if let Some(d) = elapsed {
            let ms = d.as_millis() as u64;
            for (i, b) in BUCKETS_MS.iter().enumerate() {
                if ms <= *b {
                    self.buckets[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            self.buckets[10].fetch_add(1, Ordering::Relaxed);
            self.latency_sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
            self.latency_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition, with the given gauges appended.
    pub fn render(&self, gauges: &[(&str, &str, u64)]) -> String {
        let mut o = String::with_capacity(2048);
        o.push_str("# HELP hecd_http_requests_total HTTP requests by method and status class.\n");
        o.push_str("# TYPE hecd_http_requests_total counter\n");
        for (mi, m) in METHODS.iter().enumerate() {
            for c in 0..5 {
                let v = self.requests[mi][c].load(Ordering::Relaxed);
                if v > 0 {
                    let _ = writeln!(
                        o,
                        "hecd_http_requests_total{{method=\"{m}\",code=\"{}xx\"}} {v}",
                        c + 1
                    );
                }
            }
        }
        o.push_str("# HELP hecd_http_request_duration_seconds Latency of non-watch requests.\n");
        o.push_str("# TYPE hecd_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let v = self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                o,
                "hecd_http_request_duration_seconds_bucket{{le=\"{}\"}} {v}",
                *b as f64 / 1000.0
            );
        }
        let _ = writeln!(
            o,
            "hecd_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            self.buckets[10].load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "hecd_http_request_duration_seconds_sum {}",
            self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            o,
            "hecd_http_request_duration_seconds_count {}",
            self.latency_count.load(Ordering::Relaxed)
        );
        for (name, help, v) in gauges {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        o
    }
}
