//! The HTTP side: routes, handlers and their JSON answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hotmart_webhook::axum::{HotmartWebhook, WebhookRejection};
use hotmart_webhook::{Hottok, HottokSource, Timestamp, VerifyHottokLayer, Webhook};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::store::{NewDelivery, Store, now_ms};

/// The only `platform` this receiver serves.
pub const PLATFORM: &str = "HOTMART";

/// The most body bytes accepted, on every route: Hotmart's largest captured
/// payload is under 8 KiB.
pub const BODY_LIMIT: usize = hotmart_webhook::DEFAULT_BODY_LIMIT;

/// Largest `limit` of the recent-deliveries endpoint.
pub const MAX_RECENT: usize = 100;

#[derive(Clone)]
struct AppState {
    store: Store,
    wake: Arc<Notify>,
}

/// The router: the webhook route behind [`VerifyHottokLayer`], the other
/// routes without it.
pub(crate) fn router(hottok: Hottok, store: Store, wake: Arc<Notify>) -> Router {
    let counter = store.clone();
    let verify = VerifyHottokLayer::new(hottok)
        .body_limit(BODY_LIMIT)
        .on_rejection(move |rejection| {
            // Counted, never stored: the body of a rejected request is not
            // Hotmart's (or not provably so).
            counter.count_rejection(rejection.reason().as_str());
            tracing::warn!(
                platform = PLATFORM,
                reason = rejection.reason().as_str(),
                status = rejection.status().as_u16(),
                "webhook request rejected"
            );
            rejection.to_response()
        });
    Router::new()
        .route("/api/acl/webhooks/hotmart", post(receive))
        .route_layer(verify)
        .route("/api/acl/webhooks/test", post(dry_run))
        .route("/api/acl/webhooks/statistics", get(statistics))
        .route("/api/acl/webhooks/health", get(health))
        .route("/api/acl/webhooks", get(recent))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(AppState { store, wake })
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The guide's error object.
fn error(status: StatusCode, code: &str, message: &str, errors: &[String]) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if !errors.is_empty() {
        error["errors"] = json!(errors);
    }
    json_response(status, &json!({ "success": false, "error": error }))
}

fn validation_error(detail: String) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "WEBHOOK_VALIDATION_FAILED",
        "Webhook validation failed",
        &[detail],
    )
}

fn storage_unavailable() -> Response {
    // 503: Hotmart retries, and the delivery is not lost.
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "WEBHOOK_STORAGE_UNAVAILABLE",
        "Webhook could not be stored; retry later",
        &[],
    )
}

/// `POST /api/acl/webhooks/hotmart`: store first, answer after the commit.
async fn receive(
    State(state): State<AppState>,
    webhook: Result<HotmartWebhook, WebhookRejection>,
) -> Response {
    let webhook = match webhook {
        Ok(webhook) => webhook,
        Err(rejection) => {
            // The layer lets a header-verified body through unread; axum's
            // limit then refuses it while reading. Count it like the layer's.
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                state.store.count_rejection("too_large");
            }
            tracing::warn!(platform = PLATFORM, status = rejection.status().as_u16(), %rejection, "webhook body refused");
            return rejection.into_response();
        }
    };
    let source = match webhook.source() {
        HottokSource::Header => "header",
        _ => "body",
    };
    let received_at = now_ms();
    let body = webhook.into_body();
    let parsed = hotmart_webhook::parse(&body);
    let mut delivery = match &parsed {
        Ok(webhook) => summary(webhook),
        Err(e) => NewDelivery {
            parse_error: Some(e.to_string()),
            ..NewDelivery::default()
        },
    };
    delivery.hottok_source = source;
    delivery.received_at = received_at;
    delivery.body = mask_hottok(&body);
    let (event, version) = (delivery.event.clone(), delivery.version.clone());
    let stored = match state.store.insert(delivery).await {
        Ok(stored) => stored,
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "delivery NOT stored; answering 503");
            return storage_unavailable();
        }
    };
    match parsed {
        Err(e) => {
            tracing::warn!(platform = PLATFORM, status = e.status().as_u16(), error = %e, "unparsable delivery stored");
            e.to_response().map(axum::body::Body::from)
        }
        Ok(_) => {
            if !stored.duplicate {
                state.wake.notify_one();
            }
            tracing::info!(
                platform = PLATFORM,
                key = %stored.key,
                event = event.as_deref().unwrap_or("-"),
                version = version.as_deref().unwrap_or("-"),
                duplicate = stored.duplicate,
                "delivery stored"
            );
            json_response(
                StatusCode::OK,
                &json!({
                    "success": true,
                    "data": { "id": stored.key, "event": event, "duplicate": stored.duplicate },
                }),
            )
        }
    }
}

/// The summary stored next to the body, and the dedupe key: the 2.0.0 event
/// `id` (identical across retries and resends, while the bodies may differ:
/// never a body hash); for a v1 purchase, transaction and status (one
/// transaction goes through several statuses).
pub fn summary(webhook: &Webhook<'_>) -> NewDelivery {
    let transaction = webhook.transaction().map(str::to_owned);
    let status = webhook.purchase_status().map(|s| s.as_str().to_owned());
    let dedupe_key = match webhook {
        Webhook::V2(envelope) => Some(envelope.id.to_string()),
        Webhook::V1Purchase(_) => transaction
            .as_ref()
            .map(|t| format!("v1:{t}:{}", status.as_deref().unwrap_or("-"))),
        _ => None,
    };
    NewDelivery {
        dedupe_key,
        event_id: webhook.id().map(str::to_owned),
        event: Some(webhook.event_name().to_owned()),
        version: Some(webhook.version().to_owned()),
        known: Some(webhook.is_known()),
        transaction,
        status,
        ..NewDelivery::default()
    }
}

/// The body with the value of every `hottok` field replaced by `*`s of the
/// same length: the rest stays byte for byte, the body still parses, and the
/// database never holds the account's secret (v1 postbacks and some 2.0.0
/// deliveries carry it in the body).
pub fn mask_hottok(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    let json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if json {
        let needle = b"\"hottok\"";
        let mut from = 0;
        while let Some(at) = find(&out[from..], needle) {
            let mut i = from + at + needle.len();
            while out.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if out.get(i) == Some(&b':') {
                i += 1;
                while out.get(i).is_some_and(u8::is_ascii_whitespace) {
                    i += 1;
                }
                if out.get(i) == Some(&b'"') {
                    i += 1;
                    let mut escaped = false;
                    while let Some(&b) = out.get(i) {
                        match b {
                            b'"' if !escaped => break,
                            b'\\' if !escaped => escaped = true,
                            _ => escaped = false,
                        }
                        // Escapes are masked whole (`\"` becomes `**`): the
                        // string stays valid JSON of the same length.
                        out[i] = b'*';
                        i += 1;
                    }
                }
            }
            from = i.max(from + at + 1);
        }
    } else {
        let mut start = 0;
        while start <= out.len() {
            let end = out[start..]
                .iter()
                .position(|&b| b == b'&')
                .map_or(out.len(), |p| start + p);
            if out[start..end].starts_with(b"hottok=") {
                for b in &mut out[start + 7..end] {
                    *b = b'*';
                }
            }
            start = end + 1;
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Checks `platform` in a query string and returns the query's pairs, or
/// what is wrong (for the guide's `400` error object).
fn check_platform(query: Option<&str>, required: bool) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let platforms: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "platform")
        .map(|(_, v)| v.as_str())
        .collect();
    match platforms.as_slice() {
        [] if !required => Ok(pairs),
        [] => Err(format!(
            "query parameter `platform` is required; the only supported value is \"{PLATFORM}\""
        )),
        [PLATFORM] => Ok(pairs),
        [_] => Err(format!(
            "unsupported platform; the only supported value is \"{PLATFORM}\""
        )),
        _ => Err("query parameter `platform` given more than once".into()),
    }
}

#[derive(serde::Deserialize)]
struct TestRequest<'a> {
    platform: Option<String>,
    #[serde(rename = "sampleData", borrow)]
    sample_data: Option<&'a RawValue>,
}

/// `POST /api/acl/webhooks/test`: a dry run. No hottok is needed because
/// nothing happens: the sample is parsed and described, never stored, counted
/// or processed, so a caller without the token learns only what the public
/// parser makes of a payload it wrote itself.
async fn dry_run(body: Bytes) -> Response {
    let request: TestRequest<'_> = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return validation_error(format!(
                "the request must be {{\"platform\":\"{PLATFORM}\",\"sampleData\":{{…}}}}: {}",
                e.classify_message()
            ));
        }
    };
    match request.platform.as_deref() {
        Some(PLATFORM) => {}
        None => {
            return validation_error(format!(
                "`platform` is required; the only supported value is \"{PLATFORM}\""
            ));
        }
        Some(_) => {
            return validation_error(format!(
                "unsupported platform; the only supported value is \"{PLATFORM}\""
            ));
        }
    }
    let Some(sample) = request.sample_data else {
        return validation_error("`sampleData` is required".into());
    };
    // A JSON string sample is taken as a raw body (a v1 form postback).
    let text: String;
    let bytes = match serde_json::from_str::<String>(sample.get()) {
        Ok(s) => {
            text = s;
            text.as_bytes()
        }
        Err(_) => sample.get().as_bytes(),
    };
    match hotmart_webhook::parse(bytes) {
        Ok(webhook) => {
            let summary = summary(&webhook);
            let mut data = json!({
                "dryRun": true,
                "stored": false,
                "version": summary.version,
                "event": summary.event,
                "known": summary.known,
                "id": summary.event_id,
                "transaction": summary.transaction,
                "status": summary.status,
            });
            if summary.known == Some(false) {
                // Third-party guides use names Hotmart never sends
                // (PURCHASE_COMPLETED, SUBSCRIPTION_RENEWED, …).
                data["hint"] = json!(
                    "not an event of Hotmart's catalogue: a delivery like this is stored and \
                     answered 200 as an unknown event; Hotmart's names are in \
                     hotmart_webhook::event::EVENT_NAMES"
                );
            }
            json_response(StatusCode::OK, &json!({ "success": true, "data": data }))
        }
        Err(e) => e.to_response().map(axum::body::Body::from),
    }
}

trait ClassifyMessage {
    fn classify_message(&self) -> &'static str;
}

impl ClassifyMessage for serde_json::Error {
    /// Never echoes the request's values.
    fn classify_message(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Data => "a field has the wrong type",
            serde_json::error::Category::Eof => "the JSON is truncated",
            _ => "the body is not valid JSON",
        }
    }
}

fn iso(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| {
        Value::String(Timestamp::from_millis(ms).to_string())
    })
}

/// `GET /api/acl/webhooks/statistics?platform=HOTMART`.
async fn statistics(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Err(detail) = check_platform(query.as_deref(), true) {
        return validation_error(detail);
    }
    match state.store.statistics().await {
        Ok(s) => json_response(
            StatusCode::OK,
            &json!({
                "success": true,
                "data": {
                    "platform": PLATFORM,
                    "byOutcome": {
                        "accepted": s.accepted,
                        "duplicate": s.duplicate,
                        "rejected": s.rejected,
                        "failedToParse": s.failed_to_parse,
                        "processed": s.processed,
                        "processingFailed": s.processing_failed,
                        "pending": s.pending,
                    },
                    "byEvent": s.by_event,
                    "rejectedByReason": s.rejected_by_reason,
                    "lastDeliveryAt": iso(s.last_delivery_at),
                }
            }),
        ),
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "statistics unavailable");
            database_unavailable()
        }
    }
}

fn database_unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
        "The database is not available",
        &[],
    )
}

/// `GET /api/acl/webhooks?platform=HOTMART&limit=10`: metadata only.
async fn recent(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let pairs = match check_platform(query.as_deref(), true) {
        Ok(pairs) => pairs,
        Err(detail) => return validation_error(detail),
    };
    let limit = match pairs.iter().find(|(k, _)| k == "limit") {
        None => 10,
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n @ 1..=MAX_RECENT) => n,
            _ => {
                return validation_error(format!(
                    "`limit` must be an integer from 1 to {MAX_RECENT}"
                ));
            }
        },
    };
    match state.store.recent(limit).await {
        Ok(rows) => json_response(
            StatusCode::OK,
            &json!({ "success": true, "data": { "platform": PLATFORM, "limit": limit, "webhooks": rows } }),
        ),
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "recent deliveries unavailable");
            database_unavailable()
        }
    }
}

/// `GET /api/acl/webhooks/health`: the service answers and `SELECT 1` works.
async fn health(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    if let Err(detail) = check_platform(query.as_deref(), false) {
        return validation_error(detail);
    }
    match state.store.health().await {
        Ok(()) => json_response(
            StatusCode::OK,
            &json!({ "success": true, "data": { "status": "ok", "database": "ok" } }),
        ),
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "health check failed");
            database_unavailable()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mask_hottok;

    fn masked(body: &str) -> String {
        String::from_utf8(mask_hottok(body.as_bytes())).unwrap()
    }

    #[test]
    fn json_hottok_values_are_masked_in_place_and_stay_valid_json() {
        let body = r#"{"id":"1", "hottok" : "ab\"c\\d", "data":{"hottok":"x"},"note":"hottok"}"#;
        let out = masked(body);
        assert_eq!(out.len(), body.len());
        assert_eq!(
            out,
            r#"{"id":"1", "hottok" : "********", "data":{"hottok":"*"},"note":"hottok"}"#
        );
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["id"], "1");
        assert!(!out.contains("ab"));
    }

    #[test]
    fn form_hottok_values_are_masked_and_other_fields_kept() {
        assert_eq!(
            masked("status=approved&hottok=s3cr3t&xhottok=keep&hottok="),
            "status=approved&hottok=******&xhottok=keep&hottok="
        );
        assert_eq!(masked("hottok=abc"), "hottok=***");
        assert_eq!(masked("transaction=HP1"), "transaction=HP1");
    }

    #[test]
    fn a_non_string_json_hottok_is_left_alone() {
        assert_eq!(masked(r#"{"hottok":5}"#), r#"{"hottok":5}"#);
    }
}
