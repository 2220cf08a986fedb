//! `hotmart-receiver reconcile` against hotmart-api's fake of Hotmart's API
//! and a receiver serving the same SQLite file, through the real binary.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hotmart_api::fake::{FAKE_CLIENT_SECRET, FakeHotmart, FakeSale, Faults};
use hotmart_receiver::store::{DeliveryRef, Source, State};
use hotmart_receiver::{Config, Processor, RunningServer, Server};
use hotmart_webhook::{Hottok, Webhook};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_hotmart-receiver");
const HOTTOK: &str = "reconcile-test-hottok-0123456789";
const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

/// Counts how many times each key was processed.
#[derive(Clone, Default)]
struct Effects(Arc<Mutex<BTreeMap<String, usize>>>);

impl Effects {
    fn count(&self, key: &str) -> usize {
        self.0.lock().unwrap().get(key).copied().unwrap_or(0)
    }
    fn snapshot(&self) -> BTreeMap<String, usize> {
        self.0.lock().unwrap().clone()
    }
}

impl Processor for Effects {
    type Error = String;
    fn process(
        &self,
        key: &str,
        _webhook: &Webhook<'_>,
    ) -> impl Future<Output = Result<(), String>> + Send {
        *self.0.lock().unwrap().entry(key.to_owned()).or_insert(0) += 1;
        std::future::ready(Ok(()))
    }
}

async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A real 2.0.0 webhook for a transaction and event, as Hotmart sends it.
fn webhook(id: &str, event: &str, transaction: &str, status: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id, "creation_date": T0 + 10 * HOUR, "event": event, "version": "2.0.0",
        "data": {
            "product": {"id": 1234567, "name": "Curso de Exemplo"},
            "buyer": {"email": "real.webhook@example.com", "name": "Comprador"},
            "purchase": {"transaction": transaction, "status": status, "order_date": T0,
                         "price": {"value": 97.0, "currency_value": "BRL"}}
        }
    }))
    .unwrap()
}

async fn deliver(server: &RunningServer, body: Vec<u8>) -> u16 {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!(
        "http://{}/api/acl/webhooks/hotmart",
        server.local_addr()
    ))
    .header("x-hotmart-hottok", HOTTOK)
    .header("content-type", "application/json")
    .body(Full::new(Bytes::from(body)))
    .unwrap();
    tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("answered within 30 s")
        .unwrap()
        .status()
        .as_u16()
}

/// Runs `hotmart-receiver reconcile ARGS` (off the runtime's threads).
async fn reconcile(db: &Path, fake: &FakeHotmart, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(BIN);
    command.arg("reconcile").args(args);
    for var in [
        "HOTMART_CLIENT_ID",
        "HOTMART_CLIENT_SECRET",
        "HOTMART_BASIC",
        "HOTMART_API_URL",
        "HOTMART_AUTH_URL",
        "DATABASE_PATH",
    ] {
        command.env_remove(var);
    }
    command
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .envs(fake.env());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn triples(lines: &[Value]) -> BTreeSet<(String, String, String)> {
    lines
        .iter()
        .map(|v| {
            (
                v["transaction"].as_str().unwrap().to_owned(),
                v["status"].as_str().unwrap().to_owned(),
                v["event"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_reports_exactly_the_missing_sales_imports_them_once_and_a_late_webhook_is_a_duplicate()
 {
    // The history: sales in several statuses, one without a webhook, a
    // "Send test" transaction, and enough approved ones to page and split.
    let mut sales = vec![
        FakeSale::new("HP_A1", "APPROVED", T0 + HOUR),
        FakeSale::new("HP_A2", "APPROVED", T0 + 2 * HOUR),
        FakeSale::new("HP_C1", "COMPLETE", T0 + 3 * HOUR),
        FakeSale::new("HP_R1", "REFUNDED", T0 + 4 * HOUR),
        FakeSale::new("HP_P1", "PARTIALLY_REFUNDED", T0 + 5 * HOUR),
        FakeSale::new("HP_X1", "CANCELLED", T0 + 6 * HOUR),
        FakeSale::new("HP_B1", "PRINTED_BILLET", T0 + 7 * HOUR),
        FakeSale::new("HP_W1", "WAITING_PAYMENT", T0 + 8 * HOUR),
        FakeSale::send_test("APPROVED", T0 + 9 * HOUR),
    ];
    sales.extend((0..12).map(|i| {
        FakeSale::new(
            format!("HP_M{i:02}"),
            "APPROVED",
            T0 + 24 * HOUR + i * 7 * HOUR,
        )
    }));
    let fake = FakeHotmart::builder()
        .sales(sales)
        .faults(Faults {
            expire_tokens_at: vec![2],
            max_window: Some(Duration::from_secs(10 * 86_400)),
            ..Faults::default()
        })
        .start()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("receiver.db");
    let mut config = Config::new(
        Hottok::new(HOTTOK).unwrap(),
        format!("sqlite://{}", db.display()),
    );
    config.listen = "127.0.0.1:0".parse().unwrap();
    let effects = Effects::default();
    let server = Server::new(config)
        .processor(effects.clone())
        .bind()
        .await
        .unwrap();

    // The store holds part of the sales: their webhooks arrived.
    for (id, event, tx, status) in [
        ("e-a1", "PURCHASE_APPROVED", "HP_A1", "APPROVED"),
        ("e-c1", "PURCHASE_COMPLETE", "HP_C1", "COMPLETED"),
        ("e-x1", "PURCHASE_CANCELED", "HP_X1", "CANCELED"),
        // HP_R1's approval arrived, its refund did not.
        ("e-r1", "PURCHASE_APPROVED", "HP_R1", "APPROVED"),
    ] {
        assert_eq!(deliver(&server, webhook(id, event, tx, status)).await, 200);
    }
    eventually("the seeded deliveries to be processed", || {
        (effects.snapshot().len() == 4).then_some(())
    })
    .await;

    let mut expected: BTreeSet<(String, String, String)> = [
        ("HP_A2", "APPROVED", "PURCHASE_APPROVED"),
        ("HP_R1", "REFUNDED", "PURCHASE_REFUNDED"),
        ("HP_P1", "PARTIALLY_REFUNDED", "PURCHASE_REFUNDED"),
        ("HP_B1", "PRINTED_BILLET", "PURCHASE_BILLET_PRINTED"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    expected.extend((0..12).map(|i| {
        (
            format!("HP_M{i:02}"),
            "APPROVED".into(),
            "PURCHASE_APPROVED".into(),
        )
    }));

    // Report: exactly the rest, exit 1.
    let out = reconcile(
        &db,
        &fake,
        &["--since", "2026-01-01", "--until", "2026-01-31", "--json"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), expected.len());
    assert_eq!(triples(&lines), expected);
    let a2 = lines.iter().find(|l| l["transaction"] == "HP_A2").unwrap();
    assert_eq!(a2["product_id"], 1_234_567);
    assert_eq!(a2["order_date"], "2026-01-01T02:00:00Z");
    assert_eq!(a2["approved_date"], "2026-01-01T02:01:00Z");
    assert_eq!(a2["key"], "purchase:HP_A2:PURCHASE_APPROVED");
    assert!(
        effects.count("purchase:HP_A2:PURCHASE_APPROVED") == 0,
        "a report imports nothing"
    );

    // Import: exit 0, each processed once under the webhook's key.
    let out = reconcile(
        &db,
        &fake,
        &[
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-31",
            "--import",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(triples(&lines), expected);
    assert!(lines.iter().all(|l| l["imported"] == "new"), "{lines:?}");
    let keys: Vec<String> = lines
        .iter()
        .map(|l| l["key"].as_str().unwrap().to_owned())
        .collect();
    eventually("every imported sale to be processed", || {
        keys.iter().all(|k| effects.count(k) == 1).then_some(())
    })
    .await;
    let row = server
        .store()
        .get(&DeliveryRef::Id("purchase:HP_R1:PURCHASE_REFUNDED".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.summary.source, Source::Reconcile);
    assert_eq!(row.summary.event.as_deref(), Some("PURCHASE_REFUNDED"));

    // Hotmart's own webhook for an imported sale arrives late: a duplicate,
    // no second effect.
    let key = "purchase:HP_A2:PURCHASE_APPROVED";
    assert_eq!(
        deliver(
            &server,
            webhook("e-a2-late", "PURCHASE_APPROVED", "HP_A2", "APPROVED")
        )
        .await,
        200
    );
    let store = server.store().clone();
    let mut row = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while row.is_none() {
        let r = store
            .get(&DeliveryRef::Id(key.into()))
            .await
            .unwrap()
            .unwrap();
        if r.summary.duplicates == 1 {
            row = Some(r);
        } else {
            assert!(
                Instant::now() < deadline,
                "the late webhook was not counted as a duplicate"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let row = row.unwrap();
    assert_eq!(row.summary.state, State::Processed);
    assert_eq!(row.summary.source, Source::Reconcile);
    assert_eq!(effects.count(key), 1);

    // Nothing is missing any more: exit 0.
    let out = reconcile(
        &db,
        &fake,
        &["--since", "2026-01-01", "--until", "2026-01-31"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing missing"));

    // No secret and no buyer data in anything printed.
    let all = [&out.stdout[..], &out.stderr[..]].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(!text.contains(FAKE_CLIENT_SECRET));
    assert!(!text.contains("@example.com"));
    for token in fake.issued_tokens() {
        assert!(!text.contains(&token), "{token}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_exits_2_for_bad_dates_missing_or_refused_credentials() {
    let fake = FakeHotmart::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("receiver.db");

    let out = reconcile(&db, &fake, &["--since", "last week"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since"));

    let out = reconcile(
        &db,
        &fake,
        &["--since", "2026-02-01", "--until", "2026-01-01"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));

    let mut command = std::process::Command::new(BIN);
    command
        .args(["reconcile", "--since", "2026-01-01"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .envs(fake.env())
        .env("HOTMART_CLIENT_SECRET", "wrong-secret-abcdef");
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("wrong-secret-abcdef"), "{err}");

    let mut command = std::process::Command::new(BIN);
    command
        .args(["reconcile", "--since", "2026-01-01"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()));
    for var in [
        "HOTMART_CLIENT_ID",
        "HOTMART_CLIENT_SECRET",
        "HOTMART_BASIC",
    ] {
        command.env_remove(var);
    }
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOTMART_CLIENT_ID"));
}
