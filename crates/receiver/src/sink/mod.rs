//! Where a stored delivery goes after the `200`: the [`Processor`] trait for
//! library users, the built-in [`ForwardSink`] (signed POST to the seller's
//! app) and [`LogProcessor`] (logs only).
//!
//! # At least once, never exactly once
//!
//! A row is handed over until its success is recorded in the database; once
//! recorded, never again (unless replayed). But the effect (the seller's app
//! granting access) and the record of its success live in two systems and
//! cannot be one atomic step: if the process dies after the effect and before
//! the commit, or a worker stalls past its lease, or the app answers `2xx`
//! after our timeout, the row is handed over again. So every hand-over
//! carries the row's idempotency key ([`crate::key`]): make the effect
//! idempotent on it (the forward sink sends it as `Idempotency-Key` and
//! `webhook-id`).

mod forward;
mod log;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use hotmart_webhook::Webhook;

pub use forward::{ForwardConfig, ForwardSecret, ForwardSink};
pub use log::LogProcessor;

use crate::store::AttemptOutcome;

/// Your handler for stored deliveries.
///
/// It runs after the `200` answer, from the stored row, possibly more than
/// once for the same event (see the module docs): make its effect idempotent
/// on `key`.
///
/// ```
/// use hotmart_receiver::Processor;
/// use hotmart_webhook::Webhook;
///
/// struct Grant;
///
/// impl Processor for Grant {
///     type Error = std::io::Error;
///
///     async fn process(&self, key: &str, webhook: &Webhook<'_>) -> Result<(), Self::Error> {
///         println!("{key}: {}", webhook.event_name());
///         Ok(())
///     }
/// }
/// ```
pub trait Processor: Send + Sync + 'static {
    /// Why an attempt failed (recorded and logged: no buyer data, no secret).
    type Error: fmt::Display + Send;

    /// Handles one delivery. An `Err` is retried on the schedule.
    fn process(
        &self,
        key: &str,
        webhook: &Webhook<'_>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A boxed future, for the object-safe [`Sink`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the worker calls: object safe, and it reports the HTTP status of
/// sinks that have one. Every [`Processor`] is one through [`ProcessorSink`].
pub trait Sink: Send + Sync + 'static {
    /// One attempt.
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        webhook: &'a Webhook<'a>,
    ) -> BoxFuture<'a, AttemptOutcome>;

    /// For the start-up log: what this sink does.
    fn describe(&self) -> String;
}

/// A [`Processor`] as a [`Sink`].
#[derive(Debug)]
pub struct ProcessorSink<P>(pub P);

impl<P: Processor> Sink for ProcessorSink<P> {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        webhook: &'a Webhook<'a>,
    ) -> BoxFuture<'a, AttemptOutcome> {
        Box::pin(async move {
            match self.0.process(key, webhook).await {
                Ok(()) => AttemptOutcome {
                    ok: true,
                    status: None,
                    error: None,
                },
                Err(e) => AttemptOutcome {
                    ok: false,
                    status: None,
                    error: Some(truncate(&e.to_string(), 500)),
                },
            }
        })
    }

    fn describe(&self) -> String {
        std::any::type_name::<P>().to_owned()
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
