//! Test helpers (feature `test-util`): requests shaped like Hotmart's, with
//! sample events, to test a handler in a few lines.
//!
//! Turn the feature on in `[dev-dependencies]` only:
//!
//! ```toml
//! [dev-dependencies]
//! hotmart-webhook = { version = "0.1", features = ["test-util"] }
//! ```
//!
//! The builders return [`http::Request<String>`], which an axum `Router`, the
//! [`VerifyHottokLayer`](crate::VerifyHottokLayer) and hyper's client all
//! accept as they are (`String` is an [`http_body::Body`] whose data is
//! [`Bytes`](bytes::Bytes)); call `.map(|b| Full::new(Bytes::from(b)))` for
//! a service that wants `http_body_util::Full<Bytes>`. Every request is a
//! `POST` to [`WEBHOOK_PATH`]; set another path with
//! `*request.uri_mut() = "/hooks".parse()?`.
//!
//! ```
//! use hotmart_webhook::test_util::{sample, v1_form_request, v2_request};
//! use hotmart_webhook::{Hottok, VerifyHottokLayer, VerifiedBody};
//! use tower::{Layer, ServiceExt, service_fn};
//!
//! // A stand-in for your handler (or your whole axum `Router`).
//! let handler = service_fn(|_: http::Request<VerifiedBody<String>>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(String::from("ok")))
//! });
//! let app = VerifyHottokLayer::new(Hottok::new("secret-hottok")?).layer(handler);
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let response = app.clone().oneshot(v2_request(sample::purchase_approved(), "secret-hottok")).await?;
//! assert_eq!(response.status(), 200);
//!
//! // v1: the hottok travels in the form body only.
//! let response = app.clone().oneshot(v1_form_request(sample::v1_purchase_approved_form(), "secret-hottok")).await?;
//! assert_eq!(response.status(), 200);
//!
//! let response = app.oneshot(v2_request(sample::purchase_approved(), "wrong-hottok")).await?;
//! assert_eq!(response.status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{HeaderValue, Method, Request};

use crate::HOTTOK_HEADER;

/// The path of the builders' requests: `/api/acl/webhooks/hotmart`, the
/// endpoint of the integration guide.
pub const WEBHOOK_PATH: &str = "/api/acl/webhooks/hotmart";

/// The `User-Agent` Hotmart's deliveries carry: `Jodd HTTP`.
pub const USER_AGENT_VALUE: &str = "Jodd HTTP";

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn post(body: String, content_type: &'static str) -> Request<String> {
    let mut request = Request::new(body);
    *request.method_mut() = Method::POST;
    *request.uri_mut() = http::Uri::from_static(WEBHOOK_PATH);
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    request
}

/// A 2.0.0 delivery: `body` as sent, `hottok` in the `X-HOTMART-HOTTOK`
/// header.
///
/// # Panics
///
/// If `hottok` cannot be a header value (a control character or a line
/// break); a real hottok is visible ASCII.
///
/// ```
/// use hotmart_webhook::test_util::{sample, v2_request};
///
/// let request = v2_request(sample::purchase_approved(), "secret-hottok");
/// assert_eq!(request.method(), "POST");
/// assert_eq!(request.uri(), "/api/acl/webhooks/hotmart");
/// assert_eq!(request.headers()["x-hotmart-hottok"], "secret-hottok");
/// assert_eq!(request.headers()["content-type"], "application/json");
/// assert_eq!(request.body(), sample::purchase_approved());
/// ```
pub fn v2_request(body: &str, hottok: &str) -> Request<String> {
    let mut request = post(body.to_owned(), JSON);
    let value = HeaderValue::from_str(hottok).expect("a hottok is a valid header value");
    request.headers_mut().insert(HOTTOK_HEADER, value);
    request
}

/// A v1 purchase postback: the form `fields` (without a hottok, like
/// [`sample::v1_purchase_approved_form`]) with `hottok=…` put first, and no
/// hottok header.
///
/// ```
/// use hotmart_webhook::test_util::v1_form_request;
///
/// let request = v1_form_request("status=approved&transaction=HP1", "a+b");
/// assert_eq!(request.body(), "hottok=a%2Bb&status=approved&transaction=HP1");
/// assert_eq!(request.headers()["content-type"], "application/x-www-form-urlencoded");
/// assert!(request.headers().get("x-hotmart-hottok").is_none());
/// ```
pub fn v1_form_request(fields: &str, hottok: &str) -> Request<String> {
    let mut body = form_urlencoded::Serializer::new(String::new())
        .append_pair("hottok", hottok)
        .finish();
    if !fields.is_empty() {
        body.push('&');
        body.push_str(fields);
    }
    post(body, FORM)
}

/// A v1 JSON event (cancellation, plan switch, cart abandonment): the JSON
/// object `json` with `"hottok":…` put first, and no hottok header.
///
/// # Panics
///
/// If `json` (after leading whitespace) does not start with `{`.
///
/// ```
/// use hotmart_webhook::test_util::v1_json_request;
///
/// let request = v1_json_request(r#"{"subscriberCode":"I9OT62C3"}"#, "secret-hottok");
/// assert_eq!(request.body(), r#"{"hottok":"secret-hottok","subscriberCode":"I9OT62C3"}"#);
/// assert_eq!(v1_json_request("{ }", "t").body(), r#"{"hottok":"t"}"#);
/// ```
pub fn v1_json_request(json: &str, hottok: &str) -> Request<String> {
    let rest = json
        .trim_start()
        .strip_prefix('{')
        .expect("a v1 JSON event is a JSON object");
    let hottok = serde_json::Value::from(hottok);
    let body = if rest.trim_start().starts_with('}') {
        format!("{{\"hottok\":{hottok}}}")
    } else {
        format!("{{\"hottok\":{hottok},{rest}")
    };
    post(body, JSON)
}

/// A delivery that carries no hottok at all: no header, and `body` as given
/// (JSON content type when it starts with `{`, form otherwise). The layer
/// answers it `401`.
///
/// ```
/// use hotmart_webhook::test_util::{sample, unsigned_request};
///
/// let request = unsigned_request(sample::purchase_approved());
/// assert!(request.headers().get("x-hotmart-hottok").is_none());
/// assert_eq!(request.headers()["content-type"], "application/json");
/// ```
pub fn unsigned_request(body: &str) -> Request<String> {
    let content_type = if body.trim_start().starts_with('{') {
        JSON
    } else {
        FORM
    };
    post(body.to_owned(), content_type)
}

/// Sample bodies, as Hotmart sends them: compact, `data` first (Hotmart's
/// wire order), no body `hottok` (the builders add it where it belongs).
///
/// Buyers' data is made up; the shapes, types and codes are those of real
/// deliveries (the crate's `tests/fixtures`).
pub mod sample {
    /// `PURCHASE_APPROVED`: id `083bb5a0-f7e0-414b-b600-585a015403f2`,
    /// transaction `HP2363007968`, status `APPROVED`, 7 BRL by PIX, the first
    /// charge of a yearly subscription (subscriber `IY8BW62L`).
    pub fn purchase_approved() -> &'static str {
        concat!(
            r#"{"data":{"product":{"id":5381714,"ucode":"eef7f8c8-ce74-47aa-a8da-d1e7505dfa8a","name":"App DesignAuto","#,
            r#""warranty_date":"2025-05-23T00:00:00Z","has_co_production":false,"is_physical_product":false},"#,
            r#""affiliates":[{"affiliate_code":"","name":""}],"#,
            r#""buyer":{"email":"ana@example.com","name":"Ana Souza","first_name":"Ana","last_name":"Souza","#,
            r#""address":{"country":"Brasil","country_iso":"BR"},"document":"99999999999","document_type":"CPF"},"#,
            r#""producer":{"name":"Produtora Exemplo","document":"99999999999999","legal_nature":"Pessoa Jurídica"},"#,
            r#""commissions":[{"value":1.4,"source":"MARKETPLACE","currency_value":"BRL"},"#,
            r#"{"value":5.6,"source":"PRODUCER","currency_value":"BRL"}],"#,
            r#""purchase":{"approved_date":1747447464000,"full_price":{"value":7,"currency_value":"BRL"},"#,
            r#""price":{"value":7,"currency_value":"BRL"},"checkout_country":{"name":"Brasil","iso":"BR"},"#,
            r#""order_bump":{"is_order_bump":false},"original_offer_price":{"value":7,"currency_value":"BRL"},"#,
            r#""order_date":1747447427000,"status":"APPROVED","transaction":"HP2363007968","#,
            r#""payment":{"installments_number":1,"type":"PIX"},"offer":{"code":"aukjngrt"},"invoice_by":"HOTMART","#,
            r#""subscription_anticipation_purchase":false,"date_next_charge":1779019200000,"recurrence_number":1,"#,
            r#""is_funnel":false,"business_model":"I"},"#,
            r#""subscription":{"status":"ACTIVE","plan":{"id":1038897,"name":"Plano Anual"},"subscriber":{"code":"IY8BW62L"}}},"#,
            r#""id":"083bb5a0-f7e0-414b-b600-585a015403f2","creation_date":1747447467789,"#,
            r#""event":"PURCHASE_APPROVED","version":"2.0.0"}"#,
        )
    }

    /// `PURCHASE_REFUNDED`: id `0efd923f-c6ef-405e-bbd5-df409a5b36e5`,
    /// transaction `HP16015479281022`, status `REFUNDED`.
    pub fn purchase_refunded() -> &'static str {
        concat!(
            r#"{"data":{"product":{"id":4774438,"ucode":"fb056612-bcc6-4217-9e6d-2a5d1110ac2f","name":"Produto test postback2","#,
            r#""warranty_date":"2017-12-27T00:00:00Z","has_co_production":false,"is_physical_product":false},"#,
            r#""buyer":{"email":"ana@example.com","name":"Ana Souza","document":"69526128664","document_type":"CPF"},"#,
            r#""producer":{"name":"Producer Test Name"},"#,
            r#""commissions":[{"value":149.5,"source":"MARKETPLACE","currency_value":"BRL"},"#,
            r#"{"value":1350.5,"source":"PRODUCER","currency_value":"BRL"}],"#,
            r#""purchase":{"approved_date":1511783346000,"full_price":{"value":1500,"currency_value":"BRL"},"#,
            r#""price":{"value":1500,"currency_value":"BRL"},"order_date":1511783344000,"status":"REFUNDED","#,
            r#""transaction":"HP16015479281022","payment":{"installments_number":12,"type":"CREDIT_CARD"},"#,
            r#""offer":{"code":"test"},"is_funnel":false,"business_model":"I"}},"#,
            r#""id":"0efd923f-c6ef-405e-bbd5-df409a5b36e5","creation_date":1763247746059,"#,
            r#""event":"PURCHASE_REFUNDED","version":"2.0.0"}"#,
        )
    }

    /// `PURCHASE_CHARGEBACK`: id `8b2839d3-8d3c-4dee-ad79-a487d7814d6d`,
    /// transaction `HP16015479281022`, status `CHARGEBACK`.
    pub fn purchase_chargeback() -> &'static str {
        concat!(
            r#"{"data":{"product":{"id":4774438,"name":"Produto test postback2"},"#,
            r#""buyer":{"email":"ana@example.com","name":"Ana Souza"},"#,
            r#""purchase":{"approved_date":1511783346000,"price":{"value":1500,"currency_value":"BRL"},"#,
            r#""order_date":1511783344000,"status":"CHARGEBACK","transaction":"HP16015479281022","#,
            r#""payment":{"installments_number":12,"type":"CREDIT_CARD"}}},"#,
            r#""id":"8b2839d3-8d3c-4dee-ad79-a487d7814d6d","creation_date":1763247745854,"#,
            r#""event":"PURCHASE_CHARGEBACK","version":"2.0.0"}"#,
        )
    }

    /// `SUBSCRIPTION_CANCELLATION`: id `e276dd75-8c7d-43d2-8398-f42e62060b99`,
    /// subscriber `0000aaaa`.
    pub fn subscription_cancellation() -> &'static str {
        concat!(
            r#"{"data":{"actual_recurrence_value":64.9,"cancellation_date":1609181285500,"#,
            r#""date_next_charge":1617105600000,"product":{"id":788921,"name":"Product name com ç e á"},"#,
            r#""subscriber":{"code":"0000aaaa","name":"User name","email":"test@hotmart.com","#,
            r#""phone":{"dddPhone":"","phone":"","dddCell":"","cell":""}},"#,
            r#""subscription":{"id":4148584,"plan":{"id":114680,"name":"Subscription Plan Name"}}},"#,
            r#""id":"e276dd75-8c7d-43d2-8398-f42e62060b99","creation_date":1763247745837,"#,
            r#""event":"SUBSCRIPTION_CANCELLATION","version":"2.0.0"}"#,
        )
    }

    /// An event the crate does not model: `PURCHASE_COMPLETED` (a name from
    /// third-party guides, never sent by Hotmart), id `12345`. It parses as
    /// [`Event::Unknown`](crate::Event::Unknown) and must be answered `2xx`.
    pub fn unknown_event() -> &'static str {
        concat!(
            r#"{"data":{"purchase":{"transaction":"TXN123456789","status":"COMPLETED"}},"#,
            r#""id":"12345","creation_date":1672567200000,"event":"PURCHASE_COMPLETED","version":"2.0.0"}"#,
        )
    }

    /// A v1 purchase postback (form fields, no `hottok`): transaction
    /// `HP1121336654889`, status `approved`, 1500.00 BRL by credit card,
    /// subscriber `I9OT62C3`. Give it to
    /// [`v1_form_request`](super::v1_form_request).
    pub fn v1_purchase_approved_form() -> &'static str {
        concat!(
            "callback_type=1&aff=&aff_name=&currency=BRL&transaction=HP1121336654889&xcod=",
            "&payment_type=credit_card&payment_engine=hotmart&status=approved&prod=4774438",
            "&prod_name=Produto+test+postback2&producer_name=Producer+Test+Name",
            "&transaction_ext=HP11315117833431&purchase_date=2017-11-27T11%3A49%3A04Z",
            "&confirmation_purchase_date=2017-11-27T11%3A49%3A06Z&original_offer_price=1500.00",
            "&productOfferPaymentMode=pagamento_unico&warranty_date=2017-12-27T00%3A00%3A00Z",
            "&installments_number=12&off=test&price=1500.00&full_price=1500.00",
            "&subscriber_code=I9OT62C3&subscription_status=active&name_subscription_plan=plano+de+teste",
            "&email=ana%40example.com&name=Ana+Souza&first_name=Ana&last_name=Souza&sck=",
        )
    }

    /// The same v1 postback with `status=refunded`.
    pub fn v1_purchase_refunded_form() -> &'static str {
        concat!(
            "callback_type=1&currency=BRL&transaction=HP1121336654889&payment_type=credit_card",
            "&status=refunded&prod=4774438&prod_name=Produto+test+postback2&price=1500.00",
            "&email=ana%40example.com&name=Ana+Souza",
        )
    }

    /// A v1 JSON subscription cancellation (camelCase, no `hottok`):
    /// subscriber `I9OT62C3`. Give it to
    /// [`v1_json_request`](super::v1_json_request).
    pub fn v1_subscription_cancellation_json() -> &'static str {
        concat!(
            r#"{"subscriptionId":4412,"subscriberCode":"I9OT62C3","cancellationDate":1656013119173,"#,
            r#""userName":"Ana Souza","userEmail":"ana@example.com","actualRecurrenceValue":49.9}"#,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PurchaseStatus;
    use crate::{Event, Hottok, HottokSource, Verified, VerifyHottokLayer, Webhook, parse};
    use http_body_util::BodyExt;
    use tower::{Layer, ServiceExt, service_fn};

    const SECRET: &str = "ysewXlAZI1abcdefghijklmnopqrst518471";

    /// The layer around a handler that answers `<source>:<event>` for the
    /// body it was handed, as a user's handler would see it.
    async fn through_layer(request: Request<String>) -> (u16, String) {
        let handler = service_fn(|req: Request<crate::VerifiedBody<String>>| async move {
            let source = req.extensions().get::<Verified>().map(Verified::source);
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let event = parse(&body).map(|w| w.event_name().to_owned());
            let text = format!("{source:?}:{}", event.unwrap_or_else(|e| e.to_string()));
            Ok::<_, std::convert::Infallible>(http::Response::new(text))
        });
        let service = VerifyHottokLayer::new(Hottok::new(SECRET).unwrap()).layer(handler);
        let response = service.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[test]
    fn every_sample_parses_as_the_event_it_names() {
        let v2 = [
            (sample::purchase_approved(), "PURCHASE_APPROVED"),
            (sample::purchase_refunded(), "PURCHASE_REFUNDED"),
            (sample::purchase_chargeback(), "PURCHASE_CHARGEBACK"),
            (
                sample::subscription_cancellation(),
                "SUBSCRIPTION_CANCELLATION",
            ),
            (sample::unknown_event(), "PURCHASE_COMPLETED"),
        ];
        for (body, name) in v2 {
            let webhook = parse(body.as_bytes()).unwrap();
            assert_eq!(webhook.event_name(), name);
            assert_eq!(webhook.is_known(), name != "PURCHASE_COMPLETED", "{name}");
            assert!(body.starts_with(r#"{"data":"#), "{name}: wire order");
        }
        let Webhook::V2(approved) = parse(sample::purchase_approved().as_bytes()).unwrap() else {
            panic!("not v2");
        };
        let Event::PurchaseApproved(purchase) = &approved.event else {
            panic!("not approved");
        };
        assert_eq!(
            approved.id.as_deref().unwrap(),
            "083bb5a0-f7e0-414b-b600-585a015403f2"
        );
        assert_eq!(purchase.transaction(), Some("HP2363007968"));
        assert!(!purchase.is_renewal());

        let refunded = parse(sample::purchase_refunded().as_bytes()).unwrap();
        assert_eq!(refunded.purchase_status(), Some(PurchaseStatus::Refunded));
        let chargeback = parse(sample::purchase_chargeback().as_bytes()).unwrap();
        assert_eq!(
            chargeback.purchase_status(),
            Some(PurchaseStatus::Chargeback)
        );
        let canceled = parse(sample::subscription_cancellation().as_bytes()).unwrap();
        assert_eq!(canceled.subscriber_code(), Some("0000aaaa"));

        let v1 = parse(sample::v1_purchase_approved_form().as_bytes()).unwrap();
        assert!(matches!(v1, Webhook::V1Purchase(_)));
        assert_eq!(v1.transaction(), Some("HP1121336654889"));
        assert_eq!(v1.purchase_status(), Some(PurchaseStatus::Approved));
        let v1 = parse(sample::v1_purchase_refunded_form().as_bytes()).unwrap();
        assert_eq!(v1.purchase_status(), Some(PurchaseStatus::Refunded));
        let v1 = parse(sample::v1_subscription_cancellation_json().as_bytes()).unwrap();
        assert!(matches!(v1, Webhook::V1SubscriptionCancellation(_)));
    }

    #[test]
    fn samples_carry_no_hottok_so_the_builders_decide_where_it_goes() {
        for body in [
            sample::purchase_approved(),
            sample::purchase_refunded(),
            sample::purchase_chargeback(),
            sample::subscription_cancellation(),
            sample::unknown_event(),
            sample::v1_purchase_approved_form(),
            sample::v1_purchase_refunded_form(),
            sample::v1_subscription_cancellation_json(),
        ] {
            assert!(!body.contains("hottok"), "{body}");
        }
    }

    #[tokio::test]
    async fn v2_request_is_accepted_through_the_header() {
        let request = v2_request(sample::purchase_approved(), SECRET);
        assert_eq!(request.headers()[USER_AGENT], USER_AGENT_VALUE);
        assert_eq!(
            through_layer(request).await,
            (200, "Some(Header):PURCHASE_APPROVED".to_owned())
        );
    }

    #[tokio::test]
    async fn v1_form_request_is_accepted_through_the_body_and_still_parses() {
        let request = v1_form_request(sample::v1_purchase_approved_form(), SECRET);
        assert!(request.headers().get(HOTTOK_HEADER).is_none());
        assert_eq!(
            through_layer(request).await,
            (200, "Some(Body):purchase".to_owned())
        );
    }

    #[tokio::test]
    async fn v1_json_request_is_accepted_through_the_body_and_still_parses() {
        let request = v1_json_request(sample::v1_subscription_cancellation_json(), SECRET);
        assert_eq!(request.headers()[CONTENT_TYPE], JSON);
        assert_eq!(
            through_layer(request).await,
            (200, "Some(Body):subscription_cancellation".to_owned())
        );
    }

    #[tokio::test]
    async fn a_wrong_or_absent_hottok_is_rejected_by_every_builder() {
        let wrong = "ysewXlAZI1abcdefghijklmnopqrst518472";
        for request in [
            v2_request(sample::purchase_approved(), wrong),
            v1_form_request(sample::v1_purchase_approved_form(), wrong),
            v1_json_request(sample::v1_subscription_cancellation_json(), wrong),
            unsigned_request(sample::purchase_approved()),
            unsigned_request(sample::v1_purchase_approved_form()),
        ] {
            let (status, body) = through_layer(request).await;
            assert_eq!(status, 401, "{body}");
            assert!(body.contains("WEBHOOK_AUTHENTICATION_FAILED"), "{body}");
        }
    }

    #[test]
    fn hottoks_that_need_escaping_are_escaped_in_both_body_kinds() {
        let form = v1_form_request("status=approved", "a&b=c d");
        assert_eq!(form.body(), "hottok=a%26b%3Dc+d&status=approved");
        let only = v1_form_request("", "t");
        assert_eq!(only.body(), "hottok=t");

        let json = v1_json_request("  {\"a\":1}", "q\"u");
        assert_eq!(json.body(), r#"{"hottok":"q\"u","a":1}"#);
        let value: serde_json::Value = serde_json::from_str(json.body()).unwrap();
        assert_eq!(value["hottok"], "q\"u");
    }

    #[test]
    #[should_panic(expected = "a v1 JSON event is a JSON object")]
    fn v1_json_request_refuses_a_body_that_is_not_an_object() {
        let _ = v1_json_request("[1]", SECRET);
    }

    #[tokio::test]
    async fn requests_map_to_full_bytes_bodies_and_keep_working() {
        use http_body_util::Full;
        let request = v2_request(sample::purchase_refunded(), SECRET)
            .map(|body| Full::new(bytes::Bytes::from(body)));
        let handler = service_fn(
            |req: Request<crate::VerifiedBody<Full<bytes::Bytes>>>| async move {
                let verified = req.extensions().get::<Verified>().copied();
                Ok::<_, std::convert::Infallible>(http::Response::new(format!(
                    "{:?}",
                    verified.map(|v| v.source() == HottokSource::Header)
                )))
            },
        );
        let service = VerifyHottokLayer::new(Hottok::new(SECRET).unwrap()).layer(handler);
        let response = service.oneshot(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"Some(true)");
    }
}

/// One step of a [`ScriptedBody`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A data frame.
    Data(bytes::Bytes),
    /// A poll that answers `Pending` (the body wakes itself at once), as a
    /// slow client's would.
    Pending,
    /// The body fails: the frame is [`BodyFailed`].
    Fail,
    /// A trailers frame (`x-checksum: 1`).
    Trailers,
}

/// A request body that plays a script of [`Step`]s and never claims to be at
/// its end (`is_end_stream` stays `false`, `size_hint` knows nothing), as a
/// chunked upload from a slow or broken client: the hard case for code that
/// buffers a body, such as the layer's v1 fallback.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use http_body_util::BodyExt;
/// use hotmart_webhook::test_util::{ScriptedBody, Step};
///
/// let body = ScriptedBody::chunked(b"status=approved&transaction=HP1", 7);
/// assert_eq!(&body.collect().await.unwrap().to_bytes()[..], b"status=approved&transaction=HP1");
///
/// let broken = ScriptedBody::new([Step::Data("hottok=".into()), Step::Pending, Step::Fail]);
/// assert!(broken.collect().await.is_err());
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ScriptedBody(std::collections::VecDeque<Step>);

impl ScriptedBody {
    /// A body that plays `steps` in order, then ends.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        ScriptedBody(steps.into_iter().collect())
    }

    /// `data` in frames of at most `chunk` bytes (one frame when `chunk` is 0).
    pub fn chunked(data: &[u8], chunk: usize) -> Self {
        let size = if chunk == 0 { data.len().max(1) } else { chunk };
        ScriptedBody::new(
            data.chunks(size)
                .map(|c| Step::Data(bytes::Bytes::copy_from_slice(c))),
        )
    }
}

impl FromIterator<Step> for ScriptedBody {
    fn from_iter<I: IntoIterator<Item = Step>>(steps: I) -> Self {
        ScriptedBody::new(steps)
    }
}

/// The error a [`ScriptedBody`] fails with at [`Step::Fail`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyFailed;

impl std::fmt::Display for BodyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset")
    }
}

impl std::error::Error for BodyFailed {}

impl http_body::Body for ScriptedBody {
    type Data = bytes::Bytes;
    type Error = BodyFailed;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, BodyFailed>>> {
        use std::task::Poll;
        match self.get_mut().0.pop_front() {
            None => Poll::Ready(None),
            Some(Step::Data(data)) => Poll::Ready(Some(Ok(http_body::Frame::data(data)))),
            Some(Step::Trailers) => {
                let mut trailers = http::HeaderMap::new();
                trailers.insert("x-checksum", http::HeaderValue::from_static("1"));
                Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
            }
            Some(Step::Fail) => Poll::Ready(Some(Err(BodyFailed))),
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}
