//! The reference Hotmart webhook receiver, on axum.
//!
//! Run: `HOTMART_WEBHOOK_SECRET=your-hottok PORT=3000 cargo run -p example-axum`,
//! then point Hotmart at `https://your-domain/api/acl/webhooks/hotmart`.
//!
//! [`VerifyHottokLayer`] checks the hottok (header for v2, body for v1) before
//! the handler runs; [`HotmartWebhook`] hands the verified body to the handler.

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::{Router, post};
use hotmart_webhook::axum::HotmartWebhook;
use hotmart_webhook::event::PurchaseStatus;
use hotmart_webhook::{DEFAULT_BODY_LIMIT, Event, Hottok, VerifyHottokLayer, Webhook};

/// The endpoint of the integration guide.
pub const PATH: &str = "/api/acl/webhooks/hotmart";

/// The router: one `POST` route, the hottok checked by `route_layer`.
pub fn app(hottok: Hottok) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .route_layer(VerifyHottokLayer::new(hottok))
        // A verified v2 body is read by the extractor: bound it too.
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
}

/// Serves [`app`] on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, hottok: Hottok) -> std::io::Result<()> {
    axum::serve(listener, app(hottok)).await
}

/// `200` for every authentic delivery: known event or not, fields of
/// unexpected types or not, parsed or not. Refusing it would only make
/// Hotmart retry, then drop it, and maybe switch the endpoint off; what did
/// not read is logged instead.
async fn receive(webhook: HotmartWebhook) -> Response {
    match webhook.parse() {
        Ok(webhook) => {
            for problem in webhook.problems() {
                eprintln!("delivery {:?}: read as absent: {problem}", webhook.id());
            }
            act_on(&webhook);
            // `{"success":true,"data":{"id":…,"event":…}}` (v1: transaction, status).
            webhook.accepted_response().map(Body::from)
        }
        Err(err) => {
            // Keep `hotmart_webhook::mask_hottok(webhook.body())` for inspection.
            eprintln!("authentic delivery that does not parse: {err}");
            err.accepted_response().map(Body::from)
        }
    }
}

/// Your business logic goes here; this one only logs.
fn act_on(webhook: &Webhook<'_>) {
    let tx = webhook.transaction().unwrap_or("-");
    let who = webhook.subscriber_code().unwrap_or("-");
    match webhook {
        Webhook::V2(envelope) => match &envelope.event {
            Event::PurchaseApproved(_) => eprintln!("grant access ({tx})"),
            Event::PurchaseRefunded(_) | Event::PurchaseChargeback(_) => eprintln!("revoke ({tx})"),
            Event::SubscriptionCancellation(_) => eprintln!("end access at period end ({who})"),
            other => eprintln!("{}: stored, nothing to do", other.name()),
        },
        // v1 postbacks carry a status instead of an event name.
        v1 => match v1.purchase_status() {
            Some(PurchaseStatus::Approved) => eprintln!("grant access ({tx}, v1)"),
            Some(PurchaseStatus::Refunded | PurchaseStatus::Chargeback) => {
                eprintln!("revoke ({tx})")
            }
            _ => eprintln!("v1 {}: stored, nothing to do", v1.event_name()),
        },
    }
}
