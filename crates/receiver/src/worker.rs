//! The worker: takes due rows from the database with a lease, hands each to
//! the sink, and records the attempt and what follows (processed, retry at a
//! time, failed). Nothing pending waits for a restart: the worker sleeps until
//! the next row is due (or a delivery wakes it, or at most [`POLL`]).
//!
//! Its bookkeeping goes through the store's own channel, never through the
//! bounded queue of HTTP deliveries, so a surge cannot make an attempt's
//! record fail.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::retry::RetryPolicy;
use crate::sink::Sink;
use crate::store::{AttemptOutcome, AttemptRecord, Claimed, Next, Store, now_ms};

/// The longest the worker sleeps without looking at the database.
pub(crate) const POLL: Duration = Duration::from_secs(1);

pub(crate) struct Worker {
    pub(crate) id: String,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) sink: Arc<dyn Sink>,
    pub(crate) policy: Arc<RetryPolicy>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) concurrency: usize,
    pub(crate) lease: Duration,
    /// How long attempts in flight may finish after `stop`.
    pub(crate) grace: Duration,
    /// Epoch ms of the loop's last turn (readiness).
    pub(crate) heartbeat: Arc<AtomicI64>,
    pub(crate) metrics: Arc<Metrics>,
}

impl Worker {
    pub(crate) async fn run(mut self) {
        let permits = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut tasks = JoinSet::new();
        while !*self.stop.borrow() {
            self.heartbeat.store(now_ms(), Ordering::Relaxed);
            while tasks.try_join_next().is_some() {}
            let free = permits.available_permits();
            let mut claimed = Vec::new();
            if free > 0 {
                match self.store.claim_due(&self.id, free, self.lease).await {
                    Ok(rows) => claimed = rows,
                    Err(e) => {
                        // The database is failing: look again after a pause
                        // rather than spin on it.
                        tracing::error!(platform = "HOTMART", error = %e, "cannot claim due rows");
                        tokio::select! {
                            () = tokio::time::sleep(POLL) => {}
                            _ = self.stop.wait_for(|stop| *stop) => {}
                        }
                        continue;
                    }
                }
            }
            let full = free > 0 && claimed.len() == free;
            for row in claimed {
                let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                    break;
                };
                if let Ok(mut set) = in_flight.lock() {
                    set.insert(row.seq);
                }
                let job = Job {
                    worker: self.id.clone(),
                    store: Arc::clone(&self.store),
                    sink: Arc::clone(&self.sink),
                    policy: Arc::clone(&self.policy),
                    metrics: Arc::clone(&self.metrics),
                };
                let in_flight = Arc::clone(&in_flight);
                tasks.spawn(async move {
                    let seq = row.seq;
                    job.run(row).await;
                    if let Ok(mut set) = in_flight.lock() {
                        set.remove(&seq);
                    }
                    drop(permit);
                });
            }
            if full {
                // Maybe more are due: look again as soon as a slot frees.
                tokio::select! {
                    _ = permits.acquire() => {}
                    _ = self.stop.wait_for(|stop| *stop) => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            }
            let sleep = match self.store.next_due_at().await {
                Ok(Some(due)) => {
                    Duration::from_millis(u64::try_from(due - now_ms()).unwrap_or(0)).min(POLL)
                }
                _ => POLL,
            };
            if sleep.is_zero() && permits.available_permits() == 0 {
                tokio::select! {
                    _ = permits.acquire() => {}
                    _ = self.stop.wait_for(|stop| *stop) => {}
                    () = tokio::time::sleep(POLL) => {}
                }
            } else if !sleep.is_zero() {
                tokio::select! {
                    () = self.wake.notified() => {}
                    () = tokio::time::sleep(sleep) => {}
                    _ = self.stop.wait_for(|stop| *stop) => {}
                }
            }
        }
        // Stopping: attempts in flight get `grace`; rows still held after
        // that are given back, due at once for the next start.
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(self.grace, drain).await.is_err() {
            tracing::warn!(
                platform = "HOTMART",
                "attempts still running at shutdown were cancelled; their rows stay pending"
            );
            tasks.shutdown().await;
        }
        let left: Vec<i64> = in_flight
            .lock()
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default();
        if !left.is_empty()
            && let Err(e) = self.store.release(&self.id, &left).await
        {
            tracing::error!(platform = "HOTMART", error = %e, "could not give rows back at shutdown; they are due when their lease ends");
        }
    }
}

struct Job {
    worker: String,
    store: Arc<dyn Store>,
    sink: Arc<dyn Sink>,
    policy: Arc<RetryPolicy>,
    metrics: Arc<Metrics>,
}

impl Job {
    async fn run(self, row: Claimed) {
        let number = row.attempts.saturating_add(1);
        let started_at = now_ms();
        let (outcome, next) = match hotmart_webhook::parse(&row.body) {
            Err(e) => (
                AttemptOutcome {
                    ok: false,
                    status: None,
                    error: Some(format!("the stored body does not parse: {e}")),
                },
                Next::Unparsed,
            ),
            Ok(webhook) => {
                let outcome = self.sink.deliver(&row.key, &webhook).await;
                let next = if outcome.ok {
                    Next::Processed
                } else {
                    self.policy.after_failure(number, now_ms())
                };
                (outcome, next)
            }
        };
        self.metrics.attempt(outcome.ok, next == Next::Failed);
        if !outcome.ok {
            tracing::warn!(
                platform = "HOTMART",
                key = %row.key,
                attempt = number,
                status = outcome.status,
                error = outcome.error.as_deref().unwrap_or("-"),
                failed = next == Next::Failed,
                "processing attempt failed"
            );
        }
        let record = AttemptRecord {
            seq: row.seq,
            number,
            started_at,
            finished_at: now_ms(),
            outcome,
            next,
        };
        match self.store.record_attempt(&self.worker, record).await {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                platform = "HOTMART",
                key = %row.key,
                "the row's lease was lost before its attempt was recorded; its new holder decides"
            ),
            Err(e) => tracing::error!(
                platform = "HOTMART",
                key = %row.key,
                error = %e,
                "could not record an attempt; the row is due again when its lease ends"
            ),
        }
    }
}
