//! PostgreSQL-only behaviour: what several instances on one database need.

#[path = "common/postgres.rs"]
#[allow(dead_code, unreachable_pub)]
mod cluster;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hotmart_receiver::store::postgres::{PostgresOptions, PostgresStore};
use hotmart_receiver::store::{NewDelivery, ParseSummary, Source, Store, StoreError, now_ms};

fn delivery(key: &str) -> NewDelivery {
    NewDelivery {
        source: Source::Webhook,
        summary: ParseSummary {
            key: key.to_owned(),
            event: Some("PURCHASE_APPROVED".into()),
            ..Default::default()
        },
        received_at: now_ms(),
        body: b"{}".to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_create_the_schema_once() {
    let Some(db) = cluster::database() else {
        return;
    };
    let url = db.url();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::open(&url, PostgresOptions::default()).await })
        })
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.unwrap().expect("every instance starts"));
    }
    // They share one schema: a row written by one is a duplicate for another.
    assert!(matches!(
        stores[0].insert(delivery("k")).await.unwrap(),
        hotmart_receiver::store::Inserted::New { .. }
    ));
    assert!(matches!(
        stores[5].insert(delivery("k")).await.unwrap(),
        hotmart_receiver::store::Inserted::Duplicate { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let Some(db) = cluster::database() else {
        return;
    };
    let store = PostgresStore::open(&db.url(), PostgresOptions::default())
        .await
        .unwrap();
    drop(store);
    let (client, connection) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .execute(
            "INSERT INTO hotmart_receiver_schema (version) VALUES (9999)",
            &[],
        )
        .await
        .unwrap();
    let err = PostgresStore::open(&db.url(), PostgresOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_error_never_shows_the_password() {
    // A closed port: the connection fails.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://someone:hunter2-secret@127.0.0.1:{closed}/x?connect_timeout=5");
    let err = PostgresStore::open(&url, PostgresOptions::default())
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    let bad = PostgresStore::open(
        "postgres://u:hunter2-secret@host:notaport/db",
        PostgresOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(!format!("{bad} {bad:?}").contains("hunter2"), "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_is_woken_by_notify() {
    let Some(db) = cluster::database() else {
        return;
    };
    let a = PostgresStore::open(&db.url(), PostgresOptions::default())
        .await
        .unwrap();
    let b = PostgresStore::open(&db.url(), PostgresOptions::default())
        .await
        .unwrap();
    let signal = b.work_signal().expect("PostgreSQL wakes workers");
    // B's listener wakes B once when it connects: wait for that first.
    tokio::time::timeout(Duration::from_secs(30), signal.notified())
        .await
        .expect("listening");
    let inserted = a.insert(delivery("k")).await.unwrap();
    assert!(matches!(
        inserted,
        hotmart_receiver::store::Inserted::New { .. }
    ));
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(30), signal.notified())
        .await
        .expect("B is woken by A's NOTIFY");
    eprintln!("woken after {:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_past_the_waiting_limit_answer_busy_at_once() {
    let Some(db) = cluster::database() else {
        return;
    };
    let mut options = PostgresOptions::default();
    options.max_waiting_inserts = 4;
    let store = Arc::new(PostgresStore::open(&db.url(), options).await.unwrap());
    // Another session locks the table: inserts wait.
    let (mut client, connection) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let tx = client.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE deliveries IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.insert(delivery(&format!("k{i}"))).await })
        })
        .collect();
    // The six beyond the limit come back at once, while the lock is held.
    let deadline = Instant::now() + Duration::from_secs(30);
    while tasks.iter().filter(|t| t.is_finished()).count() < 6 {
        assert!(Instant::now() < deadline, "busy answers did not come");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.rollback().await.unwrap();
    let mut busy = 0;
    let mut stored = 0;
    for task in tasks {
        match task.await.unwrap() {
            Err(StoreError::Busy) => busy += 1,
            Ok(_) => stored += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((busy, stored), (6, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_url_selects_postgres_by_either_scheme() {
    let Some(db) = cluster::database() else {
        return;
    };
    let options = hotmart_receiver::store::OpenOptions::default();
    for url in [
        db.url(),
        db.url().replacen("postgres://", "postgresql://", 1),
    ] {
        let store = hotmart_receiver::store::open(&url, &options)
            .await
            .expect("open by URL");
        assert_eq!(store.backend(), "postgres", "{url}");
    }
}

/// `deliveries list` against `url` with these extra environment variables.
#[cfg(feature = "postgres-tls")]
fn list_deliveries(url: &str, env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hotmart-receiver"));
    command
        .args(["deliveries", "list"])
        .env("DATABASE_URL", url)
        .env("HOTMART_WEBHOOK_SECRET", "s3cr3t-hottok-for-tls-tests")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdin(std::process::Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run hotmart-receiver")
}

#[cfg(feature = "postgres-tls")]
#[test]
fn tls_to_the_database_verifies_the_server_certificate() {
    let Some(cluster) = cluster::Cluster::start(cluster::Options {
        tls_only: true,
        ..Default::default()
    }) else {
        return;
    };
    let db = cluster.database();
    let root = cluster.tls_root();
    let require = format!("{}?sslmode=require", db.url());
    // Trusting the test CA (rustls-native-certs reads SSL_CERT_FILE).
    let trusted = list_deliveries(&require, &[("SSL_CERT_FILE", root.as_os_str())]);
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    // The system's roots do not know the test CA: refused.
    let system_roots = list_deliveries(&require, &[]);
    assert!(!system_roots.status.success());
    let why = String::from_utf8_lossy(&system_roots.stderr);
    assert!(why.contains("certificate"), "{why}");
    // Without TLS the server lets nobody in: the success above was TLS.
    let plain = format!("{}?sslmode=disable", db.url());
    let refused = list_deliveries(&plain, &[("SSL_CERT_FILE", root.as_os_str())]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("no encryption"), "{why}");
}

#[cfg(not(feature = "postgres-tls"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_without_the_tls_feature_is_refused_with_one_clear_line() {
    let url = "postgres://someone@127.0.0.1:1/db?sslmode=require";
    let err = PostgresStore::open(url, PostgresOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("postgres-tls"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_fails_inserts_briefly_and_then_everything_works_again() {
    let Some(cluster) = cluster::Cluster::start(cluster::Options::default()) else {
        return;
    };
    let db = cluster.database();
    let a = Arc::new(
        PostgresStore::open(&db.url(), PostgresOptions::default())
            .await
            .unwrap(),
    );
    let b = PostgresStore::open(&db.url(), PostgresOptions::default())
        .await
        .unwrap();
    let signal = b.work_signal().unwrap();
    tokio::time::timeout(Duration::from_secs(30), signal.notified())
        .await
        .expect("B listening");
    // Use several pooled connections at once before the restart.
    let inserts: Vec<_> = (0..8)
        .map(|i| {
            let a = Arc::clone(&a);
            tokio::spawn(async move { a.insert(delivery(&format!("before{i}"))).await })
        })
        .collect();
    for inserted in inserts {
        inserted.await.unwrap().unwrap();
    }
    let cluster = Arc::new(cluster);
    let restarted = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || restarted.restart())
        .await
        .unwrap();
    // Stale pooled connections may fail an insert or two (answered 503,
    // Hotmart retries); none hangs, and inserts succeed again soon.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut failures = 0;
    let mut stored_after = 0;
    let mut n = 0;
    while stored_after < 20 {
        n += 1;
        let attempt = tokio::time::timeout(
            Duration::from_secs(30),
            a.insert(delivery(&format!("after{n}"))),
        )
        .await
        .expect("an insert never hangs on a restarted server");
        match attempt {
            Ok(_) => stored_after += 1,
            Err(StoreError::Database(_)) => failures += 1,
            Err(other) => panic!("{other}"),
        }
        assert!(
            Instant::now() < deadline,
            "inserts still failing after 60 s"
        );
    }
    eprintln!("restart: {failures} inserts failed before the pool reconnected");
    assert!(failures <= 16, "at most one failure per pooled connection");
    // B's listener reconnected: A's next insert wakes it.
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            a.insert(delivery(&format!("wake{n}"))).await.unwrap();
            n += 1;
            if tokio::time::timeout(Duration::from_secs(2), signal.notified())
                .await
                .is_ok()
            {
                break;
            }
        }
    })
    .await
    .expect("B is woken again after the restart");
    // Nothing stored before the restart was lost.
    let keys: Vec<String> = (0..8).map(|i| format!("before{i}")).collect();
    assert_eq!(b.existing_keys(&keys).await.unwrap().len(), 8);
}
