//! What durability costs: the same launch against the receiver (hottok,
//! parse, SQLite commit before the answer, forwarding to a local app behind)
//! and against a bare axum handler that only answers 200.
//!
//! `cargo bench -p hotmart-receiver --bench load` (release build). Set
//! `LOAD_DELIVERIES` to change the size (default 20,000; a fifth duplicates).
//!
//! The PostgreSQL rows run the release binary (`hotmart-receiver serve`),
//! one or two processes, on a private cluster started for the bench
//! (`fsync=on`, as in production), forwarding to a local app that counts
//! idempotency keys; the two-instance launch alternates between them and
//! sends each duplicate to the other instance. Without the PostgreSQL server
//! binaries those rows are skipped with a message. The database server, the
//! instances and the load client all share the machine's cores.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/instances.rs"]
#[allow(dead_code, unreachable_pub)]
mod instances;
use common::plan;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use common::app::{Answer, App};
use common::load::{Outcome, percentiles, plan, run};
use common::{Server, client};
use hotmart_receiver::ForwardConfig;
use hotmart_webhook::axum::HotmartWebhook;
use hotmart_webhook::{Hottok, VerifyHottokLayer};

const CONNECTIONS: usize = 64;

struct Row {
    name: &'static str,
    outcomes: Vec<Outcome>,
    elapsed: Duration,
}

impl Row {
    fn rate(&self) -> f64 {
        self.outcomes.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// A plain axum server on 127.0.0.1:0 running `app`.
async fn spawn(app: Router) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/api/acl/webhooks/hotmart",
        listener.local_addr().unwrap()
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    (url, stop)
}

async fn measure(name: &'static str, url: &str, total: usize) -> Row {
    let client = client();
    // Warm-up: connections, caches.
    run(
        &client,
        url,
        plan(1_000, 200, &format!("warm-{name}")),
        CONNECTIONS,
        true,
    )
    .await;
    let (outcomes, elapsed) = run(
        &client,
        url,
        plan(total, total / 5, name),
        CONNECTIONS,
        true,
    )
    .await;
    let failed = outcomes.iter().filter(|o| o.status != Some(200)).count();
    assert_eq!(failed, 0, "{name}: {failed} deliveries not answered 200");
    Row {
        name,
        outcomes,
        elapsed,
    }
}

/// `instances` processes of the release binary on one PostgreSQL database,
/// deliveries sent alternately; waits until every row is forwarded once.
async fn measure_instances(
    name: &'static str,
    instances: usize,
    db: &common::postgres::TestDatabase,
    total: usize,
) -> Row {
    let sink = instances::CountingSink::start().await;
    let running: Vec<instances::Instance> = (0..instances)
        .map(|_| {
            instances::Instance::start(
                env!("CARGO_BIN_EXE_hotmart-receiver"),
                &db.url(),
                &sink.url(),
                &[("RUST_LOG", "warn,hotmart_receiver=info")],
            )
        })
        .collect();
    let urls: Vec<String> = running
        .iter()
        .map(|i| i.url("/api/acl/webhooks/hotmart"))
        .collect();
    let client = instances::client();
    // Warm-up: connections, caches, prepared statements.
    instances::run_alternately(
        &client,
        &urls,
        instances::plan(1_000, 200, "warm"),
        CONNECTIONS,
    )
    .await;
    let launch = std::time::Instant::now();
    let (outcomes, elapsed) = instances::run_alternately(
        &client,
        &urls,
        instances::plan(total, total / 5, &format!("pg{instances}")),
        CONNECTIONS,
    )
    .await;
    let failed = outcomes.iter().filter(|o| o.status != Some(200)).count();
    assert_eq!(failed, 0, "{name}: {failed} deliveries not answered 200");
    // Every row forwarded exactly once before the numbers count.
    let unique = total - total / 5 + 800;
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    while sink.counts().len() < unique {
        assert!(
            std::time::Instant::now() < deadline,
            "{name}: not all forwarded in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "{name}: every row forwarded once {:.1} s after the launch began (answers took {:.1} s)",
        launch.elapsed().as_secs_f64(),
        elapsed.as_secs_f64()
    );
    assert!(
        sink.counts().values().all(|n| *n == 1),
        "{name}: a key forwarded twice"
    );
    for instance in running {
        assert!(instance.terminate().success());
    }
    Row {
        name,
        outcomes: outcomes
            .into_iter()
            .map(|o| Outcome {
                id: o.id,
                status: o.status,
                duplicate: o.duplicate,
                latency: o.latency,
            })
            .collect(),
        elapsed,
    }
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("LOAD_DELIVERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);

    // 1. Bare: only answers 200.
    let bare = Router::new().route(
        "/api/acl/webhooks/hotmart",
        post(|| async { StatusCode::OK }),
    );
    let (url, stop) = spawn(bare).await;
    let bare = measure("bare axum, 200 only", &url, total).await;
    let _ = stop.send(());

    // 2. The crate's layer and parser, nothing stored.
    let hottok = Hottok::new(common::SECRET).unwrap();
    let parse_only = Router::new()
        .route(
            "/api/acl/webhooks/hotmart",
            post(|webhook: HotmartWebhook| async move {
                match webhook.parse() {
                    Ok(_) => StatusCode::OK,
                    Err(e) => e.status(),
                }
            }),
        )
        .route_layer(VerifyHottokLayer::new(hottok));
    let (url, stop) = spawn(parse_only).await;
    let parse_only = measure("hottok + parse, no storage", &url, total).await;
    let _ = stop.send(());

    // 3. The receiver: durable before the answer, forwarding (signed) to a
    // local app behind.
    let app = App::start(|_, _| Answer::Status(200)).await;
    let dir = tempfile::tempdir().unwrap();
    let forward_url = app.url();
    let server = Server::start_configured(&dir.path().join("bench.db"), move |c| {
        c.forward = Some(
            ForwardConfig::new(
                &forward_url,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                Duration::from_secs(10),
            )
            .unwrap(),
        );
    })
    .await;
    let receiver = measure(
        "receiver (SQLite WAL, FULL sync, forward sink)",
        &server.url("/api/acl/webhooks/hotmart"),
        total,
    )
    .await;
    server.stop().await;

    // 4. The same without forwarding (deliveries only logged): what the
    // forward sink's HTTP calls, on the same two cores, cost the intake.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_configured(&dir.path().join("bench-log.db"), |_| {}).await;
    let log_only = measure(
        "receiver, log-only sink",
        &server.url("/api/acl/webhooks/hotmart"),
        total,
    )
    .await;
    server.stop().await;

    // 5. PostgreSQL: the binary, one and two instances on one database.
    let mut postgres_rows = Vec::new();
    let cluster = common::postgres::Cluster::start(common::postgres::Options {
        fsync: true,
        ..Default::default()
    });
    if let Some(cluster) = &cluster {
        for (name, n) in [
            ("receiver (PostgreSQL, 1 instance, forward sink)", 1),
            ("receiver (PostgreSQL, 2 instances, forward sink)", 2),
        ] {
            postgres_rows.push(measure_instances(name, n, &cluster.database(), total).await);
        }
    }
    drop(cluster);

    println!();
    println!(
        "{total} deliveries ({} duplicates) over {CONNECTIONS} connections, {} CPUs",
        total / 5,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| setup | deliveries/s | p50 | p99 | throughput vs bare |");
    println!("|---|---:|---:|---:|---:|");
    for row in [&bare, &parse_only, &receiver, &log_only]
        .into_iter()
        .chain(&postgres_rows)
    {
        let (p50, p99) = percentiles(&row.outcomes);
        println!(
            "| {} | {:.0} | {:.2} ms | {:.2} ms | {:.2}x |",
            row.name,
            row.rate(),
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            row.rate() / bare.rate(),
        );
    }
}
