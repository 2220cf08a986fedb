//! The handlers of the history page.

use std::time::SystemTime;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::Markup;

use super::AdminState;
use super::auth::{
    Authentication, CSRF_FIELD, Credential, clear_session_cookie, set_session_cookie,
};
use super::pages;
use super::view::{
    self, AttemptView, ChartData, DeliveryRow, DetailView, ListQuery, ListView, MinuteCount,
};
use crate::store::{
    DeliveryRef, DeliverySummary, ListFilter, ReplaySelector, State as RowState, now_ms,
};

/// Rows per page of the list.
pub(crate) const PAGE_SIZE: u32 = 50;

/// How many minutes the chart shows.
pub(crate) const CHART_MINUTES: u32 = 180;

const MINUTE_MS: i64 = 60_000;

fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn store_unavailable(error: &crate::store::StoreError) -> Response {
    tracing::error!(error = %error, "history page: the store did not answer");
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::message(
            "Database unavailable",
            "The database did not answer; try again shortly.",
            true,
        ),
    )
}

/// Lets a request through with its [`Credential`] in the extensions, sends
/// a browser without a (valid) session to the login form, and answers `401`
/// to a wrong `Authorization` header.
pub(crate) async fn require_admin(
    State(state): State<AdminState>,
    mut request: Request,
    next: Next,
) -> Response {
    match state
        .keys
        .authenticate(request.headers(), SystemTime::now())
    {
        Authentication::Allowed(credential) => {
            request.extensions_mut().insert(credential);
            next.run(request).await
        }
        Authentication::Refused if request.headers().contains_key(header::AUTHORIZATION) => {
            state.metrics.rejection("admin_token");
            let mut response = html(
                StatusCode::UNAUTHORIZED,
                pages::message("Not allowed", "The admin token is wrong.", false),
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
        Authentication::Refused => {
            // A stale or forged cookie: forget it and log in again.
            let mut response = see_other("/admin/login");
            let clear = clear_session_cookie(request.headers());
            response.headers_mut().insert(header::SET_COOKIE, clear);
            response
        }
        Authentication::Missing => see_other("/admin/login"),
    }
}

/// `GET /admin/login`.
pub(crate) async fn login_form() -> Response {
    html(StatusCode::OK, pages::login(false))
}

/// `POST /admin/login` with the form field `token`.
pub(crate) async fn login(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = form_field(&body, "token");
    if !token
        .as_deref()
        .is_some_and(|token| state.keys.token_matches(token))
    {
        state.metrics.rejection("admin_login");
        tracing::warn!("history page: login with a wrong admin token");
        return html(StatusCode::UNAUTHORIZED, pages::login(true));
    }
    let session = state.keys.new_session(SystemTime::now());
    let mut response = see_other("/admin");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_session_cookie(&session, &headers));
    response
}

/// `POST /admin/logout` (with the CSRF token).
pub(crate) async fn logout(
    State(state): State<AdminState>,
    Extension(credential): Extension<Credential>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_without_csrf(&state, &credential, &body) {
        return refused;
    }
    let mut response = see_other("/admin/login");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_session_cookie(&headers));
    response
}

/// `GET /admin?state=…&event=…&page=…`.
pub(crate) async fn list(
    State(state): State<AdminState>,
    Extension(credential): Extension<Credential>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = ListQuery::parse(raw.as_deref());
    let notice = notice(raw.as_deref());
    let state_filter = match query.state.as_deref() {
        None => None,
        Some(name) => match RowState::parse(name) {
            Some(state) => Some(state),
            None => {
                return html(
                    StatusCode::BAD_REQUEST,
                    pages::message("Unknown state", "Choose a state from the list.", true),
                );
            }
        },
    };
    let filter = ListFilter {
        state: state_filter,
        event: query.event.clone(),
        offset: u64::from(query.page) * u64::from(PAGE_SIZE),
        // One more than a page tells whether an older page exists.
        limit: PAGE_SIZE + 1,
        ..ListFilter::default()
    };
    let mut rows = match state.store.list(&filter).await {
        Ok(rows) => rows,
        Err(e) => return store_unavailable(&e),
    };
    let has_older = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let from_ms = (now_ms().div_euclid(MINUTE_MS) - i64::from(CHART_MINUTES) + 1) * MINUTE_MS;
    let per_minute = match state.store.per_minute(from_ms).await {
        Ok(per_minute) => per_minute,
        Err(e) => return store_unavailable(&e),
    };
    let counts = per_minute
        .into_iter()
        .flat_map(|minute| {
            let at = minute.minute;
            minute
                .by_state
                .into_iter()
                .map(move |(outcome, count)| MinuteCount {
                    minute_ms: at,
                    outcome,
                    count,
                })
        })
        .collect();
    let view = ListView {
        rows: rows.iter().map(row).collect(),
        query,
        has_older,
        csrf: credential.csrf_token(&state.keys),
        chart: ChartData {
            from_ms,
            minutes: CHART_MINUTES,
            counts,
        },
        notice,
    };
    html(StatusCode::OK, pages::list(&view))
}

/// `GET /admin/deliveries/{number}`.
pub(crate) async fn detail(
    State(state): State<AdminState>,
    Extension(credential): Extension<Credential>,
    Path(number): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(seq) = seq_of(&number) else {
        return not_found();
    };
    let delivery = match state.store.get(&DeliveryRef::Seq(seq)).await {
        Ok(Some(delivery)) => delivery,
        Ok(None) => return not_found(),
        Err(e) => return store_unavailable(&e),
    };
    let mut problems = delivery.problems;
    if let Some(error) = delivery.parse_error {
        problems.insert(0, format!("Not parsable: {error}"));
    }
    let view = DetailView {
        delivery: view::DeliveryDetail {
            row: row(&delivery.summary),
            key: delivery.summary.key.clone(),
            source: delivery.summary.source.as_str().to_owned(),
            // Stored masked; masked again on the way out, so a row written
            // by an older version or by another tool shows no hottok either.
            body: delivery.body.map(|body| crate::mask::mask_hottok(&body)),
            problems,
            attempts: delivery
                .attempts_made
                .into_iter()
                .map(|attempt| AttemptView {
                    number: attempt.number,
                    started_at_ms: attempt.started_at,
                    finished_at_ms: Some(attempt.finished_at),
                    outcome: if attempt.ok { "success" } else { "failure" }.to_owned(),
                    detail: match (attempt.status, attempt.error) {
                        (Some(status), Some(error)) => Some(format!("HTTP {status}: {error}")),
                        (Some(status), None) => Some(format!("HTTP {status}")),
                        (None, error) => error,
                    },
                })
                .collect(),
        },
        csrf: credential.csrf_token(&state.keys),
        notice: notice(raw.as_deref()),
    };
    html(StatusCode::OK, pages::detail(&view))
}

/// `POST /admin/deliveries/{number}/reprocess` (with the CSRF token).
pub(crate) async fn reprocess(
    State(state): State<AdminState>,
    Extension(credential): Extension<Credential>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_without_csrf(&state, &credential, &body) {
        return refused;
    }
    let Some(seq) = seq_of(&number) else {
        return not_found();
    };
    let selector = ReplaySelector::Ids(vec![DeliveryRef::Seq(seq)]);
    match state.store.replay(&selector).await {
        Ok(0) => not_found(),
        Ok(_) => {
            state.wake.notify_one();
            tracing::info!(seq, "history page: delivery queued again");
            see_other(&format!("/admin/deliveries/{seq}?done=requeued"))
        }
        Err(e) => store_unavailable(&e),
    }
}

/// `POST /admin/reprocess-failed` (with the CSRF token).
pub(crate) async fn reprocess_failed(
    State(state): State<AdminState>,
    Extension(credential): Extension<Credential>,
    body: Bytes,
) -> Response {
    if let Some(refused) = refuse_without_csrf(&state, &credential, &body) {
        return refused;
    }
    let selector = ReplaySelector::State {
        state: RowState::Failed,
        since: None,
    };
    match state.store.replay(&selector).await {
        Ok(count) => {
            if count > 0 {
                state.wake.notify_one();
            }
            tracing::info!(count, "history page: failed deliveries queued again");
            see_other(&format!("/admin?requeued={count}"))
        }
        Err(e) => store_unavailable(&e),
    }
}

/// The `403` for a change without the session's CSRF token, or `None` when
/// the change may go ahead.
fn refuse_without_csrf(
    state: &AdminState,
    credential: &Credential,
    body: &[u8],
) -> Option<Response> {
    let submitted = form_field(body, CSRF_FIELD);
    if credential.allows_change(&state.keys, submitted.as_deref()) {
        None
    } else {
        tracing::warn!("history page: a change without a valid CSRF token was refused");
        Some(html(
            StatusCode::FORBIDDEN,
            pages::message(
                "Refused",
                "This form is stale or did not come from this page. Reload the page and try again.",
                true,
            ),
        ))
    }
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.into_owned())
}

fn seq_of(number: &str) -> Option<i64> {
    number.parse::<i64>().ok().filter(|n| *n > 0)
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        pages::message("Not found", "There is no such delivery.", true),
    )
}

/// The one-time notices, from a fixed set (nothing from the URL is echoed).
fn notice(raw: Option<&str>) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find_map(|(name, value)| {
        match (&*name, &*value) {
            ("done", "requeued") => Some("Queued for processing again.".to_owned()),
            ("requeued", count) => count
                .parse::<u64>()
                .ok()
                .map(|n| format!("{n} failed deliveries queued for processing again.")),
            _ => None,
        }
    })
}

/// A store row as a line of the list.
fn row(summary: &DeliverySummary) -> DeliveryRow {
    let outcome = match summary.state {
        RowState::Processed => "delivered".to_owned(),
        RowState::Unparsed => "not parsable".to_owned(),
        RowState::Duplicate => "duplicate of another row".to_owned(),
        _ => match &summary.last_error {
            Some(error) => error.clone(),
            None if summary.attempts == 0 => "waiting".to_owned(),
            None => "retrying".to_owned(),
        },
    };
    DeliveryRow {
        number: summary.seq,
        received_at_ms: summary.received_at,
        event: summary.event.clone(),
        reference: summary
            .transaction
            .clone()
            .or_else(|| summary.event_id.clone()),
        outcome,
        state: summary.state.as_str().to_owned(),
        attempts: summary.attempts,
    }
}
