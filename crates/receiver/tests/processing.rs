//! Processing after the answer: retries on the schedule, giving up, the
//! idempotency key, resuming pending rows after a restart.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use hotmart_receiver::{Processor, RetryPolicy};
use hotmart_webhook::Webhook;
use hyper::{Method, StatusCode};

/// Fails the first `fail_first` attempts of every key (or always), and
/// records each call.
#[derive(Clone, Default)]
struct Flaky {
    fail_first: usize,
    always_fail: bool,
    calls: Arc<Mutex<Vec<(String, String, Instant)>>>,
}

impl Flaky {
    fn calls_for(&self, key: &str) -> Vec<Instant> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(k, ..)| k == key)
            .map(|c| c.2)
            .collect()
    }

    fn keys(&self) -> Vec<(String, String)> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .map(|(k, e, _)| (k.clone(), e.clone()))
            .collect()
    }
}

impl Processor for Flaky {
    type Error = String;

    async fn process(&self, key: &str, webhook: &Webhook<'_>) -> Result<(), String> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((
                key.to_owned(),
                webhook.event_name().to_owned(),
                Instant::now(),
            ));
            calls.iter().filter(|(k, ..)| k == key).count()
        };
        if self.always_fail || n <= self.fail_first {
            Err(format!("downstream unavailable (attempt {n})"))
        } else {
            Ok(())
        }
    }
}

fn state(db: &std::path::Path, key: &str) -> (String, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT state, attempts FROM deliveries WHERE dedupe_key = ?1",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failing_twice_is_retried_on_the_schedule_and_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let flaky = Flaky {
        fail_first: 2,
        ..Flaky::default()
    };
    let policy = RetryPolicy::new([0, 50, 100, 200, 400].map(Duration::from_millis));
    let processor = flaky.clone();
    let server = Server::start(&dir.path().join("r.db"), policy, move |_: &_| processor).await;
    let client = client();
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "retry-1")).await;
    assert_eq!(status, StatusCode::OK);

    eventually(Duration::from_secs(10), "success", || async {
        (state(&server.db, "retry-1").0 == "processed").then_some(())
    })
    .await;
    let calls = flaky.calls_for("retry-1");
    assert_eq!(calls.len(), 3, "two failures, one success");
    let (gap1, gap2) = (calls[1] - calls[0], calls[2] - calls[1]);
    assert!(gap1 >= Duration::from_millis(50), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(100), "{gap2:?}");
    assert!(gap2 < Duration::from_millis(2000), "{gap2:?}");
    assert_eq!(state(&server.db, "retry-1"), ("processed".into(), 3));

    // Recorded success is final: nothing hands it over again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(flaky.calls_for("retry-1").len(), 3);
    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["processed"], 1);
    assert_eq!(stats["byOutcome"]["processingFailed"], 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_always_fails_gets_five_attempts_then_the_row_is_failed() {
    let dir = tempfile::tempdir().unwrap();
    let flaky = Flaky {
        always_fail: true,
        ..Flaky::default()
    };
    let processor = flaky.clone();
    let server = Server::start(&dir.path().join("r.db"), fast_retry(), move |_: &_| {
        processor
    })
    .await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[0], "doomed")).await;

    let stats = eventually(Duration::from_secs(10), "giving up", || async {
        let stats = statistics(&client, &server).await;
        (stats["byOutcome"]["processingFailed"] == 1).then_some(stats)
    })
    .await;
    assert_eq!(stats["byOutcome"]["processed"], 0);
    assert_eq!(stats["byOutcome"]["pending"], 0);
    assert_eq!(flaky.calls_for("doomed").len(), 5);
    assert_eq!(state(&server.db, "doomed"), ("failed".into(), 5));
    let (_, recent) = get(
        &client,
        &server,
        "/api/acl/webhooks?platform=HOTMART&limit=1",
    )
    .await;
    assert_eq!(recent["data"]["webhooks"][0]["state"], "failed");
    assert_eq!(recent["data"]["webhooks"][0]["attempts"], 5);
    server.stop().await;
}

#[test]
fn the_default_policy_is_the_guides_schedule() {
    let policy = RetryPolicy::guide();
    assert_eq!(policy.attempts(), 5);
    let delays: Vec<u64> = (0..5).map(|i| policy.delay(i).as_secs()).collect();
    assert_eq!(delays, [0, 1, 2, 4, 8]);
    assert_eq!(RetryPolicy::default(), policy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_gets_the_event_id_or_v1_transaction_and_status_as_key() {
    let dir = tempfile::tempdir().unwrap();
    let flaky = Flaky::default();
    let processor = flaky.clone();
    let server = Server::start(&dir.path().join("r.db"), fast_retry(), move |_: &_| {
        processor
    })
    .await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[0], "evt-42")).await;
    let form = String::from_utf8(fixture("v1/approved_1.form"))
        .unwrap()
        .replace("XXX0XXXXXXXXXXXX0XXXXXXX0XXXXX0000000", SECRET);
    let (status, _) = send(
        &client,
        Method::POST,
        &server.url("/api/acl/webhooks/hotmart"),
        &[],
        form,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    eventually(Duration::from_secs(10), "both processed", || async {
        (flaky.keys().len() == 2).then_some(())
    })
    .await;
    let mut keys = flaky.keys();
    keys.sort();
    assert_eq!(
        keys,
        [
            (
                "evt-42".to_owned(),
                v2_fixtures()[0]["event"].as_str().unwrap().to_owned()
            ),
            (
                "v1:HP1121336654889:APPROVED".to_owned(),
                "purchase".to_owned()
            ),
        ]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_are_resumed_at_the_next_start_and_processed_rows_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");

    // First run: "done" succeeds; "later" fails and waits a long retry delay
    // when the receiver stops.
    #[derive(Clone, Default)]
    struct FailOne(Arc<Mutex<HashMap<String, usize>>>);
    impl Processor for FailOne {
        type Error = &'static str;
        async fn process(&self, key: &str, _: &Webhook<'_>) -> Result<(), &'static str> {
            *self.0.lock().unwrap().entry(key.to_owned()).or_default() += 1;
            if key == "later" {
                Err("not now")
            } else {
                Ok(())
            }
        }
    }
    let first = FailOne::default();
    let processor = first.clone();
    let slow = RetryPolicy::new([0, 60_000, 60_000, 60_000, 60_000].map(Duration::from_millis));
    let server = Server::start(&db, slow, move |_: &_| processor).await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[0], "done")).await;
    deliver(&client, &server, with_id(&v2_fixtures()[1], "later")).await;
    eventually(Duration::from_secs(10), "first attempts", || async {
        (state(&db, "done").0 == "processed" && state(&db, "later").1 == 1).then_some(())
    })
    .await;
    let stopping = Instant::now();
    server.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "a retry wait does not hold up shutdown"
    );
    assert_eq!(state(&db, "later"), ("pending".into(), 1));

    // Second run on the same file: only the pending row is handed over, and
    // it continues at attempt 2.
    let second = Flaky::default();
    let processor = second.clone();
    let server = Server::start(&db, fast_retry(), move |_: &_| processor).await;
    eventually(Duration::from_secs(10), "resumed", || async {
        (state(&db, "later").0 == "processed").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        second
            .keys()
            .iter()
            .map(|k| k.0.as_str())
            .collect::<Vec<_>>(),
        ["later"]
    );
    assert_eq!(state(&db, "later"), ("processed".into(), 2));
    assert_eq!(state(&db, "done"), ("processed".into(), 1));
    assert_eq!(first.0.lock().unwrap()["done"], 1);
    server.stop().await;
}
