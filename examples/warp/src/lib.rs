//! A Hotmart webhook receiver on warp.
//!
//! Run: `HOTMART_WEBHOOK_SECRET=your-hottok PORT=3000 cargo run -p example-warp`,
//! then point Hotmart at `https://your-domain/api/acl/webhooks/hotmart`.
//!
//! [`VerifyHottokLayer`] wraps `warp::service(routes())`, so the hottok is
//! checked before any filter runs; hyper-util serves the layered service.

use bytes::Bytes;
use hotmart_webhook::event::PurchaseStatus;
use hotmart_webhook::{DEFAULT_BODY_LIMIT, Event, Hottok, Verified, VerifyHottokLayer, Webhook};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower_layer::Layer;
use warp::Filter;

/// The endpoint of the integration guide.
pub const PATH: &str = "/api/acl/webhooks/hotmart";

/// The filter: `POST /api/acl/webhooks/hotmart`, for requests the layer
/// verified (without the layer, the missing [`Verified`] marker answers 500).
pub fn routes() -> impl Filter<Extract = (http::Response<Bytes>,), Error = warp::Rejection> + Clone
{
    warp::post()
        .and(warp::path!("api" / "acl" / "webhooks" / "hotmart"))
        .and(warp::ext::get::<Verified>())
        // A verified v2 body is read here: bound it like the layer bounds v1
        // bodies (warp needs a Content-Length for that, else it answers 411).
        .and(warp::body::content_length_limit(DEFAULT_BODY_LIMIT as u64))
        .and(warp::body::bytes())
        .map(|_: Verified, body: Bytes| receive(&body))
}

/// Serves on `listener` until accepting a connection fails.
pub async fn serve(listener: tokio::net::TcpListener, hottok: Hottok) -> std::io::Result<()> {
    let service = VerifyHottokLayer::new(hottok).layer(warp::service(routes()));
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new();
            if let Err(err) = connection
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {err}");
            }
        });
    }
}

/// `200` for every authentic delivery: known event or not, fields of
/// unexpected types or not, parsed or not. Refusing it would only make
/// Hotmart retry, then drop it, and maybe switch the endpoint off; what did
/// not read is logged instead.
fn receive(body: &[u8]) -> http::Response<Bytes> {
    match hotmart_webhook::parse(body) {
        Ok(webhook) => {
            for problem in webhook.problems() {
                eprintln!("delivery {:?}: read as absent: {problem}", webhook.id());
            }
            act_on(&webhook);
            // `{"success":true,"data":{"id":…,"event":…}}` (v1: transaction, status).
            webhook.accepted_response()
        }
        Err(err) => {
            // Keep `hotmart_webhook::mask_hottok(body)` for inspection.
            eprintln!("authentic delivery that does not parse: {err}");
            err.accepted_response()
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
