//! [`RetryPolicy`]: capped exponential backoff with jitter.

use std::time::Duration;

/// How often and how long to retry a request that got `429`, `500`, `502`,
/// `503` or no answer.
///
/// The delay before retry *n* (from 0) is `base · 2ⁿ`, capped at `cap`, then
/// jittered to a random point in its upper half, so that clients that failed
/// together do not retry together. The defaults are those of Hotmart's
/// public clients: 0.5 s base, 30 s cap, 5 retries.
///
/// ```
/// use std::time::Duration;
/// use hotmart_api::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// let d = policy.delay(3); // 0.5 s · 2³ = 4 s, jittered into 2..=4 s
/// assert!(d >= Duration::from_secs(2) && d <= Duration::from_secs(4));
/// assert!(policy.delay(20) <= Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base: Duration,
    cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy with `max_retries` retries after the first attempt, and the
    /// default base (0.5 s) and cap (30 s).
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        }
    }

    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy::new(0)
    }

    /// Sets the first delay and the cap.
    pub fn with_delays(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap.max(base);
        self
    }

    /// How many retries follow the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The delay before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let full = self.base.saturating_mul(factor).min(self.cap);
        let half = full / 2;
        let spread = (full - half).as_millis() as u64;
        half + Duration::from_millis(fastrand::u64(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_stays_in_the_upper_half() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            for (n, full) in [
                (0, 500),
                (1, 1000),
                (2, 2000),
                (5, 16_000),
                (6, 30_000),
                (40, 30_000),
            ] {
                let d = p.delay(n).as_millis() as u64;
                assert!(d >= full / 2 && d <= full, "retry {n}: {d} ms");
            }
        }
    }

    #[test]
    fn jitter_actually_varies() {
        let p = RetryPolicy::default();
        let delays: std::collections::HashSet<_> = (0..50).map(|_| p.delay(4)).collect();
        assert!(delays.len() > 1);
    }
}
