//! The schema, created and migrated at start under an advisory lock.
//!
//! Migrations are numbered and applied in order, each once, inside one
//! transaction that first takes `pg_advisory_xact_lock`: two instances
//! starting together queue on the lock, and the second finds the work done.
//! The lock is transaction-scoped, so a crash mid-migration releases it and
//! rolls everything back.

use deadpool_postgres::Pool;

use super::db_error;
use crate::store::{StoreError, StoreResult};

/// The advisory lock key: "hotmart" in ASCII, so it does not collide with
/// another program's lock on a shared database by accident.
const MIGRATION_LOCK: i64 = 0x0068_6f74_6d61_7274;

/// `(version, SQL)`, in order. Never edit a released migration: add one.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "
CREATE TABLE deliveries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The idempotency key: what duplicates share, across instances.
    key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    event TEXT,
    event_id TEXT,
    transaction_code TEXT,
    status TEXT,
    version TEXT,
    parse_error TEXT,
    unparsed_on_receipt BOOLEAN NOT NULL,
    problems TEXT[] NOT NULL DEFAULT '{}',
    -- pending, processed, failed, unparsed, duplicate
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    -- Pending rows: when the next attempt is due; while leased, when the
    -- lease ends (so an expired lease makes the row due again by itself).
    -- Epoch ms, database clock.
    due_at BIGINT,
    -- The worker holding the lease; every state change re-checks it.
    leased_by TEXT,
    processed_at BIGINT,
    last_error TEXT,
    -- What the last ON CONFLICT did (re-queued the row or not): lets the
    -- single INSERT statement report it.
    requeued BOOLEAN NOT NULL DEFAULT FALSE,
    -- Pruned (NULL) by retention once processed.
    body BYTEA
);
-- The queue: only pending rows, by due time.
CREATE INDEX deliveries_due ON deliveries (due_at, seq) WHERE state = 'pending';
-- Statistics and listing, each from an index instead of a counter row.
CREATE INDEX deliveries_state ON deliveries (state, seq);
CREATE INDEX deliveries_event ON deliveries (event, seq);
CREATE INDEX deliveries_event_id ON deliveries (event_id);
CREATE INDEX deliveries_received ON deliveries (received_at);
CREATE INDEX deliveries_last_seen ON deliveries (last_seen_at);
CREATE INDEX deliveries_unparsed_on_receipt ON deliveries (seq) WHERE unparsed_on_receipt;

CREATE TABLE attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq BIGINT NOT NULL REFERENCES deliveries (seq) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    worker TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE INDEX attempts_seq ON attempts (seq, number);
",
)];

/// The newest schema this build knows.
pub(super) const CURRENT: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Creates or migrates the schema. Refuses a database migrated by a newer
/// build (its schema may mean things this build does not know).
pub(super) async fn migrate(pool: &Pool) -> StoreResult<()> {
    let mut client = pool.get().await.map_err(super::pool_error)?;
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hotmart_receiver_schema (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db_error)?;
    let applied: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM hotmart_receiver_schema",
            &[],
        )
        .await
        .map_err(db_error)?
        .get(0);
    if applied > CURRENT {
        return Err(StoreError::Database(format!(
            "the database's schema is version {applied}, newer than this build's {CURRENT}: \
             run the newer hotmart-receiver"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tx.batch_execute(sql).await.map_err(db_error)?;
        tx.execute(
            "INSERT INTO hotmart_receiver_schema (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}
