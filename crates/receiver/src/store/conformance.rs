//! The [`Store`] contract as executable checks, for every backend: call
//! [`check_all`] on a fresh, empty store (SQLite runs it in
//! `tests/store.rs`; a PostgreSQL backend runs the same). Each check panics
//! with a message naming the rule it found broken.

use std::time::Duration;

use super::{
    AttemptOutcome, AttemptRecord, DeliveryRef, Inserted, ListFilter, NewDelivery, Next,
    ParseSummary, Reparsed, ReplaySelector, Source, State, Store, now_ms,
};

/// A parsed delivery with this key and event id.
pub fn delivery(key: &str, event_id: &str, event: &str) -> NewDelivery {
    NewDelivery {
        source: Source::Webhook,
        summary: ParseSummary {
            key: key.to_owned(),
            event: Some(event.to_owned()),
            event_id: Some(event_id.to_owned()),
            version: Some("2.0.0".to_owned()),
            ..ParseSummary::default()
        },
        received_at: now_ms(),
        body: format!(r#"{{"id":"{event_id}","event":"{event}","version":"2.0.0","data":{{}}}}"#)
            .into_bytes(),
    }
}

fn outcome(ok: bool) -> AttemptOutcome {
    AttemptOutcome {
        ok,
        status: Some(if ok { 200 } else { 500 }),
        error: (!ok).then(|| "the app answered 500".to_owned()),
    }
}

fn record(seq: i64, number: u32, ok: bool, next: Next) -> AttemptRecord {
    AttemptRecord {
        seq,
        number,
        started_at: now_ms(),
        finished_at: now_ms(),
        outcome: outcome(ok),
        next,
    }
}

async fn state_of(store: &dyn Store, seq: i64) -> (State, u32) {
    let d = store
        .get(&DeliveryRef::Seq(seq))
        .await
        .unwrap()
        .expect("the row exists");
    (d.summary.state, d.summary.attempts)
}

/// Runs every check, each on its own keys (the store must start empty).
pub async fn check_all(store: &dyn Store) {
    dedupe_and_requeue(store).await;
    leases(store).await;
    retries_and_replay(store).await;
    unparsed_and_reparse(store).await;
    reading(store).await;
    maintenance(store).await;
}

/// Insert, duplicate, requeue; a row in flight or processed is only a
/// duplicate.
pub async fn dedupe_and_requeue(store: &dyn Store) {
    let d = delivery("c1:key", "c1-id", "PURCHASE_APPROVED");
    let Inserted::New { seq } = store.insert(d.clone()).await.unwrap() else {
        panic!("a first delivery is new")
    };
    assert_eq!(
        store.insert(d.clone()).await.unwrap(),
        Inserted::Duplicate { seq },
        "a resend of a row already due changes nothing: only a duplicate"
    );
    let claimed = store
        .claim_due("w1", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        claimed
            .iter()
            .any(|c| c.seq == seq && c.key == "c1:key" && c.attempts == 0)
    );
    assert_eq!(
        store.insert(d.clone()).await.unwrap(),
        Inserted::Duplicate { seq },
        "a resend of a row in flight is only a duplicate"
    );
    assert!(
        store
            .record_attempt("w1", record(seq, 1, true, Next::Processed))
            .await
            .unwrap()
    );
    assert_eq!(state_of(store, seq).await, (State::Processed, 1));
    assert_eq!(
        store.insert(d.clone()).await.unwrap(),
        Inserted::Duplicate { seq },
        "a resend of a processed row is only a duplicate"
    );
    let mut reconciled = d;
    reconciled.source = Source::Reconcile;
    assert_eq!(
        store.insert(reconciled).await.unwrap(),
        Inserted::Duplicate { seq }
    );
    let got = store
        .get(&DeliveryRef::Id("c1-id".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got.summary.duplicates, 4,
        "every further receipt is counted"
    );
    assert_eq!(got.attempts_made.len(), 1);
    assert_eq!(got.attempts_made[0].status, Some(200));
}

/// Only the holder of a lease records; an expired lease can be taken over.
pub async fn leases(store: &dyn Store) {
    let Inserted::New { seq } = store
        .insert(delivery("c2:key", "c2-id", "X"))
        .await
        .unwrap()
    else {
        panic!()
    };
    let first = store
        .claim_due("w1", 100, Duration::from_millis(1))
        .await
        .unwrap();
    assert!(first.iter().any(|c| c.seq == seq));
    assert!(
        !store
            .record_attempt("w2", record(seq, 1, true, Next::Processed))
            .await
            .unwrap(),
        "a worker not holding the row records nothing"
    );
    // The lease of 1 ms ends: another worker takes the row over.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let taken = loop {
        let rows = store
            .claim_due("w2", 100, Duration::from_secs(60))
            .await
            .unwrap();
        if rows.iter().any(|c| c.seq == seq) {
            break true;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "an expired lease is never taken over"
        );
        tokio::task::yield_now().await;
    };
    assert!(taken);
    assert!(
        !store
            .record_attempt("w1", record(seq, 1, true, Next::Processed))
            .await
            .unwrap(),
        "the worker whose lease was taken over records nothing"
    );
    assert!(
        store
            .claim_due("w3", 100, Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .all(|c| c.seq != seq),
        "a leased row is not handed to a third worker"
    );
    store.release("w2", &[seq]).await.unwrap();
    let again = store
        .claim_due("w3", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        again.iter().any(|c| c.seq == seq),
        "a released row is due at once"
    );
    assert!(
        store
            .record_attempt("w3", record(seq, 1, true, Next::Processed))
            .await
            .unwrap()
    );
}

/// A failed attempt waits for its time; failed rows are re-queued by a
/// resend or by replay.
pub async fn retries_and_replay(store: &dyn Store) {
    let d = delivery("c3:key", "c3-id", "X");
    let Inserted::New { seq } = store.insert(d.clone()).await.unwrap() else {
        panic!()
    };
    assert!(
        store
            .claim_due("w1", 100, Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .any(|c| c.seq == seq)
    );
    let later = now_ms() + 3_600_000;
    assert!(
        store
            .record_attempt("w1", record(seq, 1, false, Next::RetryAt(later)))
            .await
            .unwrap()
    );
    assert_eq!(state_of(store, seq).await, (State::Pending, 1));
    assert!(
        store
            .claim_due("w1", 100, Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .all(|c| c.seq != seq),
        "a row is not due before its retry time"
    );
    assert!(
        store
            .next_due_at()
            .await
            .unwrap()
            .is_some_and(|t| t <= later)
    );
    assert_eq!(
        store
            .replay(&ReplaySelector::Ids(vec![DeliveryRef::Seq(seq)]))
            .await
            .unwrap(),
        1
    );
    let rows = store
        .claim_due("w1", 100, Duration::from_secs(60))
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|c| c.seq == seq)
        .expect("replay makes it due at once");
    assert_eq!(row.attempts, 1, "attempts count on");
    assert!(
        store
            .record_attempt("w1", record(seq, 2, false, Next::Failed))
            .await
            .unwrap()
    );
    assert_eq!(state_of(store, seq).await, (State::Failed, 2));
    assert_eq!(
        store.insert(d).await.unwrap(),
        Inserted::Requeued { seq },
        "a resend re-queues a failed row"
    );
    assert!(
        store
            .claim_due("w1", 100, Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .any(|c| c.seq == seq)
    );
    assert!(
        store
            .record_attempt("w1", record(seq, 3, false, Next::Failed))
            .await
            .unwrap()
    );
    let since = now_ms() - 60_000;
    assert!(
        store
            .replay(&ReplaySelector::State {
                state: State::Failed,
                since: Some(since)
            })
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(state_of(store, seq).await.0, State::Pending);
    let rows = store
        .claim_due("w1", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(rows.iter().any(|c| c.seq == seq));
    assert!(
        store
            .record_attempt("w1", record(seq, 4, true, Next::Processed))
            .await
            .unwrap()
    );
    let detail = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    let numbers: Vec<u32> = detail.attempts_made.iter().map(|a| a.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
}

/// Unparsed rows are stored, never claimed, and reparsed.
pub async fn unparsed_and_reparse(store: &dyn Store) {
    let mut bad = delivery("unparsed:c4", "ignored", "X");
    bad.summary = ParseSummary {
        key: "unparsed:c4".into(),
        parse_error: Some("expected value at line 1".into()),
        ..ParseSummary::default()
    };
    let Inserted::New { seq } = store.insert(bad.clone()).await.unwrap() else {
        panic!()
    };
    assert_eq!(state_of(store, seq).await.0, State::Unparsed);
    assert!(
        store
            .claim_due("w1", 100, Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .all(|c| c.seq != seq),
        "an unparsed row is never claimed"
    );
    let rows = store.to_reparse(0, 100).await.unwrap();
    assert!(rows.iter().any(|r| r.seq == seq));
    let parsed = ParseSummary {
        key: "event:c4-id".into(),
        event: Some("X".into()),
        event_id: Some("c4-id".into()),
        ..ParseSummary::default()
    };
    assert_eq!(
        store.store_reparse(seq, parsed).await.unwrap(),
        Reparsed::Updated
    );
    let detail = store
        .get(&DeliveryRef::Id("event:c4-id".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.summary.seq, seq);
    assert_eq!(detail.summary.state, State::Pending);
    assert_eq!(detail.parse_error, None);
    // Another unparsed body that reparses into a stored key.
    let mut twin = bad;
    twin.summary.key = "unparsed:c4-twin".into();
    let Inserted::New { seq: twin_seq } = store.insert(twin).await.unwrap() else {
        panic!()
    };
    let same = ParseSummary {
        key: "event:c4-id".into(),
        ..ParseSummary::default()
    };
    assert_eq!(
        store.store_reparse(twin_seq, same).await.unwrap(),
        Reparsed::DuplicateOf(seq)
    );
    assert_eq!(state_of(store, twin_seq).await.0, State::Duplicate);
    let rows = store
        .claim_due("w1", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(rows.iter().any(|c| c.seq == seq) && rows.iter().all(|c| c.seq != twin_seq));
    assert!(
        store
            .record_attempt("w1", record(seq, 1, true, Next::Processed))
            .await
            .unwrap()
    );
}

/// Lists, statistics, per minute, existing keys.
pub async fn reading(store: &dyn Store) {
    let mut seqs = Vec::new();
    for i in 0..5 {
        let event = if i % 2 == 0 { "EVEN" } else { "ODD" };
        let d = delivery(&format!("c5:{i}"), &format!("c5-{i}"), event);
        seqs.push(store.insert(d).await.unwrap().seq());
    }
    let evens = store
        .list(&ListFilter {
            event: Some("EVEN".into()),
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(evens.len(), 3);
    assert!(
        evens.windows(2).all(|w| w[0].seq > w[1].seq),
        "newest first"
    );
    let page = store
        .list(&ListFilter {
            limit: 2,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    let next = store
        .list(&ListFilter {
            limit: 2,
            before: Some(page[1].seq),
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert!(next.iter().all(|r| r.seq < page[1].seq), "paging by before");
    let pending = store
        .list(&ListFilter {
            state: Some(State::Pending),
            limit: 100,
            ..ListFilter::default()
        })
        .await
        .unwrap();
    assert!(seqs.iter().all(|s| pending.iter().any(|r| r.seq == *s)));
    let stats = store.statistics().await.unwrap();
    assert_eq!(stats.by_event.get("EVEN"), Some(&3));
    assert!(stats.by_state.get("pending").copied().unwrap_or(0) >= 5);
    assert!(stats.last_delivery_at.is_some());
    let minutes = store.per_minute(now_ms() - 3_600_000).await.unwrap();
    let total: u64 = minutes.iter().flat_map(|m| m.by_state.values()).sum();
    assert!(total >= 5);
    let keys: Vec<String> = vec!["c5:0".into(), "c5:4".into(), "c5:missing".into()];
    let found = store.existing_keys(&keys).await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.contains("c5:0") && found.contains("c5:4"));
    assert!(
        store.oldest_due_at().await.unwrap().is_some(),
        "due rows have an age"
    );
    assert!(
        store
            .get(&DeliveryRef::Id("nope".into()))
            .await
            .unwrap()
            .is_none()
    );
}

/// Prune, probe.
pub async fn maintenance(store: &dyn Store) {
    let mut old = delivery("c6:old", "c6-old", "X");
    old.received_at = now_ms() - 100 * 86_400_000;
    let Inserted::New { seq } = store.insert(old).await.unwrap() else {
        panic!()
    };
    let mut kept = delivery("c6:kept", "c6-kept", "X");
    kept.received_at = now_ms() - 100 * 86_400_000;
    let kept = store.insert(kept).await.unwrap().seq();
    loop {
        let rows = store
            .claim_due("w1", 100, Duration::from_secs(60))
            .await
            .unwrap();
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if row.seq != kept {
                store
                    .record_attempt(
                        "w1",
                        record(row.seq, row.attempts + 1, true, Next::Processed),
                    )
                    .await
                    .unwrap();
            } else {
                // Leave it pending: prune must keep its body.
                let later = Next::RetryAt(now_ms() + 3_600_000);
                store
                    .record_attempt("w1", record(row.seq, 1, false, later))
                    .await
                    .unwrap();
            }
        }
        if store
            .next_due_at()
            .await
            .unwrap()
            .is_none_or(|t| t > now_ms())
        {
            break;
        }
    }
    let pruned = store
        .prune_bodies(now_ms() - 90 * 86_400_000)
        .await
        .unwrap();
    assert!(pruned >= 1);
    let detail = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(
        detail.body, None,
        "the body of an old processed row is gone"
    );
    assert_eq!(
        detail.summary.event.as_deref(),
        Some("X"),
        "its metadata stays"
    );
    let detail = store.get(&DeliveryRef::Seq(kept)).await.unwrap().unwrap();
    assert!(detail.body.is_some(), "an unprocessed row keeps its body");
    store.probe_write().await.unwrap();
}
