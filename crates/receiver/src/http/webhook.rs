//! `POST /api/acl/webhooks/hotmart`: verify (the layer), mask, store, and
//! only then answer `200`. Whatever its shape: a verified body that does not
//! parse is stored too (a warning and a metric say so) and `reparse` retries
//! it after an upgrade.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hotmart_webhook::axum::{HotmartWebhook, WebhookRejection};
use serde_json::json;

use super::{AppState, PLATFORM, error, json_response};
use crate::store::{Inserted, NewDelivery, Source, StoreError, now_ms};

fn storage_unavailable() -> Response {
    // 503: Hotmart retries, and the delivery is not lost.
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "WEBHOOK_STORAGE_UNAVAILABLE",
        "Webhook could not be stored; retry later",
        &[],
    )
}

pub(super) async fn receive(
    State(state): State<AppState>,
    webhook: Result<HotmartWebhook, WebhookRejection>,
) -> Response {
    let webhook = match webhook {
        Ok(webhook) => webhook,
        Err(rejection) => {
            // The layer lets a header-verified body through unread; axum's
            // limit then refuses it while reading. Count it like the layer's.
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                state.metrics.rejection("too_large");
            }
            tracing::warn!(platform = PLATFORM, status = rejection.status().as_u16(), %rejection, "webhook body refused");
            return rejection.into_response();
        }
    };
    let received_at = now_ms();
    let body = crate::mask::mask_hottok(&webhook.into_body());
    let summary = crate::summary::summarize(&body);
    let parsed = summary.parse_error.is_none();
    let (key, event) = (summary.key.clone(), summary.event.clone());
    if let Some(e) = &summary.parse_error {
        tracing::warn!(platform = PLATFORM, key = %key, error = %e, "authentic delivery does not parse: stored as unparsed (run `reparse` after an upgrade)");
    }
    let started = Instant::now();
    let inserted = state
        .store
        .insert(NewDelivery {
            source: Source::Webhook,
            summary,
            received_at,
            body,
        })
        .await;
    let inserted = match inserted {
        Ok(inserted) => inserted,
        Err(e) => {
            state.metrics.unavailable();
            match e {
                StoreError::Busy => tracing::warn!(
                    platform = PLATFORM,
                    "store queue full: delivery answered 503 (Hotmart retries)"
                ),
                e => {
                    tracing::error!(platform = PLATFORM, error = %e, "delivery NOT stored; answering 503")
                }
            }
            return storage_unavailable();
        }
    };
    state.metrics.commit(started.elapsed());
    let event_label = event.as_deref().unwrap_or("-");
    let (duplicate, requeued) = match inserted {
        Inserted::New { .. } => {
            state
                .metrics
                .delivery(event_label, if parsed { "new" } else { "unparsed" });
            (false, false)
        }
        Inserted::Duplicate { .. } => {
            state.metrics.delivery(event_label, "duplicate");
            (true, false)
        }
        Inserted::Requeued { .. } => {
            state.metrics.delivery(event_label, "requeued");
            (true, true)
        }
    };
    if parsed && (requeued || !duplicate) {
        state.wake.notify_one();
    }
    tracing::info!(
        platform = PLATFORM,
        key = %key,
        seq = inserted.seq(),
        event = event_label,
        duplicate,
        requeued,
        parsed,
        "delivery stored"
    );
    let mut data = json!({ "id": key, "event": event, "duplicate": duplicate });
    if requeued {
        data["requeued"] = json!(true);
    }
    if !parsed {
        data["parsed"] = json!(false);
    }
    json_response(StatusCode::OK, &json!({ "success": true, "data": data }))
}
