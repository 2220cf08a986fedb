//! The maintenance commands against a serving receiver's database.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_hotmart-receiver");

fn cli(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_show_and_replay_work_while_serve_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let recorder = Recorder {
        fail_first: 1,
        ..Recorder::default()
    };
    // One attempt only: the failing row becomes failed at once.
    let server = Server::start(
        &db,
        hotmart_receiver::RetryPolicy::new([Duration::ZERO]),
        recorder.clone(),
    )
    .await;
    let client = client();
    let mut event = v2_fixtures()[0].clone();
    event["hottok"] = SECRET.into();
    deliver(&client, &server, with_id(&event, "cli-1")).await;
    eventually(Duration::from_secs(10), "failed", || async {
        (state(&db, "cli-1").0 == "failed").then_some(())
    })
    .await;

    let (ok, out, err) = cli(&db, &["deliveries", "list", "--state", "failed", "--json"]);
    assert!(ok, "{err}");
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["eventId"], "cli-1");
    assert_eq!(row["state"], "failed");
    let (ok, out, _) = cli(&db, &["deliveries", "list"]);
    assert!(
        ok && out.contains("event:cli-1") && out.contains("failed"),
        "{out}"
    );

    let (ok, out, err) = cli(&db, &["deliveries", "show", "cli-1"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["attemptsMade"][0]["ok"], false);
    assert_eq!(shown["body"]["id"], "cli-1", "the stored body");
    assert!(
        !out.contains(SECRET),
        "the hottok is masked in the stored body"
    );
    let (ok, _, err) = cli(&db, &["deliveries", "show", "no-such-id"]);
    assert!(!ok && err.contains("no-such-id"), "{err}");

    let (ok, out, err) = cli(&db, &["replay", "cli-1"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("1 deliveries re-queued"), "{out}");
    eventually(
        Duration::from_secs(10),
        "processed after replay",
        || async { (state(&db, "cli-1") == ("processed".into(), 2)).then_some(()) },
    )
    .await;
    let (ok, _, err) = cli(&db, &["replay", "--state", "lost"]);
    assert!(!ok && err.contains("--state"), "{err}");
    server.stop().await;
}

#[test]
fn help_and_version_never_show_a_secret() {
    let out = Command::new(BIN)
        .arg("--help")
        .env("HOTMART_WEBHOOK_SECRET", "super-secret-hottok-value")
        .env("HOTMART_ADMIN_TOKEN", "super-secret-admin-token")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("HOTMART_WEBHOOK_SECRET") && help.contains("deliveries"),
        "{help}"
    );
    assert!(!help.contains("super-secret"), "{help}");
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}
