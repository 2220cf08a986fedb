//! Wake-ups across instances: `LISTEN`/`NOTIFY`, with polling as the
//! backstop.
//!
//! When an instance stores work that is due now (a new row, a re-queued
//! one, a replay), it wakes its own worker at once and asks a small task to
//! send `NOTIFY hotmart_receiver_due`. That task coalesces: one `NOTIFY`
//! per burst, at most one every [`NOTIFY_EVERY`], on its own pooled
//! connection and outside the insert's transaction. A `NOTIFY` inside every
//! insert would take PostgreSQL's global notification lock at each commit
//! and serialize the inserts of every instance, the very thing the design
//! avoids. Each instance keeps one dedicated connection that `LISTEN`s and
//! wakes its worker on every notification; when that connection breaks it
//! reconnects (waking the worker once, since notifications were missed).
//!
//! Nothing depends on a notification arriving: a crash between the commit
//! and the `NOTIFY`, or a lost listener, only delays work until the
//! worker's next poll.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use super::connect::{ConnectionDriver, dedicated};

/// The notification channel.
pub(super) const CHANNEL: &str = "hotmart_receiver_due";

/// The shortest gap between two `NOTIFY`s sent by one instance.
const NOTIFY_EVERY: Duration = Duration::from_millis(10);

/// The wait before reconnecting a lost listener.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The wake-up machinery of one store.
#[derive(Debug)]
pub(super) struct Wakeups {
    /// What the worker waits on.
    pub(super) work: Arc<Notify>,
    /// What asks the notifier task for a `NOTIFY`.
    send: Arc<Notify>,
    tasks: Vec<JoinHandle<()>>,
}

impl Wakeups {
    /// Starts the listener and the notifier (needs a Tokio runtime).
    pub(super) fn start(config: tokio_postgres::Config, pool: Pool) -> Wakeups {
        let work = Arc::new(Notify::new());
        let send = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(config, Arc::clone(&work)));
        let notifier = tokio::spawn(notify(pool, Arc::clone(&send)));
        Wakeups {
            work,
            send,
            tasks: vec![listener, notifier],
        }
    }

    /// Work is due now: wake this instance's worker and, soon, the others'.
    pub(super) fn due_now(&self) {
        self.work.notify_one();
        self.send.notify_one();
    }

    /// The queue changed in a way other instances' workers may care about
    /// (a retry time, a released lease): notify them, not this worker.
    pub(super) fn nudge_others(&self) {
        self.send.notify_one();
    }

    /// What the worker waits on between polls.
    pub(super) fn work(&self) -> Arc<Notify> {
        Arc::clone(&self.work)
    }
}

impl Drop for Wakeups {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Sends one `NOTIFY` per burst of requests.
async fn notify(pool: Pool, send: Arc<Notify>) {
    loop {
        send.notified().await;
        if let Ok(client) = pool.get().await {
            // Failure only delays the other instances until their poll.
            let _ = client
                .execute("SELECT pg_notify($1, '')", &[&CHANNEL])
                .await;
        }
        tokio::time::sleep(NOTIFY_EVERY).await;
    }
}

/// Keeps one connection listening; wakes the worker on each notification.
async fn listen(config: tokio_postgres::Config, work: Arc<Notify>) {
    loop {
        if let Ok((client, mut connection)) = dedicated(&config).await {
            let pump_work = Arc::clone(&work);
            let pump = tokio::spawn(async move { pump(&mut *connection, &pump_work).await });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_ok()
            {
                // Rows stored while no one listened: look now.
                work.notify_one();
                let _ = pump.await;
            } else {
                pump.abort();
            }
            drop(client);
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

/// Drives the connection until it ends, waking the worker on notifications.
async fn pump(connection: &mut dyn ConnectionDriver, work: &Notify) {
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notification(_))) => work.notify_one(),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return,
        }
    }
}
