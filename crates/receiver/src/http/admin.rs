//! The admin token check and the admin-only routes: one delivery, replay,
//! metrics.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{AppState, PLATFORM, database_unavailable, error, json_response, validation_error};
use crate::store::{DeliveryRef, ReplaySelector, State as RowState, now_ms};

/// Every admin route: `Authorization: Bearer <HOTMART_ADMIN_TOKEN>`,
/// compared in constant time. Without a configured token the routes are
/// closed, and the answer says how to open them.
pub(super) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = &state.admin else {
        return unauthorized(
            "ADMIN_TOKEN_NOT_CONFIGURED",
            "This route needs an admin token: start the receiver with HOTMART_ADMIN_TOKEN set \
             (at least 16 characters, e.g. `openssl rand -hex 32`) and send \
             `Authorization: Bearer <token>`",
        );
    };
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    match presented {
        Some(candidate) if token.matches(candidate) => next.run(request).await,
        _ => {
            state.metrics.rejection("admin_token");
            unauthorized(
                "ADMIN_AUTHENTICATION_FAILED",
                "Missing or wrong admin token: send `Authorization: Bearer <HOTMART_ADMIN_TOKEN>`",
            )
        }
    }
}

fn unauthorized(code: &str, message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, code, message, &[]);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// `GET /api/acl/webhooks/deliveries/{id}`: one delivery by number, event
/// id or key, with its attempts and parse problems (metadata: never the
/// body, which holds buyer data; `deliveries show` on the host prints it).
pub(super) async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.store.get(&DeliveryRef::parse(&id)).await {
        Ok(Some(detail)) => {
            let mut data = serde_json::to_value(&detail).unwrap_or(Value::Null);
            data["bodyStored"] = json!(detail.body.is_some());
            json_response(StatusCode::OK, &json!({ "success": true, "data": data }))
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "DELIVERY_NOT_FOUND",
            "No delivery has this number, event id or key",
            &[],
        ),
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "delivery unavailable");
            database_unavailable()
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    #[serde(default)]
    ids: Vec<String>,
    state: Option<String>,
    /// Epoch ms.
    since: Option<i64>,
}

/// `POST /api/acl/webhooks/replay` with `{"ids":[…]}` or
/// `{"state":"failed","since":EPOCH_MS}`: re-queues, due at once.
pub(super) async fn replay(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let request: ReplayRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return validation_error(
                "the request must be {\"ids\":[\"…\"]} or {\"state\":\"failed\",\"since\":EPOCH_MS}".into(),
            );
        }
    };
    let selector = match (request.ids.is_empty(), request.state) {
        (false, None) => {
            ReplaySelector::Ids(request.ids.iter().map(|s| DeliveryRef::parse(s)).collect())
        }
        (true, Some(s)) => match RowState::parse(&s) {
            Some(st) => ReplaySelector::State {
                state: st,
                since: request.since,
            },
            None => {
                return validation_error(
                    "`state` must be pending, processed, failed or unparsed".into(),
                );
            }
        },
        _ => return validation_error("give either `ids` or `state`".into()),
    };
    match state.store.replay(&selector).await {
        Ok(n) => {
            state.wake.notify_one();
            tracing::info!(platform = PLATFORM, requeued = n, "replay");
            json_response(
                StatusCode::OK,
                &json!({ "success": true, "data": { "requeued": n } }),
            )
        }
        Err(e) => {
            tracing::error!(platform = PLATFORM, error = %e, "replay failed");
            database_unavailable()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let stats = state.store.statistics().await.ok();
    let oldest =
        state.store.oldest_due_at().await.ok().flatten().map(|due| {
            std::time::Duration::from_millis(u64::try_from(now_ms() - due).unwrap_or(0))
        });
    let mut response = state.metrics.render(stats.as_ref(), oldest).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
