//! A launch: 5,000 deliveries over 64 concurrent connections, a fifth of
//! them duplicates. Every one is answered 200 and stored exactly once.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::load::{percentiles, plan, run};
use common::*;

const TOTAL: usize = 5_000;
const DUPLICATES: usize = TOTAL / 5;
const CONNECTIONS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_load_every_delivery_answered_200_and_stored_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let server = Server::start(
        &dir.path().join("launch.db"),
        fast_retry(),
        recorder.clone(),
    )
    .await;
    let client = client();
    let plan = plan(TOTAL, DUPLICATES, "launch");
    let (outcomes, elapsed) = tokio::time::timeout(
        Duration::from_secs(120),
        run(
            &client,
            &server.url("/api/acl/webhooks/hotmart"),
            plan,
            CONNECTIONS,
            true,
        ),
    )
    .await
    .expect("the load finishes within 120 s");
    let (p50, p99) = percentiles(&outcomes);
    eprintln!(
        "launch: {TOTAL} deliveries in {elapsed:?} ({:.0}/s), p50 {p50:?}, p99 {p99:?}",
        TOTAL as f64 / elapsed.as_secs_f64()
    );

    assert_eq!(outcomes.len(), TOTAL);
    let not_ok: Vec<_> = outcomes.iter().filter(|o| o.status != Some(200)).collect();
    assert!(
        not_ok.is_empty(),
        "{} not answered 200: {:?}",
        not_ok.len(),
        &not_ok[..not_ok.len().min(5)]
    );
    // Per id: exactly one answer says "not a duplicate", whichever came first.
    let mut firsts: HashMap<&str, usize> = HashMap::new();
    for o in &outcomes {
        *firsts.entry(&o.id).or_default() += usize::from(o.duplicate == Some(false));
    }
    assert_eq!(firsts.len(), TOTAL - DUPLICATES);
    assert!(
        firsts.values().all(|&n| n == 1),
        "an id answered as new twice or never"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| o.duplicate == Some(true))
            .count(),
        DUPLICATES
    );

    let db = &server.db;
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM deliveries") as usize,
        TOTAL - DUPLICATES
    );
    assert_eq!(
        count(db, "SELECT SUM(duplicates) FROM deliveries") as usize,
        DUPLICATES
    );

    // Processing catches up, each event once.
    let stats = eventually(Duration::from_secs(60), "processing", || async {
        let stats = statistics(&client, &server).await;
        (stats["byOutcome"]["processed"] == TOTAL - DUPLICATES).then_some(stats)
    })
    .await;
    assert_eq!(stats["byOutcome"]["accepted"], TOTAL - DUPLICATES);
    assert_eq!(stats["byOutcome"]["duplicate"], DUPLICATES);
    assert_eq!(stats["byOutcome"]["rejected"], 0);
    assert_eq!(stats["byOutcome"]["pending"], 0);
    assert_eq!(stats["byOutcome"]["processingFailed"], 0);
    let by_event: u64 = stats["byEvent"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_event as usize, TOTAL - DUPLICATES);
    // Handed over once per event: a resend may re-queue a row still
    // waiting, never one in flight or processed.
    let calls = recorder.keys();
    let distinct: std::collections::HashSet<&String> = calls.iter().map(|c| &c.0).collect();
    assert_eq!(distinct.len(), TOTAL - DUPLICATES);
    assert_eq!(calls.len(), TOTAL - DUPLICATES, "no event processed twice");
    server.stop().await;
}
