//! The SQLite schema. Every query of the store has an index behind it.

/// Created at open, idempotently.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The idempotency key (crate::key): the dedupe key of every shape.
    key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    event TEXT,
    event_id TEXT,
    transaction_code TEXT,
    status TEXT,
    version TEXT,
    -- pending, processed, failed, unparsed, duplicate
    state TEXT NOT NULL,
    parse_error TEXT,
    -- JSON array of strings
    problems TEXT NOT NULL DEFAULT '[]',
    unparsed_on_receipt INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Pending rows: when the next attempt is due; while leased, the end of
    -- the lease. NULL for the other states.
    due_at INTEGER,
    claimed_by TEXT,
    last_error TEXT,
    received_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    duplicates INTEGER NOT NULL DEFAULT 0,
    processed_at INTEGER
);
-- The masked bodies, apart: claiming a row and recording its attempt
-- rewrite the whole row, and a body (kilobytes) in it tripled what each
-- delivery wrote to the WAL. A row without a body was pruned (retention).
CREATE TABLE IF NOT EXISTS bodies (
    seq INTEGER PRIMARY KEY REFERENCES deliveries(seq),
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(due_at, seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state, seq);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event, seq);
CREATE INDEX IF NOT EXISTS deliveries_event_id ON deliveries(event_id);
CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries(received_at);
CREATE TABLE IF NOT EXISTS attempts (
    delivery INTEGER NOT NULL REFERENCES deliveries(seq),
    number INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    PRIMARY KEY (delivery, number)
) WITHOUT ROWID;
-- Running totals kept by the writer, so statistics never scan for them.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
";
