//! The fake's HTTP handlers.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{PageKey, Recorded, Shared, State, lock};

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route(crate::TOKEN_PATH, post(token))
        .route(crate::client::paths::SALES_HISTORY, get(history))
        .route(crate::client::paths::SUBSCRIPTIONS, get(subscriptions))
        .route(
            "/payments/api/v1/subscriptions/{code}/purchases",
            get(purchases),
        )
        .with_state(state)
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn record(state: &mut State, method: &str, uri: &Uri, status: u16) {
    let query = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "client_secret")
        .collect();
    state.recorded.push(Recorded {
        method: method.to_owned(),
        path: uri.path().to_owned(),
        query,
        status,
    });
}

fn json(status: StatusCode, body: String, remaining: u64, reset: u64) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header("RateLimit-Limit", "500")
        .header("RateLimit-Remaining", remaining.to_string())
        .header("RateLimit-Reset", reset.to_string())
        .body(Body::from(body))
        .expect("a valid response")
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = format!(
        r#"{{"error":{},"error_description":{},"error_uri":"https://developers.hotmart.com/docs/en/start/http-response-codes/"}}"#,
        serde_json::to_string(code).unwrap_or_default(),
        serde_json::to_string(description).unwrap_or_default()
    );
    json(status, body, 499, 60)
}

async fn token(AxumState(state): AxumState<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let mut state = lock(&state);
    let q = query_map(&uri);
    let b = &state.builder;
    let expected_basic = STANDARD.encode(format!("{}:{}", b.client_id, b.client_secret));
    let basic_ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, value)| {
            scheme.eq_ignore_ascii_case("basic") && value == expected_basic
        });
    let params_ok = q.get("grant_type").map(String::as_str) == Some("client_credentials")
        && q.get("client_id") == Some(&b.client_id)
        && q.get("client_secret") == Some(&b.client_secret);
    if !(basic_ok && params_ok) {
        record(&mut state, "POST", &uri, 401);
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials");
    }
    let token = format!("fake-access-token-{}", state.tokens.len() + 1);
    state.tokens.push(token.clone());
    record(&mut state, "POST", &uri, 200);
    let body = format!(
        r#"{{"access_token":"{token}","token_type":"bearer","expires_in":{},"scope":"read write","jti":"j-{}"}}"#,
        state.builder.expires_in,
        state.tokens.len()
    );
    json(StatusCode::OK, body, 499, 60)
}

/// Checks the bearer token: `None` when valid, else the `401` to send.
fn check_bearer(state: &State, headers: &HeaderMap) -> Option<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(bearer) = bearer else {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Full authentication is required to access this resource.",
        ));
    };
    match state.tokens.iter().position(|t| t == bearer) {
        None => Some(error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Invalid access token",
        )),
        Some(i) if i < state.expired_below => Some(error(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "Access token expired",
        )),
        Some(_) => None,
    }
}

/// `base64({"page":N,"rows":M})`, like Hotmart's tokens.
fn page_token(page: u64, rows: u64) -> String {
    STANDARD.encode(format!(r#"{{"page":{page},"rows":{rows}}}"#))
}

fn read_page_token(token: &str) -> Option<(u64, u64)> {
    #[derive(serde::Deserialize)]
    struct T {
        page: u64,
        rows: u64,
    }
    let bytes = STANDARD.decode(token).ok()?;
    let t: T = serde_json::from_slice(&bytes).ok()?;
    (t.page >= 1 && t.rows >= 1).then_some((t.page, t.rows))
}

/// Reads `max_results` and `page_token`: `(page, rows)` or the `400` to send.
#[allow(clippy::result_large_err)] // a test fake: the refusal is the answer
fn paging(q: &HashMap<String, String>) -> Result<(u64, u64), Response> {
    let rows = match q.get("max_results") {
        None => 10,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_value_parameter",
                    "max_results must be between 1 and 500",
                ));
            }
        },
    };
    match q.get("page_token") {
        None => Ok((1, rows)),
        Some(t) => read_page_token(t).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "Invalid page token",
            )
        }),
    }
}

fn page_body(items: &[String], page: u64, rows: u64) -> String {
    let total = items.len() as u64;
    let from = ((page - 1) * rows).min(total) as usize;
    let to = (page * rows).min(total) as usize;
    let mut info = format!(r#""total_results":{total},"results_per_page":{rows}"#);
    if (to as u64) < total {
        info.push_str(&format!(
            r#","next_page_token":"{}""#,
            page_token(page + 1, rows)
        ));
    }
    if page > 1 {
        info.push_str(&format!(
            r#","prev_page_token":"{}""#,
            page_token(page - 1, rows)
        ));
    }
    format!(
        r#"{{"items":[{}],"page_info":{{{info}}}}}"#,
        items[from..to].join(",")
    )
}

async fn history(AxumState(shared): AxumState<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let mut state = lock(&shared);
    state.history_requests += 1;
    let n = state.history_requests;
    let faults = state.builder.faults.clone();
    if faults.expire_tokens_at.contains(&n) {
        state.expired_below = state.tokens.len();
    }
    let response = history_answer(&mut state, n, &faults, &headers, &uri);
    record(&mut state, "GET", &uri, response.status().as_u16());
    response
}

fn history_answer(
    state: &mut State,
    n: usize,
    faults: &super::Faults,
    headers: &HeaderMap,
    uri: &Uri,
) -> Response {
    if let Some(refusal) = check_bearer(state, headers) {
        return refusal;
    }
    if let Some((_, reset)) = faults.too_many_requests.iter().find(|(at, _)| *at == n) {
        let body =
            r#"{"error":"too_many_requests","error_description":"Rate limit exceeded"}"#.to_owned();
        return json(StatusCode::TOO_MANY_REQUESTS, body, 0, *reset);
    }
    if let Some((_, status)) = faults.server_errors.iter().find(|(at, _)| *at == n) {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, "server_error", "Internal error");
    }
    let q = query_map(uri);
    let (page, rows) = match paging(&q) {
        Ok(p) => p,
        Err(refusal) => return refusal,
    };
    let date = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
    let (start, end) = (date("start_date"), date("end_date"));
    if let Some(max) = faults.max_window {
        let too_wide = match (start, end) {
            (Some(s), Some(e)) => (e - s).unsigned_abs() > max.as_millis() as u64,
            _ => true,
        };
        if too_wide {
            return error(
                StatusCode::BAD_GATEWAY,
                "bad_gateway",
                "The query took too long",
            );
        }
    }
    let status = q.get("transaction_status");
    let transaction = q.get("transaction");
    let product = q.get("product_id").and_then(|v| v.parse::<u64>().ok());
    let email = q.get("buyer_email");
    let mut sales: Vec<_> = state
        .builder
        .sales
        .iter()
        .filter(|s| match (status, transaction) {
            (Some(st), _) => &s.status == st,
            (None, Some(_)) => true,
            (None, None) => s.status == "APPROVED" || s.status == "COMPLETE",
        })
        .filter(|s| transaction.is_none_or(|t| &s.transaction == t))
        .filter(|s| product.is_none_or(|p| s.product_id == p))
        .filter(|s| email.is_none_or(|e| &s.buyer_email == e))
        .filter(|s| {
            start.is_none_or(|d| s.order_date >= d) && end.is_none_or(|d| s.order_date <= d)
        })
        .collect();
    sales.sort_by(|a, b| (a.order_date, &a.transaction).cmp(&(b.order_date, &b.transaction)));
    let items: Vec<String> = sales.iter().map(|s| s.to_json()).collect();
    *state
        .page_reads
        .entry(PageKey {
            status: status.cloned(),
            start,
            end,
            page,
        })
        .or_insert(0) += 1;
    let (remaining, reset) = match faults.remaining_zero.iter().find(|(at, _)| *at == n) {
        Some((_, reset)) => (0, *reset),
        None => (499, 60),
    };
    json(
        StatusCode::OK,
        page_body(&items, page, rows),
        remaining,
        reset,
    )
}

async fn subscriptions(
    AxumState(shared): AxumState<Shared>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut state = lock(&shared);
    let response = match check_bearer(&state, &headers) {
        Some(refusal) => refusal,
        None => {
            let q = query_map(&uri);
            match paging(&q) {
                Err(refusal) => refusal,
                Ok((page, rows)) => {
                    let items: Vec<String> = state
                        .builder
                        .subscriptions
                        .iter()
                        .filter(|s| q.get("status").is_none_or(|st| &s.status == st))
                        .filter(|s| {
                            q.get("subscriber_code")
                                .is_none_or(|c| &s.subscriber_code == c)
                        })
                        .filter(|s| {
                            q.get("product_id")
                                .and_then(|p| p.parse::<u64>().ok())
                                .is_none_or(|p| s.product_id == p)
                        })
                        .map(|s| s.to_json())
                        .collect();
                    json(StatusCode::OK, page_body(&items, page, rows), 499, 60)
                }
            }
        }
    };
    record(&mut state, "GET", &uri, response.status().as_u16());
    response
}

async fn purchases(
    AxumState(shared): AxumState<Shared>,
    Path(code): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut state = lock(&shared);
    let response = match check_bearer(&state, &headers) {
        Some(refusal) => refusal,
        None => match state
            .builder
            .subscriptions
            .iter()
            .find(|s| s.subscriber_code == code)
        {
            Some(s) => json(StatusCode::OK, s.purchases_json(), 499, 60),
            None => error(StatusCode::NOT_FOUND, "not_found", "Subscription not found"),
        },
    };
    record(
        &mut state,
        Method::GET.as_str(),
        &uri,
        response.status().as_u16(),
    );
    response
}
