//! Counters kept in memory (a rejected request costs no database write) and
//! their Prometheus text exposition for `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::Statistics;

/// Upper bounds (seconds) of the commit latency histogram.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The receiver's counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    deliveries: Mutex<BTreeMap<(String, &'static str), u64>>,
    rejections: Mutex<BTreeMap<&'static str, u64>>,
    unavailable: AtomicU64,
    attempts_ok: AtomicU64,
    attempts_failed: AtomicU64,
    rows_failed: AtomicU64,
    commit_buckets: [AtomicU64; BUCKETS.len()],
    commit_count: AtomicU64,
    commit_sum_us: AtomicU64,
}

impl Metrics {
    /// A stored delivery: `outcome` is `new`, `duplicate`, `requeued` or
    /// `unparsed`.
    pub fn delivery(&self, event: &str, outcome: &'static str) {
        if let Ok(mut map) = self.deliveries.lock() {
            *map.entry((event.to_owned(), outcome)).or_default() += 1;
        }
    }

    /// A request refused before storage (wrong token, too large, …).
    pub fn rejection(&self, reason: &'static str) {
        if let Ok(mut map) = self.rejections.lock() {
            *map.entry(reason).or_default() += 1;
        }
    }

    /// Rejections per reason, and their total.
    pub fn rejections(&self) -> (BTreeMap<String, u64>, u64) {
        let map = self
            .rejections
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        let total = map.values().sum();
        (
            map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            total,
        )
    }

    /// A delivery answered `503` (not stored: Hotmart retries).
    pub fn unavailable(&self) {
        self.unavailable.fetch_add(1, Ordering::Relaxed);
    }

    /// How long a delivery waited for its commit.
    pub fn commit(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.commit_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.commit_count.fetch_add(1, Ordering::Relaxed);
        self.commit_sum_us.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// A processing attempt; `gave_up` when the row became `failed`.
    pub fn attempt(&self, ok: bool, gave_up: bool) {
        if ok {
            self.attempts_ok.fetch_add(1, Ordering::Relaxed);
        } else {
            self.attempts_failed.fetch_add(1, Ordering::Relaxed);
        }
        if gave_up {
            self.rows_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text format, with the database's counts when given.
    pub fn render(&self, stats: Option<&Statistics>, oldest_due_age: Option<Duration>) -> String {
        let mut out = String::new();
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut out,
            "hotmart_deliveries_total",
            "counter",
            "Authentic deliveries stored since start, by event and outcome (new, duplicate, requeued, unparsed).",
        );
        if let Ok(map) = self.deliveries.lock() {
            for ((event, outcome), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "hotmart_deliveries_total{{event=\"{}\",outcome=\"{outcome}\"}} {n}",
                    escape(event)
                );
            }
        }
        head(
            &mut out,
            "hotmart_rejections_total",
            "counter",
            "Requests refused before storage, by reason.",
        );
        for (reason, n) in self.rejections().0 {
            let _ = writeln!(out, "hotmart_rejections_total{{reason=\"{reason}\"}} {n}");
        }
        head(
            &mut out,
            "hotmart_unavailable_total",
            "counter",
            "Deliveries answered 503 because storage was busy or failing.",
        );
        let _ = writeln!(
            out,
            "hotmart_unavailable_total {}",
            self.unavailable.load(Ordering::Relaxed)
        );
        head(
            &mut out,
            "hotmart_commit_seconds",
            "histogram",
            "Time from a delivery's arrival at the store to its commit.",
        );
        for (bound, bucket) in BUCKETS.iter().zip(&self.commit_buckets) {
            let _ = writeln!(
                out,
                "hotmart_commit_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.commit_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "hotmart_commit_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "hotmart_commit_seconds_sum {}",
            self.commit_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "hotmart_commit_seconds_count {count}");
        head(
            &mut out,
            "hotmart_attempts_total",
            "counter",
            "Processing attempts since start, by result.",
        );
        let _ = writeln!(
            out,
            "hotmart_attempts_total{{result=\"ok\"}} {}",
            self.attempts_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "hotmart_attempts_total{{result=\"failed\"}} {}",
            self.attempts_failed.load(Ordering::Relaxed)
        );
        head(
            &mut out,
            "hotmart_processing_failures_total",
            "counter",
            "Rows that became failed (every attempt failed) since start.",
        );
        let _ = writeln!(
            out,
            "hotmart_processing_failures_total {}",
            self.rows_failed.load(Ordering::Relaxed)
        );
        if let Some(stats) = stats {
            head(&mut out, "hotmart_rows", "gauge", "Stored rows by state.");
            for (state, n) in &stats.by_state {
                let _ = writeln!(out, "hotmart_rows{{state=\"{}\"}} {n}", escape(state));
            }
            head(
                &mut out,
                "hotmart_queue_depth",
                "gauge",
                "Rows waiting for processing (pending).",
            );
            let _ = writeln!(
                out,
                "hotmart_queue_depth {}",
                stats.by_state.get("pending").copied().unwrap_or(0)
            );
        }
        head(
            &mut out,
            "hotmart_oldest_due_seconds",
            "gauge",
            "Age of the oldest row due for processing (0 when none).",
        );
        let _ = writeln!(
            out,
            "hotmart_oldest_due_seconds {}",
            oldest_due_age.map_or(0.0, |d| d.as_secs_f64())
        );
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
