//! The processing queue, shared by every instance.
//!
//! A claim is one statement: the due rows are selected `FOR UPDATE SKIP
//! LOCKED` (two instances claiming at once take different rows, neither
//! waits for the other) and leased to the worker by moving `due_at` to the
//! lease's end and setting `leased_by`. A lease that ends without an outcome
//! (its instance crashed, or stalled past the lease) leaves the row due
//! again by itself: any worker takes it over with the same statement.
//!
//! Recording an outcome re-checks, in the same statement, that the row is
//! still pending, still leased by this worker and still at the attempt this
//! worker was given. A worker whose lease was taken over records nothing,
//! and so never overwrites what the new holder did meanwhile.
//!
//! Times are the database's clock (`clock_timestamp()`), so instances with
//! skewed clocks agree on when a lease ends.

use std::time::Duration;

use super::{PostgresStore, db_error, now_ms_sql};
use crate::store::{AttemptRecord, Claimed, Next, StoreResult};

const CLAIM: &str = concat!(
    "WITH due AS (SELECT seq FROM deliveries WHERE state = 'pending' AND due_at <= ",
    now_ms_sql!(),
    " ORDER BY due_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) \
     UPDATE deliveries d SET leased_by = $1, due_at = ",
    now_ms_sql!(),
    " + $3 FROM due WHERE d.seq = due.seq \
     RETURNING d.seq, d.key, d.attempts, d.body"
);

pub(super) async fn claim_due(
    store: &PostgresStore,
    worker: &str,
    limit: usize,
    lease: Duration,
) -> StoreResult<Vec<Claimed>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
    let client = store.client().await?;
    let statement = client.prepare_cached(CLAIM).await.map_err(db_error)?;
    let rows = client
        .query(&statement, &[&worker, &limit, &lease_ms])
        .await
        .map_err(db_error)?;
    let mut claimed: Vec<Claimed> = rows
        .iter()
        .map(|row| Claimed {
            seq: row.get(0),
            key: row.get(1),
            attempts: u32::try_from(row.get::<_, i32>(2)).unwrap_or(0),
            body: row.get::<_, Option<Vec<u8>>>(3).unwrap_or_default(),
        })
        .collect();
    claimed.sort_by_key(|c| c.seq);
    Ok(claimed)
}

/// The state change and the attempt's row in one statement: both or
/// neither, and only while the lease is this worker's.
const RECORD: &str = "WITH moved AS ( \
     UPDATE deliveries SET state = $3, attempts = $2, leased_by = NULL, due_at = $4, \
     processed_at = CASE WHEN $3 = 'processed' THEN $6::bigint ELSE processed_at END, \
     last_error = $9 \
     WHERE seq = $1 AND state = 'pending' AND leased_by = $10 AND attempts = $2 - 1 \
     RETURNING seq) \
     INSERT INTO attempts (seq, number, worker, started_at, finished_at, ok, status, error) \
     SELECT seq, $2, $10, $5, $6, $7, $8, $9 FROM moved RETURNING seq";

pub(super) async fn record_attempt(
    store: &PostgresStore,
    worker: &str,
    record: AttemptRecord,
) -> StoreResult<bool> {
    let (state, due_at) = match record.next {
        Next::Processed => ("processed", None),
        Next::RetryAt(at) => ("pending", Some(at)),
        Next::Failed => ("failed", None),
        Next::Unparsed => ("unparsed", None),
    };
    let number = i32::try_from(record.number).unwrap_or(i32::MAX);
    let status = record.outcome.status.map(i32::from);
    let client = store.client().await?;
    let statement = client.prepare_cached(RECORD).await.map_err(db_error)?;
    let rows = client
        .query(
            &statement,
            &[
                &record.seq,
                &number,
                &state,
                &due_at,
                &record.started_at,
                &record.finished_at,
                &record.outcome.ok,
                &status,
                &record.outcome.error,
                &worker,
            ],
        )
        .await
        .map_err(db_error)?;
    if !rows.is_empty() && state == "pending" {
        // A retry may be due before the worker's planned sleep ends
        // elsewhere; the other instances learn of it by their poll or here.
        store.wakeups.nudge_others();
    }
    Ok(!rows.is_empty())
}

const RELEASE: &str = concat!(
    "UPDATE deliveries SET leased_by = NULL, due_at = ",
    now_ms_sql!(),
    " WHERE seq = ANY($2) AND state = 'pending' AND leased_by = $1"
);

pub(super) async fn release(store: &PostgresStore, worker: &str, seqs: &[i64]) -> StoreResult<()> {
    if seqs.is_empty() {
        return Ok(());
    }
    let client = store.client().await?;
    let released = client
        .execute(RELEASE, &[&worker, &seqs])
        .await
        .map_err(db_error)?;
    if released > 0 {
        store.wakeups.nudge_others();
    }
    Ok(())
}

pub(super) async fn next_due_at(store: &PostgresStore) -> StoreResult<Option<i64>> {
    let client = store.client().await?;
    let row = client
        .query_one(
            "SELECT MIN(due_at) FROM deliveries WHERE state = 'pending'",
            &[],
        )
        .await
        .map_err(db_error)?;
    Ok(row.get(0))
}

const OLDEST_DUE: &str = concat!(
    "SELECT MIN(due_at) FROM deliveries WHERE state = 'pending' AND due_at <= ",
    now_ms_sql!()
);

pub(super) async fn oldest_due_at(store: &PostgresStore) -> StoreResult<Option<i64>> {
    let client = store.client().await?;
    let row = client.query_one(OLDEST_DUE, &[]).await.map_err(db_error)?;
    Ok(row.get(0))
}
