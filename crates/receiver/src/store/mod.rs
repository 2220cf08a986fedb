//! The storage interface: what the HTTP side, the worker, the CLI, the
//! history page and reconcile ask of a database, and nothing else.
//!
//! [`Store`] is object safe, so the backend is chosen at run time from
//! `DATABASE_URL` and shared as `Arc<dyn Store>`: [`sqlite`] (the default, a
//! file next to the program) and PostgreSQL (several instances). No backend
//! type appears in the interface; times are epoch milliseconds (`i64`).
//!
//! # The life of a row
//!
//! ```text
//!  insert ──► pending ──claim──► (leased) ──record_attempt──► processed
//!     │          ▲                   │                     └─► pending (retry at `due_at`)
//!     │          │                   │                     └─► failed
//!     │          └── requeue (a resend), replay ◄──────────────── failed
//!     └──► unparsed ──(reparse, resend)──► pending
//! ```
//!
//! A claim is a lease: the row is not due again until the lease ends, and
//! [`Store::record_attempt`] changes it only if this worker still holds it (a
//! worker that lost its lease, because it stalled longer than the lease,
//! records nothing; the row's new holder decides).

#[cfg(any(test, feature = "test-util"))]
pub mod conformance;
mod model;
pub mod postgres;
pub mod sqlite;

pub use model::*;

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Why a store operation failed. Its text never contains a body, a token or
/// buyer data.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Too many deliveries are waiting for the database: answer `503` at once
    /// (Hotmart retries) rather than let memory grow.
    Busy,
    /// The backend cannot do this (for example `backup` on a server database:
    /// use the server's own tools).
    Unsupported(&'static str),
    /// The database refused or failed (I/O, constraint, connection); the
    /// message is the backend's, without parameters.
    Database(String),
    /// The store was stopped.
    Stopped,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Busy => {
                f.write_str("store: busy, too many deliveries waiting to be written")
            }
            StoreError::Unsupported(what) => {
                write!(f, "store: not supported by this backend: {what}")
            }
            StoreError::Database(e) => write!(f, "store: {e}"),
            StoreError::Stopped => f.write_str("store: stopped"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Shorthand for a store operation's result.
pub type StoreResult<T> = Result<T, StoreError>;

/// The storage interface. See the [module docs](self).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`, for logs and metrics.
    fn backend(&self) -> &'static str;

    // ---- the writer path (HTTP) ----

    /// Stores a verified delivery durably, deduplicated on its key; returns
    /// after the commit. [`StoreError::Busy`] when too many wait.
    async fn insert(&self, delivery: NewDelivery) -> StoreResult<Inserted>;

    // ---- the queue (worker) ----

    /// Leases up to `limit` due rows (pending and `due_at <= now`, oldest
    /// due first) to `worker` for `lease`: they are not due again until the
    /// lease ends. Never waits behind HTTP's queue.
    async fn claim_due(
        &self,
        worker: &str,
        limit: usize,
        lease: Duration,
    ) -> StoreResult<Vec<Claimed>>;

    /// Appends the attempt and moves the row to `record.next`, only if
    /// `worker` still holds the row's lease: `Ok(false)` (nothing written)
    /// otherwise.
    async fn record_attempt(&self, worker: &str, record: AttemptRecord) -> StoreResult<bool>;

    /// Gives rows back without an attempt (shutdown): due at once.
    async fn release(&self, worker: &str, seqs: &[i64]) -> StoreResult<()>;

    /// When the next pending row is due (epoch ms), leased rows included
    /// (their lease end): how long the worker may sleep.
    async fn next_due_at(&self) -> StoreResult<Option<i64>>;

    /// The `due_at` of the oldest pending row that is due now and not
    /// leased: its age is the backlog (readiness, metrics).
    async fn oldest_due_at(&self) -> StoreResult<Option<i64>>;

    // ---- reading (never on the writer path) ----

    /// Rows, newest first, filtered and paged.
    async fn list(&self, filter: &ListFilter) -> StoreResult<Vec<DeliverySummary>>;

    /// One row with its body, problems and attempts.
    async fn get(&self, which: &DeliveryRef) -> StoreResult<Option<DeliveryDetail>>;

    /// Counts by event and by state, last delivery.
    async fn statistics(&self) -> StoreResult<Statistics>;

    /// Rows first received since `since` (epoch ms), per minute and state.
    async fn per_minute(&self, since: i64) -> StoreResult<Vec<MinuteCount>>;

    // ---- maintenance ----

    /// Makes the selected rows due at once (attempts count on); processed
    /// rows included when named by id. Returns how many were re-queued.
    /// Unparsed rows are re-queued too: the worker parses again.
    async fn replay(&self, which: &ReplaySelector) -> StoreResult<u64>;

    /// Up to `limit` unparsed rows with `seq > after`, in order.
    async fn to_reparse(&self, after: i64, limit: usize) -> StoreResult<Vec<ReparseRow>>;

    /// Stores a new parse result for a row (see [`Reparsed`]).
    async fn store_reparse(&self, seq: i64, summary: ParseSummary) -> StoreResult<Reparsed>;

    /// Deletes the bodies of processed rows received before `before` (epoch
    /// ms), keeping their metadata. Returns how many.
    async fn prune_bodies(&self, before: i64) -> StoreResult<u64>;

    /// A consistent copy of the database at `path` while serving, or
    /// [`StoreError::Unsupported`].
    async fn backup(&self, path: &Path) -> StoreResult<()>;

    /// A write that is rolled back or harmless: readiness.
    async fn probe_write(&self) -> StoreResult<()>;

    // ---- reconcile ----

    /// Which of `keys` already exist.
    async fn existing_keys(&self, keys: &[String]) -> StoreResult<HashSet<String>>;

    // ---- several instances ----

    /// What wakes this process's worker when work became due elsewhere
    /// (another instance on a server database, through its notifications).
    /// `None` (the default) when only this process writes, as with SQLite.
    /// The worker polls anyway; this only shortens the wait.
    fn work_signal(&self) -> Option<std::sync::Arc<tokio::sync::Notify>> {
        None
    }
}

/// How [`open`] opens a store.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// This process serves (runs a worker): SQLite takes its exclusive lock
    /// and takes back the leases of a previous run that died.
    pub serve: bool,
    /// Deliveries waiting for the database before [`StoreError::Busy`].
    pub queue_capacity: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            serve: false,
            queue_capacity: 1024,
        }
    }
}

/// The SQLite file a `DATABASE_URL` names, if it names one: `sqlite://PATH`
/// (`sqlite:///abs/path` for an absolute one), `sqlite:PATH`, or a bare path.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        return Some(rest.into());
    }
    if url.contains("://") {
        return None;
    }
    Some(url.into())
}

/// Opens the store a `DATABASE_URL` names.
pub async fn open(url: &str, options: &OpenOptions) -> StoreResult<std::sync::Arc<dyn Store>> {
    if postgres::is_postgres_url(url) {
        let options = postgres::PostgresOptions {
            max_waiting_inserts: options.queue_capacity,
            ..postgres::PostgresOptions::default()
        };
        let store = postgres::PostgresStore::open(url, options).await?;
        return Ok(std::sync::Arc::new(store));
    }
    let Some(path) = sqlite_path(url) else {
        return Err(StoreError::Unsupported(
            "DATABASE_URL scheme: use sqlite://PATH or postgres://…",
        ));
    };
    let sqlite = sqlite::SqliteOptions {
        queue_capacity: options.queue_capacity,
        exclusive: options.serve,
        ..sqlite::SqliteOptions::default()
    };
    let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&path, &sqlite))
        .await
        .map_err(|_| StoreError::Stopped)??;
    Ok(std::sync::Arc::new(store))
}
