//! Maintenance: replay, reparse, retention, backup, the readiness probe.

use std::path::Path;

use super::{PostgresStore, db_error, now_ms_sql};
use crate::store::{
    DeliveryRef, ParseSummary, ReparseRow, Reparsed, ReplaySelector, Source, StoreError,
    StoreResult,
};

/// Re-queue: due now, lease dropped. A row leased right now is left alone:
/// its worker is on it, and making it due would hand it to a second one.
macro_rules! replay_set {
    () => {
        concat!(
            "UPDATE deliveries SET state = 'pending', leased_by = NULL, due_at = ",
            now_ms_sql!(),
            " WHERE NOT (state = 'pending' AND leased_by IS NOT NULL AND due_at > ",
            now_ms_sql!(),
            ") AND state <> 'duplicate' AND body IS NOT NULL AND "
        )
    };
}

const REPLAY_SEQ: &str = concat!(replay_set!(), "seq = $1");
const REPLAY_ID: &str = concat!(
    replay_set!(),
    "seq = (SELECT seq FROM deliveries WHERE key = $1 OR event_id = $1 \
     ORDER BY (key = $1) DESC, seq LIMIT 1)"
);
const REPLAY_STATE: &str = concat!(
    replay_set!(),
    "state = $1 AND ($2::bigint IS NULL OR received_at >= $2)"
);

pub(super) async fn replay(store: &PostgresStore, which: &ReplaySelector) -> StoreResult<u64> {
    let client = store.client().await?;
    let mut count = 0;
    match which {
        ReplaySelector::Ids(ids) => {
            for id in ids {
                count += match id {
                    DeliveryRef::Seq(seq) => client.execute(REPLAY_SEQ, &[seq]).await,
                    DeliveryRef::Id(id) => client.execute(REPLAY_ID, &[id]).await,
                }
                .map_err(db_error)?;
            }
        }
        ReplaySelector::State { state, since } => {
            count = client
                .execute(REPLAY_STATE, &[&state.as_str(), since])
                .await
                .map_err(db_error)?;
        }
    }
    if count > 0 {
        store.wakeups.due_now();
    }
    Ok(count)
}

pub(super) async fn to_reparse(
    store: &PostgresStore,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<ReparseRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let client = store.client().await?;
    let rows = client
        .query(
            "SELECT seq, body, source FROM deliveries \
             WHERE state = 'unparsed' AND seq > $1 AND body IS NOT NULL ORDER BY seq LIMIT $2",
            &[&after, &limit],
        )
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let source: &str = row.get(2);
            Ok(ReparseRow {
                seq: row.get(0),
                body: row.get(1),
                source: Source::parse(source)
                    .ok_or_else(|| StoreError::Database(format!("unknown source {source:?}")))?,
            })
        })
        .collect()
}

const STORE_REPARSE: &str = concat!(
    "UPDATE deliveries SET key = $2, event = $3, event_id = $4, transaction_code = $5, \
     status = $6, version = $7, parse_error = $8, problems = $9, leased_by = NULL, \
     state = CASE WHEN $8::text IS NULL THEN 'pending' ELSE 'unparsed' END, \
     due_at = CASE WHEN $8::text IS NULL THEN ",
    now_ms_sql!(),
    " END WHERE seq = $1"
);

pub(super) async fn store_reparse(
    store: &PostgresStore,
    seq: i64,
    summary: ParseSummary,
) -> StoreResult<Reparsed> {
    let client = store.client().await?;
    let s = &summary;
    let updated = client
        .execute(
            STORE_REPARSE,
            &[
                &seq,
                &s.key,
                &s.event,
                &s.event_id,
                &s.transaction,
                &s.status,
                &s.version,
                &s.parse_error,
                &s.problems,
            ],
        )
        .await;
    match updated {
        Ok(_) => {
            if s.parse_error.is_none() {
                store.wakeups.due_now();
            }
            Ok(Reparsed::Updated)
        }
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            // Another row holds the key the body parses to: this one is a
            // duplicate of it and needs no processing of its own.
            let other: i64 = client
                .query_one("SELECT seq FROM deliveries WHERE key = $1", &[&s.key])
                .await
                .map_err(db_error)?
                .get(0);
            client
                .execute(
                    "UPDATE deliveries SET state = 'duplicate', due_at = NULL, leased_by = NULL, \
                     event = $2, event_id = $3, transaction_code = $4, status = $5, \
                     version = $6, parse_error = NULL, problems = $7 WHERE seq = $1",
                    &[
                        &seq,
                        &s.event,
                        &s.event_id,
                        &s.transaction,
                        &s.status,
                        &s.version,
                        &s.problems,
                    ],
                )
                .await
                .map_err(db_error)?;
            Ok(Reparsed::DuplicateOf(other))
        }
        Err(e) => Err(db_error(e)),
    }
}

pub(super) async fn prune_bodies(store: &PostgresStore, before: i64) -> StoreResult<u64> {
    let client = store.client().await?;
    client
        .execute(
            "UPDATE deliveries SET body = NULL \
             WHERE state = 'processed' AND received_at < $1 AND body IS NOT NULL",
            &[&before],
        )
        .await
        .map_err(db_error)
}

pub(super) async fn backup(_store: &PostgresStore, _path: &Path) -> StoreResult<()> {
    Err(StoreError::Unsupported(
        "backup of a PostgreSQL database: use pg_dump or the server's own backups",
    ))
}

pub(super) async fn probe_write(store: &PostgresStore) -> StoreResult<()> {
    let client = store.client().await?;
    // An UPDATE that matches nothing: refused like any write by a read-only
    // server (a standby, `default_transaction_read_only`), changes nothing.
    client
        .execute(
            "UPDATE hotmart_receiver_schema SET version = version WHERE FALSE",
            &[],
        )
        .await
        .map(drop)
        .map_err(db_error)
}
