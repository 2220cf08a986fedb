//! Storage under stress and over time: a full queue and a failed commit
//! answer 503 (nothing is lost: Hotmart retries), one `serve` per file, the
//! file's mode, retention and backup while serving.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::Duration;

use common::*;
use hyper::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_hotmart-receiver");

fn cli(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env_remove("HOTMART_WEBHOOK_SECRET")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_at_once_and_nothing_answered_200_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let server = Server::start_with(&db, |c| c.queue_capacity = 1, Recorder::default()).await;
    let client = client();
    // Another process holds the write lock: the writer waits, and the one
    // queue slot fills.
    let blocker = rusqlite::Connection::open(&db).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..8 {
        let (client, tx) = (client.clone(), tx.clone());
        let url = server.url("/api/acl/webhooks/hotmart");
        tokio::spawn(async move {
            let body = with_id(&v2_fixtures()[0], &format!("full-{i}"));
            let answer = send(
                &client,
                hyper::Method::POST,
                &url,
                &[("x-hotmart-hottok", SECRET)],
                body,
            )
            .await;
            let _ = tx.send((i, answer));
        });
    }
    drop(tx);
    // Refusals come back at once, while the lock is still held.
    let (_, (status, json)) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("an answer while the writer is blocked")
        .unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(json["error"]["code"], "WEBHOOK_STORAGE_UNAVAILABLE");
    blocker.execute_batch("COMMIT").unwrap();
    let mut answers = vec![(status, json)];
    while let Some((_, answer)) = rx.recv().await {
        answers.push(answer);
    }
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert_eq!(ok + refused, 8, "{answers:?}");
    assert!(ok >= 1 && refused >= 1, "{ok} ok, {refused} refused");
    // Exactly the deliveries answered 200 are stored.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deliveries") as usize, ok);
    let (_, metrics) = get(&client, &server, "/metrics").await;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains(&format!("hotmart_unavailable_total {refused}")),
        "{metrics}"
    );
    // Hotmart's retry of a refused delivery is stored.
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "full-retry")).await;
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_answers_503_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let server = Server::start(&db, fast_retry(), Recorder::default()).await;
    let client = client();
    // A deferred foreign key violated by every new delivery: the statements
    // succeed and the COMMIT itself fails.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TRIGGER fail_commit AFTER INSERT ON deliveries BEGIN INSERT INTO child VALUES (42); END;",
    )
    .unwrap();
    let (status, json) = deliver(&client, &server, with_id(&v2_fixtures()[0], "c-1")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{json}");
    assert_eq!(json["error"]["code"], "WEBHOOK_STORAGE_UNAVAILABLE");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deliveries"), 0);
    conn.execute_batch("DROP TRIGGER fail_commit").unwrap();
    let (status, _) = deliver(&client, &server, with_id(&v2_fixtures()[0], "c-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deliveries"), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_on_the_same_file_is_refused_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let server = Server::start(&db, fast_retry(), Recorder::default()).await;
    let second = hotmart_receiver::Server::new(test_config(&db, |_| {}))
        .bind()
        .await
        .unwrap_err()
        .to_string();
    assert!(second.contains("already serving"), "{second}");
    // The binary says so and exits non-zero.
    let out = Command::new(BIN)
        .env("HOTMART_WEBHOOK_SECRET", SECRET)
        .env("PORT", "0")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already serving"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    // Reading commands work meanwhile.
    assert!(cli(&db, &["deliveries", "list"]).status.success());
    server.stop().await;
    // Once stopped, the file can be served again.
    let server = Server::start(&db, fast_retry(), Recorder::default()).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_old_processed_bodies_and_keeps_their_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let server = Server::start(&db, fast_retry(), Recorder::default()).await;
    let client = client();
    for id in ["old", "new"] {
        deliver(&client, &server, with_id(&v2_fixtures()[0], id)).await;
    }
    let (status, _) = deliver(&client, &server, "not json at all {").await;
    assert_eq!(status, StatusCode::OK);
    eventually(Duration::from_secs(10), "processed", || async {
        (count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 2)
            .then_some(())
    })
    .await;
    // "old" and the unparsed row were received 100 days ago.
    let ago = hotmart_receiver::store::now_ms() - 100 * 86_400_000;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE deliveries SET received_at = ?1 WHERE event_id = 'old' OR state = 'unparsed'",
            [ago],
        )
        .unwrap();
    let out = cli(&db, &["prune", "--older-than", "90d"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("bodies of 1 processed"));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE seq NOT IN (SELECT seq FROM bodies)"
        ),
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE event_id = 'old' AND seq NOT IN (SELECT seq FROM bodies) AND state = 'processed'"
        ),
        1
    );
    // Unprocessed rows keep their body: it is all there is to process.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'unparsed' AND seq IN (SELECT seq FROM bodies)"
        ),
        1
    );
    server.stop().await;

    // RETENTION_DAYS prunes at start (then daily).
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE deliveries SET received_at = ?1 WHERE event_id = 'new'",
            [ago],
        )
        .unwrap();
    let server =
        Server::start_with(&db, |c| c.retention_days = Some(90), Recorder::default()).await;
    eventually(Duration::from_secs(10), "pruned at start", || async {
        (count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE seq NOT IN (SELECT seq FROM bodies)",
        ) == 2)
            .then_some(())
    })
    .await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM deliveries"), 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_is_a_consistent_private_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let server = Server::start(&db, fast_retry(), Recorder::default()).await;
    let client = client();
    for i in 0..20 {
        deliver(
            &client,
            &server,
            with_id(&v2_fixtures()[0], &format!("b-{i}")),
        )
        .await;
    }
    // Deliveries keep arriving during the backup.
    let load = tokio::spawn({
        let (client, url) = (client.clone(), server.url("/api/acl/webhooks/hotmart"));
        async move {
            for i in 0..50 {
                let body = with_id(&v2_fixtures()[0], &format!("during-{i}"));
                let (status, _) = send(
                    &client,
                    hyper::Method::POST,
                    &url,
                    &[("x-hotmart-hottok", SECRET)],
                    body,
                )
                .await;
                assert_eq!(status, StatusCode::OK);
            }
        }
    });
    let copy = dir.path().join("copy.db");
    let out = tokio::task::spawn_blocking({
        let (db, copy) = (db.clone(), copy.clone());
        move || cli(&db, &["backup", copy.to_str().unwrap()])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    load.await.unwrap();
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM deliveries", [], |r| r.get(0))
        .unwrap();
    assert!((20..=70).contains(&n), "{n}");
    // Never overwrites.
    let again = cli(&db, &["backup", copy.to_str().unwrap()]);
    assert!(!again.status.success());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_bodies_inline_has_them_moved_to_their_own_table_at_open() {
    use hotmart_receiver::store::{DeliveryRef, NewDelivery, OpenOptions, ParseSummary, Source};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    let url = format!("sqlite://{}", db.display());
    let store = hotmart_receiver::store::open(&url, &OpenOptions::default())
        .await
        .unwrap();
    store
        .insert(NewDelivery {
            source: Source::Webhook,
            summary: ParseSummary {
                key: "k-old".into(),
                event: Some("PURCHASE_APPROVED".into()),
                event_id: Some("id-old".into()),
                transaction: Some("HP1".into()),
                status: Some("APPROVED".into()),
                version: Some("2.0.0".into()),
                parse_error: None,
                problems: Vec::new(),
            },
            received_at: hotmart_receiver::store::now_ms(),
            body: b"{\"id\":\"id-old\"}".to_vec(),
        })
        .await
        .unwrap();
    drop(store);
    // The layout of files written before: the body a column of deliveries.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "ALTER TABLE deliveries ADD COLUMN body BLOB;
             UPDATE deliveries SET body = (SELECT body FROM bodies WHERE bodies.seq = deliveries.seq);
             DELETE FROM bodies;",
        )
        .unwrap();
    let store = hotmart_receiver::store::open(&url, &OpenOptions::default())
        .await
        .unwrap();
    let row = store
        .get(&DeliveryRef::Id("id-old".into()))
        .await
        .unwrap()
        .expect("the row is still there");
    assert_eq!(row.body.as_deref(), Some(&b"{\"id\":\"id-old\"}"[..]));
    drop(store);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM pragma_table_info('deliveries') WHERE name = 'body'"
        ),
        0
    );
}
