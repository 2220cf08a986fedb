//! What the user reads: one history line (or JSON object) per attempt, like
//! Hotmart's history screen, and the summary of a launch.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hotmart_webhook::Timestamp;
use serde::Serialize;

use super::attempt::Attempt;
use super::deliveries::Delivery;

/// One attempt as `--json` prints it.
#[derive(Serialize)]
pub(crate) struct Record<'a> {
    /// When the attempt started (ISO-8601, UTC).
    pub(crate) time: String,
    pub(crate) event: &'a str,
    pub(crate) id: Option<&'a str>,
    pub(crate) transaction: Option<&'a str>,
    pub(crate) attempt: u32,
    /// The HTTP status, or -1 when there was no answer.
    pub(crate) status: i32,
    pub(crate) latency_ms: f64,
    /// Why there was no answer (a timeout, a refused or closed connection).
    pub(crate) error: Option<&'a str>,
    /// Whether this delivery resends an earlier delivery's body.
    pub(crate) duplicate: bool,
}

impl<'a> Record<'a> {
    pub(crate) fn new(delivery: &'a Delivery, attempt: &'a Attempt, duplicate: bool) -> Self {
        Record {
            time: Timestamp::from_millis(attempt.started_ms).to_string(),
            event: &delivery.event,
            id: delivery.id.as_deref(),
            transaction: delivery.transaction.as_deref(),
            attempt: attempt.number,
            status: attempt.status,
            latency_ms: millis(attempt.latency),
            error: attempt.error.as_deref(),
            duplicate,
        }
    }

    /// The JSON line.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The history line: time, event, id (or transaction), attempt, status,
    /// latency, and the reason when there was no answer.
    pub(crate) fn to_text(&self) -> String {
        let mut line = format!(
            "{:<24}  {:<31}  {:<36}  attempt {}  {:>4}  {:>9}",
            self.time,
            self.event,
            self.id.or(self.transaction).unwrap_or("-"),
            self.attempt,
            self.status,
            format!("{:.1} ms", self.latency_ms),
        );
        if self.duplicate {
            line.push_str("  duplicate");
        }
        if let Some(error) = self.error {
            let _ = write!(line, "  ({error})");
        }
        line
    }
}

fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

/// The tally of a run.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) deliveries: u64,
    pub(crate) succeeded: u64,
    pub(crate) duplicates: u64,
    pub(crate) attempts: u64,
    pub(crate) by_status: BTreeMap<i32, u64>,
    latencies: Vec<Duration>,
}

impl Tally {
    pub(crate) fn attempt(&mut self, attempt: &Attempt) {
        self.attempts += 1;
        *self.by_status.entry(attempt.status).or_default() += 1;
        self.latencies.push(attempt.latency);
    }

    pub(crate) fn delivery(&mut self, succeeded: bool, duplicate: bool) {
        self.deliveries += 1;
        self.succeeded += u64::from(succeeded);
        self.duplicates += u64::from(duplicate);
    }

    pub(crate) fn failed(&self) -> u64 {
        self.deliveries - self.succeeded
    }

    pub(crate) fn summary(mut self, elapsed: Duration) -> Summary {
        self.latencies.sort_unstable();
        let p = |q: f64| millis(percentile(&self.latencies, q));
        let seconds = elapsed.as_secs_f64();
        Summary {
            deliveries: self.deliveries,
            succeeded: self.succeeded,
            failed: self.failed(),
            duplicates: self.duplicates,
            attempts: self.attempts,
            retries: self.attempts - self.deliveries.min(self.attempts),
            answers: self
                .by_status
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            seconds: (seconds * 1000.0).round() / 1000.0,
            per_second: if seconds > 0.0 {
                (self.deliveries as f64 / seconds * 10.0).round() / 10.0
            } else {
                0.0
            },
            p50_ms: p(0.50),
            p90_ms: p(0.90),
            p99_ms: p(0.99),
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The end of a launch, as `--json` prints it (inside `{"summary":…}`).
#[derive(Serialize)]
pub(crate) struct Summary {
    pub(crate) deliveries: u64,
    /// Deliveries finally answered `2xx`.
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    /// Deliveries that resent an earlier delivery's body.
    pub(crate) duplicates: u64,
    pub(crate) attempts: u64,
    pub(crate) retries: u64,
    /// Attempts by answer status (`"-1"`: no answer).
    pub(crate) answers: BTreeMap<String, u64>,
    pub(crate) seconds: f64,
    /// Deliveries per second.
    pub(crate) per_second: f64,
    /// Attempt latency percentiles.
    pub(crate) p50_ms: f64,
    pub(crate) p90_ms: f64,
    pub(crate) p99_ms: f64,
}

impl Summary {
    pub(crate) fn to_json(&self) -> String {
        serde_json::json!({ "summary": self }).to_string()
    }

    pub(crate) fn to_text(&self) -> String {
        let answers: Vec<String> = self
            .answers
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect();
        format!(
            "deliveries   {} ({} answered 2xx, {} failed)\n\
             duplicates   {}\n\
             attempts     {} ({} retries)\n\
             answers      {}\n\
             time         {:.2} s ({} deliveries/s)\n\
             latency      p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms",
            self.deliveries,
            self.succeeded,
            self.failed,
            self.duplicates,
            self.attempts,
            self.retries,
            answers.join(", "),
            self.seconds,
            self.per_second,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 0.50), Duration::from_millis(50));
        assert_eq!(percentile(&values, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn retries_are_attempts_beyond_the_first_of_each_delivery() {
        let mut tally = Tally::default();
        for status in [500, 200, 200] {
            tally.attempt(&Attempt {
                started_ms: 0,
                number: 1,
                status,
                latency: Duration::from_millis(3),
                error: None,
            });
        }
        tally.delivery(true, false);
        tally.delivery(true, true);
        let summary = tally.summary(Duration::from_secs(1));
        assert_eq!(
            (summary.deliveries, summary.retries, summary.duplicates),
            (2, 1, 1)
        );
        assert_eq!(summary.answers["500"], 1);
        assert_eq!(summary.answers["200"], 2);
        assert_eq!(summary.per_second, 2.0);
    }
}
