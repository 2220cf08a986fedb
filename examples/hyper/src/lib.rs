//! A Hotmart webhook receiver on plain hyper 1.
//!
//! Run: `HOTMART_WEBHOOK_SECRET=your-hottok PORT=3000 cargo run -p example-hyper`,
//! then point Hotmart at `https://your-domain/api/acl/webhooks/hotmart`.
//!
//! [`VerifyHottokLayer`] wraps a tower `service_fn`; hyper-util's
//! `TowerToHyperService` hands the layered service to hyper's HTTP/1 server.

use std::convert::Infallible;

use bytes::Bytes;
use hotmart_webhook::event::PurchaseStatus;
use hotmart_webhook::{
    DEFAULT_BODY_LIMIT, Event, Hottok, VerifiedBody, VerifyHottokLayer, Webhook,
};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::{Value, json};
use tower::{Layer, service_fn};

/// The endpoint of the integration guide.
pub const PATH: &str = "/api/acl/webhooks/hotmart";

/// Serves on `listener` until accepting a connection fails.
pub async fn serve(listener: tokio::net::TcpListener, hottok: Hottok) -> std::io::Result<()> {
    let service = VerifyHottokLayer::new(hottok).layer(service_fn(handle));
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

/// Behind the layer: every request reaching it carried an accepted hottok.
/// `200` for every authentic delivery: known event or not, fields of
/// unexpected types or not, parsed or not. Refusing it would only make
/// Hotmart retry, then drop it, and maybe switch the endpoint off; what did
/// not read is logged instead.
pub async fn handle(
    req: Request<VerifiedBody<Incoming>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST || req.uri().path() != PATH {
        return Ok(failure(StatusCode::NOT_FOUND, "WEBHOOK_NOT_FOUND"));
    }
    // A verified v2 body streams in: bound it like the layer bounds v1 bodies.
    let limited = Limited::new(req.into_body(), DEFAULT_BODY_LIMIT);
    let body = match limited.collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Ok(failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                "WEBHOOK_PAYLOAD_TOO_LARGE",
            ));
        }
        Err(_) => return Ok(failure(StatusCode::BAD_REQUEST, "WEBHOOK_BODY_UNREADABLE")),
    };
    Ok(match hotmart_webhook::parse(&body) {
        Ok(webhook) => {
            for problem in webhook.problems() {
                eprintln!("delivery {:?}: read as absent: {problem}", webhook.id());
            }
            act_on(&webhook);
            // `{"success":true,"data":{"id":…,"event":…}}` (v1: transaction, status).
            webhook.accepted_response().map(Full::new)
        }
        Err(err) => {
            // Keep `hotmart_webhook::mask_hottok(&body)` for inspection.
            eprintln!("authentic delivery that does not parse: {err}");
            err.accepted_response().map(Full::new)
        }
    })
}

/// The guide's error object, for the failures this handler answers itself.
fn failure(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    let message = status
        .canonical_reason()
        .unwrap_or("Webhook request refused");
    json_response(
        status,
        json!({ "success": false, "error": { "code": code, "message": message } }),
    )
}

fn json_response(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
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
