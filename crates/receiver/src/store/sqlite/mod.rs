//! The SQLite backend: one file, one writer thread committing in groups, a
//! few read-only connections for everything else.
//!
//! * **Writes** (deliveries, the worker's bookkeeping, maintenance) go to one
//!   thread that owns the only read-write connection. It takes every command
//!   already queued (up to [`MAX_BATCH`]), runs each in its own savepoint
//!   inside one transaction, commits, and only then answers: during a launch,
//!   64 concurrent deliveries cost one `fsync` instead of 64, and each is
//!   answered only after its own row is on disk (group commit).
//! * **HTTP's share of that queue is bounded** ([`SqliteOptions::queue_capacity`]):
//!   a delivery finding it full is answered `503` at once. The worker's
//!   bookkeeping is not counted against it, so a surge of deliveries never
//!   makes an attempt's record fail.
//! * **Reads** (lists, statistics, the worker's "when is the next row due")
//!   run on read-only connections in the blocking pool: WAL lets them run
//!   while the writer commits, so they never wait behind deliveries.
//!
//! Durability: `journal_mode=WAL` with `synchronous=FULL`: a committed
//! transaction survives a process crash *and* a power loss. The file is
//! created with mode `0600` (its bodies hold buyer data), and `serve` holds an
//! exclusive lock on `<file>.lock` so that a second `serve` on the same file
//! refuses to start instead of processing every row a second time.

mod read;
mod schema;
mod write;

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use super::{
    AttemptRecord, Claimed, DeliveryDetail, DeliveryRef, DeliverySummary, Inserted, ListFilter,
    MinuteCount, NewDelivery, ParseSummary, ReparseRow, Reparsed, ReplaySelector, Statistics,
    Store, StoreError, StoreResult,
};

/// The most commands committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// How [`SqliteStore::open`] opens the file.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    /// How many deliveries may wait for the writer before `503`. A waiting
    /// delivery holds a body of at most 64 KiB, so 1024 hold at most 64 MiB.
    pub queue_capacity: usize,
    /// Take the exclusive `serve` lock (`<file>.lock`) and take back the
    /// leases of a previous run; reading and maintenance commands open the
    /// file without it.
    pub exclusive: bool,
    /// How long a statement waits for another process's lock.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            queue_capacity: 1024,
            exclusive: false,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// The SQLite [`Store`].
#[derive(Debug)]
pub struct SqliteStore {
    inner: Arc<Inner>,
    thread: Mutex<Option<thread::JoinHandle<()>>>,
    /// Held (locked) for as long as the store lives.
    _lock: Option<File>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<write::Cmd>,
    /// Deliveries sent to the writer and not yet taken by it.
    queued_inserts: AtomicUsize,
    capacity: usize,
    busy_timeout: Duration,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (creating it with mode `0600` if needed) the database at
    /// `path`, sets WAL and `synchronous=FULL`, creates the schema and starts
    /// the writer thread.
    pub fn open(path: &Path, options: &SqliteOptions) -> StoreResult<SqliteStore> {
        let lock = if options.exclusive {
            Some(take_lock(path)?)
        } else {
            None
        };
        create_private(path)?;
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(options.busy_timeout).map_err(db)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Database(format!(
                "journal_mode is {mode}, not wal"
            )));
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(db)?;
        refuse_old_schema(&conn)?;
        conn.execute_batch(schema::SCHEMA).map_err(db)?;
        move_bodies_apart(&conn)?;
        if options.exclusive {
            // The lock proves no other worker runs on this file: leases
            // still held are those of a run that died; its rows are due now.
            conn.execute(
                "UPDATE deliveries SET claimed_by = NULL, due_at = ?1
                 WHERE state = 'pending' AND claimed_by IS NOT NULL",
                [super::now_ms()],
            )
            .map_err(db)?;
        }
        let (tx, rx) = mpsc::channel();
        let inner = Arc::new(Inner {
            path: path.to_owned(),
            writer: tx,
            queued_inserts: AtomicUsize::new(0),
            capacity: options.queue_capacity.max(1),
            busy_timeout: options.busy_timeout,
            readers: Mutex::new(Vec::new()),
        });
        let for_thread = Arc::clone(&inner);
        let handle = thread::Builder::new()
            .name("receiver-store".into())
            .spawn(move || write::run(conn, rx, &for_thread))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(SqliteStore {
            inner,
            thread: Mutex::new(Some(handle)),
            _lock: lock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn call<T>(&self, make: impl FnOnce(write::Reply<T>) -> write::Cmd) -> StoreResult<T> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .writer
            .send(make(reply))
            .map_err(|_| StoreError::Stopped)?;
        rx.await.map_err(|_| StoreError::Stopped)?
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = inner.readers.lock().map_err(|_| StoreError::Stopped)?.pop();
            let conn = match conn {
                Some(conn) => conn,
                None => {
                    let conn = Connection::open_with_flags(
                        &inner.path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                    .map_err(db)?;
                    conn.busy_timeout(inner.busy_timeout).map_err(db)?;
                    conn
                }
            };
            let result = f(&conn).map_err(db);
            if let Ok(mut idle) = inner.readers.lock()
                && idle.len() < 8
            {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|_| StoreError::Stopped)?
    }
}

impl Drop for SqliteStore {
    /// Lets the writer commit what is queued, then stops it and waits.
    fn drop(&mut self) {
        let _ = self.inner.writer.send(write::Cmd::Stop);
        if let Some(handle) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = handle.join();
        }
    }
}

/// Creates the file with mode 0600 if it does not exist (SQLite gives its
/// `-wal` and `-shm` files the database file's mode).
fn create_private(path: &Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::Database(format!("cannot create {}: {e}", path.display())))
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The `serve` lock: an exclusive advisory lock on `<file>.lock`, released
/// by the OS when the process ends however it ends.
fn take_lock(path: &Path) -> StoreResult<File> {
    let lock = lock_path(path);
    let file = File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| StoreError::Database(format!("cannot open {}: {e}", lock.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Database(format!(
            "another hotmart-receiver is already serving {} (it holds {}); \
             two would process every row twice: stop the other one or use another DATABASE_URL",
            path.display(),
            lock.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Database(format!(
            "cannot lock {}: {e}",
            lock.display()
        ))),
    }
}

/// A file written before the bodies moved to their own table: moves them
/// there, in one transaction.
fn move_bodies_apart(conn: &Connection) -> StoreResult<()> {
    let inline: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'body'",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    if inline == 0 {
        return Ok(());
    }
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         INSERT OR IGNORE INTO bodies (seq, body)
             SELECT seq, body FROM deliveries WHERE body IS NOT NULL;
         ALTER TABLE deliveries DROP COLUMN body;
         COMMIT;",
    )
    .map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        db(e)
    })
}

fn refuse_old_schema(conn: &Connection) -> StoreResult<()> {
    let old: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'dedupe_key'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db)?
        > 0;
    if old {
        return Err(StoreError::Database(
            "this file was written by example-receiver, whose schema differs: \
             start hotmart-receiver with a new DATABASE_URL"
                .into(),
        ));
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn insert(&self, delivery: NewDelivery) -> StoreResult<Inserted> {
        let queued = self.inner.queued_inserts.fetch_add(1, Ordering::AcqRel);
        if queued >= self.inner.capacity {
            self.inner.queued_inserts.fetch_sub(1, Ordering::AcqRel);
            return Err(StoreError::Busy);
        }
        let (reply, rx) = oneshot::channel();
        if self
            .inner
            .writer
            .send(write::Cmd::Insert(Box::new(delivery), reply))
            .is_err()
        {
            self.inner.queued_inserts.fetch_sub(1, Ordering::AcqRel);
            return Err(StoreError::Stopped);
        }
        rx.await.map_err(|_| StoreError::Stopped)?
    }

    async fn claim_due(
        &self,
        worker: &str,
        limit: usize,
        lease: Duration,
    ) -> StoreResult<Vec<Claimed>> {
        let worker = worker.to_owned();
        self.call(|reply| write::Cmd::Claim {
            worker,
            limit,
            lease,
            reply,
        })
        .await
    }

    async fn record_attempt(&self, worker: &str, record: AttemptRecord) -> StoreResult<bool> {
        let worker = worker.to_owned();
        self.call(|reply| write::Cmd::Record {
            worker,
            record,
            reply,
        })
        .await
    }

    async fn release(&self, worker: &str, seqs: &[i64]) -> StoreResult<()> {
        let (worker, seqs) = (worker.to_owned(), seqs.to_vec());
        self.call(|reply| write::Cmd::Release {
            worker,
            seqs,
            reply,
        })
        .await
    }

    async fn next_due_at(&self) -> StoreResult<Option<i64>> {
        self.read(read::next_due_at).await
    }

    async fn oldest_due_at(&self) -> StoreResult<Option<i64>> {
        self.read(read::oldest_due_at).await
    }

    async fn list(&self, filter: &ListFilter) -> StoreResult<Vec<DeliverySummary>> {
        let filter = filter.clone();
        self.read(move |c| read::list(c, &filter)).await
    }

    async fn get(&self, which: &DeliveryRef) -> StoreResult<Option<DeliveryDetail>> {
        let which = which.clone();
        self.read(move |c| read::get(c, &which)).await
    }

    async fn statistics(&self) -> StoreResult<Statistics> {
        self.read(read::statistics).await
    }

    async fn per_minute(&self, since: i64) -> StoreResult<Vec<MinuteCount>> {
        self.read(move |c| read::per_minute(c, since)).await
    }

    async fn replay(&self, which: &ReplaySelector) -> StoreResult<u64> {
        let which = which.clone();
        self.call(|reply| write::Cmd::Replay(which, reply)).await
    }

    async fn to_reparse(&self, after: i64, limit: usize) -> StoreResult<Vec<ReparseRow>> {
        self.read(move |c| read::to_reparse(c, after, limit)).await
    }

    async fn store_reparse(&self, seq: i64, summary: ParseSummary) -> StoreResult<Reparsed> {
        self.call(|reply| write::Cmd::StoreReparse(seq, Box::new(summary), reply))
            .await
    }

    async fn prune_bodies(&self, before: i64) -> StoreResult<u64> {
        self.call(|reply| write::Cmd::Prune(before, reply)).await
    }

    async fn backup(&self, path: &Path) -> StoreResult<()> {
        let (from, to) = (self.inner.path.clone(), path.to_owned());
        tokio::task::spawn_blocking(move || write::backup(&from, &to))
            .await
            .map_err(|_| StoreError::Stopped)?
    }

    async fn probe_write(&self) -> StoreResult<()> {
        self.call(write::Cmd::Probe).await
    }

    async fn existing_keys(&self, keys: &[String]) -> StoreResult<HashSet<String>> {
        let keys = keys.to_vec();
        self.read(move |c| read::existing_keys(c, &keys)).await
    }
}
