//! The history page (`/admin`): what Hotmart's dashboard shows, on the seller's side.
//!
//! `GET /admin` lists the latest deliveries (filtered by state and event,
//! paged) under a chart of deliveries per minute; `GET /admin/deliveries/{n}`
//! shows one delivery: its stored body (hottok masked), what the parser
//! understood, its problems and every processing attempt. Failed and
//! unparsed deliveries have a Reprocess button, and the list has "Reprocess
//! all failed"; both are POSTs with a CSRF token.
//!
//! The pages are server-rendered HTML (maud), work without JavaScript, and
//! send a strict `Content-Security-Policy` that allows no script at all.
//!
//! | file | what |
//! |---|---|
//! | [`auth`] | the admin token, the session cookie, CSRF tokens |
//! | [`routes`] | the handlers: login, logout, list, detail, reprocess |
//! | [`view`] | the data a page shows, filled from the [`Store`] |
//! | [`pages`] | the HTML templates |
//! | [`chart`] | the SVG chart |

pub(crate) mod auth;
pub(crate) mod chart;
pub(crate) mod pages;
pub(crate) mod routes;
pub(crate) mod view;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use tokio::sync::Notify;

use crate::metrics::Metrics;
use crate::store::Store;

pub(crate) use auth::AdminKeys;

/// What the admin pages need.
#[derive(Clone)]
pub(crate) struct AdminState {
    /// Where the deliveries are.
    pub(crate) store: Arc<dyn Store>,
    /// The keys derived from the admin token.
    pub(crate) keys: AdminKeys,
    /// Woken after a reprocess so that the worker does not sleep until its
    /// next due row.
    pub(crate) wake: Arc<Notify>,
    /// Wrong admin tokens are counted with the other rejections
    /// (`admin_token`; `admin_login` for the form).
    pub(crate) metrics: Arc<Metrics>,
}

/// The `/admin` routes, to merge into the receiver's router (whatever its
/// state type).
pub(crate) fn router<S: Clone + Send + Sync + 'static>(state: AdminState) -> Router<S> {
    let protected = Router::new()
        .route("/admin", get(routes::list))
        .route("/admin/", get(routes::list))
        .route("/admin/deliveries/{number}", get(routes::detail))
        .route(
            "/admin/deliveries/{number}/reprocess",
            post(routes::reprocess),
        )
        .route("/admin/reprocess-failed", post(routes::reprocess_failed))
        .route("/admin/logout", post(routes::logout))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            routes::require_admin,
        ));
    Router::new()
        .route("/admin/login", get(routes::login_form).post(routes::login))
        .merge(protected)
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// The `/admin` routes of a receiver started without `HOTMART_ADMIN_TOKEN`:
/// one page that says how to turn the history page on.
pub(crate) fn disabled<S: Clone + Send + Sync + 'static>() -> Router<S> {
    async fn off() -> Response {
        let page = pages::message(
            "History page off",
            "Start the receiver with HOTMART_ADMIN_TOKEN set (at least 16 characters, \
             for example from `openssl rand -hex 32`) to see its deliveries here.",
            false,
        );
        let mut response = (StatusCode::NOT_FOUND, page.into_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
    Router::new()
        .route("/admin", any(off))
        .route("/admin/{*rest}", any(off))
        .layer(middleware::map_response(security_headers))
}

/// Headers on every admin answer: no script may run (the pages have none,
/// so an injected one cannot either), no framing, nothing cached, no
/// referrer leaking a delivery's URL.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
