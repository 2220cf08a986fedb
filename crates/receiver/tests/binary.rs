//! The receiver binary as a child process: configuration, SIGTERM, and a
//! SIGKILL in the middle of a launch.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::app::{Answer, App};
use common::load::{plan, run};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_hotmart-receiver");

/// The running binary and the port it bound (`PORT=0`).
struct Receiver {
    child: Child,
    port: u16,
    log: mpsc::Receiver<String>,
}

impl Receiver {
    fn start(db: &Path) -> Receiver {
        Receiver::start_with(db, &[])
    }

    fn start_with(db: &Path, env: &[(&str, &str)]) -> Receiver {
        let mut command = Command::new(BIN);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .env("HOTMART_WEBHOOK_SECRET", SECRET)
            .env("PORT", "0")
            .env("DATABASE_PATH", db)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Drain stderr for the whole life of the child, or a full pipe would
        // block its logging.
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            let line = log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the receiver logs its address within 30 s");
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
                break addr.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        Receiver { child, port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then the exit status (bounded) and the log lines not yet
    /// read.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // The drain thread ends with the child's stderr.
                let mut logs = Vec::new();
                while let Ok(line) = self.log.recv_timeout(Duration::from_secs(5)) {
                    logs.push(line);
                }
                return (status, logs);
            }
            assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn refuses_to_start_without_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .env_remove("HOTMART_WEBHOOK_SECRET")
        .env_remove("HOTMART_WEBHOOK_SECRET_PREVIOUS")
        .env("PORT", "0")
        .env("DATABASE_PATH", dir.path().join("never.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HOTMART_WEBHOOK_SECRET is not set"),
        "{stderr}"
    );
    assert!(!dir.path().join("never.db").exists(), "nothing created");

    let out = Command::new(BIN)
        .env("HOTMART_WEBHOOK_SECRET", "has a space")
        .env("PORT", "0")
        .env("DATABASE_PATH", dir.path().join("never.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("has a space"),
        "the value is never echoed: {stderr}"
    );

    let out = Command::new(BIN)
        .env("HOTMART_WEBHOOK_SECRET", SECRET)
        .env("PORT", "eighty")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PORT"));
}

#[test]
fn every_bad_setting_is_one_line_and_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("never.db");
    let cases: &[(&str, &str, &str)] = &[
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("RETENTION_DAYS", "0", "RETENTION_DAYS"),
        ("RETENTION_DAYS", "soon", "retention-days"),
        (
            "HOTMART_FORWARD_URL",
            "http://127.0.0.1:9/hooks",
            "HOTMART_FORWARD_SECRET",
        ),
        ("HOTMART_ADMIN_TOKEN", "short", "HOTMART_ADMIN_TOKEN"),
        ("RETRY_BACKOFF", "1m,1w", "RETRY_BACKOFF"),
        ("LISTEN", "nowhere", "listen"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
    ];
    for (name, value, mentions) in cases {
        let out = Command::new(BIN)
            .env("HOTMART_WEBHOOK_SECRET", SECRET)
            .env("DATABASE_PATH", &db)
            .env_remove("DATABASE_URL")
            .env(name, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}={value}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}={value}: {stderr}"
        );
        assert!(stderr.contains(mentions), "{name}={value}: {stderr}");
    }
    // A forward secret in the wrong format is named, never echoed.
    let out = Command::new(BIN)
        .env("HOTMART_WEBHOOK_SECRET", SECRET)
        .env("DATABASE_PATH", &db)
        .env("HOTMART_FORWARD_URL", "http://127.0.0.1:9/hooks")
        .env("HOTMART_FORWARD_SECRET", "not-a-whsec-value")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("whsec_") && !stderr.contains("not-a-whsec-value"),
        "{stderr}"
    );
    assert!(!db.exists(), "nothing created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start_with(&dir.path().join("j.db"), &[("LOG_FORMAT", "json")]);
    let (status, logs) = tokio::task::spawn_blocking(move || receiver.terminate())
        .await
        .unwrap();
    assert!(status.success());
    assert!(!logs.is_empty());
    for line in &logs {
        let json: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(json["level"].is_string(), "{line}");
    }
    assert!(logs.iter().any(|l| l.contains("receiver stopped")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_gracefully_and_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let receiver = Receiver::start(&db);
    let client = client();
    let url = receiver.url("/api/acl/webhooks/hotmart");
    let mut event = v2_fixtures()
        .into_iter()
        .find(|e| e["event"] == "PURCHASE_APPROVED")
        .unwrap();
    let email = event["data"]["buyer"]["email"].as_str().unwrap().to_owned();
    event["hottok"] = serde_json::json!(SECRET);
    let (status, _) = send(
        &client,
        hyper::Method::POST,
        &url,
        &[("x-hotmart-hottok", SECRET)],
        with_id(&event, "term-1"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send(
        &client,
        hyper::Method::POST,
        &url,
        &[("x-hotmart-hottok", "bad")],
        "{}",
    )
    .await;
    assert_eq!(status, 401);
    eventually(Duration::from_secs(10), "processing", || async {
        (count(
            &db,
            "SELECT COUNT(*) FROM deliveries WHERE state = 'processed'",
        ) == 1)
            .then_some(())
    })
    .await;
    let (status, logs) = tokio::task::spawn_blocking(move || receiver.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let text = logs.join("\n");
    assert!(text.contains("platform=\"HOTMART\""), "{text}");
    assert!(text.contains("receiver stopped"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains(&email), "{text}");
}

fn texts(db: &Path, sql: &str) -> HashSet<String> {
    rows(db, sql)
        .into_iter()
        .map(|r| match &r[0] {
            rusqlite::types::Value::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_launch_loses_no_answered_delivery_and_forwards_no_processed_row_again() {
    const TOTAL: usize = 4_000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    // The seller's app: every forward is recorded.
    let app = App::start(|_, _| Answer::Status(200)).await;
    let forward = [
        ("HOTMART_FORWARD_URL", app.url()),
        (
            "HOTMART_FORWARD_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        ),
    ];
    let env: Vec<(&str, &str)> = forward.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let receiver = Receiver::start_with(&db, &env);
    let client = client();
    let url = receiver.url("/api/acl/webhooks/hotmart");
    let load = tokio::spawn({
        let client = client.clone();
        async move { run(&client, &url, plan(TOTAL, TOTAL / 5, "crash"), 64, true).await }
    });
    // Kill it while deliveries are arriving and rows are being processed.
    let db_for_wait = db.clone();
    eventually(
        Duration::from_secs(60),
        "a quarter of the launch stored",
        || {
            let db = db_for_wait.clone();
            async move {
                let stored = rusqlite::Connection::open(&db)
                    .and_then(|c| {
                        c.query_row("SELECT COUNT(*) FROM deliveries", [], |r| {
                            r.get::<_, i64>(0)
                        })
                    })
                    .unwrap_or(0);
                (stored >= 1_000).then_some(())
            }
        },
    )
    .await;
    let mut receiver = receiver;
    receiver.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    receiver.child.wait().unwrap();
    drop(receiver);
    let (outcomes, _) = tokio::time::timeout(Duration::from_secs(90), load)
        .await
        .expect("the load ends once the receiver is gone")
        .unwrap();

    let answered: HashSet<&str> = outcomes
        .iter()
        .filter(|o| o.status == Some(200))
        .map(|o| o.id.as_str())
        .collect();
    let unanswered = outcomes.iter().filter(|o| o.status.is_none()).count();
    let processed_at_kill = texts(&db, "SELECT key FROM deliveries WHERE state = 'processed'");
    let forwarded_before_restart = app.received().len();
    eprintln!(
        "crash: {} deliveries answered 200 ({} distinct ids), {unanswered} cut off, {} rows processed at the kill",
        outcomes.len() - unanswered,
        answered.len(),
        processed_at_kill.len()
    );
    assert!(
        unanswered > 0,
        "the kill happened in the middle of the launch"
    );
    assert!(!answered.is_empty());

    // Every delivery answered 200 is in the database.
    let stored = texts(&db, "SELECT event_id FROM deliveries");
    let lost: Vec<&&str> = answered
        .iter()
        .filter(|id| !stored.contains(**id))
        .collect();
    assert!(lost.is_empty(), "answered 200 but lost: {lost:?}");

    // Restart on the same file: everything ends up processed.
    let receiver = Receiver::start_with(&db, &env);
    eventually(
        Duration::from_secs(90),
        "every stored row processed",
        || async {
            (count(
                &db,
                "SELECT COUNT(*) FROM deliveries WHERE state <> 'processed'",
            ) == 0)
                .then_some(())
        },
    )
    .await;
    let (status, _) = tokio::task::spawn_blocking(move || receiver.terminate())
        .await
        .unwrap();
    assert!(status.success());

    // Each stored row reached the app; no row processed before the kill
    // was forwarded again after the restart (a forward may repeat only for
    // a row in flight at the kill: sent, not yet recorded).
    let received = app.received();
    let keys: HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
    let all_keys = texts(&db, "SELECT key FROM deliveries");
    assert!(
        all_keys.iter().all(|k| keys.contains(k.as_str())),
        "a stored row never reached the app"
    );
    let again: Vec<&str> = received[forwarded_before_restart..]
        .iter()
        .map(|r| r.header("webhook-id"))
        .filter(|k| processed_at_kill.contains(*k))
        .collect();
    assert!(
        again.is_empty(),
        "processed before the kill, forwarded again: {again:?}"
    );
    let repeats = received.len() - keys.len();
    eprintln!("crash: {repeats} forwards repeated (in flight at the kill)");
    assert!(
        repeats <= 64,
        "only rows in flight at the kill can repeat: {repeats}"
    );
}
