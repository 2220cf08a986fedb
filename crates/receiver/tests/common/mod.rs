//! Shared by the integration tests: a receiver on 127.0.0.1:0 with a temp
//! database, a hyper-util legacy client, fixtures.
#![allow(dead_code, unreachable_pub)]

pub mod load;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hotmart_receiver::{Processor, RetryPolicy, Settings, Store, serve};
use hotmart_webhook::Hottok;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const SECRET: &str = "s3cr3t-hottok-for-tests-0123456789";

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(128)
        .build_http()
}

/// A receiver running in this process.
pub struct Server {
    pub addr: SocketAddr,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    pub async fn start<P, F>(db: &Path, retry: RetryPolicy, make: F) -> Server
    where
        P: Processor,
        F: FnOnce(&Store) -> P + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut settings = Settings::new(Hottok::new(SECRET).unwrap(), db);
        settings.retry = retry;
        settings.shutdown_grace = Duration::from_secs(2);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(settings, listener, make, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Server {
            addr,
            db: db.to_owned(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Graceful stop; waits for it (bounded).
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.task.take().unwrap())
            .await
            .expect("the receiver stops within 20 s")
            .unwrap();
    }
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

pub async fn get(client: &HttpClient, server: &Server, path: &str) -> (StatusCode, Value) {
    send(client, Method::GET, &server.url(path), &[], Bytes::new()).await
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

/// The fixture `event` with its `id` replaced.
pub fn with_id(event: &Value, id: &str) -> Vec<u8> {
    let mut event = event.clone();
    event["id"] = Value::String(id.to_owned());
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
