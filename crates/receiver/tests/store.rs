//! One store test suite, run against every backend: each test below is a
//! function taking an `Arc<dyn Store>`, and `store_tests!` runs it once on
//! SQLite (a temporary file) and once on PostgreSQL (a database of its own
//! on the private test cluster, `common/postgres.rs`).

#[path = "common/postgres.rs"]
#[allow(dead_code, unreachable_pub)]
mod cluster;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotmart_receiver::store::{
    AttemptOutcome, AttemptRecord, DeliveryRef, Inserted, ListFilter, NewDelivery, Next,
    OpenOptions, ParseSummary, Reparsed, ReplaySelector, Source, State, Store, now_ms,
};

/// What keeps a backend alive for one test (a temporary file, a database).
type Guard = Box<dyn std::any::Any + Send>;

async fn open_sqlite() -> (Arc<dyn Store>, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = hotmart_receiver::store::open(&url, &OpenOptions::default())
        .await
        .expect("open the SQLite store");
    (store, Box::new(dir))
}

async fn open_postgres() -> Option<(Arc<dyn Store>, Guard)> {
    let db = cluster::database()?;
    // Chosen by the URL, as `DATABASE_URL` chooses it.
    let store = hotmart_receiver::store::open(&db.url(), &OpenOptions::default())
        .await
        .expect("open the PostgreSQL store");
    Some((store, Box::new(db)))
}

macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _guard) = super::open_sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some((store, _guard)) = super::open_postgres().await else {
                        return;
                    };
                    super::$name(store).await;
                }
            )*
        }
    };
}

store_tests!(
    a_resend_is_a_duplicate_of_the_stored_row,
    concurrent_inserts_of_one_key_store_one_row,
    a_claimed_row_is_not_claimed_again_while_leased,
    concurrent_claims_never_share_a_row,
    an_expired_lease_is_taken_over_and_the_old_holder_records_nothing,
    success_marks_the_row_processed_and_keeps_the_attempt,
    a_retry_is_not_due_before_its_time,
    a_resend_requeues_a_failed_row,
    a_resend_makes_a_row_waiting_for_a_retry_due_at_once,
    a_resend_leaves_a_leased_row_to_its_worker,
    an_unparsed_body_is_stored_and_reparse_queues_it,
    reparse_into_a_stored_key_marks_a_duplicate,
    statistics_count_events_states_and_duplicates,
    list_filters_and_pages_newest_first,
    get_finds_a_row_by_number_key_or_event_id,
    replay_requeues_failed_rows,
    release_gives_leased_rows_back_due_at_once,
    prune_drops_only_bodies_of_old_processed_rows,
    existing_keys_names_only_stored_keys,
    the_backlog_age_is_the_oldest_due_row,
    per_minute_counts_rows_by_state,
    the_write_probe_succeeds_on_a_writable_database,
    the_store_keeps_the_published_conformance_contract,
);

/// `store::conformance` (feature `test-util`) is what a third-party backend
/// runs in its own tests; both of ours must pass it too.
async fn the_store_keeps_the_published_conformance_contract(store: Arc<dyn Store>) {
    hotmart_receiver::store::conformance::check_all(store.as_ref()).await;
}

const LEASE: Duration = Duration::from_secs(60);

fn delivery(key: &str, event: &str) -> NewDelivery {
    NewDelivery {
        source: Source::Webhook,
        summary: ParseSummary {
            key: key.to_owned(),
            event: Some(event.to_owned()),
            event_id: Some(format!("id-{key}")),
            transaction: Some(format!("HP{key}")),
            status: Some("APPROVED".into()),
            version: Some("2.0.0".into()),
            parse_error: None,
            problems: Vec::new(),
        },
        received_at: now_ms(),
        body: format!("{{\"id\":\"id-{key}\",\"hottok\":\"****\"}}").into_bytes(),
    }
}

fn unparsed(key: &str) -> NewDelivery {
    let mut d = delivery(key, "PURCHASE_APPROVED");
    d.summary.event = None;
    d.summary.event_id = None;
    d.summary.transaction = None;
    d.summary.status = None;
    d.summary.version = None;
    d.summary.parse_error = Some("expected value at line 1 column 1 (at $)".into());
    d.body = b"not json".to_vec();
    d
}

fn attempt(claimed: &hotmart_receiver::store::Claimed, ok: bool, next: Next) -> AttemptRecord {
    let now = now_ms();
    AttemptRecord {
        seq: claimed.seq,
        number: claimed.attempts + 1,
        started_at: now,
        finished_at: now,
        outcome: AttemptOutcome {
            ok,
            status: Some(if ok { 200 } else { 500 }),
            error: (!ok).then(|| "sink answered 500".to_owned()),
        },
        next,
    }
}

async fn state_of(store: &Arc<dyn Store>, seq: i64) -> State {
    store
        .get(&DeliveryRef::Seq(seq))
        .await
        .unwrap()
        .expect("the row exists")
        .summary
        .state
}

/// Claims everything due for `worker`, polling until `want` rows came (or
/// panicking after a generous deadline).
async fn claim_until(
    store: &Arc<dyn Store>,
    worker: &str,
    want: usize,
    lease: Duration,
) -> Vec<hotmart_receiver::store::Claimed> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < want {
        got.extend(
            store
                .claim_due(worker, want - got.len(), lease)
                .await
                .unwrap(),
        );
        assert!(
            Instant::now() < deadline,
            "only {} of {want} rows became due within 30 s",
            got.len()
        );
        if got.len() < want {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    got
}

async fn a_resend_is_a_duplicate_of_the_stored_row(store: Arc<dyn Store>) {
    let first = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    let Inserted::New { seq } = first else {
        panic!("first receipt: {first:?}")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert!(
        store
            .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
            .await
            .unwrap()
    );
    let again = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    assert_eq!(again, Inserted::Duplicate { seq });
    let row = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(row.summary.duplicates, 1);
    assert_eq!(row.summary.state, State::Processed);
    assert_eq!(store.list(&ListFilter::default()).await.unwrap().len(), 1);
}

async fn concurrent_inserts_of_one_key_store_one_row(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.insert(delivery("same", "PURCHASE_APPROVED")).await })
        })
        .collect();
    let mut new = 0;
    let mut seqs = HashSet::new();
    for task in tasks {
        let inserted = task.await.unwrap().unwrap();
        seqs.insert(inserted.seq());
        if matches!(inserted, Inserted::New { .. }) {
            new += 1;
        }
    }
    assert_eq!(new, 1, "exactly one insert creates the row");
    assert_eq!(seqs.len(), 1, "every insert names the same row");
    let stats = store.statistics().await.unwrap();
    assert_eq!(stats.duplicates, 31);
    assert_eq!(stats.by_event.get("PURCHASE_APPROVED"), Some(&1));
}

async fn a_claimed_row_is_not_claimed_again_while_leased(store: Arc<dyn Store>) {
    store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    let first = claim_until(&store, "one", 1, LEASE).await;
    assert_eq!(first[0].key, "a");
    assert_eq!(first[0].attempts, 0);
    assert!(store.claim_due("two", 10, LEASE).await.unwrap().is_empty());
    assert!(store.claim_due("one", 10, LEASE).await.unwrap().is_empty());
}

async fn concurrent_claims_never_share_a_row(store: Arc<dyn Store>) {
    for i in 0..200 {
        store
            .insert(delivery(&format!("k{i}"), "PURCHASE_APPROVED"))
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = store.claim_due(&format!("w{w}"), 7, LEASE).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|c| c.seq));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 200, "every row claimed");
    assert_eq!(distinct.len(), 200, "no row claimed twice");
}

async fn an_expired_lease_is_taken_over_and_the_old_holder_records_nothing(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let stale = claim_until(&store, "crashed", 1, Duration::from_millis(200)).await;
    // The lease ends; another worker takes the row over.
    let rescued = claim_until(&store, "rescuer", 1, LEASE).await;
    assert_eq!(rescued[0].seq, seq);
    assert!(
        store
            .record_attempt("rescuer", attempt(&rescued[0], true, Next::Processed))
            .await
            .unwrap()
    );
    // The first holder wakes up late: it must not overwrite the outcome.
    let late = store
        .record_attempt("crashed", attempt(&stale[0], false, Next::Failed))
        .await
        .unwrap();
    assert!(!late, "a lost lease records nothing");
    let row = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(row.summary.state, State::Processed);
    assert_eq!(row.attempts_made.len(), 1);
    assert!(row.attempts_made[0].ok);
}

async fn success_marks_the_row_processed_and_keeps_the_attempt(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert!(
        store
            .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
            .await
            .unwrap()
    );
    let row = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(row.summary.state, State::Processed);
    assert_eq!(row.summary.attempts, 1);
    assert!(row.summary.processed_at.is_some());
    assert_eq!(row.attempts_made.len(), 1);
    assert_eq!(row.attempts_made[0].status, Some(200));
    // Recording the same attempt twice does nothing the second time.
    assert!(
        !store
            .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
            .await
            .unwrap()
    );
    assert!(store.claim_due("w", 10, LEASE).await.unwrap().is_empty());
}

async fn a_retry_is_not_due_before_its_time(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    let later = now_ms() + 3_600_000;
    assert!(
        store
            .record_attempt("w", attempt(&claimed[0], false, Next::RetryAt(later)))
            .await
            .unwrap()
    );
    assert!(store.claim_due("w", 10, LEASE).await.unwrap().is_empty());
    assert_eq!(store.next_due_at().await.unwrap(), Some(later));
    let row = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(row.summary.state, State::Pending);
    assert_eq!(row.summary.attempts, 1);
    assert_eq!(row.summary.due_at, Some(later));
    assert_eq!(row.summary.last_error.as_deref(), Some("sink answered 500"));
}

async fn a_resend_requeues_a_failed_row(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert!(
        store
            .record_attempt("w", attempt(&claimed[0], false, Next::Failed))
            .await
            .unwrap()
    );
    assert_eq!(state_of(&store, seq).await, State::Failed);
    let again = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    assert_eq!(again, Inserted::Requeued { seq });
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert_eq!(claimed[0].seq, seq);
    assert_eq!(claimed[0].attempts, 1, "attempts count on");
}

async fn a_resend_makes_a_row_waiting_for_a_retry_due_at_once(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    let later = now_ms() + 3_600_000;
    assert!(
        store
            .record_attempt("w", attempt(&claimed[0], false, Next::RetryAt(later)))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .insert(delivery("a", "PURCHASE_APPROVED"))
            .await
            .unwrap(),
        Inserted::Requeued { seq }
    );
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert_eq!(claimed[0].seq, seq);
}

async fn a_resend_leaves_a_leased_row_to_its_worker(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let _claimed = claim_until(&store, "w", 1, LEASE).await;
    assert_eq!(
        store
            .insert(delivery("a", "PURCHASE_APPROVED"))
            .await
            .unwrap(),
        Inserted::Duplicate { seq }
    );
    assert!(
        store
            .claim_due("other", 10, LEASE)
            .await
            .unwrap()
            .is_empty(),
        "still leased"
    );
}

async fn an_unparsed_body_is_stored_and_reparse_queues_it(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store.insert(unparsed("raw:1")).await.unwrap() else {
        panic!("new row")
    };
    assert_eq!(state_of(&store, seq).await, State::Unparsed);
    assert!(
        store.claim_due("w", 10, LEASE).await.unwrap().is_empty(),
        "not due"
    );
    let rows = store.to_reparse(0, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].seq, seq);
    assert_eq!(rows[0].body, b"not json");
    assert!(store.to_reparse(seq, 10).await.unwrap().is_empty());
    let parsed = delivery("purchase:HP1:PURCHASE_APPROVED", "PURCHASE_APPROVED").summary;
    assert_eq!(
        store.store_reparse(seq, parsed).await.unwrap(),
        Reparsed::Updated
    );
    let row = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    assert_eq!(row.summary.state, State::Pending);
    assert_eq!(row.summary.event.as_deref(), Some("PURCHASE_APPROVED"));
    assert_eq!(row.parse_error, None);
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert_eq!(claimed[0].seq, seq);
    assert_eq!(store.statistics().await.unwrap().unparsed_on_receipt, 1);
}

async fn reparse_into_a_stored_key_marks_a_duplicate(store: Arc<dyn Store>) {
    let Inserted::New { seq: original } = store
        .insert(delivery("k", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let Inserted::New { seq } = store.insert(unparsed("raw:2")).await.unwrap() else {
        panic!("new row")
    };
    let parsed = delivery("k", "PURCHASE_APPROVED").summary;
    assert_eq!(
        store.store_reparse(seq, parsed).await.unwrap(),
        Reparsed::DuplicateOf(original)
    );
    assert_eq!(state_of(&store, seq).await, State::Duplicate);
}

async fn statistics_count_events_states_and_duplicates(store: Arc<dyn Store>) {
    let empty = store.statistics().await.unwrap();
    assert!(empty.by_event.is_empty());
    assert_eq!(empty.last_delivery_at, None);
    for i in 0..3 {
        store
            .insert(delivery(&format!("a{i}"), "PURCHASE_APPROVED"))
            .await
            .unwrap();
    }
    store
        .insert(delivery("r", "PURCHASE_REFUNDED"))
        .await
        .unwrap();
    store
        .insert(delivery("r", "PURCHASE_REFUNDED"))
        .await
        .unwrap();
    store.insert(unparsed("raw:3")).await.unwrap();
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    store
        .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
        .await
        .unwrap();
    let stats = store.statistics().await.unwrap();
    assert_eq!(stats.by_event.get("PURCHASE_APPROVED"), Some(&3));
    assert_eq!(stats.by_event.get("PURCHASE_REFUNDED"), Some(&1));
    assert_eq!(stats.by_state.get("processed"), Some(&1));
    assert_eq!(stats.by_state.get("pending"), Some(&3));
    assert_eq!(stats.by_state.get("unparsed"), Some(&1));
    assert_eq!(stats.duplicates, 1);
    assert_eq!(stats.unparsed_on_receipt, 1);
    assert!(stats.last_delivery_at.is_some());
}

async fn list_filters_and_pages_newest_first(store: Arc<dyn Store>) {
    for i in 0..5 {
        store
            .insert(delivery(&format!("a{i}"), "PURCHASE_APPROVED"))
            .await
            .unwrap();
    }
    store
        .insert(delivery("r", "PURCHASE_REFUNDED"))
        .await
        .unwrap();
    let all = store.list(&ListFilter::default()).await.unwrap();
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let refunds = store
        .list(&ListFilter {
            event: Some("PURCHASE_REFUNDED".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].key, "r");
    let page = store
        .list(&ListFilter {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    let next = store
        .list(&ListFilter {
            limit: 2,
            before: Some(page[1].seq),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(next.len(), 2);
    assert!(next[0].seq < page[1].seq);
    let offset = store
        .list(&ListFilter {
            limit: 2,
            offset: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(offset, next);
    let pending = store
        .list(&ListFilter {
            state: Some(State::Processed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(pending.is_empty());
    let future = store
        .list(&ListFilter {
            since: Some(now_ms() + 60_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(future.is_empty());
}

async fn get_finds_a_row_by_number_key_or_event_id(store: Arc<dyn Store>) {
    let Inserted::New { seq } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let by_seq = store.get(&DeliveryRef::Seq(seq)).await.unwrap().unwrap();
    let by_key = store
        .get(&DeliveryRef::Id("a".into()))
        .await
        .unwrap()
        .unwrap();
    let by_event_id = store
        .get(&DeliveryRef::Id("id-a".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_seq, by_key);
    assert_eq!(by_seq, by_event_id);
    assert_eq!(
        by_seq.body.as_deref(),
        Some(&b"{\"id\":\"id-a\",\"hottok\":\"****\"}"[..])
    );
    assert!(
        store
            .get(&DeliveryRef::Seq(seq + 100))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get(&DeliveryRef::Id("nope".into()))
            .await
            .unwrap()
            .is_none()
    );
}

async fn replay_requeues_failed_rows(store: Arc<dyn Store>) {
    for i in 0..3 {
        store
            .insert(delivery(&format!("a{i}"), "PURCHASE_APPROVED"))
            .await
            .unwrap();
    }
    let claimed = claim_until(&store, "w", 3, LEASE).await;
    for c in &claimed[..2] {
        store
            .record_attempt("w", attempt(c, false, Next::Failed))
            .await
            .unwrap();
    }
    store
        .record_attempt("w", attempt(&claimed[2], true, Next::Processed))
        .await
        .unwrap();
    let replayed = store
        .replay(&ReplaySelector::State {
            state: State::Failed,
            since: None,
        })
        .await
        .unwrap();
    assert_eq!(replayed, 2);
    let again = claim_until(&store, "w", 2, LEASE).await;
    let seqs: HashSet<_> = again.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, claimed[..2].iter().map(|c| c.seq).collect());
    // A processed row named by id is replayed too.
    let by_id = store
        .replay(&ReplaySelector::Ids(vec![DeliveryRef::Seq(claimed[2].seq)]))
        .await
        .unwrap();
    assert_eq!(by_id, 1);
    assert_eq!(state_of(&store, claimed[2].seq).await, State::Pending);
}

async fn release_gives_leased_rows_back_due_at_once(store: Arc<dyn Store>) {
    store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    store
        .release("someone-else", &[claimed[0].seq])
        .await
        .unwrap();
    assert!(
        store.claim_due("x", 1, LEASE).await.unwrap().is_empty(),
        "not theirs to release"
    );
    store.release("w", &[claimed[0].seq]).await.unwrap();
    let again = claim_until(&store, "x", 1, LEASE).await;
    assert_eq!(again[0].seq, claimed[0].seq);
    assert_eq!(again[0].attempts, 0, "a release is not an attempt");
}

async fn prune_drops_only_bodies_of_old_processed_rows(store: Arc<dyn Store>) {
    let Inserted::New { seq: done } = store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    store
        .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
        .await
        .unwrap();
    let Inserted::New { seq: waiting } = store
        .insert(delivery("b", "PURCHASE_APPROVED"))
        .await
        .unwrap()
    else {
        panic!("new row")
    };
    assert_eq!(
        store.prune_bodies(now_ms() - 60_000).await.unwrap(),
        0,
        "too recent"
    );
    assert_eq!(store.prune_bodies(now_ms() + 60_000).await.unwrap(), 1);
    let pruned = store.get(&DeliveryRef::Seq(done)).await.unwrap().unwrap();
    assert_eq!(pruned.body, None);
    assert_eq!(pruned.summary.key, "a", "metadata kept");
    let kept = store
        .get(&DeliveryRef::Seq(waiting))
        .await
        .unwrap()
        .unwrap();
    assert!(kept.body.is_some(), "an unprocessed body is never pruned");
}

async fn existing_keys_names_only_stored_keys(store: Arc<dyn Store>) {
    store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    store
        .insert(delivery("b", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    let keys = vec!["a".to_owned(), "c".to_owned(), "b".to_owned()];
    let found = store.existing_keys(&keys).await.unwrap();
    assert_eq!(found, HashSet::from(["a".to_owned(), "b".to_owned()]));
    assert!(store.existing_keys(&[]).await.unwrap().is_empty());
}

async fn the_backlog_age_is_the_oldest_due_row(store: Arc<dyn Store>) {
    assert_eq!(store.oldest_due_at().await.unwrap(), None);
    assert_eq!(store.next_due_at().await.unwrap(), None);
    let before = now_ms();
    store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    let oldest = store.oldest_due_at().await.unwrap().expect("a due row");
    assert!(
        oldest >= before - 1_000 && oldest <= now_ms() + 1_000,
        "{oldest} vs {before}"
    );
    let claimed = claim_until(&store, "w", 1, LEASE).await;
    assert_eq!(
        store.oldest_due_at().await.unwrap(),
        None,
        "a leased row is not backlog"
    );
    let lease_end = store.next_due_at().await.unwrap().expect("the lease's end");
    assert!(lease_end >= now_ms() + 30_000, "the lease's end, not now");
    store
        .record_attempt("w", attempt(&claimed[0], true, Next::Processed))
        .await
        .unwrap();
    assert_eq!(store.next_due_at().await.unwrap(), None);
}

async fn per_minute_counts_rows_by_state(store: Arc<dyn Store>) {
    let start = now_ms();
    store
        .insert(delivery("a", "PURCHASE_APPROVED"))
        .await
        .unwrap();
    store.insert(unparsed("raw:4")).await.unwrap();
    let minutes = store.per_minute(start - 120_000).await.unwrap();
    let total: u64 = minutes.iter().flat_map(|m| m.by_state.values()).sum();
    assert_eq!(total, 2);
    assert!(minutes.iter().all(|m| m.minute % 60_000 == 0));
    assert!(
        store
            .per_minute(now_ms() + 120_000)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn the_write_probe_succeeds_on_a_writable_database(store: Arc<dyn Store>) {
    store.probe_write().await.unwrap();
    assert!(store.backend() == "sqlite" || store.backend() == "postgres");
}
