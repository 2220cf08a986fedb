//! When a failed attempt is tried again.

use std::time::Duration;

use crate::store::Next;

/// The schedule: `delays[i]` is the wait before attempt `i + 1` (the first
/// is usually zero). After the last one fails, the row is `failed`; Hotmart's
/// resend or `replay` re-queues it.
///
/// [`RetryPolicy::default`] is the integration guide's schedule (at once,
/// then after 1, 2, 4 and 8 s) followed by [`RetryPolicy::LONG_BACKOFF`]
/// (1 min, 10 min, 1 h, 6 h, 24 h): a seller's app that is down for a day
/// still gets every sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
}

impl RetryPolicy {
    /// The guide's schedule, in seconds.
    pub const GUIDE: [u64; 5] = [0, 1, 2, 4, 8];

    /// The default longer backoff after the guide's schedule, in seconds.
    pub const LONG_BACKOFF: [u64; 5] = [60, 600, 3600, 6 * 3600, 24 * 3600];

    /// The guide's schedule alone: five attempts within 15 s.
    pub fn guide() -> Self {
        RetryPolicy::new(Self::GUIDE.map(Duration::from_secs))
    }

    /// The guide's schedule followed by `backoff`.
    pub fn guide_then(backoff: impl IntoIterator<Item = Duration>) -> Self {
        RetryPolicy::new(
            Self::GUIDE
                .map(Duration::from_secs)
                .into_iter()
                .chain(backoff),
        )
    }

    /// A schedule from its delays; one attempt per delay. An empty list
    /// means one immediate attempt.
    pub fn new(delays: impl IntoIterator<Item = Duration>) -> Self {
        let mut delays: Vec<Duration> = delays.into_iter().collect();
        if delays.is_empty() {
            delays.push(Duration::ZERO);
        }
        RetryPolicy { delays }
    }

    /// How many attempts are made before `failed`.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX)
    }

    /// The delays.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// What follows failed attempt number `made` (from 1) that finished at
    /// `now` (epoch ms).
    pub fn after_failure(&self, made: u32, now: i64) -> Next {
        match self.delays.get(made as usize) {
            Some(delay) => Next::RetryAt(
                now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
            ),
            None => Next::Failed,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::guide_then(Self::LONG_BACKOFF.map(Duration::from_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_follows_the_guide_then_backs_off_for_a_day() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.attempts(), 10);
        assert_eq!(policy.after_failure(1, 0), Next::RetryAt(1000));
        assert_eq!(policy.after_failure(4, 0), Next::RetryAt(8000));
        assert_eq!(policy.after_failure(5, 0), Next::RetryAt(60_000));
        assert_eq!(policy.after_failure(9, 0), Next::RetryAt(86_400_000));
        assert_eq!(policy.after_failure(10, 0), Next::Failed);
    }
}
