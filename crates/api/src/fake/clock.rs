//! [`ManualClock`]: a clock whose sleeps return at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock::{Clock, Sleep};

/// A [`Clock`] for tests: `sleep` records the duration, moves the clock's
/// `now` forward by it and returns at once, so a test can assert that the
/// client waited for a `RateLimit-Reset` of 60 s or backed off, without
/// waiting. [`ManualClock::advance`] moves time on by hand (a token's
/// expiry).
///
/// ```
/// use std::time::Duration;
/// use hotmart_api::{Clock, fake::ManualClock};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let clock = ManualClock::new();
/// let t0 = clock.now();
/// clock.sleep(Duration::from_secs(60)).await;
/// assert_eq!(clock.now() - t0, Duration::from_secs(60));
/// assert_eq!(clock.sleeps(), vec![Duration::from_secs(60)]);
/// # }
/// ```
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    state: Mutex<(Duration, Vec<Duration>)>,
}

impl ManualClock {
    /// A clock at an arbitrary instant.
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(ManualClock {
            base: Instant::now(),
            state: Mutex::new((Duration::ZERO, Vec::new())),
        })
    }

    /// Moves the clock forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().0 += by;
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().1.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Duration, Vec<Duration>)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + self.lock().0
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        {
            let mut state = self.lock();
            state.0 += duration;
            state.1.push(duration);
        }
        Box::pin(tokio::task::yield_now())
    }
}
