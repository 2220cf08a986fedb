//! `hotmart send` against the real `hotmart-receiver` (in-process, SQLite in
//! a temporary directory, 127.0.0.1 port 0): a launch of a few thousand
//! deliveries with duplicates, every delivery answered 2xx and stored once.

use std::collections::{BTreeMap, HashSet};
use std::process::{Command, Output};

use hotmart_receiver::{Config, RunningServer};
use hotmart_webhook::Hottok;
use hotmart_webhook::event::EVENT_NAMES;
use serde_json::Value;

const SECRET: &str = "launch-rehearsal-hottok-0123456789";

async fn receiver(dir: &tempfile::TempDir) -> RunningServer {
    let mut config = Config::new(
        Hottok::new(SECRET).unwrap(),
        format!("sqlite://{}", dir.path().join("receiver.db").display()),
    );
    config.listen = "127.0.0.1:0".parse().unwrap();
    hotmart_receiver::Server::new(config).bind().await.unwrap()
}

/// Runs the real binary (blocking) off the runtime that serves the receiver.
async fn send(server: &RunningServer, args: &[&str]) -> Output {
    let url = format!("http://{}/api/acl/webhooks/hotmart", server.local_addr());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_hotmart"))
            // A generous timeout: a retry after a slow answer would be a
            // duplicate the test did not ask for.
            .args(["send", "--url", &url, "--hottok", SECRET, "--timeout", "60"])
            .args(&args)
            .env_remove("HOTMART_WEBHOOK_SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn records(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_with_duplicates_is_answered_2xx_and_stored_once_per_delivery() {
    const COUNT: u64 = 3_200;
    const DUPLICATES: u64 = COUNT / 5;
    let dir = tempfile::tempdir().unwrap();
    let server = receiver(&dir).await;

    let count = COUNT.to_string();
    let output = send(
        &server,
        &[
            "--all",
            "--count",
            &count,
            "--concurrency",
            "32",
            "--duplicates",
            "0.2",
            "--json",
            "--retry-delays",
            "0,0,0,0,0",
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(SECRET) && !String::from_utf8_lossy(&output.stdout).contains(SECRET));

    let records = records(&output);
    let summary = &records.last().unwrap()["summary"];
    assert_eq!(summary["deliveries"], COUNT);
    assert_eq!(summary["succeeded"], COUNT);
    assert_eq!(summary["duplicates"], DUPLICATES);
    let attempts = &records[..records.len() - 1];
    assert!(
        attempts.iter().all(|r| r["status"] == 200),
        "every attempt answered 200"
    );
    let first_ids: HashSet<&str> = attempts
        .iter()
        .filter(|r| r["duplicate"] == false)
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(first_ids.len() as u64, COUNT - DUPLICATES);

    // The receiver's store: one row per unique delivery, the others counted
    // as duplicates of it; every event name of the catalogue in equal parts.
    let stats = server.store().statistics().await.unwrap();
    let rows: u64 = stats.by_event.values().sum();
    assert_eq!(rows, COUNT - DUPLICATES, "{stats:?}");
    assert_eq!(stats.duplicates, DUPLICATES, "{stats:?}");
    assert_eq!(stats.unparsed_on_receipt, 0);
    let expected: BTreeMap<String, u64> = EVENT_NAMES
        .iter()
        .map(|name| {
            (
                name.to_string(),
                (COUNT - DUPLICATES) / EVENT_NAMES.len() as u64,
            )
        })
        .collect();
    assert_eq!(stats.by_event, expected);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_deliveries_and_their_duplicates_are_stored_once_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = receiver(&dir).await;
    for format in ["v1-form", "v1-json"] {
        let output = send(
            &server,
            &[
                "--all",
                "--format",
                format,
                "--count",
                "300",
                "--concurrency",
                "8",
                "--duplicates",
                "0.2",
                "--retry-delays",
                "0,0,0,0,0",
            ],
        )
        .await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stats = server.store().statistics().await.unwrap();
    let rows: u64 = stats.by_event.values().sum();
    assert_eq!(rows, 2 * 240, "{stats:?}");
    assert_eq!(stats.duplicates, 2 * 60, "{stats:?}");
    assert_eq!(stats.unparsed_on_receipt, 0);
    server.shutdown().await;
}
