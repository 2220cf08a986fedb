//! axum integration (feature `axum`): the [`HotmartWebhook`] extractor and
//! `IntoResponse` for [`ParseError`] and [`Rejection`].
//!
//! Put [`VerifyHottokLayer`](crate::VerifyHottokLayer) on the route with
//! `route_layer`, take [`HotmartWebhook`] in the handler, and parse:
//!
//! ```
//! use axum_core::response::IntoResponse;
//! use hotmart_webhook::axum::HotmartWebhook;
//! use hotmart_webhook::{Event, ParseError, Webhook};
//!
//! async fn receive(webhook: HotmartWebhook) -> Result<impl IntoResponse, ParseError> {
//!     match webhook.parse()? {
//!         Webhook::V2(envelope) => match &envelope.event {
//!             Event::PurchaseApproved(p) => println!("grant {:?}", p.transaction()),
//!             other => println!("{} stored", other.name()),
//!         },
//!         v1 => println!("v1 {}", v1.event_name()),
//!     }
//!     Ok(http::StatusCode::OK)
//! }
//! // let app = axum::Router::new()
//! //     .route("/api/acl/webhooks/hotmart", axum::routing::post(receive))
//! //     .route_layer(hotmart_webhook::VerifyHottokLayer::new(hottok));
//! # let _ = receive;
//! ```

use std::fmt;

use axum_core::body::Body;
use axum_core::extract::rejection::BytesRejection;
use axum_core::extract::{FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;

use crate::{HottokSource, ParseError, Rejection, Verified, Webhook};

/// The body of a request that [`VerifyHottokLayer`](crate::VerifyHottokLayer)
/// accepted, owned as [`Bytes`]; [`parse`](Self::parse) borrows from it.
///
/// Used on a route without the layer it fails closed: `500` (a deployment
/// mistake, not the sender's), and the handler never runs.
#[derive(Clone)]
pub struct HotmartWebhook {
    body: Bytes,
    verified: Verified,
}

impl HotmartWebhook {
    /// Parses the body; strings borrow from it. An unknown event is not an
    /// error (it is [`Event::Unknown`](crate::Event::Unknown)).
    ///
    /// Tolerant: a field of an unexpected type reads as absent and is listed
    /// in [`Webhook::problems`]; see [`crate::parse`].
    pub fn parse(&self) -> Result<Webhook<'_>, ParseError> {
        crate::parse(&self.body)
    }

    /// Parses the body with [`crate::parse_strict`]: fails on the first
    /// field of an unexpected type.
    pub fn parse_strict(&self) -> Result<Webhook<'_>, ParseError> {
        crate::parse_strict(&self.body)
    }

    /// The verified body, byte for byte as received. It may carry the
    /// account's hottok (every v1 body does): store or log
    /// [`mask_hottok`](crate::mask_hottok)`(webhook.body())`, never the body
    /// itself.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Takes the body, byte for byte as received. It may carry the
    /// account's hottok: what you store should be
    /// [`mask_hottok`](crate::mask_hottok) of it.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// Where the hottok was found: the header (v2) or the body (v1).
    pub fn source(&self) -> HottokSource {
        self.verified.source()
    }
}

impl fmt::Debug for HotmartWebhook {
    /// The size and the source only: the body holds buyers' data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HotmartWebhook")
            .field("len", &self.body.len())
            .field("source", &self.verified.source())
            .finish()
    }
}

impl<S: Send + Sync> FromRequest<S> for HotmartWebhook {
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Some(verified) = req.extensions().get::<Verified>().copied() else {
            return Err(WebhookRejection::NotVerified);
        };
        let body = Bytes::from_request(req, state)
            .await
            .map_err(WebhookRejection::Body)?;
        Ok(HotmartWebhook { body, verified })
    }
}

/// Why [`HotmartWebhook`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The request carries no [`Verified`] marker: the route lacks
    /// [`VerifyHottokLayer`](crate::VerifyHottokLayer). Answered `500`.
    NotVerified,
    /// The body could not be read (too large for axum's limit, or the
    /// connection failed). Answered with that rejection's status.
    Body(BytesRejection),
}

impl WebhookRejection {
    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookRejection::NotVerified => StatusCode::INTERNAL_SERVER_ERROR,
            WebhookRejection::Body(e) => e.status(),
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookRejection::NotVerified => {
                f.write_str("the route has no VerifyHottokLayer: refusing an unverified webhook")
            }
            WebhookRejection::Body(_) => f.write_str("the webhook body could not be read"),
        }
    }
}

impl std::error::Error for WebhookRejection {}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let (code, message) = match &self {
            WebhookRejection::NotVerified => {
                ("WEBHOOK_NOT_VERIFIED", "Webhook receiver is misconfigured")
            }
            WebhookRejection::Body(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("WEBHOOK_PAYLOAD_TOO_LARGE", "Webhook payload too large")
            }
            WebhookRejection::Body(_) => {
                ("WEBHOOK_BODY_UNREADABLE", "Webhook body could not be read")
            }
        };
        let body =
            format!(r#"{{"success":false,"error":{{"code":"{code}","message":"{message}"}}}}"#);
        json_response(self.status(), Bytes::from(body))
    }
}

impl IntoResponse for ParseError {
    /// [`ParseError::to_response`]: `400`/`422` with the guide's
    /// `WEBHOOK_VALIDATION_FAILED` object.
    fn into_response(self) -> Response {
        self.to_response().map(Body::from)
    }
}

impl IntoResponse for Rejection {
    /// [`Rejection::to_response`].
    fn into_response(self) -> Response {
        self.to_response().map(Body::from)
    }
}

fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hottok, VerifyHottokLayer};
    use http_body_util::BodyExt;
    use tower::{ServiceExt, service_fn};
    use tower_layer::Layer;

    const SECRET: &str = "s3cr3t-hottok-0123456789";

    async fn body_json(response: Response) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    /// Runs the extractor behind the real layer, as a route would.
    async fn through_layer(req: http::Request<Body>) -> Response {
        through_layer_parsing(req, false).await
    }

    async fn through_layer_parsing(req: http::Request<Body>, strict: bool) -> Response {
        let handler = service_fn(
            move |req: http::Request<crate::VerifiedBody<Body>>| async move {
                let req = req.map(Body::new);
                let response = match HotmartWebhook::from_request(req, &()).await {
                    Ok(webhook) => match if strict {
                        webhook.parse_strict()
                    } else {
                        webhook.parse()
                    } {
                        Ok(parsed) => {
                            let text = format!("{}:{:?}", parsed.event_name(), webhook.source());
                            Response::new(Body::from(text))
                        }
                        Err(e) => e.into_response(),
                    },
                    Err(rejection) => rejection.into_response(),
                };
                Ok::<_, std::convert::Infallible>(response)
            },
        );
        let layer = VerifyHottokLayer::new(Hottok::new(SECRET).unwrap());
        layer
            .layer(handler)
            .oneshot(req)
            .await
            .unwrap()
            .map(Body::new)
    }

    #[tokio::test]
    async fn extractor_without_the_layer_fails_closed_with_500() {
        let req = http::Request::new(Body::from(r#"{"id":"1","event":"X","data":{}}"#));
        let rejection = HotmartWebhook::from_request(req, &()).await.unwrap_err();
        let response = rejection.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body_json(response).await["error"]["code"],
            "WEBHOOK_NOT_VERIFIED"
        );
    }

    #[tokio::test]
    async fn verified_v2_body_is_extracted_and_parsed() {
        let req = http::Request::post("/")
            .header("x-hotmart-hottok", SECRET)
            .body(Body::from(
                r#"{"id":"1","event":"SOMETHING_NEW","version":"2.0.0","data":{}}"#,
            ))
            .unwrap();
        let response = through_layer(req).await;
        assert_eq!(response.status(), StatusCode::OK);
        let text = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&text[..], b"SOMETHING_NEW:Header");
    }

    #[tokio::test]
    async fn verified_v1_form_body_is_extracted_through_the_body_fallback() {
        let req = http::Request::post("/")
            .body(Body::from(format!(
                "hottok={SECRET}&status=approved&transaction=HP1"
            )))
            .unwrap();
        let response = through_layer(req).await;
        let text = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&text[..], b"purchase:Body");
    }

    #[tokio::test]
    async fn parse_failures_answer_with_the_validation_object_and_no_payload() {
        const BODY: &str = r#"{"id":"1","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"buyer":{"email":true},"purchase":{"is_funnel":"ana@example.com"}}}"#;
        let request = || {
            http::Request::post("/")
                .header("x-hotmart-hottok", SECRET)
                .body(Body::from(BODY))
                .unwrap()
        };
        // Tolerantly, the two fields read as absent and the delivery parses.
        let response = through_layer(request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let response = through_layer_parsing(request(), true).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let json = body_json(response).await;
        assert_eq!(json["success"], false);
        assert_eq!(json["error"]["code"], "WEBHOOK_VALIDATION_FAILED");
        let text = json.to_string();
        assert!(!text.contains("ana@example.com"), "{text}");
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("data.buyer.email"), "{text}");
    }

    #[tokio::test]
    async fn wrong_token_never_reaches_the_extractor() {
        let req = http::Request::post("/")
            .header("x-hotmart-hottok", "wrong")
            .body(Body::from("{}"))
            .unwrap();
        let response = through_layer(req).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn debug_shows_size_and_source_only() {
        let webhook = HotmartWebhook {
            body: Bytes::from_static(b"email=ana%40example.com"),
            verified: Verified::new(HottokSource::Body, crate::MatchedToken::Current),
        };
        let debug = format!("{webhook:?}");
        assert!(!debug.contains("ana"), "{debug}");
        assert!(debug.contains("len"), "{debug}");
    }
}
