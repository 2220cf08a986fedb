//! Liveness and readiness: ok or not, no data.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{AppState, PLATFORM, json_response};
use crate::store::now_ms;

/// `GET /api/acl/webhooks/health`: the process answers. No database call,
/// so a busy database never makes a load balancer pull a live receiver.
pub(super) async fn live() -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "success": true, "data": { "status": "ok" } }),
    )
}

/// How stale the worker's heartbeat may be (it turns at least every second).
const WORKER_STALE: Duration = Duration::from_secs(30);

/// `GET /api/acl/webhooks/ready`: a write succeeds, the worker is alive,
/// and the oldest due row is not older than the threshold.
pub(super) async fn ready(State(state): State<AppState>) -> Response {
    let probe = tokio::time::timeout(Duration::from_secs(5), state.store.probe_write()).await;
    let writable = matches!(probe, Ok(Ok(())));
    let beat = state.heartbeat.load(Ordering::Relaxed);
    let worker = now_ms() - beat < i64::try_from(WORKER_STALE.as_millis()).unwrap_or(i64::MAX);
    let backlog = match state.store.oldest_due_at().await {
        Ok(None) => true,
        Ok(Some(due)) => {
            now_ms() - due < i64::try_from(state.ready_max_backlog.as_millis()).unwrap_or(i64::MAX)
        }
        Err(_) => false,
    };
    let ok = writable && worker && backlog;
    if !ok {
        tracing::warn!(platform = PLATFORM, writable, worker, backlog, "not ready");
    }
    let word = |b: bool| if b { "ok" } else { "failing" };
    json_response(
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        &json!({
            "success": ok,
            "data": { "status": word(ok), "database": word(writable), "worker": word(worker), "backlog": word(backlog) }
        }),
    )
}
