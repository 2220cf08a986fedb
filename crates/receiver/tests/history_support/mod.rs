//! Shared by the history page's tests: a receiver on 127.0.0.1:0 with a
//! temporary SQLite file and the admin token set, a processor that fails on
//! demand, and a small HTTP client that keeps the session cookie.
#![allow(dead_code, unreachable_pub)]

pub mod webdriver;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hotmart_receiver::store::{DeliveryRef, State};
use hotmart_receiver::{AdminToken, Config, Processor, RetryPolicy, Server};
use hotmart_webhook::{Hottok, Webhook};
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub const HOTTOK: &str = "hottok-for-the-history-tests";
pub const ADMIN_TOKEN: &str = "admin-token-for-the-history-tests";

/// How long a condition may take on a loaded machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Fails every delivery whose transaction starts with `HPFAIL` while
/// `failing` is set, and those starting with `HPDOWN` always.
#[derive(Clone, Default)]
pub struct FailOnDemand {
    pub failing: Arc<AtomicBool>,
}

#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the seller's app refused it (test)")
    }
}

impl Processor for FailOnDemand {
    type Error = Refused;

    async fn process(&self, _key: &str, webhook: &Webhook<'_>) -> Result<(), Refused> {
        let fail = webhook
            .transaction()
            .is_some_and(|t| t.starts_with("HPFAIL"));
        let down = webhook
            .transaction()
            .is_some_and(|t| t.starts_with("HPDOWN"));
        if down || (fail && self.failing.load(Ordering::SeqCst)) {
            Err(Refused)
        } else {
            Ok(())
        }
    }
}

/// A receiver serving in this process.
pub struct Receiver {
    pub addr: SocketAddr,
    pub processor: FailOnDemand,
    server: Option<hotmart_receiver::RunningServer>,
    _dir: tempfile::TempDir,
    client: Client<HttpConnector, Full<Bytes>>,
    ids: AtomicU64,
}

impl Receiver {
    /// Starts one with the admin token set; failing deliveries fail at once
    /// (a single attempt), so they are `failed` quickly.
    pub async fn start() -> Receiver {
        Self::start_with(Some(ADMIN_TOKEN)).await
    }

    pub async fn start_with(admin_token: Option<&str>) -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("history.db").display());
        let mut config = Config::new(Hottok::new(HOTTOK).unwrap(), db);
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.admin_token = admin_token.map(|t| AdminToken::new(t).unwrap());
        config.retry = RetryPolicy::new([Duration::ZERO]);
        let processor = FailOnDemand::default();
        processor.failing.store(true, Ordering::SeqCst);
        let server = Server::new(config)
            .processor(processor.clone())
            .bind()
            .await
            .unwrap();
        Receiver {
            addr: server.local_addr(),
            processor,
            server: Some(server),
            _dir: dir,
            client: Client::builder(TokioExecutor::new()).build_http(),
            ids: AtomicU64::new(1),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One request; the answer's status, headers and body text.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(header::HeaderName, String)],
        body: &str,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(self.url(path));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = self
            .client
            .request(
                request
                    .body(Full::new(Bytes::from(body.to_owned())))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    /// Sends a 2.0.0 delivery, signed with the hottok; returns its number.
    pub async fn deliver(&self, event: &str, transaction: &str, extra: &str) -> i64 {
        let id = self.ids.fetch_add(1, Ordering::SeqCst);
        let body = format!(
            r#"{{"id":"history-test-{id}","creation_date":1747447467789,"event":{event},"version":"2.0.0","data":{{"purchase":{{"transaction":"{transaction}","status":"APPROVED"}}{extra}}}}}"#,
            event = serde_json::to_string(event).unwrap(),
        );
        let answer = self
            .request(
                Method::POST,
                "/api/acl/webhooks/hotmart",
                &[
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (
                        header::HeaderName::from_static("x-hotmart-hottok"),
                        HOTTOK.to_owned(),
                    ),
                ],
                &body,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let detail = self
            .store()
            .get(&DeliveryRef::Id(format!("history-test-{id}")))
            .await
            .unwrap()
            .expect("the delivery is stored before the 200");
        detail.summary.seq
    }

    pub fn store(&self) -> &Arc<dyn hotmart_receiver::Store> {
        self.server.as_ref().unwrap().store()
    }

    /// Waits until delivery `seq` is in `state` with at least `attempts`
    /// attempts.
    pub async fn wait_for_state(&self, seq: i64, state: State, attempts: u32) {
        let started = Instant::now();
        loop {
            let detail = self
                .store()
                .get(&DeliveryRef::Seq(seq))
                .await
                .unwrap()
                .unwrap();
            if detail.summary.state == state && detail.summary.attempts >= attempts {
                return;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "delivery {seq} stayed {:?} after {} attempts, waiting for {state:?}",
                detail.summary.state,
                detail.summary.attempts
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Logs in through the form; returns the `Cookie` header value.
    pub async fn login(&self) -> String {
        let answer = self
            .request(
                Method::POST,
                "/admin/login",
                &[(
                    header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded".to_owned(),
                )],
                &format!("token={ADMIN_TOKEN}"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let set_cookie = answer.header(header::SET_COOKIE).expect("a session cookie");
        set_cookie.split(';').next().unwrap().to_owned()
    }

    /// A GET with the session cookie.
    pub async fn get(&self, path: &str, cookie: &str) -> Answer {
        self.request(
            Method::GET,
            path,
            &[(header::COOKIE, cookie.to_owned())],
            "",
        )
        .await
    }

    /// A form POST with the session cookie.
    pub async fn post_form(&self, path: &str, cookie: &str, form: &str) -> Answer {
        self.request(
            Method::POST,
            path,
            &[
                (header::COOKIE, cookie.to_owned()),
                (
                    header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded".to_owned(),
                ),
            ],
            form,
        )
        .await
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap<HeaderValue>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }

    /// How many deliveries the list shows.
    pub fn rows(&self) -> usize {
        self.body
            .matches(r#"<td data-label="Received (UTC)"><a href="/admin/deliveries/"#)
            .count()
    }
}
