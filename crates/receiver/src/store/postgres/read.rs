//! Reading: listing, one row, statistics, the per-minute chart, which keys
//! exist. Each is an indexed query on pooled connections, never on the
//! writer's statement and never a counter that inserts would update.

use std::collections::{BTreeMap, HashSet};

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, db_error};
use crate::store::{
    Attempt, DeliveryDetail, DeliveryRef, DeliverySummary, ListFilter, MinuteCount, Source, State,
    Statistics, StoreError, StoreResult,
};

/// The columns [`summary`] reads, in its order.
const SUMMARY_COLUMNS: &str = "seq, key, source, event, event_id, transaction_code, status, \
     version, state, attempts, duplicates, received_at, last_seen_at, \
     CASE WHEN state = 'pending' THEN due_at END, processed_at, last_error";

fn summary(row: &Row) -> StoreResult<DeliverySummary> {
    let source: &str = row.get(2);
    let state: &str = row.get(8);
    Ok(DeliverySummary {
        seq: row.get(0),
        key: row.get(1),
        source: Source::parse(source)
            .ok_or_else(|| StoreError::Database(format!("unknown source {source:?}")))?,
        event: row.get(3),
        event_id: row.get(4),
        transaction: row.get(5),
        status: row.get(6),
        version: row.get(7),
        state: State::parse(state)
            .ok_or_else(|| StoreError::Database(format!("unknown state {state:?}")))?,
        attempts: u32::try_from(row.get::<_, i32>(9)).unwrap_or(0),
        duplicates: u32::try_from(row.get::<_, i32>(10)).unwrap_or(0),
        received_at: row.get(11),
        last_seen_at: row.get(12),
        due_at: row.get(13),
        processed_at: row.get(14),
        last_error: row.get(15),
    })
}

pub(super) async fn list(
    store: &PostgresStore,
    filter: &ListFilter,
) -> StoreResult<Vec<DeliverySummary>> {
    let state = filter.state.map(State::as_str);
    let limit = i64::from(if filter.limit == 0 { 50 } else { filter.limit });
    let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM deliveries \
         WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR event = $2) \
         AND ($3::bigint IS NULL OR received_at >= $3) AND ($4::bigint IS NULL OR seq < $4) \
         ORDER BY seq DESC LIMIT $5 OFFSET $6"
    );
    let params: [&(dyn ToSql + Sync); 6] = [
        &state,
        &filter.event,
        &filter.since,
        &filter.before,
        &limit,
        &offset,
    ];
    let client = store.client().await?;
    let rows = client.query(&sql, &params).await.map_err(db_error)?;
    rows.iter().map(summary).collect()
}

pub(super) async fn get(
    store: &PostgresStore,
    which: &DeliveryRef,
) -> StoreResult<Option<DeliveryDetail>> {
    let client = store.client().await?;
    let columns = format!("{SUMMARY_COLUMNS}, parse_error, problems, body");
    let row = match which {
        DeliveryRef::Seq(seq) => {
            client
                .query_opt(
                    &format!("SELECT {columns} FROM deliveries WHERE seq = $1"),
                    &[seq],
                )
                .await
        }
        // The key first (it is unique), then the 2.0.0 event id.
        DeliveryRef::Id(id) => {
            client
                .query_opt(
                    &format!(
                        "SELECT {columns} FROM deliveries WHERE key = $1 OR event_id = $1 \
                         ORDER BY (key = $1) DESC, seq LIMIT 1"
                    ),
                    &[id],
                )
                .await
        }
    }
    .map_err(db_error)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let summary = summary(&row)?;
    let attempts = client
        .query(
            "SELECT number, started_at, finished_at, ok, status, error FROM attempts \
             WHERE seq = $1 ORDER BY number, id",
            &[&summary.seq],
        )
        .await
        .map_err(db_error)?
        .iter()
        .map(|a| Attempt {
            number: u32::try_from(a.get::<_, i32>(0)).unwrap_or(0),
            started_at: a.get(1),
            finished_at: a.get(2),
            ok: a.get(3),
            status: a
                .get::<_, Option<i32>>(4)
                .and_then(|s| u16::try_from(s).ok()),
            error: a.get(5),
        })
        .collect();
    Ok(Some(DeliveryDetail {
        parse_error: row.get(16),
        problems: row.get(17),
        body: row.get(18),
        summary,
        attempts_made: attempts,
    }))
}

pub(super) async fn statistics(store: &PostgresStore) -> StoreResult<Statistics> {
    let client = store.client().await?;
    // One snapshot for every count, so they agree with each other.
    let rows = client
        .query(
            "SELECT 'event', event, COUNT(*) FROM deliveries WHERE event IS NOT NULL GROUP BY event \
             UNION ALL SELECT 'state', state, COUNT(*) FROM deliveries GROUP BY state \
             UNION ALL SELECT 'duplicates', NULL, COALESCE(SUM(duplicates), 0) FROM deliveries \
             UNION ALL SELECT 'unparsed', NULL, COUNT(*) FROM deliveries WHERE unparsed_on_receipt \
             UNION ALL SELECT 'last', NULL, MAX(last_seen_at) FROM deliveries",
            &[],
        )
        .await
        .map_err(db_error)?;
    let mut stats = Statistics::default();
    for row in rows {
        let kind: &str = row.get(0);
        let name: Option<String> = row.get(1);
        let n: Option<i64> = row.get(2);
        let count = n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        match (kind, name) {
            ("event", Some(event)) => {
                stats.by_event.insert(event, count);
            }
            ("state", Some(state)) => {
                stats.by_state.insert(state, count);
            }
            ("duplicates", _) => stats.duplicates = count,
            ("unparsed", _) => stats.unparsed_on_receipt = count,
            ("last", _) => stats.last_delivery_at = n,
            _ => {}
        }
    }
    Ok(stats)
}

pub(super) async fn per_minute(store: &PostgresStore, since: i64) -> StoreResult<Vec<MinuteCount>> {
    let client = store.client().await?;
    let rows = client
        .query(
            "SELECT (received_at / 60000) * 60000 AS minute, state, COUNT(*) FROM deliveries \
             WHERE received_at >= $1 GROUP BY 1, 2 ORDER BY 1, 2",
            &[&since],
        )
        .await
        .map_err(db_error)?;
    let mut minutes: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    for row in rows {
        let count = u64::try_from(row.get::<_, i64>(2)).unwrap_or(0);
        minutes
            .entry(row.get(0))
            .or_default()
            .insert(row.get(1), count);
    }
    Ok(minutes
        .into_iter()
        .map(|(minute, by_state)| MinuteCount { minute, by_state })
        .collect())
}

pub(super) async fn existing_keys(
    store: &PostgresStore,
    keys: &[String],
) -> StoreResult<HashSet<String>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let client = store.client().await?;
    let rows = client
        .query("SELECT key FROM deliveries WHERE key = ANY($1)", &[&keys])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
