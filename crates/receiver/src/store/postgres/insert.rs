//! The writer path: one `INSERT … ON CONFLICT … RETURNING` per delivery.
//!
//! The unique key and the single statement make dedupe safe across
//! instances with no read-then-write race: two instances receiving the same
//! event at the same instant both run the statement; PostgreSQL lets one
//! insert and turns the other into the `DO UPDATE` branch (counting the
//! duplicate), and each learns which from `RETURNING`. The statement commits
//! on its own (autocommit) before the handler answers `200`.
//!
//! Nothing else is written per insert: no counter row (it would serialize
//! every insert of every instance); statistics are indexed queries.

use super::{PostgresStore, db_error, now_ms_sql};
use crate::store::{Inserted, NewDelivery, StoreResult};

/// The row to re-queue on a resend from Hotmart (not on a reconcile
/// import): not processed yet and not due now, so failed, unparsed, or
/// waiting for a later attempt and not leased. (A row leased now is being
/// worked on; making it due would hand it to a second worker while the first
/// still runs.) The SQLite store applies the same rule.
macro_rules! requeue_condition {
    () => {
        concat!(
            "($2 = 'webhook' AND (d.state IN ('failed', 'unparsed') OR (d.state = 'pending' AND d.due_at > ",
            now_ms_sql!(),
            " AND d.leased_by IS NULL)))"
        )
    };
}

const INSERT: &str = concat!(
    "INSERT INTO deliveries AS d (key, source, event, event_id, transaction_code, status, \
     version, parse_error, unparsed_on_receipt, problems, state, received_at, last_seen_at, \
     due_at, body) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8::text IS NOT NULL, $9, \
     CASE WHEN $8::text IS NULL THEN 'pending' ELSE 'unparsed' END, $10, $10, \
     CASE WHEN $8::text IS NULL THEN ",
    now_ms_sql!(),
    " END, $11) \
     ON CONFLICT (key) DO UPDATE SET \
     duplicates = d.duplicates + 1, \
     last_seen_at = GREATEST(d.last_seen_at, EXCLUDED.last_seen_at), \
     requeued = ",
    requeue_condition!(),
    ", state = CASE WHEN ",
    requeue_condition!(),
    " THEN 'pending' ELSE d.state END, \
     due_at = CASE WHEN ",
    requeue_condition!(),
    " THEN ",
    now_ms_sql!(),
    " ELSE d.due_at END \
     RETURNING d.seq, (d.xmax = 0) AS inserted, d.requeued, d.state"
);

pub(super) async fn insert(store: &PostgresStore, delivery: NewDelivery) -> StoreResult<Inserted> {
    // Bounded waiting: past the limit, answer busy (503) at once.
    let _permit = store
        .writers
        .try_acquire()
        .map_err(|_| crate::store::StoreError::Busy)?;
    let client = store.client().await?;
    let statement = client.prepare_cached(INSERT).await.map_err(db_error)?;
    let s = &delivery.summary;
    let row = client
        .query_one(
            &statement,
            &[
                &s.key,
                &delivery.source.as_str(),
                &s.event,
                &s.event_id,
                &s.transaction,
                &s.status,
                &s.version,
                &s.parse_error,
                &s.problems,
                &delivery.received_at,
                &delivery.body,
            ],
        )
        .await
        .map_err(db_error)?;
    let seq: i64 = row.get(0);
    let inserted: bool = row.get(1);
    let requeued: bool = row.get(2);
    let state: &str = row.get(3);
    Ok(if inserted {
        if state == "pending" {
            store.wakeups.due_now();
        }
        Inserted::New { seq }
    } else if requeued {
        store.wakeups.due_now();
        Inserted::Requeued { seq }
    } else {
        Inserted::Duplicate { seq }
    })
}
