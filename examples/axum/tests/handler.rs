//! Handler tests without a socket: test-util's requests through the router.
//! The README's "Testing your handler" section is taken from this file.

use axum::body::to_bytes;
use hotmart_webhook::Hottok;
use hotmart_webhook::test_util::{sample, unsigned_request, v1_form_request, v2_request};
use serde_json::Value;
use tower::ServiceExt;

async fn json(response: axum::response::Response) -> Value {
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn approved_purchase_is_answered_with_its_id() {
    let app = example_axum::app(Hottok::new("test-hottok").unwrap());
    let request = v2_request(sample::purchase_approved(), "test-hottok");
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["data"]["event"], "PURCHASE_APPROVED");
}

#[tokio::test]
async fn v1_postback_is_answered_with_its_transaction() {
    let app = example_axum::app(Hottok::new("test-hottok").unwrap());
    let request = v1_form_request(sample::v1_purchase_refunded_form(), "test-hottok");
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let json = json(response).await;
    assert_eq!(json["data"]["transaction"], "HP1121336654889");
    assert_eq!(json["data"]["status"], "REFUNDED");
}

#[tokio::test]
async fn a_wrong_or_missing_hottok_never_reaches_the_handler() {
    let app = example_axum::app(Hottok::new("test-hottok").unwrap());
    for request in [
        v2_request(sample::purchase_approved(), "not-the-hottok"),
        unsigned_request(sample::purchase_approved()),
    ] {
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401);
    }
}

#[tokio::test]
async fn another_path_is_not_found_and_not_checked() {
    let app = example_axum::app(Hottok::new("test-hottok").unwrap());
    let mut request = unsigned_request(sample::purchase_approved());
    *request.uri_mut() = "/elsewhere".parse().unwrap();
    assert_eq!(app.oneshot(request).await.unwrap().status(), 404);
}
