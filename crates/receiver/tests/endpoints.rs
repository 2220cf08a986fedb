//! Every endpoint over a real socket.

mod common;

use std::time::Duration;

use common::*;
use hotmart_receiver::LogProcessor;
use hyper::{Method, StatusCode};
use serde_json::json;

async fn start(dir: &tempfile::TempDir) -> Server {
    Server::start(
        &dir.path().join("receiver.db"),
        fast_retry(),
        LogProcessor::new,
    )
    .await
}

const WEBHOOK: &str = "/api/acl/webhooks/hotmart";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_delivery_is_stored_with_its_summary_before_200_and_processed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
    let client = client();
    let body = fixture("v2/PURCHASE_APPROVED_1.json");

    let (status, json) = deliver(&client, &server, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(
        json,
        json!({"success":true,"data":{"id":"545e7d21-8fc4-4906-8fba-dcd7889f6481","event":"PURCHASE_APPROVED","duplicate":false}})
    );
    // The row is there as soon as the answer is: read straight from the file.
    let row = rows(
        &server.db,
        "SELECT event_id, event, version, known, transaction_code, status, outcome, hottok_source, body
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
    assert_eq!(row[0][3], V::Integer(1));
    assert_eq!(row[0][4], V::Text("HP16015479281022".into()));
    assert_eq!(row[0][5], V::Text("APPROVED".into()));
    assert_eq!(row[0][6], V::Text("accepted".into()));
    assert_eq!(row[0][7], V::Text("header".into()));
    assert_eq!(row[0][8], V::Blob(body), "the raw body, byte for byte");

    eventually(Duration::from_secs(10), "processing", || async {
        (count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 1)
            .then_some(())
    })
    .await;
    let effects = rows(&server.db, "SELECT idempotency_key, action FROM effects");
    assert_eq!(
        effects,
        vec![vec![
            rusqlite::types::Value::Text("545e7d21-8fc4-4906-8fba-dcd7889f6481".into()),
            rusqlite::types::Value::Text("grant".into())
        ]]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_share_the_event_id_are_stored_once_and_answered_200_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
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
    assert_eq!(j2["data"]["id"], "dup-1");
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM deliveries"), 1);
    assert_eq!(count(&server.db, "SELECT duplicates FROM deliveries"), 2);

    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["accepted"], 1);
    assert_eq!(stats["byOutcome"]["duplicate"], 2);
    eventually(Duration::from_secs(10), "processing", || async {
        (count(&server.db, "SELECT COUNT(*) FROM effects") == 1).then_some(())
    })
    .await;
    server.stop().await;
    assert_eq!(
        count(
            &dir.path().join("receiver.db"),
            "SELECT COUNT(*) FROM effects"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_postback_is_verified_by_its_body_deduped_on_transaction_and_status_and_masked() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
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
    assert_eq!(json["data"]["id"], "v1:HP1121336654889:APPROVED");
    assert_eq!(json["data"]["event"], "purchase");
    let (_, again) = post(form.clone()).await;
    assert_eq!(again["data"]["duplicate"], true);
    // Same transaction, another status: another event.
    let refunded = form.replace("status=approved", "status=refunded");
    let (status, json) = post(refunded).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["duplicate"], false);
    assert_eq!(json["data"]["id"], "v1:HP1121336654889:REFUNDED");

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
        "SELECT body FROM deliveries ORDER BY seq",
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
    let actions = rows(
        &dir.path().join("receiver.db"),
        "SELECT action FROM effects ORDER BY idempotency_key",
    );
    assert_eq!(actions.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_events_are_stored_and_answered_200() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
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
            "SELECT COUNT(*) FROM deliveries WHERE known = 0"
        ),
        1
    );
    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byEvent"]["SUBSCRIPTION_CREATED"], 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparsable_bodies_are_stored_as_failed_and_answered_with_the_guide_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
    let client = client();
    let bad_data = r#"{"id":"x","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"buyer":{"email":"ana@example.com"},"purchase":{"price":{"value":"cheap"}}}}"#;
    let (status, json) = deliver(&client, &server, bad_data).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json["success"], false);
    assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");
    assert_eq!(json["error"]["message"], "Webhook validation failed");
    assert!(
        json["error"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("data.purchase.price.value")
    );
    assert!(!json.to_string().contains("ana@example.com"));

    let (status, json) = deliver(&client, &server, "{\"id\": truncated").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");

    assert_eq!(
        count(
            &server.db,
            "SELECT COUNT(*) FROM deliveries WHERE outcome = 'parse_failed' AND state = 'unprocessable'"
        ),
        2
    );
    let stats = statistics(&client, &server).await;
    assert_eq!(stats["byOutcome"]["failedToParse"], 2);
    assert_eq!(stats["byOutcome"]["accepted"], 0);
    // Never handed to the processor.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(count(&server.db, "SELECT COUNT(*) FROM effects"), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_401_not_stored_and_counted_as_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
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
    let server = start(&dir).await;
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
    let server = start(&dir).await;
    let client = client();
    let url = server.url("/api/acl/webhooks/test");
    let request = json!({"platform":"HOTMART","sampleData": v2_fixtures()
        .into_iter()
        .find(|e| e["event"] == "PURCHASE_REFUNDED")
        .unwrap()});
    let (status, json) = send(
        &client,
        Method::POST,
        &url,
        &[("content-type", "application/json")],
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
    let (status, json) = send(&client, Method::POST, &url, &[], guide).await;
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
    let (status, json) = send(&client, Method::POST, &url, &[], v1).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["data"]["version"], "1.0.0");
    assert_eq!(json["data"]["transaction"], "HP1121336654889");

    // A sample that does not validate: the guide's error object.
    let bad = r#"{"platform":"HOTMART","sampleData":{"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"purchase":{"price":{"value":"x"}}}}}"#;
    let (status, json) = send(&client, Method::POST, &url, &[], bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");

    // Other or missing platform, missing sample, not JSON: 400.
    for body in [
        r#"{"platform":"KIWIFY","sampleData":{}}"#,
        r#"{"sampleData":{}}"#,
        r#"{"platform":"HOTMART"}"#,
        "not json",
    ] {
        let (status, json) = send(&client, Method::POST, &url, &[], body).await;
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
    let server = start(&dir).await;
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
        json!({"accepted":3,"duplicate":1,"rejected":1,"failedToParse":1,"processed":3,"processingFailed":0,"pending":0})
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
    let server = start(&dir).await;
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
    assert_eq!(list[0]["id"], "e11");
    assert_eq!(list[9]["id"], "e02");
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
async fn health_checks_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir).await;
    let client = client();
    let (status, json) = get(&client, &server, "/api/acl/webhooks/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({"success":true,"data":{"status":"ok","database":"ok"}})
    );
    let (status, _) = get(
        &client,
        &server,
        "/api/acl/webhooks/health?platform=HOTMART",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, json) = get(&client, &server, "/api/acl/webhooks/health?platform=OTHER").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    server.stop().await;
}
