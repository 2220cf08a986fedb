//! The HTTP exchange every endpoint shares: bearer token, `401` refresh,
//! rate limits, retries with backoff, bounded bodies, secret-free errors.
//!
//! The HTTP client is hyper-util's (with hyper-rustls for TLS, ring as the
//! crypto provider and the Mozilla roots compiled in), which the workspace
//! already builds for its servers and tests; reqwest would add its own
//! URL/IDNA stack for the three GET requests and one POST this crate makes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, HeaderMap};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

use crate::clock::Clock;
use crate::error::{ErrorKind, HotmartError};
use crate::token::TokenCache;
use crate::{Config, Credentials, Error};

/// The largest response body read (a page of 500 sales is about 1 MiB).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// What a `502` means to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum On502 {
    /// Retry it like a `500`.
    Retry,
    /// Return it at once: the caller narrows the query instead.
    Return,
}

pub(crate) struct Transport {
    pub(crate) http: HyperClient<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    pub(crate) config: Config,
    pub(crate) credentials: Credentials,
    pub(crate) clock: std::sync::Arc<dyn Clock>,
    pub(crate) tokens: TokenCache,
    /// No request before this instant (`RateLimit-Remaining: 0`).
    blocked_until: Mutex<Option<Instant>>,
}

/// An answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Transport {
    pub(crate) fn new(
        credentials: Credentials,
        config: Config,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let http = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Transport {
            http,
            config,
            credentials,
            clock,
            tokens: TokenCache::default(),
            blocked_until: Mutex::new(None),
        }
    }

    /// GET `path` on the API host with the bearer token, decoding the JSON
    /// answer into `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: String,
        query: &[(&'static str, String)],
        on_502: On502,
    ) -> Result<T, Error> {
        let mut url = format!("{}{}", self.config.api_url, path);
        if !query.is_empty() {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                q.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&q.finish());
        }
        let uri: http::Uri = url
            .parse()
            .map_err(|_| Error::new(ErrorKind::Request, endpoint, "the request URL is invalid"))?;

        let mut retries = 0;
        let mut refreshed = false;
        loop {
            self.wait_for_rate_limit().await;
            let token = self.token().await?;
            let request = Request::get(uri.clone())
                .header(
                    AUTHORIZATION,
                    sensitive(&format!("Bearer {}", token.value.expose()))?,
                )
                .header(ACCEPT, "application/json")
                .body(Empty::new())
                .map_err(|_| Error::new(ErrorKind::Request, endpoint, "the request is invalid"))?;
            let answer = match self.exchange(request, endpoint).await {
                Ok(answer) => answer,
                Err(err) => {
                    if retries < self.config.retry.max_retries() {
                        tracing::debug!(endpoint, retries, "no answer from Hotmart; retrying");
                        self.backoff(retries).await;
                        retries += 1;
                        continue;
                    }
                    return Err(self.scrubbed(err, Some(token.value.expose())));
                }
            };
            self.note_rate_limit(&answer);
            let status = answer.status;
            if status.is_success() {
                return decode(endpoint, &answer.body);
            }
            let retryable = matches!(status.as_u16(), 429 | 500 | 502 | 503)
                && !(status == StatusCode::BAD_GATEWAY && on_502 == On502::Return);
            if status == StatusCode::UNAUTHORIZED && !refreshed {
                tracing::debug!(
                    endpoint,
                    "token refused; fetching a new one and retrying once"
                );
                self.tokens.invalidate(token.generation).await;
                refreshed = true;
                continue;
            }
            if retryable && retries < self.config.retry.max_retries() {
                tracing::debug!(endpoint, status = status.as_u16(), retries, "retrying");
                if status == StatusCode::TOO_MANY_REQUESTS {
                    match reset_after(&answer.headers) {
                        Some(reset) => self.block_for(reset),
                        None => self.backoff(retries).await,
                    }
                } else {
                    self.backoff(retries).await;
                }
                retries += 1;
                continue;
            }
            let kind = match status.as_u16() {
                401 | 403 => ErrorKind::Unauthorized,
                429 => ErrorKind::RateLimited,
                500..=599 => ErrorKind::Server,
                _ => ErrorKind::Request,
            };
            let err =
                Error::new(kind, endpoint, "").with_status(status, hotmart_error(&answer.body));
            return Err(self.scrubbed(err, Some(token.value.expose())));
        }
    }

    /// One request and its whole (bounded) answer, within the timeout.
    pub(crate) async fn exchange(
        &self,
        request: Request<Empty<Bytes>>,
        endpoint: &'static str,
    ) -> Result<Answer, Error> {
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| Error::new(ErrorKind::Transport, endpoint, chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_BODY)
                .collect()
                .await
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Transport,
                        endpoint,
                        format!("reading the answer: {}", chain(&*e)),
                    )
                })?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.config.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Transport,
                endpoint,
                format!(
                    "no answer within {} s",
                    self.config.request_timeout.as_secs_f32()
                ),
            )),
        }
    }

    /// Sleeps for retry number `retry`'s backoff.
    pub(crate) async fn backoff(&self, retry: u32) {
        let delay = self.config.retry.delay(retry);
        self.clock.sleep(delay).await;
    }

    async fn wait_for_rate_limit(&self) {
        let until = *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until {
            let now = self.clock.now();
            if until > now {
                let wait = until - now;
                tracing::info!(
                    seconds = wait.as_secs_f32(),
                    "Hotmart rate limit reached; waiting for the reset"
                );
                self.clock.sleep(wait).await;
            }
        }
    }

    fn block_for(&self, wait: Duration) {
        let until = self.clock.now() + wait;
        let mut blocked = self.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        *blocked = Some(blocked.map_or(until, |b| b.max(until)));
    }

    /// Reads `RateLimit-Remaining` / `RateLimit-Reset` (seconds).
    pub(crate) fn note_rate_limit(&self, answer: &Answer) {
        let remaining = header_u64(&answer.headers, "ratelimit-remaining");
        if remaining == Some(0) {
            let reset = reset_after(&answer.headers).unwrap_or(self.config.default_reset);
            self.block_for(reset);
        }
    }

    /// The error with every secret this client knows replaced.
    pub(crate) fn scrubbed(&self, err: Error, token: Option<&str>) -> Error {
        let mut secrets = vec![
            self.credentials.client_secret().expose(),
            self.credentials.basic().expose(),
        ];
        secrets.extend(token);
        err.scrub(&secrets)
    }
}

/// A header value marked sensitive (never logged by hyper, never indexed).
pub(crate) fn sensitive(value: &str) -> Result<http::HeaderValue, Error> {
    let mut value = http::HeaderValue::from_str(value).map_err(|_| {
        Error::new(
            ErrorKind::Credentials,
            "",
            "a credential has characters a header cannot carry",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `RateLimit-Reset`: seconds until the window resets (capped at an hour,
/// so a hostile or broken header cannot park the client for days).
fn reset_after(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, "ratelimit-reset").map(|s| Duration::from_secs(s.min(3600)))
}

pub(crate) fn hotmart_error(body: &[u8]) -> Option<HotmartError> {
    serde_json::from_slice::<HotmartError>(body)
        .ok()
        .filter(|e| e.error.is_some() || e.error_description.is_some())
}

/// Decodes a JSON answer. The error names the path and position only: the
/// value itself may be a buyer's e-mail or a token.
pub(crate) fn decode<T: DeserializeOwned>(endpoint: &'static str, body: &[u8]) -> Result<T, Error> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        Error::new(
            ErrorKind::Decode,
            endpoint,
            format!(
                "unexpected answer: {} at `{}` (line {}, column {})",
                match inner.classify() {
                    serde_json::error::Category::Data => "a field of an unexpected type or missing",
                    serde_json::error::Category::Eof => "the JSON ends early",
                    _ => "not JSON",
                },
                path,
                inner.line(),
                inner.column()
            ),
        )
    })
}

/// An error and its sources on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
