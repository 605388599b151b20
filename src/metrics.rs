//! Request counts and latencies by route, in Prometheus text format (`/metrics`).
//!
//! Kept in memory per app server; Prometheus scrapes each server and adds them up.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Observations at or below each bound of `BUCKETS`.
    buckets: [u64; BUCKETS.len()],
}

/// (method, status) → series, of one route.
type ByStatus = BTreeMap<(&'static str, u16), Series>;

#[derive(Default)]
pub struct Metrics {
    /// Route pattern → (method, status) → series: a request is counted without writing its
    /// route or method anew.
    requests: Mutex<BTreeMap<String, ByStatus>>,
}

impl Metrics {
    pub fn observe(&self, method: &'static str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut map) = self.requests.lock() else {
            return;
        };
        if !map.contains_key(route) {
            map.insert(route.to_string(), BTreeMap::new());
        }
        let Some(by_route) = map.get_mut(route) else {
            return;
        };
        let series = by_route.entry((method, status)).or_default();
        let secs = elapsed.as_secs_f64();
        series.count += 1;
        series.sum_seconds += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                series.buckets[i] += 1;
            }
        }
    }

    /// The text exposition, with the gauges the caller measured just now.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP incognito_http_requests_total HTTP requests answered, by route and status."
        );
        let _ = writeln!(out, "# TYPE incognito_http_requests_total counter");
        let map = match self.requests.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        for (route, (method, status), s) in map
            .iter()
            .flat_map(|(route, by)| by.iter().map(move |(k, s)| (route, *k, s)))
        {
            let _ = writeln!(
                out,
                "incognito_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP incognito_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(
            out,
            "# TYPE incognito_http_request_duration_seconds histogram"
        );
        for (route, (method, status), s) in map
            .iter()
            .flat_map(|(route, by)| by.iter().map(move |(k, s)| (route, *k, s)))
        {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "incognito_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "incognito_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "incognito_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(
                out,
                "incognito_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_add_up() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, Duration::from_millis(2));
        m.observe("GET", "/healthz", 200, Duration::from_millis(200));
        let text = m.render(&[("incognito_mail_outbox_backlog", "Messages waiting.", 3.0)]);
        assert!(text.contains(
            "incognito_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("incognito_mail_outbox_backlog 3"));
    }
}
