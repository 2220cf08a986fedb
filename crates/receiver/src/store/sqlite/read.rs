//! Reads, on read-only connections (never through the writer).

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use crate::store::{
    Attempt, DeliveryDetail, DeliveryRef, DeliverySummary, ListFilter, MinuteCount, ReparseRow,
    Source, State, Statistics, now_ms,
};

const SUMMARY_COLUMNS: &str =
    "seq, key, source, event, event_id, transaction_code, status, version,
    state, attempts, duplicates, received_at, last_seen_at, due_at, processed_at, last_error";

fn summary(r: &Row<'_>) -> rusqlite::Result<DeliverySummary> {
    let source: String = r.get(2)?;
    let state: String = r.get(8)?;
    Ok(DeliverySummary {
        seq: r.get(0)?,
        key: r.get(1)?,
        source: Source::parse(&source).unwrap_or(Source::Webhook),
        event: r.get(3)?,
        event_id: r.get(4)?,
        transaction: r.get(5)?,
        status: r.get(6)?,
        version: r.get(7)?,
        state: State::parse(&state).unwrap_or(State::Failed),
        attempts: r.get(9)?,
        duplicates: r.get(10)?,
        received_at: r.get(11)?,
        last_seen_at: r.get(12)?,
        due_at: r.get(13)?,
        processed_at: r.get(14)?,
        last_error: r.get(15)?,
    })
}

pub(super) fn next_due_at(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT MIN(due_at) FROM deliveries WHERE state = 'pending'")?
        .query_row([], |r| r.get(0))
}

pub(super) fn oldest_due_at(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT MIN(due_at) FROM deliveries WHERE state = 'pending' AND due_at <= ?1",
    )?
    .query_row([now_ms()], |r| r.get(0))
}

pub(super) fn list(conn: &Connection, f: &ListFilter) -> rusqlite::Result<Vec<DeliverySummary>> {
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM deliveries WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(state) = f.state {
        args.push(state.as_str().to_owned().into());
        sql.push_str(&format!(" AND state = ?{}", args.len()));
    }
    if let Some(event) = &f.event {
        args.push(event.clone().into());
        sql.push_str(&format!(" AND event = ?{}", args.len()));
    }
    if let Some(since) = f.since {
        args.push(since.into());
        sql.push_str(&format!(" AND received_at >= ?{}", args.len()));
    }
    if let Some(before) = f.before {
        args.push(before.into());
        sql.push_str(&format!(" AND seq < ?{}", args.len()));
    }
    let limit = if f.limit == 0 { 50 } else { f.limit };
    args.push(i64::from(limit).into());
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", args.len()));
    args.push(i64::try_from(f.offset).unwrap_or(i64::MAX).into());
    sql.push_str(&format!(" OFFSET ?{}", args.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), summary)?;
    rows.collect()
}

pub(super) fn get(
    conn: &Connection,
    which: &DeliveryRef,
) -> rusqlite::Result<Option<DeliveryDetail>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, parse_error, problems,
             (SELECT body FROM bodies WHERE bodies.seq = deliveries.seq)
         FROM deliveries WHERE seq = ?1"
    );
    let seq = match which {
        DeliveryRef::Seq(seq) => Some(*seq),
        DeliveryRef::Id(id) => conn
            .prepare_cached(
                "SELECT seq FROM deliveries WHERE key = ?1
                 UNION ALL SELECT seq FROM deliveries WHERE event_id = ?1 LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?,
    };
    let Some(seq) = seq else { return Ok(None) };
    let detail = conn
        .prepare_cached(&sql)?
        .query_row([seq], |r| {
            let problems: String = r.get(17)?;
            Ok(DeliveryDetail {
                summary: summary(r)?,
                parse_error: r.get(16)?,
                problems: serde_json::from_str(&problems).unwrap_or_default(),
                body: r.get(18)?,
                attempts_made: Vec::new(),
            })
        })
        .optional()?;
    let Some(mut detail) = detail else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT number, started_at, finished_at, ok, status, error FROM attempts
         WHERE delivery = ?1 ORDER BY number",
    )?;
    detail.attempts_made = stmt
        .query_map([seq], |r| {
            Ok(Attempt {
                number: r.get(0)?,
                started_at: r.get(1)?,
                finished_at: r.get(2)?,
                ok: r.get(3)?,
                status: r.get(4)?,
                error: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(detail))
}

pub(super) fn statistics(conn: &Connection) -> rusqlite::Result<Statistics> {
    let mut stats = Statistics::default();
    let mut stmt = conn.prepare_cached(
        "SELECT event, COUNT(*) FROM deliveries WHERE event IS NOT NULL GROUP BY event",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (event, n) = row?;
        stats.by_event.insert(event, n.unsigned_abs());
    }
    let mut stmt = conn.prepare_cached("SELECT state, COUNT(*) FROM deliveries GROUP BY state")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (state, n) = row?;
        stats.by_state.insert(state, n.unsigned_abs());
    }
    let mut stmt = conn.prepare_cached("SELECT name, value FROM counters")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (name, value) = row?;
        match name.as_str() {
            "duplicates" => stats.duplicates = value.unsigned_abs(),
            "unparsed_on_receipt" => stats.unparsed_on_receipt = value.unsigned_abs(),
            "last_delivery_at" => stats.last_delivery_at = Some(value),
            _ => {}
        }
    }
    Ok(stats)
}

pub(super) fn per_minute(conn: &Connection, since: i64) -> rusqlite::Result<Vec<MinuteCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT (received_at / 60000) * 60000 AS minute, state, COUNT(*) FROM deliveries
         WHERE received_at >= ?1 GROUP BY minute, state ORDER BY minute",
    )?;
    let mut out: Vec<MinuteCount> = Vec::new();
    for row in stmt.query_map([since], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (minute, state, n) = row?;
        if out.last().is_none_or(|m| m.minute != minute) {
            out.push(MinuteCount {
                minute,
                ..MinuteCount::default()
            });
        }
        if let Some(last) = out.last_mut() {
            last.by_state.insert(state, n.unsigned_abs());
        }
    }
    Ok(out)
}

pub(super) fn to_reparse(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<ReparseRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, (SELECT body FROM bodies WHERE bodies.seq = deliveries.seq), source
         FROM deliveries
         WHERE state = 'unparsed' AND seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            let source: String = r.get(2)?;
            Ok(ReparseRow {
                seq: r.get(0)?,
                body: r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                source: Source::parse(&source).unwrap_or(Source::Webhook),
            })
        },
    )?;
    rows.collect()
}

pub(super) fn existing_keys(
    conn: &Connection,
    keys: &[String],
) -> rusqlite::Result<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in keys.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = conn.prepare(&format!(
            "SELECT key FROM deliveries WHERE key IN ({marks})"
        ))?;
        for key in stmt.query_map(params_from_iter(chunk), |r| r.get::<_, String>(0))? {
            found.insert(key?);
        }
    }
    Ok(found)
}
