//! The integration guide's routes: the dry run, statistics and the list of
//! recent deliveries (all behind the admin token).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use hotmart_webhook::Timestamp;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::{AppState, PLATFORM, database_unavailable, json_response, validation_error};
use crate::store::{ListFilter, State as RowState};

/// Largest `limit` of the recent-deliveries endpoint.
pub(super) const MAX_RECENT: u32 = 100;

/// Checks `platform` in a query string and returns the query's pairs, or
/// what is wrong (for the guide's `400` error object).
pub(super) fn check_platform(
    query: Option<&str>,
    required: bool,
) -> Result<Vec<(String, String)>, String> {
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

/// `POST /api/acl/webhooks/test`: a dry run (admin token): the sample is
/// parsed and described, never stored, counted or processed.
pub(super) async fn dry_run(body: Bytes) -> Response {
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
            let summary = crate::summary::of_webhook(&webhook);
            let mut data = json!({
                "dryRun": true,
                "stored": false,
                "version": summary.version,
                "event": summary.event,
                "known": webhook.is_known(),
                "id": summary.event_id,
                "key": summary.key,
                "transaction": summary.transaction,
                "status": summary.status,
                "problems": summary.problems,
            });
            if !webhook.is_known() {
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

/// `GET /api/acl/webhooks/statistics?platform=HOTMART`: counts from the
/// read side of the database (never the writer), rejections from memory.
pub(super) async fn statistics(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(detail) = check_platform(query.as_deref(), true) {
        return validation_error(detail);
    }
    let (rejected_by_reason, rejected) = state.metrics.rejections();
    match state.store.statistics().await {
        Ok(s) => {
            let n = |state: RowState| s.by_state.get(state.as_str()).copied().unwrap_or(0);
            let total: u64 = s.by_state.values().sum();
            json_response(
                StatusCode::OK,
                &json!({
                    "success": true,
                    "data": {
                        "platform": PLATFORM,
                        "byOutcome": {
                            "accepted": total.saturating_sub(s.unparsed_on_receipt),
                            "duplicate": s.duplicates,
                            "rejected": rejected,
                            "failedToParse": s.unparsed_on_receipt,
                            "processed": n(RowState::Processed),
                            "processingFailed": n(RowState::Failed),
                            "pending": n(RowState::Pending),
                            "unparsed": n(RowState::Unparsed),
                        },
                        "byEvent": s.by_event,
                        "byState": s.by_state,
                        "rejectedByReason": rejected_by_reason,
                        "lastDeliveryAt": iso(s.last_delivery_at),
                    }
                }),
            )
        }
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "statistics unavailable");
            database_unavailable()
        }
    }
}

/// `GET /api/acl/webhooks?platform=HOTMART&limit=10[&state=S][&event=E][&before=SEQ]`:
/// metadata only, newest first.
pub(super) async fn list(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let pairs = match check_platform(query.as_deref(), true) {
        Ok(pairs) => pairs,
        Err(detail) => return validation_error(detail),
    };
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut filter = ListFilter {
        limit: 10,
        ..ListFilter::default()
    };
    if let Some(v) = value("limit") {
        match v.parse::<u32>() {
            Ok(n @ 1..=MAX_RECENT) => filter.limit = n,
            _ => {
                return validation_error(format!(
                    "`limit` must be an integer from 1 to {MAX_RECENT}"
                ));
            }
        }
    }
    if let Some(v) = value("state") {
        match RowState::parse(v) {
            Some(s) => filter.state = Some(s),
            None => {
                return validation_error(
                    "`state` must be pending, processed, failed, unparsed or duplicate".into(),
                );
            }
        }
    }
    filter.event = value("event").map(str::to_owned);
    if let Some(v) = value("before") {
        match v.parse::<i64>() {
            Ok(n) => filter.before = Some(n),
            Err(_) => return validation_error("`before` must be a delivery number".into()),
        }
    }
    match state.store.list(&filter).await {
        Ok(rows) => {
            let webhooks: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
                    // The guide's `id`: the idempotency key.
                    v["id"] = json!(r.key);
                    v
                })
                .collect();
            json_response(
                StatusCode::OK,
                &json!({ "success": true, "data": { "platform": PLATFORM, "limit": filter.limit, "webhooks": webhooks } }),
            )
        }
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "recent deliveries unavailable");
            database_unavailable()
        }
    }
}
