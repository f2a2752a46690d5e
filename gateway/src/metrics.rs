//! Prometheus metrics: requests by status class, latency histogram, upstream errors, throttled,
//! events, and the bundle version served.

use gatehouse_contract::TierCounts;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Notify;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// One worker thread's request counts. Each worker counts in its own (on its own cache lines),
/// so counting a request never waits for another core; rendering sums them.
#[derive(Default)]
#[repr(align(128))]
struct Requests {
    by_class: [AtomicU64; 5],
    /// Requests per latency bucket, each counted once (in its lowest bucket); the cumulative
    /// counts Prometheus expects are summed when rendering.
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    /// Sum in microseconds.
    latency_sum_us: AtomicU64,
}

pub struct Metrics {
    requests: Box<[Requests]>,
    pub upstream_errors: AtomicU64,
    pub throttled: AtomicU64,
    pub auth_failures: AtomicU64,
    /// Calls refused for not fitting their operation's definition (when their API checks).
    pub invalid_requests: AtomicU64,
    pub cache_hits: AtomicU64,
    pub events_sent: AtomicU64,
    pub events_dropped: AtomicU64,
    pub spooled_batches: AtomicU64,
    pub bundle_reloads: AtomicU64,
    pub bundle_rejected: AtomicU64,
    pub bundle: Mutex<(String, String)>,
    /// Each API that shows its backends a client certificate ("name version"), and when the
    /// certificate stops being valid (Unix seconds): for an alert well before it does.
    backend_certificates: Mutex<Vec<(String, i64)>>,
    /// Whether the last sync with the rate-limit store succeeded (1) or not (0); rendered only
    /// when a store is configured ([`Metrics::NO_STORE`] otherwise).
    pub rate_limit_store_up: AtomicU64,
    /// Woken when what a heartbeat reports changes — `rate_limit_store_up`, the secrets a new
    /// runtime lacks — so it is reported at once rather than when the long poll in flight ends.
    pub report_now: Notify,
}

impl Metrics {
    pub const NO_STORE: u64 = u64::MAX;

    /// Metrics for a gateway with `workers` request threads.
    pub fn new(workers: usize) -> Metrics {
        Metrics {
            requests: (0..workers.max(1)).map(|_| Requests::default()).collect(),
            upstream_errors: AtomicU64::default(),
            throttled: AtomicU64::default(),
            auth_failures: AtomicU64::default(),
            invalid_requests: AtomicU64::default(),
            cache_hits: AtomicU64::default(),
            events_sent: AtomicU64::default(),
            events_dropped: AtomicU64::default(),
            spooled_batches: AtomicU64::default(),
            bundle_reloads: AtomicU64::default(),
            bundle_rejected: AtomicU64::default(),
            bundle: Mutex::default(),
            backend_certificates: Mutex::default(),
            rate_limit_store_up: AtomicU64::new(Self::NO_STORE),
            report_now: Notify::new(),
        }
    }

    /// Record whether the last sync with the rate-limit store succeeded.
    pub fn set_rate_limit_store_up(&self, up: bool) {
        if self.rate_limit_store_up.swap(u64::from(up), Ordering::Relaxed) != u64::from(up) {
            self.report_now.notify_one();
        }
    }

    /// How this instance counts tiers now, as its heartbeat reports it.
    pub fn tier_counts(&self) -> TierCounts {
        match self.rate_limit_store_up.load(Ordering::Relaxed) {
            Self::NO_STORE => TierCounts::PerInstance,
            0 => TierCounts::StoreUnreachable,
            _ => TierCounts::Shared,
        }
    }

    /// Count a request answered by `worker`. Only that worker's thread writes its counters, so
    /// a plain load and store do (no locked read-modify-write); the admin port only reads them.
    pub fn observe(&self, worker: usize, status: u16, seconds: f64) {
        let own = &self.requests[worker % self.requests.len()];
        let add = |counter: &AtomicU64, n: u64| counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        add(&own.by_class[usize::from((status / 100).clamp(1, 5)) - 1], 1);
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            add(&own.latency_buckets[i], 1);
        }
        add(&own.latency_count, 1);
        add(&own.latency_sum_us, (seconds * 1e6) as u64);
    }

    pub fn set_bundle(&self, group: &str, version: &str) {
        if let Ok(mut b) = self.bundle.lock() {
            *b = (group.to_string(), version.to_string());
        }
    }

    /// The client certificates the APIs of the bundle being served show their backends.
    pub fn set_backend_certificates(&self, certificates: Vec<(String, i64)>) {
        *self.backend_certificates.lock().unwrap_or_else(|e| e.into_inner()) = certificates;
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let sum = |field: fn(&Requests) -> &AtomicU64| self.requests.iter().map(|r| get(field(r))).sum::<u64>();
        out.push_str("# HELP gatehouse_gateway_requests_total Requests answered, by status class.\n# TYPE gatehouse_gateway_requests_total counter\n");
        for (i, class) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let count: u64 = self.requests.iter().map(|r| get(&r.by_class[i])).sum();
            let _ = writeln!(out, "gatehouse_gateway_requests_total{{class=\"{class}\"}} {count}");
        }
        out.push_str("# HELP gatehouse_gateway_request_seconds Time from request to response.\n# TYPE gatehouse_gateway_request_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.requests.iter().map(|r| get(&r.latency_buckets[i])).sum::<u64>();
            let _ = writeln!(out, "gatehouse_gateway_request_seconds_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let (count, sum_us) = (sum(|r| &r.latency_count), sum(|r| &r.latency_sum_us));
        let _ = writeln!(out, "gatehouse_gateway_request_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "gatehouse_gateway_request_seconds_sum {}", sum_us as f64 / 1e6);
        let _ = writeln!(out, "gatehouse_gateway_request_seconds_count {count}");
        for (name, help, value) in [
            ("upstream_errors_total", "Backends unreachable or timed out.", &self.upstream_errors),
            ("throttled_total", "Requests refused over their tier.", &self.throttled),
            ("auth_failures_total", "Requests refused for their credential.", &self.auth_failures),
            ("invalid_requests_total", "Calls refused as not fitting their definition.", &self.invalid_requests),
            (
                "cache_hits_total",
                "Calls answered from an API's kept answers, without a backend call.",
                &self.cache_hits,
            ),
            ("events_sent_total", "Events delivered to the management plane.", &self.events_sent),
            ("events_dropped_total", "Events lost to a full queue or spool.", &self.events_dropped),
            ("bundle_reloads_total", "Bundles loaded.", &self.bundle_reloads),
            ("bundle_rejected_total", "Bundles refused as invalid.", &self.bundle_rejected),
        ] {
            let _ = writeln!(
                out,
                "# HELP gatehouse_gateway_{name} {help}\n# TYPE gatehouse_gateway_{name} counter\ngatehouse_gateway_{name} {}",
                get(value)
            );
        }
        let _ = writeln!(
            out,
            "# HELP gatehouse_gateway_spooled_batches Event batches waiting on disk.\n# TYPE gatehouse_gateway_spooled_batches gauge\ngatehouse_gateway_spooled_batches {}",
            get(&self.spooled_batches)
        );
        match get(&self.rate_limit_store_up) {
            Self::NO_STORE => {}
            up => {
                let _ = writeln!(
                    out,
                    "# HELP gatehouse_gateway_rate_limit_store_up Whether the last sync of tier counts with the shared store succeeded.\n# TYPE gatehouse_gateway_rate_limit_store_up gauge\ngatehouse_gateway_rate_limit_store_up {up}"
                );
            }
        }
        let certificates = self.backend_certificates.lock().unwrap_or_else(|e| e.into_inner());
        if !certificates.is_empty() {
            out.push_str(
                "# HELP gatehouse_gateway_backend_client_certificate_expiry_seconds When the client certificate an API shows its backends stops being valid (Unix time).\n# TYPE gatehouse_gateway_backend_client_certificate_expiry_seconds gauge\n",
            );
            for (api, expires) in certificates.iter() {
                let _ = writeln!(
                    out,
                    "gatehouse_gateway_backend_client_certificate_expiry_seconds{{api=\"{}\"}} {expires}",
                    label(api)
                );
            }
        }
        drop(certificates);
        let (group, version) = self.bundle.lock().map(|b| b.clone()).unwrap_or_default();
        let _ = writeln!(
            out,
            "# HELP gatehouse_gateway_bundle_info The bundle being served.\n# TYPE gatehouse_gateway_bundle_info gauge\ngatehouse_gateway_bundle_info{{group=\"{group}\",version=\"{version}\"}} 1"
        );
        out
    }
}

/// A label value as the exposition format writes it: backslash, quote and line break escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_certificates_are_watched_by_api() {
        let m = Metrics::new(1);
        assert!(!m.render().contains("client_certificate_expiry"), "said only when there is one");
        m.set_backend_certificates(vec![("Pets \"v2\" 1.0.0".into(), 1_893_456_000)]);
        let text = m.render();
        assert!(
            text.contains(
                "gatehouse_gateway_backend_client_certificate_expiry_seconds{api=\"Pets \\\"v2\\\" 1.0.0\"} 1893456000"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE gatehouse_gateway_backend_client_certificate_expiry_seconds gauge"));
    }

    #[test]
    fn the_histogram_renders_cumulative_buckets() {
        let m = Metrics::new(2);
        for (worker, seconds) in [0.0002, 0.0007, 0.003, 9.0].into_iter().enumerate() {
            m.observe(worker, 200, seconds);
        }
        let text = m.render();
        for line in [
            "le=\"0.0005\"} 1",
            "le=\"0.001\"} 2",
            "le=\"0.005\"} 3",
            "le=\"5\"} 3",
            "le=\"+Inf\"} 4",
            "class=\"2xx\"} 4",
        ] {
            assert!(text.contains(line), "missing `{line}` in\n{text}");
        }
    }
}
