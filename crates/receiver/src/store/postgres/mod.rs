//! The PostgreSQL store: several receivers, one database, nothing lost or
//! done twice. Chosen by `DATABASE_URL=postgres://…` (or `postgresql://`).
//!
//! - `schema.rs`: tables and indexes, created and migrated at start under an
//!   advisory lock.
//! - `insert.rs`: the writer path, one `INSERT … ON CONFLICT … RETURNING`.
//! - `queue.rs`: claims with `FOR UPDATE SKIP LOCKED` and leases; outcomes
//!   recorded only by the lease's holder.
//! - `wake.rs`: `LISTEN`/`NOTIFY` between instances, polling as backstop.
//! - `read.rs`: listing, statistics and the chart, from indexes.
//! - `maintenance.rs`: replay, reparse, retention, readiness.
//! - `connect.rs`: the URL, the pool, TLS (feature `postgres-tls`).
//!
//! Every instance runs the same code against the same tables; nothing is
//! coordinated outside the database.

mod connect;
mod insert;
mod maintenance;
mod queue;
mod read;
mod schema;
mod wake;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool, PoolError};
use tokio::sync::{Notify, Semaphore};

pub use connect::is_postgres_url;

use super::{
    AttemptRecord, Claimed, DeliveryDetail, DeliveryRef, DeliverySummary, Inserted, ListFilter,
    MinuteCount, NewDelivery, ParseSummary, ReparseRow, Reparsed, ReplaySelector, Statistics,
    Store, StoreError, StoreResult,
};

/// The database clock in epoch milliseconds, as SQL. Leases and due times
/// compare against it, so instances with skewed clocks still agree.
macro_rules! now_ms_sql {
    () => {
        "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"
    };
}
pub(crate) use now_ms_sql;

/// How many inserts may wait for a connection before the next one is
/// answered busy (`503`, Hotmart retries) instead of queueing without bound.
pub const MAX_WAITING_INSERTS: usize = 1024;

/// Settings of the PostgreSQL store.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// Connections per instance (the server's `max_connections` must cover
    /// every instance's pool plus one listener each).
    pub pool_size: usize,
    /// How long an operation waits for a connection, or for a new one to
    /// connect, before failing (a delivery is then answered `503`).
    pub connect_timeout: Duration,
    /// How many inserts may wait for (or use) a connection at once; the next
    /// one is answered busy at once. Default [`MAX_WAITING_INSERTS`].
    pub max_waiting_inserts: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(10),
            max_waiting_inserts: MAX_WAITING_INSERTS,
        }
    }
}

/// The PostgreSQL [`Store`]. Its `Debug` shows no URL (it may hold a
/// password).
pub struct PostgresStore {
    pool: Pool,
    writers: Semaphore,
    wakeups: wake::Wakeups,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects, creates or migrates the schema (under an advisory lock, so
    /// instances may start together) and starts listening for other
    /// instances' wake-ups. Needs a Tokio runtime.
    pub async fn open(url: &str, options: PostgresOptions) -> StoreResult<PostgresStore> {
        let mut config = connect::parse(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("hotmart-receiver");
        }
        let pool = connect::pool(
            config.clone(),
            options.pool_size.max(1),
            options.connect_timeout,
        )?;
        schema::migrate(&pool).await?;
        let wakeups = wake::Wakeups::start(config, pool.clone());
        Ok(PostgresStore {
            pool,
            writers: Semaphore::new(options.max_waiting_inserts.max(1)),
            wakeups,
        })
    }

    async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// A database error as [`StoreError`]: severity, message and SQLSTATE only.
/// The server's `DETAIL` is left out: it can quote the row's values (a key,
/// buyer data).
pub(crate) fn db_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Database(format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        )),
        // The client's own errors (connection, TLS): with their cause, which
        // says what failed (an unknown certificate issuer, a refused port).
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            StoreError::Database(text)
        }
    }
}

fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => db_error(e),
        PoolError::Closed => StoreError::Stopped,
        other => StoreError::Database(format!("connection pool: {other}")),
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn insert(&self, delivery: NewDelivery) -> StoreResult<Inserted> {
        insert::insert(self, delivery).await
    }

    async fn claim_due(
        &self,
        worker: &str,
        limit: usize,
        lease: Duration,
    ) -> StoreResult<Vec<Claimed>> {
        queue::claim_due(self, worker, limit, lease).await
    }

    async fn record_attempt(&self, worker: &str, record: AttemptRecord) -> StoreResult<bool> {
        queue::record_attempt(self, worker, record).await
    }

    async fn release(&self, worker: &str, seqs: &[i64]) -> StoreResult<()> {
        queue::release(self, worker, seqs).await
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        queue::next_due_at(self).await
    }

    async fn oldest_due_at(&self) -> StoreResult<Option<i64>> {
        queue::oldest_due_at(self).await
    }

    async fn list(&self, filter: &ListFilter) -> StoreResult<Vec<DeliverySummary>> {
        read::list(self, filter).await
    }

    async fn get(&self, which: &DeliveryRef) -> StoreResult<Option<DeliveryDetail>> {
        read::get(self, which).await
    }

    async fn statistics(&self) -> StoreResult<Statistics> {
        read::statistics(self).await
    }

    async fn per_minute(&self, since: i64) -> StoreResult<Vec<MinuteCount>> {
        read::per_minute(self, since).await
    }

    async fn replay(&self, which: &ReplaySelector) -> StoreResult<u64> {
        maintenance::replay(self, which).await
    }

    async fn to_reparse(&self, after: i64, limit: usize) -> StoreResult<Vec<ReparseRow>> {
        maintenance::to_reparse(self, after, limit).await
    }

    async fn store_reparse(&self, seq: i64, summary: ParseSummary) -> StoreResult<Reparsed> {
        maintenance::store_reparse(self, seq, summary).await
    }

    async fn prune_bodies(&self, before: i64) -> StoreResult<u64> {
        maintenance::prune_bodies(self, before).await
    }

    async fn backup(&self, path: &Path) -> StoreResult<()> {
        maintenance::backup(self, path).await
    }

    async fn probe_write(&self) -> StoreResult<()> {
        maintenance::probe_write(self).await
    }

    async fn existing_keys(&self, keys: &[String]) -> StoreResult<HashSet<String>> {
        read::existing_keys(self, keys).await
    }

    /// Notified when work became due, here or (through `NOTIFY`) on another
    /// instance.
    fn work_signal(&self) -> Option<Arc<Notify>> {
        Some(self.wakeups.work())
    }
}
