//! Processing after the answer: the [`Processor`] you plug in, the
//! [`RetryPolicy`], and the worker that feeds stored rows to the processor.
//!
//! # At least once, never exactly once
//!
//! A row is handed to the processor until its success is recorded in the
//! database; once recorded, it is never handed over again. But the
//! processor's effect (granting access, sending an e-mail, calling another
//! API) and the record of its success cannot be one atomic step: they live in
//! two systems. If the process dies after the effect happened and before the
//! success was committed, the row is still pending at the next start and the
//! effect happens again. Recording success *before* the effect instead would
//! lose the effect whenever the process dies in between. No ordering avoids
//! both without a transaction spanning both systems, which an e-mail server or
//! a third-party API does not offer. So delivery to the processor is **at
//! least once**, and the processor gets an idempotency key (the 2.0.0 event
//! `id`; for a v1 purchase the transaction and status) to make its effect
//! idempotent on its side: pass it to an API that deduplicates on it, or
//! write it in the same transaction as the effect in your own database.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hotmart_webhook::{Event, Webhook};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::store::{PendingRow, Store};

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
    /// Why an attempt failed (logged; it should not contain buyer data).
    type Error: fmt::Display + Send;

    /// Handles one delivery. An `Err` is retried by the [`RetryPolicy`].
    fn process(
        &self,
        key: &str,
        webhook: &Webhook<'_>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// When attempts are made: `delays[i]` is the wait before attempt `i + 1`.
///
/// [`RetryPolicy::guide`] is the integration guide's schedule: immediately,
/// then after 1 s, 2 s, 4 s and 8 s (five attempts); then the row is marked
/// `failed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    delays: Vec<Duration>,
}

impl RetryPolicy {
    /// The guide's schedule: 0, 1, 2, 4, 8 seconds.
    pub fn guide() -> Self {
        RetryPolicy::new([0, 1, 2, 4, 8].map(Duration::from_secs))
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

    /// How many attempts are made.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX)
    }

    /// The wait before attempt number `attempt` (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delays
            .get(attempt as usize)
            .copied()
            .unwrap_or(Duration::ZERO)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::guide()
    }
}

/// What the example processor does with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Give the buyer access (`PURCHASE_APPROVED`, v1 `approved`).
    Grant,
    /// Take access away now (refund, chargeback, canceled purchase).
    Revoke,
    /// Take access away when the paid period ends (subscription
    /// cancellation: Hotmart sends it on the day of cancellation, but the
    /// subscriber has paid until `date_next_charge`).
    RevokeAtPeriodEnd,
    /// Nothing to do.
    Ignore,
}

impl Action {
    /// The decision for a webhook.
    pub fn of(webhook: &Webhook<'_>) -> Action {
        match webhook {
            Webhook::V2(envelope) => match &envelope.event {
                Event::PurchaseApproved(_) => Action::Grant,
                Event::PurchaseRefunded(_)
                | Event::PurchaseChargeback(_)
                | Event::PurchaseCanceled(_) => Action::Revoke,
                Event::SubscriptionCancellation(_) => Action::RevokeAtPeriodEnd,
                _ => Action::Ignore,
            },
            Webhook::V1Purchase(_) => {
                match webhook.purchase_status().as_ref().map(|s| s.as_str()) {
                    Some("APPROVED") => Action::Grant,
                    Some("REFUNDED" | "CHARGEBACK" | "CANCELED") => Action::Revoke,
                    _ => Action::Ignore,
                }
            }
            Webhook::V1SubscriptionCancellation(_) => Action::RevokeAtPeriodEnd,
            _ => Action::Ignore,
        }
    }

    /// `grant`, `revoke`, `revoke_at_period_end` or `ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Grant => "grant",
            Action::Revoke => "revoke",
            Action::RevokeAtPeriodEnd => "revoke_at_period_end",
            Action::Ignore => "ignore",
        }
    }
}

/// The example's processor: logs what it would do and journals it in the
/// `effects` table (standing in for the external system), keyed by the
/// idempotency key, so that tests can count effects.
#[derive(Clone, Debug)]
pub struct LogProcessor {
    store: Store,
}

impl LogProcessor {
    /// Journals into `store`.
    pub fn new(store: &Store) -> Self {
        LogProcessor {
            store: store.clone(),
        }
    }
}

impl Processor for LogProcessor {
    type Error = crate::store::StoreError;

    async fn process(&self, key: &str, webhook: &Webhook<'_>) -> Result<(), Self::Error> {
        let action = Action::of(webhook);
        // The transaction code and the event id identify the purchase, not
        // the buyer; no e-mail, name or document is logged.
        tracing::info!(
            platform = "HOTMART",
            key,
            event = webhook.event_name(),
            transaction = webhook.transaction().unwrap_or("-"),
            action = action.as_str(),
            "processing delivery"
        );
        self.store.record_effect(key, action.as_str()).await?;
        Ok(())
    }
}

/// Feeds pending rows to the processor until `stop` turns true.
pub(crate) struct Worker<P> {
    pub(crate) store: Store,
    pub(crate) processor: Arc<P>,
    pub(crate) policy: Arc<RetryPolicy>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) concurrency: usize,
    /// How long in-flight handler calls may finish after `stop`.
    pub(crate) grace: Duration,
}

/// A safety net: pending rows are looked for at least this often even
/// without a wake-up.
const POLL: Duration = Duration::from_secs(1);

impl<P: Processor> Worker<P> {
    pub(crate) async fn run(mut self) {
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut cursor = 0;
        while !*self.stop.borrow() {
            while tasks.try_join_next().is_some() {}
            let limit = permits.available_permits().max(1);
            let rows = match self.store.fetch_pending(cursor, limit).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(platform = "HOTMART", error = %e, "cannot read pending rows");
                    Vec::new()
                }
            };
            if rows.is_empty() {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                    _ = self.stop.wait_for(|stop| *stop) => {}
                }
                continue;
            }
            for row in rows {
                let permit = tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => permit.expect("never closed"),
                    _ = self.stop.wait_for(|stop| *stop) => break,
                };
                cursor = row.seq;
                let job = Job {
                    store: self.store.clone(),
                    processor: Arc::clone(&self.processor),
                    policy: Arc::clone(&self.policy),
                    stop: self.stop.clone(),
                };
                tasks.spawn(async move {
                    job.run(row).await;
                    drop(permit);
                });
            }
        }
        // Stopping: tasks waiting for a retry return at once (their row stays
        // pending, with its attempts, for the next start); handler calls in
        // flight get `grace` to finish.
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(self.grace, drain).await.is_err() {
            tracing::warn!(
                platform = "HOTMART",
                "handler calls still running at shutdown were cancelled; their rows stay pending"
            );
            tasks.shutdown().await;
        }
    }
}

struct Job<P> {
    store: Store,
    processor: Arc<P>,
    policy: Arc<RetryPolicy>,
    stop: watch::Receiver<bool>,
}

impl<P: Processor> Job<P> {
    async fn run(mut self, row: PendingRow) {
        let webhook = match hotmart_webhook::parse(&row.body) {
            Ok(webhook) => webhook,
            Err(e) => {
                // Stored rows parsed when they arrived; a parser change could
                // make one fail now: give up on it rather than loop.
                let _ = self
                    .store
                    .record_failure(
                        row.seq,
                        row.attempts,
                        format!("no longer parses: {e}"),
                        true,
                    )
                    .await;
                return;
            }
        };
        let attempts = self.policy.attempts();
        for attempt in row.attempts..attempts {
            let delay = self.policy.delay(attempt);
            if !delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = self.stop.wait_for(|stop| *stop) => return,
                }
            }
            match self.processor.process(&row.key, &webhook).await {
                Ok(()) => {
                    if let Err(e) = self.store.mark_processed(row.seq, attempt + 1).await {
                        // The effect happened but its record did not: the row
                        // stays pending and is processed again (at least once).
                        tracing::error!(platform = "HOTMART", key = %row.key, error = %e, "could not record success");
                    }
                    return;
                }
                Err(e) => {
                    let give_up = attempt + 1 >= attempts;
                    let error = truncate(&e.to_string(), 500);
                    tracing::warn!(
                        platform = "HOTMART",
                        key = %row.key,
                        attempt = attempt + 1,
                        of = attempts,
                        give_up,
                        error = %error,
                        "processing failed"
                    );
                    if let Err(e) = self
                        .store
                        .record_failure(row.seq, attempt + 1, error, give_up)
                        .await
                    {
                        tracing::error!(platform = "HOTMART", key = %row.key, error = %e, "could not record a failed attempt");
                    }
                }
            }
        }
        if row.attempts >= attempts {
            // Resumed with no attempt left (the schedule was shortened).
            let _ = self
                .store
                .record_failure(row.seq, row.attempts, "no attempt left".into(), true)
                .await;
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(body: &str) -> Action {
        Action::of(&hotmart_webhook::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn purchases_grant_and_refunds_revoke_at_once() {
        let v2 = |event: &str| {
            format!(r#"{{"id":"1","event":"{event}","version":"2.0.0","data":{{}}}}"#)
        };
        assert_eq!(action(&v2("PURCHASE_APPROVED")), Action::Grant);
        assert_eq!(action(&v2("PURCHASE_REFUNDED")), Action::Revoke);
        assert_eq!(action(&v2("PURCHASE_CHARGEBACK")), Action::Revoke);
        assert_eq!(action(&v2("PURCHASE_COMPLETE")), Action::Ignore);
        assert_eq!(action("status=approved&transaction=HP1"), Action::Grant);
        assert_eq!(action("status=refunded&transaction=HP1"), Action::Revoke);
    }

    #[test]
    fn a_subscription_cancellation_ends_access_when_the_paid_period_ends() {
        let v2 = r#"{"id":"1","event":"SUBSCRIPTION_CANCELLATION","version":"2.0.0","data":{"date_next_charge":1746532800000}}"#;
        assert_eq!(action(v2), Action::RevokeAtPeriodEnd);
        let v1 =
            r#"{"hottok":"x","cancellationDate":1656013119173,"dateNextCharge":1658605119173}"#;
        assert_eq!(action(v1), Action::RevokeAtPeriodEnd);
    }
}
