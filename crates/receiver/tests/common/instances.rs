//! Several `hotmart-receiver serve` processes on one PostgreSQL database,
//! a forward sink that counts idempotency keys, and a launch sent
//! alternately to the instances. Shared by `tests/instances.rs` and the load
//! bench; self-contained (it needs only `postgres.rs` beside it).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The hottok the instances accept.
pub const SECRET: &str = "s3cr3t-hottok-for-instance-tests-0123456789";

/// A pooled HTTP/1 client.
pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A client keeping up to 128 idle connections per instance.
pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(128)
        .build_http()
}

/// One delivery of a launch.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The event `id`, `{prefix}-{n}`.
    pub id: String,
    /// The purchase's transaction code (the key is made of it).
    pub transaction: String,
    pub body: Bytes,
    /// A repeat of an earlier delivery (Hotmart's retry or resend).
    pub repeat: bool,
}

/// What one delivery got.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub id: String,
    pub transaction: String,
    /// `None` when the connection failed.
    pub status: Option<u16>,
    pub duplicate: Option<bool>,
    pub latency: Duration,
}

/// `total` `PURCHASE_APPROVED` deliveries (each its own transaction, so its
/// own key), `duplicates` of them repeating an earlier one, in a fixed
/// shuffled order (a repeat may race its original).
pub fn plan(total: usize, duplicates: usize, prefix: &str) -> Vec<Delivery> {
    let template: Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/v2/PURCHASE_APPROVED_1.json"),
        )
        .expect("the PURCHASE_APPROVED fixture"),
    )
    .unwrap();
    let unique = total - duplicates;
    let plan: Vec<Delivery> = (0..unique)
        .map(|i| {
            let id = format!("{prefix}-{i:06}");
            let transaction = format!("HP{prefix}{i:08}");
            let mut event = template.clone();
            event["id"] = Value::String(id.clone());
            event["data"]["purchase"]["transaction"] = Value::String(transaction.clone());
            Delivery {
                id,
                transaction,
                body: serde_json::to_vec(&event).unwrap().into(),
                repeat: false,
            }
        })
        .collect();
    super::plan::with_duplicates_shuffled(plan, duplicates, |original| Delivery {
        repeat: true,
        ..original
    })
}

/// The forward secret the instances sign with.
pub const FORWARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The admin token of the instances.
pub const ADMIN_TOKEN: &str = "admin-token-for-the-instance-tests";

/// A test double of the seller's app: answers `200` to every forwarded
/// delivery and counts each `idempotency-key` it receives.
pub struct CountingSink {
    pub addr: SocketAddr,
    counts: Arc<Mutex<HashMap<String, u32>>>,
    received: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingSink {
    pub async fn start() -> CountingSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let received = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let (counts, received) = (Arc::clone(&counts), Arc::clone(&received));
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (counts, received) = (Arc::clone(&counts), Arc::clone(&received));
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                            let (counts, received) = (Arc::clone(&counts), Arc::clone(&received));
                            async move {
                                let key = req
                                    .headers()
                                    .get("idempotency-key")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned);
                                // Read the whole body, as an app would.
                                let _ = req.into_body().collect().await;
                                if let Some(key) = key {
                                    *counts.lock().unwrap().entry(key).or_default() += 1;
                                }
                                received.fetch_add(1, Ordering::Relaxed);
                                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                                    b"ok",
                                ))))
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        CountingSink {
            addr,
            counts,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hotmart", self.addr)
    }

    /// How many times each key arrived.
    pub fn counts(&self) -> HashMap<String, u32> {
        self.counts.lock().unwrap().clone()
    }

    /// Forwarded requests received.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for CountingSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One `hotmart-receiver serve` process.
pub struct Instance {
    pub child: Child,
    pub addr: SocketAddr,
    log: mpsc::Receiver<String>,
}

impl Instance {
    /// Starts the binary on `database_url`, forwarding to `forward_url`;
    /// `extra` adds environment variables.
    pub fn start(
        bin: &str,
        database_url: &str,
        forward_url: &str,
        extra: &[(&str, &str)],
    ) -> Instance {
        let mut command = Command::new(bin);
        command
            .arg("serve")
            .env("HOTMART_WEBHOOK_SECRET", SECRET)
            .env("HOTMART_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("DATABASE_URL", database_url)
            .env("LISTEN", "127.0.0.1:0")
            .env("HOTMART_FORWARD_URL", forward_url)
            .env("HOTMART_FORWARD_SECRET", FORWARD_SECRET)
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "text")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start hotmart-receiver");
        // Drain stderr for the child's whole life: a full pipe would block
        // its logging.
        let (tx, log) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        let addr = loop {
            let line = log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!(
                        "no 'receiver started' line within 60 s:\n{}",
                        seen.join("\n")
                    )
                });
            if line.contains("receiver started")
                && let Some(addr) = line
                    .split_whitespace()
                    .find_map(|word| word.strip_prefix("address="))
                    .and_then(|a| a.trim_matches('"').parse().ok())
            {
                break addr;
            }
            seen.push(line);
        };
        Instance { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then the exit status (bounded).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 60 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which instance a delivery goes to: originals alternate by their number,
/// and a duplicate goes to the *other* instance than its original (a
/// Hotmart retry that the load balancer sends elsewhere).
pub fn target(delivery: &Delivery, instances: usize) -> usize {
    let n: usize = delivery
        .id
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("plan ids end in a number");
    (n + usize::from(delivery.repeat)) % instances
}

/// Sends the plan over `connections` concurrent connections, each delivery
/// to `urls[target(delivery)]`.
pub async fn run_alternately(
    client: &HttpClient,
    urls: &[String],
    plan: Vec<Delivery>,
    connections: usize,
) -> (Vec<Outcome>, Duration) {
    let plan = Arc::new(plan);
    let urls = Arc::new(urls.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (plan, urls, next, client) = (plan.clone(), urls.clone(), next.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(delivery) = plan.get(i) else { break };
                let url = &urls[target(delivery, urls.len())];
                outcomes.push(send_one(&client, url, delivery).await);
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.unwrap());
    }
    (outcomes, start.elapsed())
}

/// One delivery, with the hottok header.
pub async fn send_one(client: &HttpClient, url: &str, delivery: &Delivery) -> Outcome {
    let request = Request::post(url)
        .header("content-type", "application/json")
        .header("x-hotmart-hottok", SECRET)
        .body(Full::new(delivery.body.clone()))
        .unwrap();
    let sent = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request)).await;
    let (status, duplicate) = match response {
        Ok(Ok(response)) => {
            let status = response.status().as_u16();
            match response.into_body().collect().await {
                Ok(body) => {
                    let json: Value =
                        serde_json::from_slice(&body.to_bytes()).unwrap_or(Value::Null);
                    (Some(status), json["data"]["duplicate"].as_bool())
                }
                Err(_) => (None, None),
            }
        }
        _ => (None, None),
    };
    Outcome {
        id: delivery.id.clone(),
        transaction: delivery.transaction.clone(),
        status,
        duplicate,
        latency: sent.elapsed(),
    }
}

/// `GET` an admin route with the admin token; the JSON answer.
pub async fn admin_get(client: &HttpClient, url: &str) -> Value {
    let request = Request::get(url)
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = client.request(request).await.expect("admin request");
    assert_eq!(response.status(), 200, "GET {url}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).expect("JSON")
}
