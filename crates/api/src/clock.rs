//! [`Clock`]: where the client reads the time and sleeps, so tests can
//! replace both.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// A boxed sleep future.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The time source of a [`Client`](crate::Client): the token's expiry, the
/// rate-limit reset and the retry backoff all go through it.
///
/// [`TokioClock`] is the real one. Tests can pass a clock whose `sleep`
/// returns at once and advances its own `now`, so a 60-second
/// `RateLimit-Reset` or a 30-second backoff is checked without waiting
/// (the `fake` feature has one: `hotmart_api::fake::ManualClock`).
pub trait Clock: Send + Sync + 'static {
    /// The current instant (monotonic).
    fn now(&self) -> Instant;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: [`Instant::now`] and [`tokio::time::sleep`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}
