//! Processing after the answer: retries on the schedule, giving up, resends
//! re-queuing, the idempotency key, reparse, resuming after a restart.

mod common;

use std::time::{Duration, Instant};

use common::*;
use hotmart_receiver::RetryPolicy;
use hyper::{Method, StatusCode};

fn fast(delays_ms: &[u64]) -> RetryPolicy {
    RetryPolicy::new(delays_ms.iter().map(|&ms| Duration::from_millis(ms)))
}

/// Delivers `id` and waits until it is processed (or failed): everything delivered
/// before it and due has been handed over by then (rows are claimed in due
/// order), so counting calls afterwards needs no fixed sleep.
async fn sentinel(client: &HttpClient, server: &Server, id: &str) {
    let (status, _) = deliver(client, server, with_id(&v2_fixtures()[0], id)).await;
    assert_eq!(status, StatusCode::OK);
    eventually(Duration::from_secs(10), "the sentinel handled", || async {
        matches!(state(&server.db, id).0.as_str(), "processed" | "failed").then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failing_twice_is_retried_on_the_schedule_and_then_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder {
        fail_first: 2,
        ..Recorder::default()
    };
    let server = Server::start(
        &dir.path().join("r.db"),
        fast(&[0, 50, 100, 200, 400]),
        recorder.clone(),
    )
    .await;
    let client = client();
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "retry-1")).await;
    assert_eq!(status, StatusCode::OK);

    eventually(Duration::from_secs(10), "success", || async {
        (state(&server.db, "retry-1").0 == "processed").then_some(())
    })
    .await;
    let calls = recorder.calls_for("retry-1");
    assert_eq!(calls.len(), 3, "two failures, one success");
    let (gap1, gap2) = (calls[1] - calls[0], calls[2] - calls[1]);
    assert!(gap1 >= Duration::from_millis(50), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(100), "{gap2:?}");
    assert_eq!(state(&server.db, "retry-1"), ("processed".into(), 3));
    // Every attempt is in the attempts table, with its error.
    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM attempts WHERE ok = 0 AND error LIKE 'downstream unavailable%'"
        ),
        2
    );
    assert_eq!(
        count(&server.db, "SELECT COUNT(*) FROM attempts WHERE ok = 1"),
        1
    );

    // Recorded success is final: nothing hands it over again.
    sentinel(&client, &server, "after-retry").await;
    assert_eq!(recorder.calls_for("retry-1").len(), 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_always_fails_gets_every_attempt_then_the_row_is_failed() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder {
        always_fail: true,
        ..Recorder::default()
    };
    let server = Server::start(&dir.path().join("r.db"), fast_retry(), recorder.clone()).await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[0], "doomed")).await;

    let stats = eventually(Duration::from_secs(10), "giving up", || async {
        let stats = statistics(&client, &server).await;
        (stats["byOutcome"]["processingFailed"] == 1).then_some(stats)
    })
    .await;
    assert_eq!(stats["byOutcome"]["processed"], 0);
    assert_eq!(stats["byOutcome"]["pending"], 0);
    assert_eq!(recorder.calls_for("doomed").len(), 5);
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
fn the_default_schedule_is_the_guides_then_a_longer_backoff() {
    let guide = RetryPolicy::guide();
    let secs: Vec<u64> = guide.delays().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 1, 2, 4, 8]);
    let default = RetryPolicy::default();
    let secs: Vec<u64> = default.delays().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [0, 1, 2, 4, 8, 60, 600, 3600, 21_600, 86_400]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotmarts_resend_of_a_failed_row_requeues_it_and_it_is_processed() {
    let dir = tempfile::tempdir().unwrap();
    // Two attempts, both failing: the row is failed. The third call succeeds.
    let recorder = Recorder {
        fail_first: 2,
        ..Recorder::default()
    };
    let server = Server::start(&dir.path().join("r.db"), fast(&[0, 10]), recorder.clone()).await;
    let client = client();
    let body = with_id(&v2_fixtures()[0], "resent");
    deliver(&client, &server, body.clone()).await;
    eventually(Duration::from_secs(10), "failed", || async {
        (state(&server.db, "resent") == ("failed".into(), 2)).then_some(())
    })
    .await;

    // "Request the reprocessing" in Hotmart: the same event id again.
    let (status, json) = deliver(&client, &server, body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["duplicate"], true, "{json}");
    assert_eq!(json["data"]["requeued"], true, "{json}");
    eventually(
        Duration::from_secs(10),
        "processed after the resend",
        || async { (state(&server.db, "resent") == ("processed".into(), 3)).then_some(()) },
    )
    .await;

    // A resend of a processed row is only a duplicate.
    let (_, json) = deliver(&client, &server, body).await;
    assert_eq!(json["data"]["duplicate"], true);
    assert_eq!(json["data"].get("requeued"), None, "{json}");
    sentinel(&client, &server, "after-resend").await;
    assert_eq!(recorder.calls_for("resent").len(), 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_json_redelivery_gets_the_same_key_and_is_processed_once() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let server = Server::start(&dir.path().join("r.db"), fast_retry(), recorder.clone()).await;
    let client = client();
    let url = server.url("/api/acl/webhooks/hotmart");
    // v1 JSON events carry the hottok in the body; a redelivery may differ
    // in spacing and key order.
    let first = format!(
        r#"{{"hottok":"{SECRET}","switchPlanDate":1656013119173,"subscription":{{"status":"ACTIVE","subscriber":{{"code":"S1"}}}}}}"#
    );
    let again = format!(
        r#"{{ "subscription" : {{"subscriber":{{"code":"S1"}},"status":"ACTIVE"}}, "switchPlanDate" : 1656013119173, "hottok" : "{SECRET}" }}"#
    );
    let cancellation = format!(
        r#"{{"hottok":"{SECRET}","subscriberCode":"S1","cancellationDate":1656013119173,"dateNextCharge":1658605119173}}"#
    );
    let mut keys = Vec::new();
    for body in [&first, &again, &cancellation, &cancellation] {
        let (status, json) = send(
            &client,
            Method::POST,
            &url,
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        keys.push((
            json["data"]["id"].as_str().unwrap().to_owned(),
            json["data"]["duplicate"].as_bool().unwrap(),
        ));
    }
    assert!(keys[0].0.starts_with("v1:switch_plan:"), "{keys:?}");
    assert_eq!(keys[1], (keys[0].0.clone(), true));
    assert_eq!(
        keys[2],
        (
            "v1:subscription_cancellation:S1:1656013119173".to_owned(),
            false
        )
    );
    assert_eq!(keys[3], (keys[2].0.clone(), true));
    eventually(Duration::from_secs(10), "both processed", || async {
        (count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 2)
            .then_some(())
    })
    .await;
    sentinel(&client, &server, "after-v1").await;
    assert_eq!(recorder.calls_for(&keys[0].0).len(), 1);
    assert_eq!(recorder.calls_for(&keys[2].0).len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_gets_the_event_key_and_a_v1_postback_shares_its_v2_events_key() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let server = Server::start(&dir.path().join("r.db"), fast_retry(), recorder.clone()).await;
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
        (recorder.keys().len() == 2).then_some(())
    })
    .await;
    let mut keys = recorder.keys();
    keys.sort();
    assert_eq!(
        keys,
        [
            (
                "event:evt-42".to_owned(),
                v2_fixtures()[0]["event"].as_str().unwrap().to_owned()
            ),
            (
                "purchase:HP1121336654889:PURCHASE_APPROVED".to_owned(),
                "purchase".to_owned()
            ),
        ]
    );
    // The same sale as a 2.0.0 event is a duplicate of the v1 postback.
    let approved = v2_fixtures()
        .into_iter()
        .find(|e| e["event"] == "PURCHASE_APPROVED")
        .unwrap();
    let mut v2 = approved.clone();
    v2["data"]["purchase"]["transaction"] = "HP1121336654889".into();
    let (_, json) = deliver(&client, &server, serde_json::to_vec(&v2).unwrap()).await;
    assert_eq!(json["data"]["duplicate"], true, "{json}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_are_resumed_at_the_next_start_and_processed_rows_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");

    // First run: "done" succeeds; "later" fails and waits a long retry delay
    // when the receiver stops.
    let first = Recorder {
        fail_first: 1,
        ..Recorder::default()
    };
    let slow = fast(&[0, 60_000, 60_000]);
    // fail_first counts per key: "done" is sent after "later" has failed
    // once, and "later" fails its first attempt only.
    let server = Server::start(&db, slow, first.clone()).await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[1], "later")).await;
    eventually(Duration::from_secs(10), "first attempt", || async {
        (state(&db, "later") == ("pending".into(), 1)).then_some(())
    })
    .await;
    let stopping = Instant::now();
    server.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "a retry wait does not hold up shutdown"
    );
    assert_eq!(state(&db, "later"), ("pending".into(), 1));
    // Make it due now, as if its retry time had come during the downtime.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE deliveries SET due_at = 0 WHERE event_id = 'later'",
            [],
        )
        .unwrap();

    // Second run on the same file: the pending row continues at attempt 2.
    let second = Recorder::default();
    let server = Server::start(&db, fast_retry(), second.clone()).await;
    eventually(Duration::from_secs(10), "resumed", || async {
        (state(&db, "later").0 == "processed").then_some(())
    })
    .await;
    assert_eq!(state(&db, "later"), ("processed".into(), 2));
    sentinel(&client, &server, "after-restart").await;
    let handed: Vec<String> = second.keys().into_iter().map(|k| k.0).collect();
    assert_eq!(handed, ["event:later", "event:after-restart"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparsable_body_is_processed_after_reparse() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let recorder = Recorder::default();
    let server = Server::start(&db, fast_retry(), recorder.clone()).await;
    let client = client();
    let (status, json) = deliver(&client, &server, "{\"id\":\"late-1\", \"event\": ").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["parsed"], false);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'unparsed'"
        ),
        1
    );
    // A parser upgrade cannot happen inside a test: the stored body is
    // replaced by one today's parser reads, which is what `reparse` sees
    // after an upgrade that learnt the old body's shape.
    let body = with_id(&v2_fixtures()[0], "late-1");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE bodies SET body = ?1
             WHERE seq IN (SELECT seq FROM deliveries WHERE state = 'unparsed')",
            [body],
        )
        .unwrap();
    // `reparse` from the command line, while `serve` runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotmart-receiver"))
        .arg("reparse")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 now parse"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eventually(
        Duration::from_secs(10),
        "processed after reparse",
        || async { (state(&db, "event:late-1").0 == "processed").then_some(()) },
    )
    .await;
    assert_eq!(recorder.calls_for("late-1").len(), 1);
    server.stop().await;
}
