//! The forward sink against a stand-in for the seller's app: Standard
//! Webhooks signatures verified by an independent implementation (the
//! `standardwebhooks` crate), retries on 500 and on a timeout with the same
//! idempotency key, and 2xx marking the row processed.

mod common;

use std::time::Duration;

use common::app::{Answer, App};
use common::*;
use hotmart_receiver::ForwardConfig;
use hyper::StatusCode;

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn start(db: &std::path::Path, app: &App, timeout: Duration, delays_ms: &[u64]) -> Server {
    let url = app.url();
    let delays: Vec<Duration> = delays_ms
        .iter()
        .map(|&ms| Duration::from_millis(ms))
        .collect();
    Server::start_configured(db, move |c| {
        c.forward = Some(ForwardConfig::new(&url, WHSEC, timeout).unwrap());
        c.retry = hotmart_receiver::RetryPolicy::new(delays);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_gets_the_delivery_signed_without_the_hottok_and_2xx_marks_it_processed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let app = App::start(|_, _| Answer::Status(204)).await;
    let server = start(&db, &app, Duration::from_secs(10), &[0, 10]).await;
    let client = client();
    let mut event = v2_fixtures()
        .into_iter()
        .find(|e| e["event"] == "PURCHASE_APPROVED")
        .unwrap();
    event["hottok"] = SECRET.into();
    let body = with_id(&event, "fw-1");
    let (status, json) = deliver(&client, &server, body).await;
    assert_eq!(status, StatusCode::OK);
    let key = json["data"]["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(10), "processed", || async {
        (state(&db, "fw-1").0 == "processed").then_some(())
    })
    .await;
    let received = app.for_id(&key);
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.header("idempotency-key"), key);
    assert_eq!(request.header("content-type"), "application/json");
    // An independent Standard Webhooks implementation accepts it...
    let verifier = standardwebhooks::Webhook::new(WHSEC).unwrap();
    verifier.verify(&request.body, &request.headers).unwrap();
    // ...and refuses it when a byte of the body changes.
    let mut tampered = request.body.to_vec();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert!(verifier.verify(&tampered, &request.headers).is_err());
    // The body is the delivery as parsed, in Hotmart's names, without the hottok.
    let forwarded: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(forwarded["event"], "PURCHASE_APPROVED");
    assert_eq!(forwarded["id"], "fw-1");
    assert_eq!(forwarded["data"]["purchase"]["transaction"], "HP-fw-1");
    let text = String::from_utf8_lossy(&request.body);
    assert!(!text.contains(SECRET) && !text.contains("hottok"), "{text}");
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM attempts WHERE ok = 1 AND status = 204"
        ),
        1
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_and_a_timeout_are_retried_with_the_same_key_until_a_2xx() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    // First answer 500, then hang past the timeout, then 200.
    let app = App::start(|_, nth| match nth {
        1 => Answer::Status(500),
        2 => Answer::Hang,
        _ => Answer::Status(200),
    })
    .await;
    let server = start(&db, &app, Duration::from_millis(300), &[0, 10, 10, 10]).await;
    let client = client();
    let (_, json) = deliver(&client, &server, with_id(&v2_fixtures()[0], "fw-2")).await;
    let key = json["data"]["id"].as_str().unwrap().to_owned();
    eventually(Duration::from_secs(20), "processed", || async {
        (state(&db, "fw-2").0 == "processed").then_some(())
    })
    .await;
    let received = app.for_id(&key);
    assert_eq!(received.len(), 3);
    let verifier = standardwebhooks::Webhook::new(WHSEC).unwrap();
    for request in &received {
        assert_eq!(request.header("idempotency-key"), key);
        verifier.verify(&request.body, &request.headers).unwrap();
    }
    let attempts = rows(
        &db,
        "SELECT number, ok, status, error FROM attempts ORDER BY number",
    );
    use rusqlite::types::Value as V;
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[0][1..3], [V::Integer(0), V::Integer(500)]);
    assert_eq!(attempts[1][1..3], [V::Integer(0), V::Null]);
    assert!(
        matches!(&attempts[1][3], V::Text(t) if t.contains("no answer within 300 ms")),
        "{:?}",
        attempts[1]
    );
    assert_eq!(attempts[2][1..3], [V::Integer(1), V::Integer(200)]);
    assert_eq!(state(&db, "fw-2"), ("processed".into(), 3));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_keeps_failing_leaves_the_row_failed_for_replay() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let app = App::start(|_, nth| {
        if nth <= 2 {
            Answer::Status(503)
        } else {
            Answer::Status(200)
        }
    })
    .await;
    let server = start(&db, &app, Duration::from_secs(5), &[0, 10]).await;
    let client = client();
    deliver(&client, &server, with_id(&v2_fixtures()[0], "fw-3")).await;
    eventually(Duration::from_secs(10), "failed", || async {
        (state(&db, "fw-3") == ("failed".into(), 2)).then_some(())
    })
    .await;
    // `replay` through the admin API.
    let (status, json) = admin_post(
        &client,
        &server,
        "/api/acl/webhooks/replay",
        r#"{"state":"failed"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["data"]["requeued"], 1);
    eventually(
        Duration::from_secs(10),
        "processed after replay",
        || async { (state(&db, "fw-3") == ("processed".into(), 3)).then_some(()) },
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_forward_url_speaks_tls_and_never_sends_the_delivery_in_clear() {
    // The stand-in app speaks plain HTTP: an https:// URL to it must fail in
    // the TLS handshake (the client took the TLS path), so no request ever
    // reaches the app, and the attempt records why.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let app = App::start(|_, _| Answer::Status(200)).await;
    let url = app.url().replace("http://", "https://");
    let server = Server::start_configured(&db, move |c| {
        c.forward = Some(ForwardConfig::new(&url, WHSEC, Duration::from_secs(5)).unwrap());
        c.retry = hotmart_receiver::RetryPolicy::new(vec![Duration::ZERO]);
    })
    .await;
    let client = client();
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "fw-tls")).await;
    assert_eq!(status, StatusCode::OK);
    eventually(Duration::from_secs(10), "failed", || async {
        (state(&db, "fw-tls").0 == "failed").then_some(())
    })
    .await;
    assert!(app.for_id("fw-tls").is_empty());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let errors: Vec<String> = conn
        .prepare(
            "SELECT a.error FROM attempts a JOIN deliveries d ON d.seq = a.delivery \
             WHERE d.event_id = 'fw-tls'",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!errors.is_empty());
    // Failed while connecting (rustls read the app's plain-HTTP answer to
    // its ClientHello as a corrupt record), never at the HTTP stage.
    for error in &errors {
        assert!(error.contains("(Connect)"), "{error}");
    }
    server.stop().await;
}
