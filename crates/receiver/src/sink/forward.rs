//! The forward sink: each delivery, as parsed and without the hottok, POSTed
//! to the seller's app and signed the Standard Webhooks way, so the app can
//! verify with any Standard Webhooks library what Hotmart itself never signs.
//!
//! Headers: `content-type: application/json`, `idempotency-key` and
//! `webhook-id` (the row's [idempotency key](crate::key)), `webhook-timestamp`
//! (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">` keyed with the `whsec_…` secret. A `2xx` answer
//! within the timeout is a success; anything else is a failed attempt, retried
//! on the schedule with the same key.
//!
//! The client is hyper-util's (already a dependency of the server side) with
//! hyper-rustls for `https://` apps: the same TLS stack as the `hotmart` CLI
//! and `hotmart-api` (rustls with ring, Mozilla's root certificates compiled
//! in, so no system dependency). `http://` stays available for an app on the
//! same host or private network.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use hotmart_webhook::Webhook;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;

use super::{BoxFuture, Sink};
use crate::store::AttemptOutcome;

/// The signing secret, `whsec_` followed by base64 (the Standard Webhooks
/// format). `Debug` never shows it.
#[derive(Clone)]
pub struct ForwardSecret(Vec<u8>);

impl fmt::Debug for ForwardSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ForwardSecret(<redacted>)")
    }
}

impl ForwardSecret {
    /// Parses `whsec_<base64>`; the error says what is wrong, never the value.
    pub fn parse(s: &str) -> Result<ForwardSecret, String> {
        let b64 = s.trim().strip_prefix("whsec_").ok_or(
            "HOTMART_FORWARD_SECRET must be in the Standard Webhooks format whsec_<base64>",
        )?;
        let key = BASE64
            .decode(b64)
            .map_err(|_| "HOTMART_FORWARD_SECRET: the part after whsec_ is not valid base64")?;
        if key.len() < 16 {
            return Err(
                "HOTMART_FORWARD_SECRET: the key must be at least 16 bytes (24 base64 characters)"
                    .into(),
            );
        }
        Ok(ForwardSecret(key))
    }

    /// `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// Where and how to forward.
#[derive(Clone, Debug)]
pub struct ForwardConfig {
    /// The app's endpoint (`http://…`).
    pub url: hyper::Uri,
    /// The signing secret.
    pub secret: ForwardSecret,
    /// How long an attempt may take before it counts as failed.
    pub timeout: Duration,
}

impl ForwardConfig {
    /// Checks the URL (absolute, `http`) and the secret.
    pub fn new(url: &str, secret: &str, timeout: Duration) -> Result<ForwardConfig, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| format!("HOTMART_FORWARD_URL is not a URL: {url:?}"))?;
        match uri.scheme_str() {
            Some("http" | "https") if uri.host().is_some() => {}
            _ => {
                return Err(format!(
                    "HOTMART_FORWARD_URL must be http(s)://host[:port]/path, got {url:?}"
                ));
            }
        }
        Ok(ForwardConfig {
            url: uri,
            secret: ForwardSecret::parse(secret)?,
            timeout,
        })
    }
}

/// The forward [`Sink`].
#[derive(Clone, Debug)]
pub struct ForwardSink {
    config: ForwardConfig,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl ForwardSink {
    /// A sink with its own connection pool.
    pub fn new(config: ForwardConfig) -> ForwardSink {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.timeout));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        ForwardSink { config, client }
    }

    async fn attempt(&self, key: &str, webhook: &Webhook<'_>) -> AttemptOutcome {
        let failure = |status: Option<u16>, error: String| AttemptOutcome {
            ok: false,
            status,
            error: Some(error),
        };
        let body = match serde_json::to_vec(webhook) {
            Ok(body) => body,
            Err(e) => return failure(None, format!("cannot serialise the delivery: {e}")),
        };
        let timestamp = crate::store::now_ms() / 1000;
        let signature = self.config.secret.sign(key, timestamp, &body);
        let Ok(key_header) = HeaderValue::from_str(key) else {
            return failure(
                None,
                "the idempotency key is not a valid header value".into(),
            );
        };
        let request = Request::post(self.config.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("idempotency-key", key_header.clone())
            .header("webhook-id", key_header)
            .header("webhook-timestamp", timestamp)
            .header("webhook-signature", signature)
            .header(
                "user-agent",
                concat!("hotmart-receiver/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)));
        let request = match request {
            Ok(request) => request,
            Err(e) => return failure(None, format!("cannot build the request: {e}")),
        };
        match tokio::time::timeout(self.config.timeout, self.client.request(request)).await {
            Err(_) => failure(
                None,
                format!("no answer within {} ms", self.config.timeout.as_millis()),
            ),
            Ok(Err(e)) => failure(None, format!("forward failed: {}", error_chain(&e))),
            Ok(Ok(response)) => {
                let status = response.status();
                // The body is not read: only the status matters, and an app
                // streaming a large answer must not hold the attempt.
                drop(response);
                if status.is_success() {
                    AttemptOutcome {
                        ok: true,
                        status: Some(status.as_u16()),
                        error: None,
                    }
                } else {
                    failure(Some(status.as_u16()), format!("the app answered {status}"))
                }
            }
        }
    }
}

/// The error and its sources, which name the cause (connection refused, …).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    super::truncate(&text, 300)
}

impl Sink for ForwardSink {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        webhook: &'a Webhook<'a>,
    ) -> BoxFuture<'a, AttemptOutcome> {
        Box::pin(self.attempt(key, webhook))
    }

    fn describe(&self) -> String {
        let url = &self.config.url;
        // Host and path only: a URL's user-info or query may hold a secret.
        format!(
            "forwarding signed deliveries to http://{}{}",
            url.authority()
                .map_or("", |a| a.as_str())
                .rsplit('@')
                .next()
                .unwrap_or(""),
            url.path()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_without_the_whsec_prefix_is_refused_without_echoing_it() {
        let err = ForwardSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err();
        assert!(err.contains("whsec_"), "{err}");
        assert!(!err.contains("MfKQ9r8G"), "{err}");
        assert_eq!(
            format!(
                "{:?}",
                ForwardSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
            ),
            "ForwardSecret(<redacted>)"
        );
    }

    #[test]
    fn an_https_url_is_accepted_and_other_schemes_are_a_clear_setting_error() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        assert!(
            ForwardConfig::new("https://app.example/hooks", secret, Duration::from_secs(1)).is_ok()
        );
        let err = ForwardConfig::new("ftp://app.example/hooks", secret, Duration::from_secs(1))
            .unwrap_err();
        assert!(err.contains("http(s)://"), "{err}");
    }
}
