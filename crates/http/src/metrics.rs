//! Prometheus metrics, rendered in the text exposition format: requests by route, method and
//! status, latency histograms by route, the work queue, candidate writes and the index size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Requests refused because the work queue was full.
    pub busy: AtomicU64,
    /// Commits of candidate writes.
    pub write_batches: AtomicU64,
    /// Candidate writes committed.
    pub writes: AtomicU64,
    /// Connections closed at once because `max_connections` were open.
    pub refused_connections: AtomicU64,
    /// Connections open now.
    pub open_connections: std::sync::Arc<AtomicU64>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *r.entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        drop(r);
        let secs = took.as_secs_f64();
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = l.entry(route.to_owned()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The exposition text; `gauges` are (name, help, value) read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP incrocio_http_requests_total HTTP requests by route, method and status.\n# TYPE incrocio_http_requests_total counter"
        );
        for ((route, method, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "incrocio_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP incrocio_http_request_duration_seconds Request latency by route.\n# TYPE incrocio_http_request_duration_seconds histogram"
        );
        for (route, h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            for (b, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "incrocio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "incrocio_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\nincrocio_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\nincrocio_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        for (name, help, v) in [
            (
                "incrocio_busy_rejections_total",
                "Requests answered 503 because the work queue was full.",
                self.busy.load(Ordering::Relaxed),
            ),
            (
                "incrocio_candidate_write_batches_total",
                "Group commits of candidate writes.",
                self.write_batches.load(Ordering::Relaxed),
            ),
            (
                "incrocio_candidate_writes_total",
                "Candidate writes (upserts and deletes) committed.",
                self.writes.load(Ordering::Relaxed),
            ),
            (
                "incrocio_refused_connections_total",
                "Connections closed at once because max_connections were open.",
                self.refused_connections.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        for (name, help, v) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("/v1/x", "POST", 200, Duration::from_millis(3));
        m.observe("/v1/x", "POST", 422, Duration::from_millis(30));
        let t = m.render(&[("incrocio_up", "Up.", 1.0)]);
        assert!(t.contains(
            "incrocio_http_requests_total{route=\"/v1/x\",method=\"POST\",status=\"422\"} 1"
        ));
        assert!(t.contains("le=\"0.005\"} 1"));
        assert!(t.contains("le=\"0.05\"} 2"));
        assert!(t.contains("incrocio_http_request_duration_seconds_count{route=\"/v1/x\"} 2"));
        assert!(t.contains("incrocio_up 1"));
    }
}
