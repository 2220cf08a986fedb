//! The writer thread: every write, in groups, one transaction per group.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::{Inner, MAX_BATCH, db};
use crate::store::{
    AttemptRecord, Claimed, DeliveryRef, Inserted, NewDelivery, Next, ParseSummary, Reparsed,
    ReplaySelector, Source, State, StoreError, StoreResult, now_ms,
};

pub(super) type Reply<T> = oneshot::Sender<StoreResult<T>>;

pub(super) enum Cmd {
    Insert(Box<NewDelivery>, Reply<Inserted>),
    Claim {
        worker: String,
        limit: usize,
        lease: Duration,
        reply: Reply<Vec<Claimed>>,
    },
    Record {
        worker: String,
        record: AttemptRecord,
        reply: Reply<bool>,
    },
    Release {
        worker: String,
        seqs: Vec<i64>,
        reply: Reply<()>,
    },
    Replay(ReplaySelector, Reply<u64>),
    StoreReparse(i64, Box<ParseSummary>, Reply<Reparsed>),
    Prune(i64, Reply<u64>),
    Probe(Reply<()>),
    Stop,
}

/// A command that ran inside the open transaction; its answer waits for
/// the commit.
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

fn finish<T: Send + 'static>(reply: Reply<T>, result: StoreResult<T>) -> Finish {
    Box::new(move |committed| {
        let result = match committed {
            Ok(()) => result,
            Err(e) => Err(StoreError::Database(format!("commit failed: {e}"))),
        };
        let _ = reply.send(result);
    })
}

pub(super) fn run(mut conn: Connection, rx: mpsc::Receiver<Cmd>, inner: &Inner) {
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
        let inserts = batch
            .iter()
            .filter(|c| matches!(c, Cmd::Insert(..)))
            .count();
        inner.queued_inserts.fetch_sub(inserts, Ordering::AcqRel);
        // The batch's latest receipt, written once per batch.
        let last_delivery = batch
            .iter()
            .filter_map(|c| match c {
                Cmd::Insert(d, _) => Some(d.received_at),
                _ => None,
            })
            .max();
        let mut done: Vec<Finish> = Vec::with_capacity(batch.len());
        let committed = match conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        {
            Ok(tx) => {
                for cmd in batch {
                    match cmd {
                        Cmd::Stop => stop = true,
                        // No savepoint for deliveries (the hot path): a
                        // failed statement is undone alone by SQLite, and
                        // a failure after the INSERT leaves a row answered
                        // 503, which Hotmart's retry finds as a duplicate.
                        Cmd::Insert(d, r) => done.push(finish(r, insert(&tx, &d))),
                        cmd => done.push(in_savepoint(&tx, cmd)),
                    }
                }
                if let Some(at) = last_delivery
                    && let Err(e) = touch_last_delivery(&tx, at)
                {
                    tracing::error!(platform = "HOTMART", error = %e, "store: last delivery time");
                }
                tx.commit().map_err(|e| e.to_string())
            }
            Err(e) => {
                for cmd in batch {
                    match cmd {
                        Cmd::Stop => stop = true,
                        cmd => done.push(failed(cmd)),
                    }
                }
                Err(e.to_string())
            }
        };
        if let Err(e) = &committed {
            tracing::error!(platform = "HOTMART", error = %e, "store: a write transaction failed");
        }
        for f in done {
            f(committed.clone());
        }
    }
}

/// Runs one command in a savepoint: its failure undoes only its own writes.
fn in_savepoint(conn: &Connection, cmd: Cmd) -> Finish {
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    if run("SAVEPOINT cmd").is_err() {
        return failed(cmd);
    }
    let (ok, f) = execute(conn, cmd);
    let end = if ok {
        run("RELEASE cmd")
    } else {
        run("ROLLBACK TO cmd").and_then(|_| run("RELEASE cmd"))
    };
    if let Err(e) = end {
        tracing::error!(platform = "HOTMART", error = %e, "store: savepoint");
    }
    f
}

fn failed(cmd: Cmd) -> Finish {
    fn err<T>() -> StoreResult<T> {
        Err(StoreError::Database("could not begin a transaction".into()))
    }
    match cmd {
        Cmd::Insert(_, r) => finish(r, err()),
        Cmd::Claim { reply, .. } => finish(reply, err()),
        Cmd::Record { reply, .. } => finish(reply, err()),
        Cmd::Release { reply, .. } => finish(reply, err()),
        Cmd::Replay(_, r) => finish(r, err()),
        Cmd::StoreReparse(_, _, r) => finish(r, err()),
        Cmd::Prune(_, r) => finish(r, err()),
        Cmd::Probe(r) => finish(r, err()),
        Cmd::Stop => Box::new(|_| {}),
    }
}

fn execute(conn: &Connection, cmd: Cmd) -> (bool, Finish) {
    fn out<T: Send + 'static>(reply: Reply<T>, result: StoreResult<T>) -> (bool, Finish) {
        (result.is_ok(), finish(reply, result))
    }
    match cmd {
        Cmd::Insert(d, r) => out(r, insert(conn, &d)),
        Cmd::Claim {
            worker,
            limit,
            lease,
            reply,
        } => out(reply, claim(conn, &worker, limit, lease).map_err(db)),
        Cmd::Record {
            worker,
            record,
            reply,
        } => out(reply, record_attempt(conn, &worker, &record).map_err(db)),
        Cmd::Release {
            worker,
            seqs,
            reply,
        } => out(reply, release(conn, &worker, &seqs).map_err(db)),
        Cmd::Replay(which, r) => out(r, replay(conn, &which).map_err(db)),
        Cmd::StoreReparse(seq, summary, r) => {
            out(r, store_reparse(conn, seq, &summary).map_err(db))
        }
        Cmd::Prune(before, r) => out(r, prune(conn, before).map_err(db)),
        Cmd::Probe(r) => out(r, bump(conn, "probe", 1).map_err(db)),
        Cmd::Stop => (true, Box::new(|_| {})),
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
    .execute([at])
    .map(drop)
}

fn insert(conn: &Connection, d: &NewDelivery) -> StoreResult<Inserted> {
    let s = &d.summary;
    let unparsed = s.parse_error.is_some();
    let (state, due_at) = if unparsed {
        (State::Unparsed, None)
    } else {
        (State::Pending, Some(d.received_at))
    };
    let problems = serde_json::to_string(&s.problems).unwrap_or_else(|_| "[]".into());
    let inserted = conn
        .prepare_cached(
            "INSERT INTO deliveries (key, source, event, event_id, transaction_code, status,
                 version, state, parse_error, problems, unparsed_on_receipt, due_at,
                 received_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
             ON CONFLICT(key) DO NOTHING",
        )
        .map_err(db)?
        .execute(params![
            s.key,
            d.source.as_str(),
            s.event,
            s.event_id,
            s.transaction,
            s.status,
            s.version,
            state.as_str(),
            s.parse_error,
            problems,
            unparsed,
            due_at,
            d.received_at,
        ])
        .map_err(db)?;
    if inserted == 1 {
        let seq = conn.last_insert_rowid();
        conn.prepare_cached("INSERT INTO bodies (seq, body) VALUES (?1, ?2)")
            .map_err(db)?
            .execute(params![seq, d.body])
            .map_err(db)?;
        if unparsed {
            bump(conn, "unparsed_on_receipt", 1).map_err(db)?;
        }
        return Ok(Inserted::New { seq });
    }
    let (seq, state, due_at, claimed_by): (i64, String, Option<i64>, Option<String>) = conn
        .prepare_cached(
            "UPDATE deliveries SET duplicates = duplicates + 1,
                 last_seen_at = MAX(last_seen_at, ?2)
             WHERE key = ?1 RETURNING seq, state, due_at, claimed_by",
        )
        .map_err(db)?
        .query_row(params![s.key, d.received_at], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(db)?;
    bump(conn, "duplicates", 1).map_err(db)?;
    let now = now_ms();
    // Re-queue a row that is not processed yet and not due now: failed,
    // unparsed, or waiting for a later attempt. A pending row already due,
    // or leased (being worked on), is only a duplicate: making a leased row
    // due would hand it to a second worker while the first still runs. The
    // PostgreSQL store applies the same rule (`requeue_condition!`).
    let waiting = claimed_by.is_none() && due_at.is_some_and(|due| due > now);
    let requeue = d.source == Source::Webhook
        && match State::parse(&state) {
            Some(State::Failed | State::Unparsed) => true,
            Some(State::Pending) => waiting,
            _ => false,
        };
    if !requeue {
        return Ok(Inserted::Duplicate { seq });
    }
    conn.prepare_cached(
        "UPDATE deliveries SET state = 'pending', due_at = ?2, claimed_by = NULL WHERE seq = ?1",
    )
    .and_then(|mut st| st.execute(params![seq, now]))
    .map_err(db)?;
    Ok(Inserted::Requeued { seq })
}

fn claim(
    conn: &Connection,
    worker: &str,
    limit: usize,
    lease: Duration,
) -> rusqlite::Result<Vec<Claimed>> {
    let now = now_ms();
    let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(
        "UPDATE deliveries SET claimed_by = ?1, due_at = ?2
         WHERE seq IN (SELECT seq FROM deliveries
                       WHERE state = 'pending' AND due_at <= ?3
                       ORDER BY due_at, seq LIMIT ?4)
         RETURNING seq, key, attempts",
    )?;
    let rows = stmt.query_map(
        params![worker, until, now, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok(Claimed {
                seq: r.get(0)?,
                key: r.get(1)?,
                attempts: r.get(2)?,
                body: Vec::new(),
            })
        },
    )?;
    let mut rows: Vec<Claimed> = rows.collect::<rusqlite::Result<_>>()?;
    let mut body = conn.prepare_cached("SELECT body FROM bodies WHERE seq = ?1")?;
    for row in &mut rows {
        row.body = body
            .query_row([row.seq], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
    }
    rows.sort_by_key(|c| c.seq);
    Ok(rows)
}

fn record_attempt(conn: &Connection, worker: &str, rec: &AttemptRecord) -> rusqlite::Result<bool> {
    let (state, due_at, processed_at) = match rec.next {
        Next::Processed => (State::Processed, None, Some(rec.finished_at)),
        Next::RetryAt(at) => (State::Pending, Some(at), None),
        Next::Failed => (State::Failed, None, None),
        Next::Unparsed => (State::Unparsed, None, None),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE deliveries SET state = ?3, attempts = MAX(attempts, ?4), due_at = ?5,
                 claimed_by = NULL, last_error = ?6,
                 processed_at = COALESCE(?7, processed_at)
             WHERE seq = ?1 AND claimed_by = ?2 AND state = 'pending'",
        )?
        .execute(params![
            rec.seq,
            worker,
            state.as_str(),
            rec.number,
            due_at,
            rec.outcome.error,
            processed_at,
        ])?;
    if changed == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT OR REPLACE INTO attempts (delivery, number, started_at, finished_at, ok, status, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        rec.seq,
        rec.number,
        rec.started_at,
        rec.finished_at,
        rec.outcome.ok,
        rec.outcome.status,
        rec.outcome.error,
    ])?;
    Ok(true)
}

fn release(conn: &Connection, worker: &str, seqs: &[i64]) -> rusqlite::Result<()> {
    let now = now_ms();
    let mut stmt = conn.prepare_cached(
        "UPDATE deliveries SET claimed_by = NULL, due_at = ?3
         WHERE seq = ?1 AND claimed_by = ?2 AND state = 'pending'",
    )?;
    for seq in seqs {
        stmt.execute(params![seq, worker, now])?;
    }
    Ok(())
}

/// A row not leased right now.
const NOT_IN_FLIGHT: &str = "NOT (state = 'pending' AND claimed_by IS NOT NULL AND due_at > ?1)";

fn replay(conn: &Connection, which: &ReplaySelector) -> rusqlite::Result<u64> {
    let now = now_ms();
    let set = "UPDATE deliveries SET state = 'pending', due_at = ?1, claimed_by = NULL";
    let n = match which {
        ReplaySelector::Ids(ids) => {
            let mut n = 0;
            for id in ids {
                n += match id {
                    DeliveryRef::Seq(seq) => conn.execute(
                        &format!("{set} WHERE seq = ?2 AND state != 'duplicate' AND {NOT_IN_FLIGHT}"),
                        params![now, seq],
                    )?,
                    DeliveryRef::Id(id) => conn.execute(
                        &format!(
                            "{set} WHERE seq = (SELECT seq FROM deliveries WHERE key = ?2
                                                UNION ALL SELECT seq FROM deliveries WHERE event_id = ?2
                                                LIMIT 1)
                             AND state != 'duplicate' AND {NOT_IN_FLIGHT}"
                        ),
                        params![now, id],
                    )?,
                };
            }
            n
        }
        ReplaySelector::State { state, since } => conn.execute(
            &format!("{set} WHERE state = ?2 AND received_at >= ?3 AND {NOT_IN_FLIGHT}"),
            params![now, state.as_str(), since.unwrap_or(i64::MIN)],
        )?,
    };
    Ok(n as u64)
}

fn store_reparse(conn: &Connection, seq: i64, s: &ParseSummary) -> rusqlite::Result<Reparsed> {
    let problems = serde_json::to_string(&s.problems).unwrap_or_else(|_| "[]".into());
    if s.parse_error.is_some() {
        conn.execute(
            "UPDATE deliveries SET parse_error = ?2, problems = ?3 WHERE seq = ?1",
            params![seq, s.parse_error, problems],
        )?;
        return Ok(Reparsed::Updated);
    }
    let other: Option<i64> = conn
        .query_row(
            "SELECT seq FROM deliveries WHERE key = ?1 AND seq != ?2",
            params![s.key, seq],
            |r| r.get(0),
        )
        .optional()?;
    let common = "event = ?2, event_id = ?3, transaction_code = ?4, status = ?5, version = ?6,
                  parse_error = NULL, problems = ?7, claimed_by = NULL";
    let args = params![
        seq,
        s.event,
        s.event_id,
        s.transaction,
        s.status,
        s.version,
        problems
    ];
    if let Some(other) = other {
        conn.execute(
            &format!(
                "UPDATE deliveries SET {common}, state = 'duplicate', due_at = NULL,
                     last_error = 'the same event as delivery #' || ?8 WHERE seq = ?1"
            ),
            rusqlite::params_from_iter(
                args.iter().copied().chain([&other as &dyn rusqlite::ToSql]),
            ),
        )?;
        return Ok(Reparsed::DuplicateOf(other));
    }
    let now = now_ms();
    conn.execute(
        &format!(
            "UPDATE deliveries SET {common}, key = ?8, state = 'pending', due_at = ?9 WHERE seq = ?1"
        ),
        rusqlite::params_from_iter(
            args.iter()
                .copied()
                .chain([&s.key as &dyn rusqlite::ToSql, &now as &dyn rusqlite::ToSql]),
        ),
    )?;
    Ok(Reparsed::Updated)
}

fn prune(conn: &Connection, before: i64) -> rusqlite::Result<u64> {
    let n = conn.execute(
        "DELETE FROM bodies WHERE seq IN
             (SELECT seq FROM deliveries WHERE received_at < ?1 AND state = 'processed')",
        [before],
    )?;
    Ok(n as u64)
}

/// `VACUUM INTO` a new file from a connection of its own (WAL: the writer
/// keeps committing meanwhile); the copy gets mode 0600.
pub(super) fn backup(from: &Path, to: &Path) -> StoreResult<()> {
    if to.exists() {
        return Err(StoreError::Database(format!(
            "{} exists; backup never overwrites a file",
            to.display()
        )));
    }
    let conn = Connection::open(from).map_err(db)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(db)?;
    let target = to
        .to_str()
        .ok_or_else(|| StoreError::Database("the backup path is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(db)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::Database(format!("chmod {}: {e}", to.display())))?;
    }
    Ok(())
}
