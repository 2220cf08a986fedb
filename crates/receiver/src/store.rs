//! The durable store: one SQLite connection owned by one thread, fed by a
//! queue, committing in groups.
//!
//! rusqlite is blocking, and SQLite allows one writer at a time anyway, so the
//! connection lives on a dedicated thread ([`Store::open`]). Every operation is
//! a command sent over a channel with a one-shot reply. The thread takes
//! the first waiting command and every other one already queued (up to
//! [`MAX_BATCH`]), runs all the writes inside one transaction, commits, and
//! only then answers them: during a launch, 64 concurrent deliveries cost one
//! `fsync` instead of 64, and each delivery is still answered only after its
//! own row is on disk (group commit). Reads of the batch run after the commit,
//! so they never see a row whose commit could still fail.
//!
//! Durability: `journal_mode=WAL` with `synchronous=FULL`, so a committed
//! transaction survives a process crash *and* a power loss (with `NORMAL`, WAL
//! mode only survives a process crash; the last transactions can be lost on
//! power loss, which would lose deliveries already answered `200`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

/// The most commands committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// How many commands may wait for the store thread. A delivery that finds the
/// queue full is answered `503` at once (Hotmart retries it ~15 minutes
/// later) instead of growing memory without bound during a surge: a queued
/// command holds a body of at most the layer's 64 KiB limit, so the queue
/// holds at most 64 MiB.
pub const QUEUE_CAPACITY: usize = 1024;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- v2: the event id; v1 purchase: transaction + status; NULL when the
    -- delivery carries no identity (v1 JSON events, unparsable bodies).
    dedupe_key TEXT UNIQUE,
    event_id TEXT,
    event TEXT,
    version TEXT,
    known INTEGER,
    transaction_code TEXT,
    status TEXT,
    hottok_source TEXT NOT NULL,
    -- 'accepted' or 'parse_failed'
    outcome TEXT NOT NULL,
    -- 'pending', 'processed', 'failed' (handler gave up) or 'unprocessable'
    state TEXT NOT NULL,
    parse_error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    received_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    processed_at INTEGER,
    -- The highest `effects.n` when success was recorded: an effect of this
    -- row with a higher number would be a processing after success.
    processed_after_effect INTEGER,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(state, seq);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- Append-only journal of what the example handler did, keyed by idempotency
-- key; it stands in for the external system (access grants) so tests can
-- count effects.
CREATE TABLE IF NOT EXISTS effects (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL,
    action TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS effects_key ON effects(idempotency_key);
";

/// The store failed: the database is unavailable, or the store thread stopped.
#[derive(Debug)]
pub struct StoreError(String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError(err.to_string())
    }
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A delivery to store: its summary and its body.
#[derive(Clone, Debug, Default)]
pub struct NewDelivery {
    /// What duplicates share (see the `deliveries.dedupe_key` column).
    pub dedupe_key: Option<String>,
    /// The 2.0.0 event id.
    pub event_id: Option<String>,
    /// Event name (v1: `purchase`, `cart_abandonment`, …).
    pub event: Option<String>,
    /// Payload version.
    pub version: Option<String>,
    /// Whether the crate knows the event.
    pub known: Option<bool>,
    /// Purchase transaction code.
    pub transaction: Option<String>,
    /// Purchase status (2.0.0 spelling).
    pub status: Option<String>,
    /// `header` or `body`: where the hottok was found.
    pub hottok_source: &'static str,
    /// The parse error (message and path only, never payload values), when
    /// the body did not parse.
    pub parse_error: Option<String>,
    /// Epoch milliseconds.
    pub received_at: i64,
    /// The body as received, with the hottok's value masked.
    pub body: Vec<u8>,
}

/// What storing a delivery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The row (the original one for a duplicate).
    pub seq: i64,
    /// The idempotency key handed to the processor.
    pub key: String,
    /// `true` when an earlier delivery with the same key was already stored.
    pub duplicate: bool,
}

/// A stored delivery waiting for (more) processing.
#[derive(Clone, Debug)]
pub struct PendingRow {
    /// Row number.
    pub seq: i64,
    /// Idempotency key.
    pub key: String,
    /// Attempts already made.
    pub attempts: u32,
    /// The stored body.
    pub body: Vec<u8>,
}

/// Metadata of one delivery, for the recent-deliveries endpoint: no body,
/// no buyer data, no token.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryInfo {
    /// Idempotency key (the event id for 2.0.0).
    pub id: String,
    /// Event name.
    pub event: Option<String>,
    /// Payload version.
    pub version: Option<String>,
    /// Known to the crate.
    pub known: Option<bool>,
    /// Transaction code.
    pub transaction: Option<String>,
    /// Purchase status.
    pub status: Option<String>,
    /// `accepted` or `parse_failed`.
    pub outcome: String,
    /// `pending`, `processed`, `failed` or `unprocessable`.
    pub state: String,
    /// Processing attempts made.
    pub attempts: u32,
    /// Further deliveries of the same event.
    pub duplicates: u32,
    /// First receipt, epoch ms.
    pub received_at: i64,
    /// Last receipt (including duplicates), epoch ms.
    pub last_seen_at: i64,
    /// When processing succeeded, epoch ms.
    pub processed_at: Option<i64>,
}

/// Counts for the statistics endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    /// Stored rows per event name (each event once, duplicates excluded).
    pub by_event: BTreeMap<String, u64>,
    /// Deliveries accepted and stored (first receipt).
    pub accepted: u64,
    /// Deliveries recognised as duplicates.
    pub duplicate: u64,
    /// Requests refused before the handler (wrong token, too large, …).
    pub rejected: u64,
    /// Rejections per reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Bodies that did not parse (stored, answered 400/422).
    pub failed_to_parse: u64,
    /// Rows whose processing succeeded.
    pub processed: u64,
    /// Rows whose processing failed every attempt.
    pub processing_failed: u64,
    /// Rows still waiting for processing.
    pub pending: u64,
    /// Last delivery (accepted, duplicate or unparsable), epoch ms.
    pub last_delivery_at: Option<i64>,
}

/// One effect of the example processor, as journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    /// Journal order.
    pub n: i64,
    /// Idempotency key.
    pub key: String,
    /// What was done.
    pub action: String,
}

enum Command {
    Insert(Box<NewDelivery>, Reply<Stored>),
    CountRejection(&'static str),
    RecordFailure {
        seq: i64,
        attempts: u32,
        error: String,
        give_up: bool,
        reply: Reply<()>,
    },
    MarkProcessed {
        seq: i64,
        attempts: u32,
        reply: Reply<bool>,
    },
    RecordEffect {
        key: String,
        action: String,
        reply: Reply<i64>,
    },
    FetchPending {
        after_seq: i64,
        limit: usize,
        reply: Reply<Vec<PendingRow>>,
    },
    Statistics(Reply<Statistics>),
    Recent(usize, Reply<Vec<DeliveryInfo>>),
    Effects(Reply<Vec<Effect>>),
    Health(Reply<()>),
    Stop,
}

impl Command {
    fn is_read(&self) -> bool {
        matches!(
            self,
            Command::FetchPending { .. }
                | Command::Statistics(_)
                | Command::Recent(..)
                | Command::Effects(_)
                | Command::Health(_)
        )
    }
}

/// A handle on the store thread. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    tx: mpsc::SyncSender<Command>,
}

/// Joins the store thread; see [`Store::open`].
#[derive(Debug)]
pub struct StoreThread {
    tx: mpsc::SyncSender<Command>,
    handle: Option<thread::JoinHandle<()>>,
}

impl StoreThread {
    /// Lets the thread commit what is queued, then stops it and waits.
    /// Later operations on any [`Store`] clone fail.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.tx.send(Command::Stop);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for StoreThread {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store {
    /// Opens (creating if needed) the database at `path`, sets WAL and
    /// `synchronous=FULL`, creates the schema and starts the store thread.
    pub fn open(path: &Path) -> Result<(Store, StoreThread), StoreError> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(format!("journal_mode is {mode}, not wal")));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let (tx, rx) = mpsc::sync_channel(QUEUE_CAPACITY);
        let handle = thread::Builder::new()
            .name("receiver-store".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError(e.to_string()))?;
        Ok((
            Store { tx: tx.clone() },
            StoreThread {
                tx,
                handle: Some(handle),
            },
        ))
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(make(reply)).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => {
                StoreError("the store is busy: the queue is full".into())
            }
            mpsc::TrySendError::Disconnected(_) => {
                StoreError("the store thread has stopped".into())
            }
        })?;
        rx.await
            .map_err(|_| StoreError("the store thread has stopped".into()))?
    }

    /// Stores a delivery durably (returns after the commit), or recognises it
    /// as a duplicate of a stored one.
    pub async fn insert(&self, delivery: NewDelivery) -> Result<Stored, StoreError> {
        self.call(|reply| Command::Insert(Box::new(delivery), reply))
            .await
    }

    /// Counts a rejected request (never its body). Does not wait: when the
    /// queue is full the count is dropped rather than block the runtime.
    pub fn count_rejection(&self, reason: &'static str) {
        let _ = self.tx.try_send(Command::CountRejection(reason));
    }

    /// Records a failed attempt; with `give_up` the row becomes `failed`.
    pub async fn record_failure(
        &self,
        seq: i64,
        attempts: u32,
        error: String,
        give_up: bool,
    ) -> Result<(), StoreError> {
        self.call(|reply| Command::RecordFailure {
            seq,
            attempts,
            error,
            give_up,
            reply,
        })
        .await
    }

    /// Records success durably; `false` if the row was not pending.
    pub async fn mark_processed(&self, seq: i64, attempts: u32) -> Result<bool, StoreError> {
        self.call(|reply| Command::MarkProcessed {
            seq,
            attempts,
            reply,
        })
        .await
    }

    /// Appends to the effects journal (durably); returns its number.
    pub async fn record_effect(&self, key: &str, action: &str) -> Result<i64, StoreError> {
        let (key, action) = (key.to_owned(), action.to_owned());
        self.call(|reply| Command::RecordEffect { key, action, reply })
            .await
    }

    /// Pending rows after `after_seq`, oldest first.
    pub async fn fetch_pending(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<PendingRow>, StoreError> {
        self.call(|reply| Command::FetchPending {
            after_seq,
            limit,
            reply,
        })
        .await
    }

    /// The counts of the statistics endpoint.
    pub async fn statistics(&self) -> Result<Statistics, StoreError> {
        self.call(Command::Statistics).await
    }

    /// The `limit` most recent deliveries, metadata only.
    pub async fn recent(&self, limit: usize) -> Result<Vec<DeliveryInfo>, StoreError> {
        self.call(|reply| Command::Recent(limit, reply)).await
    }

    /// The whole effects journal, in order.
    pub async fn effects(&self) -> Result<Vec<Effect>, StoreError> {
        self.call(Command::Effects).await
    }

    /// `SELECT 1` through the store thread.
    pub async fn health(&self) -> Result<(), StoreError> {
        self.call(Command::Health).await
    }
}

/// The store thread: batches, one transaction per batch, replies after commit.
fn run(mut conn: Connection, rx: mpsc::Receiver<Command>) {
    let mut stop = false;
    while !stop {
        let Ok(first) = rx.recv() else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        let (reads, writes): (Vec<_>, Vec<_>) = batch.into_iter().partition(Command::is_read);
        let mut done = Vec::with_capacity(writes.len());
        let committed = if writes.iter().any(|c| !matches!(c, Command::Stop)) {
            match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
                Ok(tx) => {
                    for cmd in writes {
                        match cmd {
                            Command::Stop => stop = true,
                            cmd => done.push(write(&tx, cmd)),
                        }
                    }
                    tx.commit().map_err(|e| e.to_string())
                }
                Err(e) => {
                    for cmd in writes {
                        match cmd {
                            Command::Stop => stop = true,
                            cmd => done.push(Done::failed(cmd)),
                        }
                    }
                    Err(e.to_string())
                }
            }
        } else {
            stop |= !writes.is_empty();
            Ok(())
        };
        for reply in done {
            reply.send(committed.clone());
        }
        for cmd in reads {
            read(&conn, cmd);
        }
    }
}

/// A write that ran inside the open transaction; its reply waits for the
/// commit.
enum Done {
    Stored(Reply<Stored>, Result<Stored, StoreError>),
    Unit(Reply<()>, Result<(), StoreError>),
    Bool(Reply<bool>, Result<bool, StoreError>),
    Int(Reply<i64>, Result<i64, StoreError>),
    None,
}

impl Done {
    fn failed(cmd: Command) -> Done {
        fn err<T>() -> Result<T, StoreError> {
            Err(StoreError("could not begin a transaction".into()))
        }
        match cmd {
            Command::Insert(_, r) => Done::Stored(r, err()),
            Command::RecordFailure { reply, .. } => Done::Unit(reply, err()),
            Command::MarkProcessed { reply, .. } => Done::Bool(reply, err()),
            Command::RecordEffect { reply, .. } => Done::Int(reply, err()),
            _ => Done::None,
        }
    }

    fn send(self, committed: Result<(), String>) {
        fn finish<T>(
            reply: Reply<T>,
            result: Result<T, StoreError>,
            committed: Result<(), String>,
        ) {
            let result = match committed {
                Ok(()) => result,
                Err(e) => Err(StoreError(format!("commit failed: {e}"))),
            };
            let _ = reply.send(result);
        }
        match self {
            Done::Stored(r, v) => finish(r, v, committed),
            Done::Unit(r, v) => finish(r, v, committed),
            Done::Bool(r, v) => finish(r, v, committed),
            Done::Int(r, v) => finish(r, v, committed),
            Done::None => {}
        }
    }
}

fn write(conn: &Connection, cmd: Command) -> Done {
    match cmd {
        Command::Insert(delivery, reply) => Done::Stored(reply, insert(conn, &delivery)),
        Command::CountRejection(reason) => {
            if let Err(e) = count_rejection(conn, reason) {
                tracing::error!(platform = "HOTMART", error = %e, "could not count a rejection");
            }
            Done::None
        }
        Command::RecordFailure {
            seq,
            attempts,
            error,
            give_up,
            reply,
        } => {
            let state = if give_up { "failed" } else { "pending" };
            let result = conn
                .prepare_cached(
                    "UPDATE deliveries SET attempts = ?2, last_error = ?3, state = ?4
                     WHERE seq = ?1 AND state = 'pending'",
                )
                .and_then(|mut s| s.execute(params![seq, attempts, error, state]))
                .map(drop)
                .map_err(StoreError::from);
            Done::Unit(reply, result)
        }
        Command::MarkProcessed {
            seq,
            attempts,
            reply,
        } => {
            let result = conn
                .prepare_cached(
                    "UPDATE deliveries SET state = 'processed', attempts = ?2, processed_at = ?3,
                         processed_after_effect = (SELECT COALESCE(MAX(n), 0) FROM effects)
                     WHERE seq = ?1 AND state = 'pending'",
                )
                .and_then(|mut s| s.execute(params![seq, attempts, now_ms()]))
                .map(|n| n == 1)
                .map_err(StoreError::from);
            Done::Bool(reply, result)
        }
        Command::RecordEffect { key, action, reply } => {
            let result = conn
                .prepare_cached(
                    "INSERT INTO effects (idempotency_key, action, at) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![key, action, now_ms()]))
                .map(|_| conn.last_insert_rowid())
                .map_err(StoreError::from);
            Done::Int(reply, result)
        }
        _ => Done::None,
    }
}

fn bump(conn: &Connection, name: &str, by: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO counters (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
    )?
    .execute(params![name, by])
    .map(drop)
}

fn touch_last_delivery(conn: &Connection, at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO counters (name, value) VALUES ('last_delivery_at', ?1)
         ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value)",
    )?
    .execute(params![at])
    .map(drop)
}

fn count_rejection(conn: &Connection, reason: &str) -> rusqlite::Result<()> {
    bump(conn, "rejected", 1)?;
    bump(conn, &format!("rejected.{reason}"), 1)
}

fn insert(conn: &Connection, d: &NewDelivery) -> Result<Stored, StoreError> {
    let (outcome, state) = if d.parse_error.is_some() {
        ("parse_failed", "unprocessable")
    } else {
        ("accepted", "pending")
    };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO deliveries (dedupe_key, event_id, event, version, known, transaction_code,
                 status, hottok_source, outcome, state, parse_error, received_at, last_seen_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)
             ON CONFLICT(dedupe_key) DO NOTHING",
        )?
        .execute(params![
            d.dedupe_key,
            d.event_id,
            d.event,
            d.version,
            d.known,
            d.transaction,
            d.status,
            d.hottok_source,
            outcome,
            state,
            d.parse_error,
            d.received_at,
            d.body,
        ])?;
    touch_last_delivery(conn, d.received_at)?;
    if inserted == 1 {
        let seq = conn.last_insert_rowid();
        let key = d
            .dedupe_key
            .clone()
            .unwrap_or_else(|| derived_key(d.version.as_deref(), d.event.as_deref(), seq));
        return Ok(Stored {
            seq,
            key,
            duplicate: false,
        });
    }
    // A conflict: only possible with a dedupe key.
    let key = d.dedupe_key.clone().unwrap_or_default();
    let seq: i64 = conn
        .prepare_cached(
            "UPDATE deliveries SET duplicates = duplicates + 1, last_seen_at = MAX(last_seen_at, ?2)
             WHERE dedupe_key = ?1 RETURNING seq",
        )?
        .query_row(params![key, d.received_at], |r| r.get(0))?;
    bump(conn, "duplicate", 1)?;
    Ok(Stored {
        seq,
        key,
        duplicate: true,
    })
}

/// The idempotency key of a row without a dedupe key: v1 JSON events carry
/// no identifier, and deduplicating on the body is wrong (two deliveries of
/// one event may differ), so each receipt is its own row.
fn derived_key(version: Option<&str>, event: Option<&str>, seq: i64) -> String {
    match (version, event) {
        (Some(version), Some(event)) => format!("{version}:{event}:row-{seq}"),
        _ => format!("unparsed:row-{seq}"),
    }
}

fn read(conn: &Connection, cmd: Command) {
    match cmd {
        Command::FetchPending {
            after_seq,
            limit,
            reply,
        } => {
            let _ = reply.send(fetch_pending(conn, after_seq, limit).map_err(Into::into));
        }
        Command::Statistics(reply) => {
            let _ = reply.send(statistics(conn).map_err(Into::into));
        }
        Command::Recent(limit, reply) => {
            let _ = reply.send(recent(conn, limit).map_err(Into::into));
        }
        Command::Effects(reply) => {
            let _ = reply.send(effects(conn).map_err(Into::into));
        }
        Command::Health(reply) => {
            let result = conn
                .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(StoreError::from)
                .and_then(|one| {
                    (one == 1)
                        .then_some(())
                        .ok_or_else(|| StoreError("SELECT 1 gave another value".into()))
                });
            let _ = reply.send(result);
        }
        _ => {}
    }
}

fn fetch_pending(
    conn: &Connection,
    after_seq: i64,
    limit: usize,
) -> rusqlite::Result<Vec<PendingRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, dedupe_key, version, event, attempts, body FROM deliveries
         WHERE state = 'pending' AND seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![after_seq, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            let seq: i64 = r.get(0)?;
            let dedupe: Option<String> = r.get(1)?;
            let version: Option<String> = r.get(2)?;
            let event: Option<String> = r.get(3)?;
            Ok(PendingRow {
                seq,
                key: dedupe
                    .unwrap_or_else(|| derived_key(version.as_deref(), event.as_deref(), seq)),
                attempts: r.get(4)?,
                body: r.get(5)?,
            })
        },
    )?;
    rows.collect()
}

fn statistics(conn: &Connection) -> rusqlite::Result<Statistics> {
    let mut stats = Statistics::default();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT event, COUNT(*) FROM deliveries WHERE event IS NOT NULL GROUP BY event",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (event, n) = row?;
            stats.by_event.insert(event, n.unsigned_abs());
        }
    }
    {
        let mut stmt = conn.prepare_cached(
            "SELECT outcome, state, COUNT(*) FROM deliveries GROUP BY outcome, state",
        )?;
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (outcome, state, n) = row?;
            let n = n.unsigned_abs();
            match outcome.as_str() {
                "accepted" => stats.accepted += n,
                _ => stats.failed_to_parse += n,
            }
            match state.as_str() {
                "processed" => stats.processed += n,
                "failed" => stats.processing_failed += n,
                "pending" => stats.pending += n,
                _ => {}
            }
        }
    }
    let mut stmt = conn.prepare_cached("SELECT name, value FROM counters")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (name, value) = row?;
        let n = u64::try_from(value).unwrap_or(0);
        match name.as_str() {
            "duplicate" => stats.duplicate = n,
            "rejected" => stats.rejected = n,
            "last_delivery_at" => stats.last_delivery_at = Some(value),
            other => {
                if let Some(reason) = other.strip_prefix("rejected.") {
                    stats.rejected_by_reason.insert(reason.to_owned(), n);
                }
            }
        }
    }
    Ok(stats)
}

fn recent(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<DeliveryInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, dedupe_key, event, version, known, transaction_code, status, outcome, state,
                attempts, duplicates, received_at, last_seen_at, processed_at
         FROM deliveries ORDER BY last_seen_at DESC, seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
        let seq: i64 = r.get(0)?;
        let dedupe: Option<String> = r.get(1)?;
        let event: Option<String> = r.get(2)?;
        let version: Option<String> = r.get(3)?;
        Ok(DeliveryInfo {
            id: dedupe.unwrap_or_else(|| derived_key(version.as_deref(), event.as_deref(), seq)),
            event,
            version,
            known: r.get(4)?,
            transaction: r.get(5)?,
            status: r.get(6)?,
            outcome: r.get(7)?,
            state: r.get(8)?,
            attempts: r.get(9)?,
            duplicates: r.get(10)?,
            received_at: r.get(11)?,
            last_seen_at: r.get(12)?,
            processed_at: r.get(13)?,
        })
    })?;
    rows.collect()
}

fn effects(conn: &Connection) -> rusqlite::Result<Vec<Effect>> {
    let mut stmt =
        conn.prepare_cached("SELECT n, idempotency_key, action FROM effects ORDER BY n")?;
    let rows = stmt.query_map([], |r| {
        Ok(Effect {
            n: r.get(0)?,
            key: r.get(1)?,
            action: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// Reads, without the store thread, whether any effect of a row was
/// journaled after its success was recorded (for tests and audits): the
/// keys of such rows.
pub fn effects_after_success(path: &Path) -> Result<Vec<String>, StoreError> {
    let conn = Connection::open(path)?;
    let mut stmt = conn.prepare(
        "SELECT DISTINCT e.idempotency_key FROM effects e
         JOIN deliveries d ON d.dedupe_key = e.idempotency_key
         WHERE d.state = 'processed' AND e.n > d.processed_after_effect",
    )?;
    let keys = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(keys)
}

/// The state of the row with this dedupe key, read without the store thread.
pub fn state_of(path: &Path, dedupe_key: &str) -> Result<Option<String>, StoreError> {
    let conn = Connection::open(path)?;
    Ok(conn
        .query_row(
            "SELECT state FROM deliveries WHERE dedupe_key = ?1",
            [dedupe_key],
            |r| r.get(0),
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_instead_of_growing() {
        // No thread drains this queue: it is full after one command.
        let (tx, _rx) = mpsc::sync_channel(1);
        let store = Store { tx };
        store.count_rejection("mismatch");
        store.count_rejection("mismatch"); // dropped, never blocks
        let err = store.insert(NewDelivery::default()).await.unwrap_err();
        assert!(err.to_string().contains("busy"), "{err}");
    }

    #[tokio::test]
    async fn a_stopped_store_says_so() {
        let (tx, rx) = mpsc::sync_channel(1);
        drop(rx);
        let store = Store { tx };
        let err = store.insert(NewDelivery::default()).await.unwrap_err();
        assert!(err.to_string().contains("stopped"), "{err}");
    }
}
