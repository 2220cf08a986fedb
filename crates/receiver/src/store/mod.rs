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
pub mod postgres;
pub mod sqlite;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

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

/// Where a delivery came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// Hotmart's webhook POST, hottok verified.
    Webhook,
    /// Imported by reconcile from Hotmart's REST API (a sale the webhook
    /// missed).
    Reconcile,
}

impl Source {
    /// `"webhook"` or `"reconcile"`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Webhook => "webhook",
            Source::Reconcile => "reconcile",
        }
    }

    /// The inverse of [`Source::as_str`].
    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "webhook" => Some(Source::Webhook),
            "reconcile" => Some(Source::Reconcile),
            _ => None,
        }
    }
}

/// The processing state of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum State {
    /// Waiting for its next attempt (at `due_at`), or leased by a worker.
    Pending,
    /// The processor succeeded: never handed over again (unless replayed).
    Processed,
    /// Every attempt failed; `replay` or Hotmart's resend re-queues it.
    Failed,
    /// The body did not parse; `reparse` (after an upgrade) retries it.
    Unparsed,
    /// Reparsed into an event that another row already holds: nothing to do.
    Duplicate,
}

impl State {
    /// Every state, in display order.
    pub const ALL: [State; 5] = [
        State::Pending,
        State::Processed,
        State::Failed,
        State::Unparsed,
        State::Duplicate,
    ];

    /// The stored spelling: `pending`, `processed`, `failed`, `unparsed`,
    /// `duplicate`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Processed => "processed",
            State::Failed => "failed",
            State::Unparsed => "unparsed",
            State::Duplicate => "duplicate",
        }
    }

    /// The inverse of [`State::as_str`].
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the parser made of a body, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseSummary {
    /// The idempotency (and dedupe) key; see [`crate::key`].
    pub key: String,
    /// Event name (`PURCHASE_APPROVED`; v1: `purchase`, `cart_abandonment`, …).
    pub event: Option<String>,
    /// The 2.0.0 event `id`.
    pub event_id: Option<String>,
    /// Purchase transaction code.
    pub transaction: Option<String>,
    /// Purchase status (2.0.0 spelling).
    pub status: Option<String>,
    /// Payload version (`2.0.0`, `1.0.0`, …).
    pub version: Option<String>,
    /// `None` when the body parsed; otherwise the parse error (message and
    /// JSON path only, never payload values).
    pub parse_error: Option<String>,
    /// What the tolerant parser noticed but accepted (paths and kinds only).
    pub problems: Vec<String>,
}

/// A verified delivery to store.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// Where it came from.
    pub source: Source,
    /// Key, event, ids and parse outcome. A row whose `parse_error` is set is
    /// stored [`State::Unparsed`]; otherwise [`State::Pending`], due at once.
    pub summary: ParseSummary,
    /// Epoch milliseconds.
    pub received_at: i64,
    /// The body as received, with the hottok's value masked.
    pub body: Vec<u8>,
}

/// What [`Store::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// A new row, durably committed.
    New {
        /// Its number.
        seq: i64,
    },
    /// A row with this key exists (already processed, or in flight):
    /// counted, nothing else changes.
    Duplicate {
        /// The existing row.
        seq: i64,
    },
    /// A row with this key exists and was not processed yet (failed,
    /// unparsed, or waiting for its next attempt): it is due at once.
    Requeued {
        /// The existing row.
        seq: i64,
    },
}

impl Inserted {
    /// The row's number.
    pub fn seq(self) -> i64 {
        match self {
            Inserted::New { seq } | Inserted::Duplicate { seq } | Inserted::Requeued { seq } => seq,
        }
    }
}

/// A row handed to a worker by [`Store::claim_due`].
#[derive(Clone, Debug)]
pub struct Claimed {
    /// Row number.
    pub seq: i64,
    /// Idempotency key.
    pub key: String,
    /// Attempts already made (this claim's attempt is `attempts + 1`).
    pub attempts: u32,
    /// The stored (masked) body.
    pub body: Vec<u8>,
}

/// How an attempt ended, as recorded in the `attempts` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttemptOutcome {
    /// Whether the processor succeeded.
    pub ok: bool,
    /// The HTTP status the sink answered, when it answered.
    pub status: Option<u16>,
    /// Why it failed (no secret, no buyer data); `None` on success.
    pub error: Option<String>,
}

/// What becomes of the row after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Success: [`State::Processed`].
    Processed,
    /// Try again at this time (epoch ms).
    RetryAt(i64),
    /// No attempt left: [`State::Failed`].
    Failed,
    /// The stored body does not parse (any more): [`State::Unparsed`].
    Unparsed,
}

/// One attempt, for [`Store::record_attempt`].
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    /// The row.
    pub seq: i64,
    /// The attempt's number, from 1.
    pub number: u32,
    /// Epoch ms.
    pub started_at: i64,
    /// Epoch ms.
    pub finished_at: i64,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// What the row becomes.
    pub next: Next,
}

/// One row of the `attempts` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// From 1.
    pub number: u32,
    /// Epoch ms.
    pub started_at: i64,
    /// Epoch ms.
    pub finished_at: i64,
    /// Whether it succeeded.
    pub ok: bool,
    /// The sink's HTTP status, if any.
    pub status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A row's metadata: no body, no buyer data, no token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverySummary {
    /// Row number (what `deliveries show N` takes).
    pub seq: i64,
    /// Idempotency key.
    pub key: String,
    /// Where it came from.
    pub source: Source,
    /// Event name.
    pub event: Option<String>,
    /// 2.0.0 event id.
    pub event_id: Option<String>,
    /// Transaction code.
    pub transaction: Option<String>,
    /// Purchase status.
    pub status: Option<String>,
    /// Payload version.
    pub version: Option<String>,
    /// Processing state.
    pub state: State,
    /// Attempts made.
    pub attempts: u32,
    /// Further receipts of the same key.
    pub duplicates: u32,
    /// First receipt, epoch ms.
    pub received_at: i64,
    /// Last receipt, epoch ms.
    pub last_seen_at: i64,
    /// When the next attempt is due (pending rows), epoch ms.
    pub due_at: Option<i64>,
    /// When processing succeeded, epoch ms.
    pub processed_at: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

/// One row with everything: for `deliveries show` and the admin API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDetail {
    /// The metadata.
    #[serde(flatten)]
    pub summary: DeliverySummary,
    /// The parse error, if the body did not parse.
    pub parse_error: Option<String>,
    /// What the tolerant parser noticed.
    pub problems: Vec<String>,
    /// The masked body; `None` once pruned by retention.
    #[serde(skip)]
    pub body: Option<Vec<u8>>,
    /// Every attempt, in order.
    pub attempts_made: Vec<Attempt>,
}

/// How to name a row: by number or by key / event id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryRef {
    /// The row number.
    Seq(i64),
    /// The event `id` or the idempotency key.
    Id(String),
}

impl DeliveryRef {
    /// A number is a row number; anything else an id.
    pub fn parse(s: &str) -> DeliveryRef {
        match s.parse::<i64>() {
            Ok(n) if n > 0 => DeliveryRef::Seq(n),
            _ => DeliveryRef::Id(s.to_owned()),
        }
    }
}

/// Filters and paging for [`Store::list`], newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this event name.
    pub event: Option<String>,
    /// Only rows received at or after this time (epoch ms).
    pub since: Option<i64>,
    /// Only rows with a number below this (the previous page's last `seq`).
    pub before: Option<i64>,
    /// Skip this many (when not paging by `before`).
    pub offset: u64,
    /// At most this many; 0 means 50.
    pub limit: u32,
}

/// Counts for the statistics endpoint and `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Rows per event name (each key once).
    pub by_event: BTreeMap<String, u64>,
    /// Rows per state.
    pub by_state: BTreeMap<String, u64>,
    /// Further receipts of stored keys (duplicates).
    pub duplicates: u64,
    /// Rows whose body did not parse when received.
    pub unparsed_on_receipt: u64,
    /// Last receipt (including duplicates), epoch ms.
    pub last_delivery_at: Option<i64>,
}

/// Deliveries received in one minute, by state now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinuteCount {
    /// Start of the minute, epoch ms.
    pub minute: i64,
    /// Rows first received in it, per current state.
    pub by_state: BTreeMap<String, u64>,
}

/// Which rows [`Store::replay`] re-queues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaySelector {
    /// These rows (numbers or ids).
    Ids(Vec<DeliveryRef>),
    /// Every row in this state, optionally received since a time.
    State {
        /// The state (usually [`State::Failed`]).
        state: State,
        /// Epoch ms.
        since: Option<i64>,
    },
}

/// A row for `reparse`.
#[derive(Clone, Debug)]
pub struct ReparseRow {
    /// Row number.
    pub seq: i64,
    /// The stored (masked) body.
    pub body: Vec<u8>,
    /// Where it came from.
    pub source: Source,
}

/// What [`Store::store_reparse`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reparsed {
    /// The row now holds the new parse result; it is pending (due at once)
    /// if it parsed, still unparsed if not.
    Updated,
    /// It parsed into a key another row holds: this row became
    /// [`State::Duplicate`] of that one.
    DuplicateOf(i64),
}

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
