//! Shared by the integration tests: a receiver on 127.0.0.1:0 with a temp
//! database, a hyper-util legacy client, fixtures.
#![allow(dead_code, unreachable_pub)]

pub mod app;
pub mod load;
pub mod plan;
pub mod postgres;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use std::sync::{Arc, Mutex};

use hotmart_receiver::{AdminToken, Config, Processor, RetryPolicy, RunningServer};
use hotmart_webhook::Hottok;
use hotmart_webhook::Webhook;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub const SECRET: &str = "s3cr3t-hottok-for-tests-0123456789";

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(128)
        .build_http()
}

/// The admin token of the test receivers.
pub const ADMIN: &str = "admin-token-for-tests-0123456789";

/// A receiver running in this process.
pub struct Server {
    pub addr: SocketAddr,
    pub db: PathBuf,
    running: Option<RunningServer>,
}

impl Server {
    pub async fn start<P: Processor>(db: &Path, retry: RetryPolicy, processor: P) -> Server {
        Server::start_with(db, |config| config.retry = retry, processor).await
    }

    /// With the test defaults, then `configure`.
    pub async fn start_with<P: Processor>(
        db: &Path,
        configure: impl FnOnce(&mut Config),
        processor: P,
    ) -> Server {
        let config = test_config(db, configure);
        let running = hotmart_receiver::Server::new(config)
            .processor(processor)
            .bind()
            .await
            .unwrap();
        Server {
            addr: running.local_addr(),
            db: db.to_owned(),
            running: Some(running),
        }
    }

    /// With the configured sink (forward URL or logging).
    pub async fn start_configured(db: &Path, configure: impl FnOnce(&mut Config)) -> Server {
        let running = hotmart_receiver::Server::new(test_config(db, configure))
            .bind()
            .await
            .unwrap();
        Server {
            addr: running.local_addr(),
            db: db.to_owned(),
            running: Some(running),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Graceful stop; waits for it (bounded).
    pub async fn stop(mut self) {
        let running = self.running.take().unwrap();
        tokio::time::timeout(Duration::from_secs(20), running.shutdown())
            .await
            .expect("the receiver stops within 20 s");
    }
}

pub fn test_config(db: &Path, configure: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new(
        Hottok::new(SECRET).unwrap(),
        format!("sqlite://{}", db.display()),
    );
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token = Some(AdminToken::new(ADMIN).unwrap());
    config.retry = fast_retry();
    config.limits.shutdown_grace = Duration::from_secs(2);
    configure(&mut config);
    config
}

/// Records every call; fails the first `fail_first` attempts of each key,
/// or always.
#[derive(Clone, Default)]
pub struct Recorder {
    pub fail_first: usize,
    pub always_fail: bool,
    pub calls: Arc<Mutex<Vec<(String, String, Instant)>>>,
}

impl Recorder {
    /// The calls for a key, or for the 2.0.0 event id of a non-purchase
    /// event (key `event:<id>`).
    pub fn calls_for(&self, key: &str) -> Vec<Instant> {
        let event_key = format!("event:{key}");
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(k, ..)| k == key || *k == event_key)
            .map(|c| c.2)
            .collect()
    }

    /// (key, event) of every call, in order.
    pub fn keys(&self) -> Vec<(String, String)> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .map(|(k, e, _)| (k.clone(), e.clone()))
            .collect()
    }
}

impl Processor for Recorder {
    type Error = String;

    async fn process(&self, key: &str, webhook: &Webhook<'_>) -> Result<(), String> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push((
                key.to_owned(),
                webhook.event_name().to_owned(),
                Instant::now(),
            ));
            calls.iter().filter(|(k, ..)| k == key).count()
        };
        if self.always_fail || n <= self.fail_first {
            Err(format!("downstream unavailable (attempt {n})"))
        } else {
            Ok(())
        }
    }
}

/// The (state, attempts) of the row with this event id.
pub fn state(db: &Path, event_id: &str) -> (String, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT state, attempts FROM deliveries WHERE event_id = ?1 OR key = ?1",
        [event_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

pub async fn send(
    client: &HttpClient,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("answered within 30 s")
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, json)
}

/// A v2 delivery with the right hottok header.
pub async fn deliver(
    client: &HttpClient,
    server: &Server,
    body: impl Into<Bytes>,
) -> (StatusCode, Value) {
    send(
        client,
        Method::POST,
        &server.url("/api/acl/webhooks/hotmart"),
        &[
            ("x-hotmart-hottok", SECRET),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

/// A GET with the admin token.
pub async fn get(client: &HttpClient, server: &Server, path: &str) -> (StatusCode, Value) {
    let auth = format!("Bearer {ADMIN}");
    send(
        client,
        Method::GET,
        &server.url(path),
        &[("authorization", &auth)],
        Bytes::new(),
    )
    .await
}

/// A POST with the admin token.
pub async fn admin_post(
    client: &HttpClient,
    server: &Server,
    path: &str,
    body: impl Into<Bytes>,
) -> (StatusCode, Value) {
    let auth = format!("Bearer {ADMIN}");
    send(
        client,
        Method::POST,
        &server.url(path),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

pub async fn statistics(client: &HttpClient, server: &Server) -> Value {
    let (status, json) = get(
        client,
        server,
        "/api/acl/webhooks/statistics?platform=HOTMART",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    json["data"].clone()
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

/// Every 2.0.0 fixture, as parsed JSON.
pub fn v2_fixtures() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/v2");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// The fixture `event` with its `id` replaced, and its purchase transaction
/// too (`HP-<id>`): a purchase is keyed by transaction and event, so the id
/// alone would not make another event.
pub fn with_id(event: &Value, id: &str) -> Vec<u8> {
    let mut event = event.clone();
    event["id"] = Value::String(id.to_owned());
    if event["data"]["purchase"]["transaction"].is_string() {
        event["data"]["purchase"]["transaction"] = Value::String(format!("HP-{id}"));
    }
    serde_json::to_vec(&event).unwrap()
}

/// Polls `check` every 20 ms until it returns `Some`, at most `limit`.
pub async fn eventually<T, Fut: Future<Output = Option<T>>>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> Fut,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One column of all rows, read straight from the database file.
pub fn rows(db: &Path, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Fast retries for tests: five attempts, milliseconds apart.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::new([0, 10, 20, 40, 80].map(Duration::from_millis))
}
