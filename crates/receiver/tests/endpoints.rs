//! Every endpoint over a real socket.

mod common;

use std::time::Duration;

use common::*;
use hyper::{Method, StatusCode};
use serde_json::json;

async fn start(dir: &tempfile::TempDir) -> (Server, Recorder) {
    let recorder = Recorder::default();
    let server = Server::start(
        &dir.path().join("receiver.db"),
        fast_retry(),
        recorder.clone(),
    )
    .await;
    (server, recorder)
}

fn processed(db: &std::path::Path) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
    )
}

const WEBHOOK: &str = "/api/acl/webhooks/hotmart";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_delivery_is_stored_with_its_summary_before_200_and_processed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, recorder) = start(&dir).await;
    let client = client();
    let body = fixture("v2/PURCHASE_APPROVED_1.json");

    let (status, json) = deliver(&client, &server, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(
        json,
        json!({"success":true,"data":{"id":"purchase:HP16015479281022:PURCHASE_APPROVED","event":"PURCHASE_APPROVED","duplicate":false}})
    );
    // The row is there as soon as the answer is: read straight from the file.
    let row = rows(
        &server.db,
        "SELECT event_id, event, version, source, transaction_code, status, key, state,
             (SELECT body FROM bodies WHERE bodies.seq = deliveries.seq)
         FROM deliveries",
    );
    assert_eq!(row.len(), 1);
    use rusqlite::types::Value as V;
    assert_eq!(
        row[0][0],
        V::Text("545e7d21-8fc4-4906-8fba-dcd7889f6481".into())
    );
    assert_eq!(row[0][1], V::Text("PURCHASE_APPROVED".into()));
    assert_eq!(row[0][2], V::Text("2.0.0".into()));
    assert_eq!(row[0][3], V::Text("webhook".into()));
    assert_eq!(row[0][4], V::Text("HP16015479281022".into()));
    assert_eq!(row[0][5], V::Text("APPROVED".into()));
    assert_eq!(
        row[0][6],
        V::Text("purchase:HP16015479281022:PURCHASE_APPROVED".into())
    );
    assert_eq!(row[0][8], V::Blob(body), "the raw body, byte for byte");

    eventually(Duration::from_secs(10), "processing", || async {
        (count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        recorder.keys(),
        [(
            "purchase:HP16015479281022:PURCHASE_APPROVED".to_owned(),
            "PURCHASE_APPROVED".to_owned()
        )]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_share_the_event_id_are_stored_once_and_answered_200_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (server, recorder) = start(&dir).await;
    let client = client();
    let event = &v2_fixtures()[0];
    let first = with_id(event, "dup-1");
    // A resend may carry the body hottok and other whitespace: the body
    // differs, the id does not.
    let mut resend: serde_json::Value = serde_json::from_slice(&first).unwrap();
    resend["hottok"] = json!(SECRET);
    let resend = serde_json::to_vec_pretty(&resend).unwrap();

    let (s1, j1) = deliver(&client, &server, first).await;
    let (s2, j2) = deliver(&client, &server, resend.clone()).await;
    let (s3, j3) = deliver(&client, &server, resend).await;
    assert_eq!(
        (s1, s2, s3),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(j1["data"]["duplicate"], false);
    assert_eq!(j2["data"]["duplicate"], true, "{j2}");
    assert_eq!(j3["data"]["duplicate"], true);
    assert_eq!(j2["data"]["id"], j1["data"]["id"]);
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 1);
    assert_eq!(count(&server.db, "SELECT duplicates FROM deliveries"), 2);

    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["accepted"], 1);
    assert_eq!(stats["byOutcome"]["duplicate"], 2);
    eventually(Duration::from_secs(10), "processing", || async {
        (processed(&server.db) == 1).then_some(())
    })
    .await;
    server.stop().await;
    assert_eq!(recorder.keys().len(), 1, "processed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_postback_is_verified_by_its_body_deduped_on_transaction_and_status_and_masked() {
    let dir = tempfile::tempdir().unwrap();
    let (server, recorder) = start(&dir).await;
    let client = client();
    let form = String::from_utf8(fixture("v1/approved_1.form"))
        .unwrap()
        .replace("XXX0XXXXXXXXXXXX0XXXXXXX0XXXXX0000000", SECRET);
    let post = |body: String| {
        let client = client.clone();
        let url = server.url(WEBHOOK);
        async move {
            send(
                &client,
                Method::POST,
                &url,
                &[("content-type", "application/x-www-form-urlencoded")],
                body,
            )
            .await
        }
    };
    let (status, json) = post(form.clone()).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(
        json["data"]["id"],
        "purchase:HP1121336654889:PURCHASE_APPROVED"
    );
    assert_eq!(json["data"]["event"], "purchase");
    let (_, again) = post(form.clone()).await;
    assert_eq!(again["data"]["duplicate"], true);
    // Same transaction, another status: another event.
    let refunded = form.replace("status=approved", "status=refunded");
    let (status, json) = post(refunded).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["duplicate"], false);
    assert_eq!(
        json["data"]["id"],
        "purchase:HP1121336654889:PURCHASE_REFUNDED"
    );

    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 2);
    // Processing runs after the answer: wait for both rows before stopping.
    eventually(Duration::from_secs(10), "processing", || async {
        (count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 2)
            .then_some(())
    })
    .await;
    server.stop().await;
    // The secret never reaches the database file (nor its WAL).
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
    }
    let body = rows(
        &dir.path().join("receiver.db"),
        "SELECT body FROM bodies ORDER BY seq",
    );
    let rusqlite::types::Value::Blob(body) = &body[0][0] else {
        panic!()
    };
    let body = String::from_utf8(body.clone()).unwrap();
    assert!(
        body.contains(&format!("hottok={}&", "*".repeat(SECRET.len()))),
        "{body}"
    );
    assert_eq!(body.len(), form.len());
    assert_eq!(recorder.keys().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_events_are_stored_and_answered_200() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    // The third-party guide's event, which Hotmart never sends.
    let body = r#"{"id":"12346","event":"SUBSCRIPTION_CREATED","version":"2.0.0",
        "creation_date":"2023-01-01T10:00:00Z","data":{"subscription":{"plan":{"id":"PLAN123"}}}}"#;
    let (status, json) = deliver(&client, &server, body).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["data"]["event"], "SUBSCRIPTION_CREATED");
    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE event = 'SUBSCRIPTION_CREATED' AND key = 'event:12346'"
        ),
        1
    );
    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byEvent"]["SUBSCRIPTION_CREATED"], 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authentic_body_that_does_not_parse_is_stored_and_answered_200() {
    let dir = tempfile::tempdir().unwrap();
    let (server, recorder) = start(&dir).await;
    let client = client();
    for body in ["{\"id\": truncated", "[1,2,3]"] {
        let (status, json) = deliver(&client, &server, body).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        assert_eq!(json["success"], true);
        assert_eq!(json["data"]["parsed"], false);
        assert!(
            json["data"]["id"]
                .as_str()
                .unwrap()
                .starts_with("unparsed:"),
            "{json}"
        );
    }
    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'unparsed' AND parse_error IS NOT NULL"
        ),
        2
    );
    // Never handed to the processor: a valid delivery sent after them is
    // processed, and it is the only call.
    deliver(&client, &server, with_id(&v2_fixtures()[0], "after")).await;
    eventually(
        Duration::from_secs(10),
        "the valid one processed",
        || async { (processed(&server.db) == 1).then_some(()) },
    )
    .await;
    assert_eq!(recorder.keys().len(), 1);
    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["failedToParse"], 2);
    assert_eq!(stats["byOutcome"]["unparsed"], 2);
    assert_eq!(stats["byOutcome"]["accepted"], 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_401_not_stored_and_counted_as_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let body = fixture("v2/PURCHASE_APPROVED_1.json");
    let url = server.url(WEBHOOK);
    let (status, json) = send(
        &client,
        Method::POST,
        &url,
        &[("x-hotmart-hottok", "wrong-token")],
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["error"]["code"], "WEBHOOK_AUTHENTICATION_FAILED");
    // No header, no body hottok: missing.
    let (status, _) = send(&client, Method::POST, &url, &[], body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["rejected"], 2);
    assert_eq!(stats["rejectedByReason"], json!({"mismatch":1,"missing":1}));
    assert_eq!(stats["byOutcome"]["accepted"], 0);
    assert_eq!(stats["lastDeliveryAt"], serde_json::Value::Null);
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_the_limit_is_413_not_stored_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let mut event = v2_fixtures()[0].clone();
    event["padding"] = json!("x".repeat(70 * 1024));
    let big = serde_json::to_vec(&event).unwrap();
    // v2: the header passes, the body is refused while read.
    let (status, json) = deliver(&client, &server, big.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{json}");
    // v1 path: no header, the layer refuses before reading.
    let (status, json) = send(&client, Method::POST, &server.url(WEBHOOK), &[], big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json["error"]["code"], "WEBHOOK_PAYLOAD_TOO_LARGE");

    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["rejected"], 2);
    assert_eq!(stats["rejectedByReason"]["too_large"], 2);
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_endpoint_is_a_dry_run_that_describes_the_sample_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let request = json!({"platform":"HOTMART","sampleData": v2_fixtures()
        .into_iter()
        .find(|e| e["event"] == "PURCHASE_REFUNDED")
        .unwrap()});
    let (status, json) = admin_post(
        &client,
        &server,
        "/api/acl/webhooks/test",
        request.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let data = &json["data"];
    assert_eq!(data["dryRun"], true);
    assert_eq!(data["stored"], false);
    assert_eq!(data["event"], "PURCHASE_REFUNDED");
    assert_eq!(data["version"], "2.0.0");
    assert_eq!(data["known"], true);
    assert_eq!(data["status"], "REFUNDED");
    assert!(
        data["id"].is_string() && data["transaction"].is_string(),
        "{data}"
    );

    // The guide's own sample: an event Hotmart never sends, described as unknown.
    let guide = r#"{"platform":"HOTMART","sampleData":{"id":"test-123","event":"PURCHASE_COMPLETED","data":{"purchase":{"transaction":"TEST123456"}}}}"#;
    let (status, json) = admin_post(&client, &server, "/api/acl/webhooks/test", guide).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["known"], false);
    assert_eq!(json["data"]["id"], "test-123");
    assert!(
        json["data"]["hint"]
            .as_str()
            .unwrap()
            .contains("EVENT_NAMES")
    );

    // A v1 postback as a JSON string.
    let form = String::from_utf8(fixture("v1/approved_1.form")).unwrap();
    let v1 = json!({"platform":"HOTMART","sampleData": form}).to_string();
    let (status, json) = admin_post(&client, &server, "/api/acl/webhooks/test", v1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["version"], "1.0.0");
    assert_eq!(json["data"]["transaction"], "HP1121336654889");

    // A field of another type: read tolerantly, the problem reported.
    let odd = r#"{"platform":"HOTMART","sampleData":{"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"purchase":{"price":{"value":"x"}}}}}"#;
    let (status, json) = admin_post(&client, &server, "/api/acl/webhooks/test", odd).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(
        json["data"]["problems"][0]
            .as_str()
            .unwrap()
            .contains("data.purchase.price"),
        "{json}"
    );
    // A sample that does not parse at all: the guide's error object.
    let bad = r#"{"platform":"HOTMART","sampleData":"{\"id\": truncated"}"#;
    let (status, json) = admin_post(&client, &server, "/api/acl/webhooks/test", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");

    // Other or missing platform, missing sample, not JSON: 400.
    for body in [
        r#"{"platform":"KIWIFY","sampleData":{}}"#,
        r#"{"sampleData":{}}"#,
        r#"{"platform":"HOTMART"}"#,
        "not json",
    ] {
        let (status, json) = admin_post(&client, &server, "/api/acl/webhooks/test", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["success"], false);
        assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED", "{body}");
    }

    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["accepted"], 0);
    assert_eq!(stats["byOutcome"]["rejected"], 0);
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_count_by_event_and_outcome_and_require_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let fixtures = v2_fixtures();
    let approved = fixtures
        .iter()
        .find(|e| e["event"] == "PURCHASE_APPROVED")
        .unwrap();
    let refunded = fixtures
        .iter()
        .find(|e| e["event"] == "PURCHASE_REFUNDED")
        .unwrap();
    for (event, id) in [
        (approved, "a1"),
        (approved, "a2"),
        (refunded, "r1"),
        (approved, "a1"),
    ] {
        let (status, _) = deliver(&client, &server, with_id(event, id)).await;
        assert_eq!(status, StatusCode::OK);
    }
    deliver(&client, &server, "{").await;
    send(
        &client,
        Method::POST,
        &server.url(WEBHOOK),
        &[("x-hotmart-hottok", "nope")],
        "{}",
    )
    .await;

    let stats = eventually(Duration::from_secs(10), "processing", || async {
        let stats = statistics(&client, &server).await;
        (stats["byOutcome"]["processed"] == 3).then_some(stats)
    })
    .await;
    assert_eq!(stats["platform"], "HOTMART");
    assert_eq!(
        stats["byEvent"],
        json!({"PURCHASE_APPROVED":2,"PURCHASE_REFUNDED":1})
    );
    assert_eq!(
        stats["byOutcome"],
        json!({"accepted":3,"duplicate":1,"rejected":1,"failedToParse":1,"processed":3,"processingFailed":0,"pending":0,"unparsed":1})
    );
    let last = stats["lastDeliveryAt"].as_str().unwrap();
    assert!(last.ends_with('Z') && last.len() >= 20, "{last}");

    for path in [
        "/api/acl/webhooks/statistics",
        "/api/acl/webhooks/statistics?platform=KIWIFY",
        "/api/acl/webhooks/statistics?platform=hotmart",
        "/api/acl/webhooks/statistics?platform=HOTMART&platform=HOTMART",
    ] {
        let (status, json) = get(&client, &server, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");
        assert!(
            json["error"]["errors"][0]
                .as_str()
                .unwrap()
                .contains("platform")
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_deliveries_are_metadata_only_newest_first_and_limit_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let fixtures = v2_fixtures();
    for (i, event) in fixtures.iter().take(12).enumerate() {
        let mut event = event.clone();
        event["hottok"] = json!(SECRET);
        let (status, _) = deliver(&client, &server, with_id(&event, &format!("e{i:02}"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, json) = get(
        &client,
        &server,
        "/api/acl/webhooks?platform=HOTMART&limit=10",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let list = json["data"]["webhooks"].as_array().unwrap();
    assert_eq!(list.len(), 10);
    assert_eq!(list[0]["eventId"], "e11");
    assert_eq!(list[9]["eventId"], "e02");
    let text = json.to_string();
    for secret in [SECRET, "@", "buyer", "body", "email"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    assert!(keys.contains(&&"event".to_string()) && keys.contains(&&"state".to_string()));

    let (_, json) = get(&client, &server, "/api/acl/webhooks?platform=HOTMART").await;
    assert_eq!(
        json["data"]["webhooks"].as_array().unwrap().len(),
        10,
        "default limit"
    );
    let (_, json) = get(
        &client,
        &server,
        "/api/acl/webhooks?platform=HOTMART&limit=100",
    )
    .await;
    assert_eq!(json["data"]["webhooks"].as_array().unwrap().len(), 12);
    for path in [
        "/api/acl/webhooks?platform=HOTMART&limit=0",
        "/api/acl/webhooks?platform=HOTMART&limit=101",
        "/api/acl/webhooks?platform=HOTMART&limit=ten",
        "/api/acl/webhooks?limit=10",
        "/api/acl/webhooks?platform=EDUZZ&limit=10",
    ] {
        let (status, json) = get(&client, &server, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_is_ok_without_data_and_readiness_fails_when_a_write_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let bare = |path: &'static str| {
        let (client, url) = (client.clone(), server.url(path));
        async move { send(&client, Method::GET, &url, &[], bytes::Bytes::new()).await }
    };
    let (status, json) = bare("/api/acl/webhooks/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json, json!({"success":true,"data":{"status":"ok"}}));
    let (status, json) = bare("/api/acl/webhooks/ready").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["data"]["database"], "ok");

    // The disk refuses writes (a trigger stands in for a full disk): not
    // ready, while liveness stays green.
    let conn = rusqlite::Connection::open(&server.db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_probe BEFORE UPDATE ON counters
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;
         CREATE TRIGGER refuse_probe_insert BEFORE INSERT ON counters
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let (status, json) = bare("/api/acl/webhooks/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(json["data"]["database"], "failing");
    assert_eq!(bare("/api/acl/webhooks/health").await.0, StatusCode::OK);
    conn.execute_batch("DROP TRIGGER refuse_probe; DROP TRIGGER refuse_probe_insert;")
        .unwrap();
    assert_eq!(bare("/api/acl/webhooks/ready").await.0, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_answer_401_without_the_token_and_200_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start(&dir).await;
    let client = client();
    let (status, json) = deliver(&client, &server, with_id(&v2_fixtures()[0], "adm-1")).await;
    assert_eq!(status, StatusCode::OK);
    let key = json["data"]["id"].as_str().unwrap().to_owned();
    let routes: Vec<(Method, String, &str)> = vec![
        (
            Method::GET,
            "/api/acl/webhooks/statistics?platform=HOTMART".into(),
            "",
        ),
        (Method::GET, "/api/acl/webhooks?platform=HOTMART".into(), ""),
        (Method::GET, "/api/acl/webhooks/deliveries/adm-1".into(), ""),
        (
            Method::POST,
            "/api/acl/webhooks/replay".into(),
            r#"{"ids":["adm-1"]}"#,
        ),
        (
            Method::POST,
            "/api/acl/webhooks/test".into(),
            r#"{"platform":"HOTMART","sampleData":{"id":"1","event":"X","data":{}}}"#,
        ),
        (Method::GET, "/metrics".into(), ""),
    ];
    let good = format!("Bearer {ADMIN}");
    let wrong = format!("Bearer {ADMIN}x");
    for (method, path, body) in &routes {
        let url = server.url(path);
        for headers in [
            vec![],
            vec![("authorization", wrong.as_str())],
            vec![("authorization", ADMIN)],
        ] {
            let (status, json) =
                send(&client, method.clone(), &url, &headers, body.to_string()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {headers:?}"
            );
            assert_eq!(json["error"]["code"], "ADMIN_AUTHENTICATION_FAILED");
        }
        let (status, json) = send(
            &client,
            method.clone(),
            &url,
            &[("authorization", &good)],
            body.to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {json}");
    }
    let (_, json) = get(&client, &server, "/api/acl/webhooks/deliveries/adm-1").await;
    assert_eq!(json["data"]["key"], key);
    assert_eq!(json["data"]["eventId"], "adm-1");
    assert!(json["data"]["attemptsMade"].is_array());
    assert!(
        !json.to_string().contains("buyer"),
        "no body in the answer: {json}"
    );
    let (status, _) = get(&client, &server, "/api/acl/webhooks/deliveries/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, text) = get(&client, &server, "/metrics").await;
    let text = text.as_str().unwrap().to_owned();
    for family in [
        "hotmart_deliveries_total",
        "hotmart_rejections_total",
        "hotmart_commit_seconds_bucket",
        "hotmart_queue_depth",
        "hotmart_oldest_due_seconds",
        "hotmart_attempts_total",
    ] {
        assert!(text.contains(family), "{family} missing from {text}");
    }
    assert!(text.contains("reason=\"admin_token\"} 18"), "{text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_the_admin_routes_are_closed_and_say_how_to_open_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        &dir.path().join("r.db"),
        |config| config.admin_token = None,
        Recorder::default(),
    )
    .await;
    let client = client();
    let (status, json) = get(
        &client,
        &server,
        "/api/acl/webhooks/statistics?platform=HOTMART",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json["error"]["code"], "ADMIN_TOKEN_NOT_CONFIGURED");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HOTMART_ADMIN_TOKEN")
    );
    // The webhook itself still works.
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "open")).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}
