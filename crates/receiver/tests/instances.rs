//! Two `hotmart-receiver serve` processes on one PostgreSQL database: a
//! launch sent alternately to each, a fifth of it duplicates sent to the
//! *other* instance; then the same with one instance killed (`SIGKILL`) in
//! the middle and restarted.

#[path = "common/postgres.rs"]
#[allow(dead_code, unreachable_pub)]
mod cluster;
#[path = "common/instances.rs"]
#[allow(dead_code, unreachable_pub)]
mod instances;
#[path = "common/plan.rs"]
mod plan;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, Instant};

use instances::{CountingSink, Instance, admin_get, client, plan, run_alternately, send_one};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_hotmart-receiver");
const TOTAL: usize = 5_000;
const DUPLICATES: usize = TOTAL / 5;
const CONNECTIONS: usize = 64;
const HOTMART: &str = "/api/acl/webhooks/hotmart";
const STATISTICS: &str = "/api/acl/webhooks/statistics?platform=HOTMART";

/// Polls `check` every 50 ms until it returns `Some`, at most `limit`.
async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A direct connection to the test database, to look at the rows.
async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

async fn count(db: &tokio_postgres::Client, query: &str) -> i64 {
    db.query_one(query, &[]).await.unwrap().get(0)
}

/// Starts `n` instances at once (they migrate the schema together).
fn start_instances(
    n: usize,
    url: &str,
    sink: &CountingSink,
    extra: &[(&str, &str)],
) -> Vec<Instance> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|_| scope.spawn(|| Instance::start(BIN, url, &sink.url(), extra)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// The statistics an instance reports, without its in-memory rejection
/// counts (those are per process by design).
async fn shared_statistics(client: &instances::HttpClient, instance: &Instance) -> Value {
    let mut data = admin_get(client, &instance.url(STATISTICS)).await["data"].clone();
    let outcome = data["byOutcome"].as_object_mut().unwrap();
    outcome.remove("rejected");
    data.as_object_mut().unwrap().remove("rejectedByReason");
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_store_and_forward_every_delivery_once() {
    let Some(db) = cluster::database() else {
        return;
    };
    let sink = CountingSink::start().await;
    let [a, b]: [Instance; 2] =
        start_instances(2, &db.url(), &sink, &[("HOTMART_FORWARD_TIMEOUT", "10s")])
            .try_into()
            .ok()
            .unwrap();
    let client = client();
    let urls = [a.url(HOTMART), b.url(HOTMART)];
    let (outcomes, elapsed) =
        run_alternately(&client, &urls, plan(TOTAL, DUPLICATES, "two"), CONNECTIONS).await;
    let not_ok: Vec<_> = outcomes.iter().filter(|o| o.status != Some(200)).collect();
    assert!(
        not_ok.is_empty(),
        "every delivery answered 200: {:?}",
        &not_ok[..not_ok.len().min(5)]
    );
    eprintln!("two instances: {TOTAL} deliveries in {elapsed:?}");

    // Stored once each: one row per transaction, the repeats counted.
    let sql = sql(&db.url()).await;
    assert_eq!(
        count(&sql, "SELECT COUNT(*) FROM deliveries").await,
        (TOTAL - DUPLICATES) as i64
    );
    assert_eq!(
        count(&sql, "SELECT SUM(duplicates)::bigint FROM deliveries").await,
        DUPLICATES as i64
    );
    let duplicates_answered = outcomes
        .iter()
        .filter(|o| o.duplicate == Some(true))
        .count();
    assert_eq!(
        duplicates_answered, DUPLICATES,
        "each repeat recognised, whichever instance got it"
    );

    // Processed, and forwarded once each.
    eventually(Duration::from_secs(180), "every row processed", || async {
        (count(
            &sql,
            "SELECT COUNT(*) FROM deliveries WHERE state <> 'processed'",
        )
        .await
            == 0)
            .then_some(())
    })
    .await;
    let counts = sink.counts();
    let stored: HashSet<String> = sql
        .query("SELECT key FROM deliveries", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let forwarded: HashSet<String> = counts.keys().cloned().collect();
    assert_eq!(forwarded, stored, "the sink got exactly the stored keys");
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        repeated.is_empty(),
        "forwarded more than once: {repeated:?}"
    );
    // Each row was processed by one of the instances, and both took part.
    let workers = count(&sql, "SELECT COUNT(DISTINCT worker) FROM attempts").await;
    assert_eq!(workers, 2, "both instances processed rows");

    // The same statistics from either instance.
    let from_a = shared_statistics(&client, &a).await;
    let from_b = shared_statistics(&client, &b).await;
    assert_eq!(from_a, from_b);
    assert_eq!(
        from_a["byOutcome"]["processed"],
        (TOTAL - DUPLICATES) as u64
    );
    assert_eq!(from_a["byOutcome"]["duplicate"], DUPLICATES as u64);

    assert!(a.terminate().success());
    assert!(b.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_launch_loses_nothing_and_repeats_only_inside_the_window() {
    let Some(db) = cluster::database() else {
        return;
    };
    let sink = CountingSink::start().await;
    // The lease is the forward timeout plus a margin; a short timeout keeps
    // the takeover of the killed instance's rows quick.
    let settings = [("HOTMART_FORWARD_TIMEOUT", "1s")];
    let [a, b]: [Instance; 2] = start_instances(2, &db.url(), &sink, &settings)
        .try_into()
        .ok()
        .unwrap();
    let client = client();
    let urls = [a.url(HOTMART), b.url(HOTMART)];
    let deliveries = plan(TOTAL, DUPLICATES, "kill");
    let load = tokio::spawn({
        let (client, urls, deliveries) = (client.clone(), urls.clone(), deliveries.clone());
        async move { run_alternately(&client, &urls, deliveries, CONNECTIONS).await }
    });
    let sql = sql(&db.url()).await;
    // Kill B while deliveries arrive and rows are being forwarded.
    eventually(
        Duration::from_secs(120),
        "a third of the launch stored and some of it forwarded",
        || async {
            (count(&sql, "SELECT COUNT(*) FROM deliveries").await >= 1_300
                && sink.received() >= 300)
                .then_some(())
        },
    )
    .await;
    b.kill();
    // What was leased at the kill: only these rows may be forwarded twice.
    let leased_at_kill: HashSet<String> = sql
        .query(
            "SELECT key FROM deliveries WHERE state = 'pending' AND leased_by IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (outcomes, _) = tokio::time::timeout(Duration::from_secs(180), load)
        .await
        .expect("the launch ends")
        .unwrap();
    let cut_off: Vec<_> = outcomes.iter().filter(|o| o.status != Some(200)).collect();
    assert!(
        !cut_off.is_empty(),
        "the kill happened in the middle of the launch"
    );
    assert!(
        cut_off.iter().all(|o| o.status.is_none()),
        "only connections to the killed instance fail: {:?}",
        &cut_off[..cut_off.len().min(5)]
    );

    // Every delivery answered 200 is stored.
    let stored: HashSet<String> = sql
        .query("SELECT transaction_code FROM deliveries", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let answered: HashSet<&str> = outcomes
        .iter()
        .filter(|o| o.status == Some(200))
        .map(|o| o.transaction.as_str())
        .collect();
    let lost: Vec<_> = answered.iter().filter(|t| !stored.contains(**t)).collect();
    assert!(lost.is_empty(), "answered 200 but not stored: {lost:?}");

    // B comes back; Hotmart retries what was cut off (on either instance).
    let b = Instance::start(BIN, &db.url(), &sink.url(), &settings);
    let by_id: HashMap<&str, &instances::Delivery> =
        deliveries.iter().map(|d| (d.id.as_str(), d)).collect();
    let retry_urls = [a.url(HOTMART), b.url(HOTMART)];
    for (i, outcome) in cut_off.iter().enumerate() {
        let retried = send_one(&client, &retry_urls[i % 2], by_id[outcome.id.as_str()]).await;
        assert_eq!(retried.status, Some(200), "a retry after the restart");
    }
    let unique = (TOTAL - DUPLICATES) as i64;
    assert_eq!(count(&sql, "SELECT COUNT(*) FROM deliveries").await, unique);

    // Everything is processed, the killed instance's leases taken over.
    let kill_at = Instant::now();
    eventually(Duration::from_secs(240), "every row processed", || async {
        (count(
            &sql,
            "SELECT COUNT(*) FROM deliveries WHERE state <> 'processed'",
        )
        .await
            == 0)
            .then_some(())
    })
    .await;
    let counts = sink.counts();
    assert_eq!(counts.len() as i64, unique, "every stored row forwarded");
    let repeated: HashSet<String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k.clone())
        .collect();
    let outside: Vec<_> = repeated.difference(&leased_at_kill).collect();
    assert!(
        outside.is_empty(),
        "forwarded twice outside the at-least-once window: {outside:?}"
    );
    assert!(
        counts.values().all(|n| *n <= 2),
        "at most one repeat per row"
    );
    eprintln!(
        "kill: {} cut off and retried; {} rows leased at the kill; {} forwarded twice; \
         all processed {:?} after the restart",
        cut_off.len(),
        leased_at_kill.len(),
        repeated.len(),
        kill_at.elapsed()
    );

    assert!(a.terminate().success());
    assert!(b.terminate().success());
}
