//! The HTTP side: the webhook route behind the hottok layer, the guide's
//! routes, admin routes behind a bearer token, liveness and readiness, and
//! the connection loop with its timeouts ([`serve`]).
//!
//! | route | auth | file |
//! |---|---|---|
//! | `POST /api/acl/webhooks/hotmart` | hottok | `webhook.rs` |
//! | `GET /api/acl/webhooks/health`, `/ready` | none | `health.rs` |
//! | `POST /api/acl/webhooks/test` | admin | `guide.rs` |
//! | `GET /api/acl/webhooks/statistics`, `GET /api/acl/webhooks` | admin | `guide.rs` |
//! | `GET /api/acl/webhooks/deliveries/{id}`, `POST /api/acl/webhooks/replay`, `GET /metrics` | admin | `admin.rs` |

mod admin;
mod guide;
mod health;
pub(crate) mod serve;
mod webhook;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hotmart_webhook::{Hottok, VerifyHottokLayer};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower_http::timeout::TimeoutLayer;

use crate::config::{AdminToken, Limits};
use crate::metrics::Metrics;
use crate::store::Store;

/// The only `platform` this receiver serves.
pub(crate) const PLATFORM: &str = "HOTMART";

/// The most body bytes accepted, on every route: Hotmart's largest captured
/// payload is under 8 KiB.
pub(crate) const BODY_LIMIT: usize = hotmart_webhook::DEFAULT_BODY_LIMIT;

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) wake: Arc<Notify>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) admin: Option<Arc<AdminToken>>,
    /// The worker's last turn, epoch ms.
    pub(crate) heartbeat: Arc<AtomicI64>,
    pub(crate) ready_max_backlog: Duration,
}

/// The router.
pub(crate) fn router(hottok: Hottok, state: AppState, limits: &Limits) -> Router {
    let metrics = Arc::clone(&state.metrics);
    let verify = VerifyHottokLayer::new(hottok)
        .body_limit(BODY_LIMIT)
        .on_rejection(move |rejection| {
            // Counted in memory, never stored: a rejected body is not
            // Hotmart's (or not provably so), and must cost no disk write.
            metrics.rejection(rejection.reason().as_str());
            tracing::warn!(
                platform = PLATFORM,
                reason = rejection.reason().as_str(),
                status = rejection.status().as_u16(),
                "webhook request rejected"
            );
            rejection.to_response()
        });
    let admin = Router::new()
        .route("/api/acl/webhooks/test", post(guide::dry_run))
        .route("/api/acl/webhooks/statistics", get(guide::statistics))
        .route("/api/acl/webhooks", get(guide::list))
        .route("/api/acl/webhooks/deliveries/{id}", get(admin::show))
        .route("/api/acl/webhooks/replay", post(admin::replay))
        .route("/metrics", get(admin::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            admin::require_token,
        ));
    Router::new()
        .route("/api/acl/webhooks/hotmart", post(webhook::receive))
        .route_layer(verify)
        .route("/api/acl/webhooks/health", get(health::live))
        .route("/api/acl/webhooks/ready", get(health::ready))
        .merge(admin)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request,
        ))
        .with_state(state)
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The guide's error object.
pub(crate) fn error(status: StatusCode, code: &str, message: &str, errors: &[String]) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if !errors.is_empty() {
        error["errors"] = json!(errors);
    }
    json_response(status, &json!({ "success": false, "error": error }))
}

pub(crate) fn validation_error(detail: String) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "WEBHOOK_VALIDATION_FAILED",
        "Webhook validation failed",
        &[detail],
    )
}

pub(crate) fn database_unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
        "The database is not available",
        &[],
    )
}
