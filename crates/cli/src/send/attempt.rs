//! One delivery: its attempts, with Hotmart's retries after a non-`2xx`
//! answer, a timeout or a closed connection.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONNECTION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::deliveries::Delivery;

/// The status Hotmart's history shows when the receiver did not answer
/// (timeout, refused or closed connection).
pub(crate) const NO_ANSWER: i32 = -1;

/// How much of an answer's body is read (then the connection is dropped):
/// the status is what counts, and a hostile endpoint cannot fill memory.
const ANSWER_LIMIT: usize = 64 * 1024;

/// When to retry: the delay before each retry, the last one repeating.
#[derive(Clone, Debug)]
pub(crate) struct Retries {
    pub(crate) count: usize,
    pub(crate) delays: Vec<Duration>,
}

impl Retries {
    fn delay_before(&self, retry: usize) -> Duration {
        self.delays
            .get(retry)
            .or(self.delays.last())
            .copied()
            .unwrap_or_default()
    }
}

/// One attempt's outcome.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    /// When it started (epoch milliseconds).
    pub(crate) started_ms: i64,
    /// 1 for the first attempt.
    pub(crate) number: u32,
    /// The HTTP status, or [`NO_ANSWER`].
    pub(crate) status: i32,
    pub(crate) latency: Duration,
    /// Why there was no answer.
    pub(crate) error: Option<String>,
}

impl Attempt {
    pub(crate) fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends deliveries to one endpoint the way Hotmart does: `POST`, `User-Agent:
/// Jodd HTTP`, `Connection: close` (a new connection per delivery), the
/// hottok in the `X-HOTMART-HOTTOK` header for 2.0.0.
pub(crate) struct Sender {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    uri: Uri,
    hottok: HeaderValue,
    timeout: Duration,
    retries: Retries,
}

impl Sender {
    pub(crate) fn new(uri: Uri, hottok: HeaderValue, timeout: Duration, retries: Retries) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        Sender {
            client,
            uri,
            hottok,
            timeout,
            retries,
        }
    }

    /// Sends `delivery` until it is answered `2xx` or the retries run out,
    /// calling `record` after every attempt; `true` when it succeeded.
    pub(crate) async fn deliver(
        &self,
        delivery: &Delivery,
        mut record: impl FnMut(&Attempt),
    ) -> bool {
        let mut number = 0;
        loop {
            if number > 0 {
                let delay = self.retries.delay_before(number - 1);
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
            number += 1;
            let attempt = self.attempt(delivery, number as u32).await;
            record(&attempt);
            if attempt.succeeded() {
                return true;
            }
            if number > self.retries.count {
                return false;
            }
        }
    }

    async fn attempt(&self, delivery: &Delivery, number: u32) -> Attempt {
        let started_ms = now_ms();
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, self.exchange(delivery)).await;
        let latency = started.elapsed();
        let (status, error) = match result {
            Ok(Ok(status)) => (i32::from(status), None),
            Ok(Err(error)) => (NO_ANSWER, Some(error)),
            Err(_) => (
                NO_ANSWER,
                Some(format!("no answer within {:?}", self.timeout)),
            ),
        };
        Attempt {
            started_ms,
            number,
            status,
            latency,
            error,
        }
    }

    /// One request and its answer's status (the body read up to a limit).
    async fn exchange(&self, delivery: &Delivery) -> Result<u16, String> {
        let mut request = Request::new(Full::new(delivery.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static(delivery.content_type),
        );
        headers.insert(USER_AGENT, HeaderValue::from_static("Jodd HTTP"));
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
        if delivery.hottok_header {
            headers.insert(hotmart_webhook::HOTTOK_HEADER, self.hottok.clone());
        }
        let response = self.client.request(request).await.map_err(|e| {
            // The innermost cause names what happened (refused, reset,
            // closed); no error of the client carries the request's headers.
            let mut cause: &dyn std::error::Error = &e;
            while let Some(inner) = cause.source() {
                cause = inner;
            }
            if e.is_connect() {
                format!("cannot connect: {cause}")
            } else {
                format!("no answer: {cause}")
            }
        })?;
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut read = 0;
        while read < ANSWER_LIMIT {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                // The status arrived: a body cut short does not change it.
                Some(Err(_)) | None => break,
            }
        }
        Ok(status)
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
