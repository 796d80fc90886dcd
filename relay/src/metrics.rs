//! Prometheus metrics in the text exposition format, hand-written. Every label value is static (catalogue paths,
//! refusal codes, host names, configured egress IPs, status codes): nothing from a request ever becomes a label.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use catalogue::Host;

const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0];

#[derive(Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

/// The statuses counted without a lock (the rest go to a map).
const STATUSES: [u16; 12] = [200, 400, 401, 403, 404, 418, 429, 500, 502, 503, 504, 451];

/// Lock-free counters per catalogue endpoint and common status.
struct RequestCounters(Vec<[AtomicU64; STATUSES.len()]>);

impl Default for RequestCounters {
    fn default() -> Self {
        RequestCounters(catalogue::ENDPOINTS.iter().map(|_| std::array::from_fn(|_| AtomicU64::new(0))).collect())
    }
}

/// The index of a catalogue entry, from its address (entries are `&'static` references into `ENDPOINTS`).
fn endpoint_index(e: &'static catalogue::Endpoint) -> Option<usize> {
    let size = std::mem::size_of::<catalogue::Endpoint>().max(1);
    let offset = (e as *const catalogue::Endpoint as usize).wrapping_sub(catalogue::ENDPOINTS.as_ptr() as usize);
    let i = offset / size;
    catalogue::ENDPOINTS.get(i).is_some_and(|x| std::ptr::eq(x, e)).then_some(i)
}

/// Counters written on every request are kept per thread shard, so the worker threads do not bounce the same cache
/// lines between cores; `/metrics` adds the shards up.
const SHARDS: usize = 4;

/// Counters one shard owns, on their own cache lines.
#[derive(Default)]
#[repr(align(128))]
struct Shard {
    fast: RequestCounters,
    latency: [Histogram; Host::ALL.len()],
}

thread_local! {
    static SHARD: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS
    };
}

/// The relay's counters.
#[derive(Default)]
pub struct Metrics {
    shards: [Shard; SHARDS],
    requests: Mutex<BTreeMap<(&'static str, &'static str, u16), u64>>,
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    upstream_errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Client connections open now.
    pub open_connections: AtomicI64,
    /// Client connections accepted since start.
    pub accepted_connections: AtomicU64,
    /// Client connections closed because a write to the client made no progress within its deadline.
    pub client_write_timeouts: AtomicU64,
}

impl Metrics {
    fn shard(&self) -> &Shard {
        &self.shards[SHARD.with(|s| *s)]
    }

    /// Counts a forwarded request by catalogue endpoint and the status answered.
    pub fn request(&self, e: &'static catalogue::Endpoint, status: u16) {
        let idx = endpoint_index(e);
        let slot = STATUSES.iter().position(|&s| s == status);
        match (idx, slot) {
            (Some(i), Some(j)) => {
                self.shard().fast.0[i][j].fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                let key = (e.venue.as_str(), e.path, status);
                *self.requests.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default() += 1;
            }
        }
    }

    /// Counts a refusal by reason code.
    pub fn refusal(&self, code: &'static str) {
        *self.refusals.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_default() += 1;
    }

    /// Counts an upstream failure by host and kind.
    pub fn upstream_error(&self, host: Host, kind: &'static str) {
        *self.upstream_errors.lock().unwrap_or_else(|e| e.into_inner()).entry((host.as_str(), kind)).or_default() += 1;
    }

    /// Records the time to the upstream's response head.
    pub fn latency(&self, host: Host, d: Duration) {
        let Some(i) = Host::ALL.iter().position(|h| *h == host) else { return };
        let h = &self.shard().latency[i];
        let s = d.as_secs_f64();
        if let Some(b) = BUCKETS.iter().position(|b| s <= *b) {
            h.counts[b].fetch_add(1, Ordering::Relaxed);
        }
        h.sum_ns.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
        h.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The refusal count for a code (for tests).
    pub fn refusals_of(&self, code: &str) -> u64 {
        self.refusals.lock().unwrap_or_else(|e| e.into_inner()).get(code).copied().unwrap_or(0)
    }

    /// Renders the text format; `weights` are (egress, limiter, used weight in the current window, limit).
    pub fn render(&self, weights: &[(String, &'static str, u32, u32)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP relay_requests_total Forwarded requests by venue, catalogue endpoint and status answered.\n",
        );
        out.push_str("# TYPE relay_requests_total counter\n");
        let mut all = self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (i, e) in catalogue::ENDPOINTS.iter().enumerate() {
            for (j, s) in STATUSES.iter().enumerate() {
                let n: u64 = self.shards.iter().map(|sh| sh.fast.0[i][j].load(Ordering::Relaxed)).sum();
                if n > 0 {
                    *all.entry((e.venue.as_str(), e.path, *s)).or_default() += n;
                }
            }
        }
        for ((v, e, s), n) in &all {
            let _ = writeln!(out, "relay_requests_total{{venue=\"{v}\",endpoint=\"{e}\",status=\"{s}\"}} {n}");
        }
        out.push_str("# HELP relay_refusals_total Requests refused by the relay, by reason.\n");
        out.push_str("# TYPE relay_refusals_total counter\n");
        for (r, n) in self.refusals.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "relay_refusals_total{{reason=\"{r}\"}} {n}");
        }
        out.push_str("# HELP relay_upstream_errors_total Upstream failures by host and kind.\n");
        out.push_str("# TYPE relay_upstream_errors_total counter\n");
        for ((h, k), n) in self.upstream_errors.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "relay_upstream_errors_total{{host=\"{h}\",kind=\"{k}\"}} {n}");
        }
        out.push_str("# HELP relay_upstream_latency_seconds Time from sending to the upstream's response head.\n");
        out.push_str("# TYPE relay_upstream_latency_seconds histogram\n");
        for (k, host) in Host::ALL.iter().enumerate() {
            let sum_of = |f: &dyn Fn(&Histogram) -> u64| self.shards.iter().map(|sh| f(&sh.latency[k])).sum::<u64>();
            let count = sum_of(&|h| h.count.load(Ordering::Relaxed));
            if count == 0 {
                continue;
            }
            let h = host.as_str();
            let mut cumulative = 0;
            for (i, b) in BUCKETS.iter().enumerate() {
                cumulative += sum_of(&|h| h.counts[i].load(Ordering::Relaxed));
                let _ = writeln!(out, "relay_upstream_latency_seconds_bucket{{host=\"{h}\",le=\"{b}\"}} {cumulative}");
            }
            let sum = sum_of(&|h| h.sum_ns.load(Ordering::Relaxed)) as f64 / 1e9;
            let _ = writeln!(out, "relay_upstream_latency_seconds_bucket{{host=\"{h}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "relay_upstream_latency_seconds_sum{{host=\"{h}\"}} {sum}");
            let _ = writeln!(out, "relay_upstream_latency_seconds_count{{host=\"{h}\"}} {count}");
        }
        out.push_str("# HELP relay_weight_used Venue weight used in the current window, per egress IP and limiter.\n");
        out.push_str("# TYPE relay_weight_used gauge\n");
        for (ip, lim, used, _) in weights {
            let _ = writeln!(out, "relay_weight_used{{egress=\"{ip}\",limiter=\"{lim}\"}} {used}");
        }
        out.push_str("# HELP relay_weight_limit Venue weight limit per window, per egress IP and limiter.\n");
        out.push_str("# TYPE relay_weight_limit gauge\n");
        for (ip, lim, _, limit) in weights {
            let _ = writeln!(out, "relay_weight_limit{{egress=\"{ip}\",limiter=\"{lim}\"}} {limit}");
        }
        out.push_str("# TYPE relay_log_lines_dropped_total counter\n");
        let _ = writeln!(out, "relay_log_lines_dropped_total {}", crate::logwriter::dropped_lines());
        out.push_str("# TYPE relay_open_connections gauge\n");
        let _ = writeln!(out, "relay_open_connections {}", self.open_connections.load(Ordering::Relaxed));
        out.push_str("# TYPE relay_accepted_connections_total counter\n");
        let _ = writeln!(out, "relay_accepted_connections_total {}", self.accepted_connections.load(Ordering::Relaxed));
        out.push_str(
            "# HELP relay_client_write_timeouts_total Client connections closed because the client took no byte of its \
             response within client_write_timeout_ms.\n",
        );
        out.push_str("# TYPE relay_client_write_timeouts_total counter\n");
        let _ =
            writeln!(out, "relay_client_write_timeouts_total {}", self.client_write_timeouts.load(Ordering::Relaxed));
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_endpoint_has_its_index() {
        for (i, e) in catalogue::ENDPOINTS.iter().enumerate() {
            assert_eq!(super::endpoint_index(e), Some(i));
        }
        static OTHER: std::sync::LazyLock<catalogue::Endpoint> = std::sync::LazyLock::new(|| catalogue::ENDPOINTS[0]);
        assert_eq!(super::endpoint_index(&OTHER), None);
    }
}
