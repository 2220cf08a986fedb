//! `VerifyHottokLayer` end to end: Tower `oneshot` over `service_fn`, no
//! sockets.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Ready;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hotmart_webhook::{
    HOTTOK_HEADER, Hottok, HottokSource, MAX_HOTTOK_LEN, MatchedToken, Rejection, RejectionReason,
    ResponseBody, ResponseFuture, Verified, VerifiedBody, VerifyHottok, VerifyHottokLayer,
};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Empty, Full};
use tower::{Layer, Service, ServiceExt, service_fn};

/// Shaped like a real token: 30 alphanumerics and 6 digits.
const SECRET: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
const OTHER_SAME_LENGTH: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518472";
const NEWER: &str = "5M9CA6NvtqWeRtYuIoPaSdFgHjKlZx13df093f-77b2-49f9-9ad4-03049ccfccb6";

const V1_FORM: &[u8] = include_bytes!("fixtures/v1/approved_1.form");
const V2_WITH_BODY_HOTTOK: &[u8] = include_bytes!("fixtures/v2/PURCHASE_APPROVED_9.json");

fn layer() -> VerifyHottokLayer {
    VerifyHottokLayer::new(Hottok::new(SECRET).unwrap())
}

// ---------------------------------------------------------------------------
// Bodies

/// The body's error in the scripted bodies.
#[derive(Debug)]
struct Broken;

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection reset")
    }
}

impl std::error::Error for Broken {}

/// A body that must not be read: panics when polled.
struct MustNotBeRead {
    size_hint: SizeHint,
}

impl MustNotBeRead {
    fn new() -> Self {
        MustNotBeRead {
            size_hint: SizeHint::default(),
        }
    }
}

impl Body for MustNotBeRead {
    type Data = Bytes;
    type Error = Broken;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Broken>>> {
        panic!("the body was polled");
    }

    fn size_hint(&self) -> SizeHint {
        self.size_hint
    }
}

enum Step {
    Data(&'static [u8]),
    Trailers(HeaderMap),
    Pending,
    Fail,
}

/// A hand-written streaming body that plays a script, never says
/// `is_end_stream`, yields data as `VecDeque<u8>` (not `Bytes`) and counts
/// its polls.
struct Scripted {
    steps: VecDeque<Step>,
    polls: Arc<AtomicUsize>,
}

impl Scripted {
    fn new(steps: impl IntoIterator<Item = Step>) -> (Self, Arc<AtomicUsize>) {
        let polls = Arc::new(AtomicUsize::new(0));
        let body = Scripted {
            steps: steps.into_iter().collect(),
            polls: Arc::clone(&polls),
        };
        (body, polls)
    }

    fn chunks(chunks: &[&'static [u8]]) -> Self {
        Scripted::new(chunks.iter().map(|c| Step::Data(c))).0
    }
}

impl Body for Scripted {
    type Data = VecDeque<u8>;
    type Error = Broken;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<VecDeque<u8>>, Broken>>> {
        let this = self.get_mut();
        this.polls.fetch_add(1, Ordering::SeqCst);
        match this.steps.pop_front() {
            None => Poll::Ready(None),
            Some(Step::Data(data)) => {
                Poll::Ready(Some(Ok(Frame::data(data.iter().copied().collect()))))
            }
            Some(Step::Trailers(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Some(Step::Fail) => Poll::Ready(Some(Err(Broken))),
            Some(Step::Pending) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------
// The inner service and what it saw

/// What the inner service saw, handed back in the response extensions.
#[derive(Clone, Debug)]
struct Seen {
    verified: Option<Verified>,
    header_sensitive: Option<bool>,
    headers_debug: String,
    buffered: bool,
    body: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

struct Outcome {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
    calls: usize,
    seen: Option<Seen>,
    rejected_by_layer: bool,
}

/// Sends `req` through `layer` around an inner service that records what it
/// saw and, if `read_body`, reads the whole body and echoes it.
async fn send_with<B>(layer: VerifyHottokLayer, req: Request<B>, read_body: bool) -> Outcome
where
    B: Body + 'static,
    B::Error: fmt::Debug,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let inner = service_fn(move |req: Request<VerifiedBody<B>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            let mut seen = Seen {
                verified: req.extensions().get::<Verified>().copied(),
                header_sensitive: req.headers().get(HOTTOK_HEADER).map(|v| v.is_sensitive()),
                headers_debug: format!("{:?}", req.headers()),
                buffered: req.body().is_buffered(),
                body: None,
                trailers: None,
            };
            if read_body {
                let collected = req.into_body().collect().await.expect("inner body error");
                seen.trailers = collected.trailers().cloned();
                seen.body = Some(collected.to_bytes());
            }
            let mut response = Response::new(Full::new(seen.body.clone().unwrap_or_default()));
            response.extensions_mut().insert(seen);
            Ok::<_, Infallible>(response)
        }
    });
    let response = layer.layer(inner).oneshot(req).await.unwrap();
    let rejected_by_layer = response.body().is_rejection();
    let seen = response.extensions().get::<Seen>().cloned();
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).cloned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Outcome {
        status,
        content_type,
        body,
        calls: calls.load(Ordering::SeqCst),
        seen,
        rejected_by_layer,
    }
}

async fn send<B>(layer: VerifyHottokLayer, req: Request<B>) -> Outcome
where
    B: Body + 'static,
    B::Error: fmt::Debug,
{
    send_with(layer, req, true).await
}

fn with_header<B>(value: &[u8], body: B) -> Request<B> {
    Request::post("/hotmart")
        .header(HOTTOK_HEADER, HeaderValue::from_bytes(value).unwrap())
        .body(body)
        .unwrap()
}

fn without_header<B>(body: B) -> Request<B> {
    Request::post("/hotmart").body(body).unwrap()
}

fn full(bytes: &'static [u8]) -> Full<Bytes> {
    Full::new(Bytes::from_static(bytes))
}

const UNAUTHORIZED_BODY: &str = r#"{"success":false,"error":{"code":"WEBHOOK_AUTHENTICATION_FAILED","message":"Webhook hottok validation failed"}}"#;

#[track_caller]
fn assert_rejected(outcome: &Outcome, status: StatusCode, code: &str) {
    assert_eq!(outcome.status, status);
    assert!(outcome.rejected_by_layer);
    assert_eq!(outcome.calls, 0, "the inner service was called");
    assert_eq!(outcome.content_type.as_ref().unwrap(), "application/json");
    let json: serde_json::Value = serde_json::from_slice(&outcome.body).unwrap();
    assert_eq!(json["success"], false);
    assert_eq!(json["error"]["code"], code);
}

#[track_caller]
fn assert_unauthorized(outcome: &Outcome) {
    assert_rejected(
        outcome,
        StatusCode::UNAUTHORIZED,
        "WEBHOOK_AUTHENTICATION_FAILED",
    );
    assert_eq!(outcome.body, UNAUTHORIZED_BODY);
}

#[track_caller]
fn assert_accepted(outcome: &Outcome, source: HottokSource) -> &Seen {
    assert_eq!(outcome.status, StatusCode::OK, "body: {:?}", outcome.body);
    assert!(!outcome.rejected_by_layer);
    assert_eq!(outcome.calls, 1);
    let seen = outcome.seen.as_ref().unwrap();
    assert_eq!(seen.verified.map(|v| v.source()), Some(source));
    seen
}

// ---------------------------------------------------------------------------
// The header path

#[tokio::test]
async fn header_with_the_right_token_is_accepted_and_the_body_is_never_polled() {
    let outcome = send_with(
        layer(),
        with_header(SECRET.as_bytes(), MustNotBeRead::new()),
        false,
    )
    .await;
    let seen = assert_accepted(&outcome, HottokSource::Header);
    assert!(!seen.buffered);
}

#[tokio::test]
async fn header_path_hands_the_original_bytes_on_with_the_verified_marker_and_a_sensitive_header() {
    let payload = br#"{"data":{"buyer":{"email":"a@example.com"}},"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    let outcome = send(layer(), with_header(SECRET.as_bytes(), full(payload))).await;
    let seen = assert_accepted(&outcome, HottokSource::Header);
    assert_eq!(seen.body.as_deref(), Some(&payload[..]));
    assert_eq!(seen.header_sensitive, Some(true));
    assert!(
        !seen.headers_debug.contains(SECRET),
        "{}",
        seen.headers_debug
    );
    assert_eq!(outcome.body, &payload[..]);
}

#[tokio::test]
async fn header_path_passes_a_streaming_body_through_frame_by_frame() {
    let body = Scripted::chunks(&[b"one ", b"two ", b"three"]);
    let outcome = send(layer(), with_header(SECRET.as_bytes(), body)).await;
    let seen = assert_accepted(&outcome, HottokSource::Header);
    assert!(!seen.buffered);
    assert_eq!(seen.body.as_deref(), Some(&b"one two three"[..]));
}

#[tokio::test]
async fn header_with_wrong_token_of_same_length_is_rejected_without_reading_the_body() {
    let outcome = send(
        layer(),
        with_header(OTHER_SAME_LENGTH.as_bytes(), MustNotBeRead::new()),
    )
    .await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn header_with_wrong_token_of_another_length_is_rejected_without_reading_the_body() {
    let longer = format!("{SECRET}0");
    for candidate in [
        &SECRET[..SECRET.len() - 1],
        &SECRET[..1],
        longer.as_str(),
        NEWER,
    ] {
        let outcome = send(
            layer(),
            with_header(candidate.as_bytes(), MustNotBeRead::new()),
        )
        .await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn empty_header_is_rejected_without_reading_the_body() {
    let outcome = send(layer(), with_header(b"", MustNotBeRead::new())).await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn header_sent_twice_is_rejected_even_when_both_copies_are_right() {
    for second in [SECRET, OTHER_SAME_LENGTH] {
        let mut req = with_header(SECRET.as_bytes(), MustNotBeRead::new());
        req.headers_mut()
            .append(HOTTOK_HEADER, HeaderValue::from_static(second));
        let outcome = send(layer(), req).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn header_name_is_matched_whatever_its_case() {
    for name in [
        "x-hotmart-hottok",
        "X-HOTMART-HOTTOK",
        "X-Hotmart-Hottok",
        "x-HoTmArT-hOtToK",
    ] {
        // Through the request builder, as a framework would build it...
        let req = Request::post("/")
            .header(name, SECRET)
            .body(MustNotBeRead::new())
            .unwrap();
        let outcome = send_with(layer(), req, false).await;
        assert_accepted(&outcome, HottokSource::Header);
        // ...and through a raw header name parsed from wire bytes.
        let mut req = Request::post("/").body(MustNotBeRead::new()).unwrap();
        let raw = HeaderName::from_bytes(name.as_bytes()).unwrap();
        assert_eq!(raw, HOTTOK_HEADER);
        req.headers_mut()
            .insert(raw, HeaderValue::from_static(SECRET));
        let outcome = send_with(layer(), req, false).await;
        assert_accepted(&outcome, HottokSource::Header);
    }
}

#[tokio::test]
async fn header_with_bytes_outside_visible_ascii_is_rejected() {
    let cases: [&[u8]; 6] = [
        b"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC51847\xe9",
        "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC51847é".as_bytes(),
        b"ysewXlAZI1qRtYuIoPaSdFgHj KlZxC518471",
        b"ysewXlAZI1qRtYuIoPaSdFgHj\tKlZxC518471",
        b" ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471",
        b"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471 ",
    ];
    for value in cases {
        let outcome = send(layer(), with_header(value, MustNotBeRead::new())).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn header_longer_than_the_maximum_is_rejected() {
    let long = "y".repeat(MAX_HOTTOK_LEN + 1);
    let outcome = send(layer(), with_header(long.as_bytes(), MustNotBeRead::new())).await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn during_rotation_old_and_new_tokens_are_accepted_and_a_third_is_refused() {
    let rotating =
        VerifyHottokLayer::new(Hottok::new(NEWER).unwrap().with_previous(SECRET).unwrap());
    for (accepted, token) in [
        (NEWER, MatchedToken::Current),
        (SECRET, MatchedToken::Previous),
    ] {
        let outcome = send(
            rotating.clone(),
            with_header(accepted.as_bytes(), full(b"{}")),
        )
        .await;
        let seen = assert_accepted(&outcome, HottokSource::Header);
        assert_eq!(seen.verified.map(|v| v.token()), Some(token));
    }
    let outcome = send(
        rotating.clone(),
        with_header(OTHER_SAME_LENGTH.as_bytes(), full(b"{}")),
    )
    .await;
    assert_unauthorized(&outcome);
    // The body fallback honours rotation too, and tells which token matched.
    let outcome = send(
        rotating.clone(),
        without_header(full(b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471")),
    )
    .await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(
        seen.verified.map(|v| v.token()),
        Some(MatchedToken::Previous)
    );
    let outcome = send(
        rotating,
        without_header(Full::new(Bytes::from(format!(r#"{{"hottok":"{NEWER}"}}"#)))),
    )
    .await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(
        seen.verified.map(|v| v.token()),
        Some(MatchedToken::Current)
    );
}

#[tokio::test]
async fn verification_through_the_header_agrees_with_plain_byte_equality() {
    let max = "m".repeat(MAX_HOTTOK_LEN);
    let over = "m".repeat(MAX_HOTTOK_LEN + 1);
    let candidates: Vec<&[u8]> = vec![
        b"",
        b"y",
        SECRET.as_bytes(),
        OTHER_SAME_LENGTH.as_bytes(),
        &SECRET.as_bytes()[..20],
        NEWER.as_bytes(),
        max.as_bytes(),
        over.as_bytes(),
        b"\xff\xfe",
        b"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471\x80",
    ];
    for secret in [SECRET, max.as_str()] {
        let layer = VerifyHottokLayer::new(Hottok::new(secret).unwrap());
        for candidate in &candidates {
            let outcome = send(layer.clone(), with_header(candidate, full(b""))).await;
            let accepted = outcome.status == StatusCode::OK && outcome.calls == 1;
            assert_eq!(accepted, *candidate == secret.as_bytes());
        }
    }
}

// ---------------------------------------------------------------------------
// The body fallback

fn form_hottok(body: &[u8]) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "hottok")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn v1_form_body_is_verified_by_its_hottok_field_and_handed_on_unchanged() {
    let fixture_hottok = Hottok::new(&form_hottok(V1_FORM)).unwrap();
    let req = Request::post("/hotmart")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(CONTENT_LENGTH, V1_FORM.len())
        .body(full(V1_FORM))
        .unwrap();
    let outcome = send(VerifyHottokLayer::new(fixture_hottok), req).await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert!(seen.buffered);
    assert_eq!(seen.body.as_deref(), Some(V1_FORM));
    assert_eq!(seen.header_sensitive, None);
}

#[tokio::test]
async fn v1_form_body_with_another_hottok_is_rejected() {
    let outcome = send(layer(), without_header(full(V1_FORM))).await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn v1_json_body_is_verified_by_its_hottok_field() {
    let body = br#"{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471","subscriptionId":4412,"subscriberCode":"I9OT62C3","cancellationDate":1656013119173,"userName":"Teste Comprador","userEmail":"teste@example.com","actualRecurrenceValue":49.9}"#;
    let outcome = send(layer(), without_header(full(body))).await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(seen.body.as_deref(), Some(&body[..]));
}

#[tokio::test]
async fn v2_body_carrying_hottok_without_the_header_is_verified() {
    let json: serde_json::Value = serde_json::from_slice(V2_WITH_BODY_HOTTOK).unwrap();
    let fixture_hottok = Hottok::new(json["hottok"].as_str().unwrap()).unwrap();
    let outcome = send(
        VerifyHottokLayer::new(fixture_hottok),
        without_header(full(V2_WITH_BODY_HOTTOK)),
    )
    .await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(seen.body.as_deref(), Some(V2_WITH_BODY_HOTTOK));
}

#[tokio::test]
async fn a_hottok_nested_below_the_top_level_does_not_count() {
    let body = br#"{"data":{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"},"event":"PURCHASE_APPROVED"}"#;
    let outcome = send(layer(), without_header(full(body))).await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn body_without_a_hottok_field_is_rejected() {
    for body in [&b""[..], b"status=approved", b"{}", b"[]", b"\xff\xfe"] {
        let outcome = send(layer(), without_header(full(body))).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn body_with_two_hottok_fields_is_rejected_even_when_both_are_right() {
    let bodies: [&'static [u8]; 3] = [
        b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471&status=approved&hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471",
        br#"{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471","hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"}"#,
        br#"{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471","hottok":"wrong"}"#,
    ];
    for body in bodies {
        let outcome = send(layer(), without_header(full(body))).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn json_body_with_a_non_string_or_broken_hottok_is_rejected() {
    let bodies: [&'static [u8]; 4] = [
        br#"{"hottok":12345}"#,
        br#"{"hottok":null}"#,
        br#"{"hottok":["ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"]}"#,
        br#"{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471""#,
    ];
    for body in bodies {
        let outcome = send(layer(), without_header(full(body))).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn form_hottok_is_percent_decoded_and_plus_is_a_space() {
    let layer = VerifyHottokLayer::new(Hottok::new("a+b/c=d%").unwrap());
    let outcome = send(
        layer.clone(),
        without_header(full(b"x=1&hottok=a%2Bb%2Fc%3Dd%25")),
    )
    .await;
    assert_accepted(&outcome, HottokSource::Body);
    // `+` and `%20` decode to a space, which no hottok contains.
    for body in [&b"hottok=a+b/c=d%25"[..], b"hottok=a%20b/c=d%25"] {
        let outcome = send(layer.clone(), without_header(full(body))).await;
        assert_unauthorized(&outcome);
    }
}

#[tokio::test]
async fn json_hottok_with_escapes_is_decoded_before_comparison() {
    let layer = VerifyHottokLayer::new(Hottok::new("a/b").unwrap());
    let outcome = send(layer, without_header(full(br#" {"hottok":"a\/b"}"#))).await;
    assert_accepted(&outcome, HottokSource::Body);
}

#[tokio::test]
async fn header_absent_with_the_fallback_switched_off_is_rejected_without_reading_the_body() {
    let outcome = send(
        layer().body_fallback(false),
        without_header(MustNotBeRead::new()),
    )
    .await;
    assert_unauthorized(&outcome);
    // The header still works.
    let outcome = send(
        layer().body_fallback(false),
        with_header(SECRET.as_bytes(), full(b"{}")),
    )
    .await;
    assert_accepted(&outcome, HottokSource::Header);
}

#[tokio::test]
async fn wrong_header_is_rejected_even_when_the_body_carries_the_right_hottok() {
    let body = b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
    let outcome = send(
        layer(),
        with_header(OTHER_SAME_LENGTH.as_bytes(), full(body)),
    )
    .await;
    assert_unauthorized(&outcome);
}

#[tokio::test]
async fn body_announced_over_the_limit_by_content_length_is_rejected_before_reading() {
    let req = Request::post("/")
        .header(CONTENT_LENGTH, "1025")
        .body(MustNotBeRead::new())
        .unwrap();
    let outcome = send(layer().body_limit(1024), req).await;
    assert_rejected(
        &outcome,
        StatusCode::PAYLOAD_TOO_LARGE,
        "WEBHOOK_PAYLOAD_TOO_LARGE",
    );
}

#[tokio::test]
async fn body_announced_over_the_limit_by_its_size_hint_is_rejected_before_reading() {
    let body = MustNotBeRead {
        size_hint: SizeHint::with_exact(70_000),
    };
    let outcome = send(layer(), without_header(body)).await;
    assert_rejected(
        &outcome,
        StatusCode::PAYLOAD_TOO_LARGE,
        "WEBHOOK_PAYLOAD_TOO_LARGE",
    );
}

#[tokio::test]
async fn body_over_the_limit_without_content_length_is_rejected_while_reading() {
    let (body, polls) = Scripted::new([
        Step::Data(b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471&"),
        Step::Data(&[b'a'; 40]),
        Step::Data(&[b'b'; 40]),
        Step::Data(&[b'c'; 40]),
        Step::Data(&[b'd'; 40]),
    ]);
    let outcome = send(layer().body_limit(100), without_header(body)).await;
    assert_rejected(
        &outcome,
        StatusCode::PAYLOAD_TOO_LARGE,
        "WEBHOOK_PAYLOAD_TOO_LARGE",
    );
    // 44 + 40 = 84 fits, the third frame would make 124: reading stops there.
    assert_eq!(polls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn body_of_exactly_the_limit_is_accepted() {
    let body = b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471&x=12345";
    let req = Request::post("/")
        .header(CONTENT_LENGTH, body.len())
        .body(full(body))
        .unwrap();
    let outcome = send(layer().body_limit(body.len()), req).await;
    assert_accepted(&outcome, HottokSource::Body);
}

#[tokio::test]
async fn chunked_body_split_inside_the_hottok_is_joined_and_verified() {
    let (body, _) = Scripted::new([
        Step::Data(b"callback_type=1&hot"),
        Step::Pending,
        Step::Data(b"tok=ysewXlAZI1qRtYu"),
        Step::Data(b""),
        Step::Pending,
        Step::Data(b"IoPaSdFgHjKlZxC518471&status=appr"),
        Step::Data(b"oved"),
    ]);
    let outcome = send(layer(), without_header(body)).await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(
        seen.body.as_deref(),
        Some(&b"callback_type=1&hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471&status=approved"[..])
    );
}

#[tokio::test]
async fn body_whose_is_end_stream_never_turns_true_is_read_until_poll_frame_returns_none() {
    let (body, polls) = Scripted::new([
        Step::Data(br#"{"hottok":"ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471","#),
        Step::Data(br#""cancellationDate":1656013119173}"#),
    ]);
    assert!(!body.is_end_stream());
    let outcome = send(layer(), without_header(body)).await;
    assert_accepted(&outcome, HottokSource::Body);
    // Two data frames and the final `None`.
    assert_eq!(polls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn trailers_of_a_buffered_body_reach_the_inner_service() {
    let mut trailers = HeaderMap::new();
    trailers.insert("x-checksum", HeaderValue::from_static("abc"));
    let (body, _) = Scripted::new([
        Step::Data(b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"),
        Step::Trailers(trailers.clone()),
    ]);
    let outcome = send(layer(), without_header(body)).await;
    let seen = assert_accepted(&outcome, HottokSource::Body);
    assert_eq!(seen.trailers.as_ref(), Some(&trailers));
}

#[tokio::test]
async fn body_that_errors_midway_gets_400_and_never_hangs() {
    let (body, _) = Scripted::new([
        Step::Data(b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"),
        Step::Pending,
        Step::Fail,
        Step::Data(b"never read"),
    ]);
    let outcome = tokio::time::timeout(Duration::from_secs(5), send(layer(), without_header(body)))
        .await
        .expect("the layer hung on a failing body");
    assert_rejected(&outcome, StatusCode::BAD_REQUEST, "WEBHOOK_BODY_UNREADABLE");
}

#[tokio::test]
async fn buffered_body_reports_its_exact_size_and_end() {
    let inner = service_fn(|req: Request<VerifiedBody<Full<Bytes>>>| async move {
        let body = req.into_body();
        assert!(body.is_buffered());
        assert_eq!(body.size_hint().exact(), Some(43));
        assert!(!body.is_end_stream());
        let mut body = std::pin::pin!(body);
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.data_ref().map(Bytes::len), Some(43));
        assert!(body.is_end_stream());
        assert_eq!(body.size_hint().exact(), Some(0));
        assert!(body.frame().await.is_none());
        Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
    });
    let svc = layer().layer(inner);
    let req = without_header(full(b"hottok=ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471"));
    let response = svc.oneshot(req).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.body().is_end_stream());
}

// ---------------------------------------------------------------------------
// Rejections

#[tokio::test]
async fn rejection_responses_never_echo_the_token_or_the_payload() {
    let payload_marker = "comprador-unico@example.com";
    let cases: Vec<(Request<Full<Bytes>>, VerifyHottokLayer)> = vec![
        (
            with_header(
                OTHER_SAME_LENGTH.as_bytes(),
                Full::new(Bytes::from(payload_marker)),
            ),
            layer(),
        ),
        (
            without_header(Full::new(Bytes::from(format!(
                "hottok={OTHER_SAME_LENGTH}&email={payload_marker}"
            )))),
            layer(),
        ),
        (
            without_header(Full::new(Bytes::from(format!(
                "hottok={SECRET}&email={payload_marker}"
            )))),
            layer().body_limit(10),
        ),
    ];
    for (req, layer) in cases {
        let outcome = send(layer, req).await;
        assert!(outcome.rejected_by_layer);
        let text = String::from_utf8_lossy(&outcome.body);
        for secret in [SECRET, OTHER_SAME_LENGTH, payload_marker, "ysew"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[tokio::test]
async fn customised_rejection_replaces_the_default_response() {
    let seen_reasons = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = Arc::clone(&seen_reasons);
    let custom = layer()
        .body_limit(64)
        .on_rejection(move |rejection: &Rejection| {
            record.lock().unwrap().push(rejection.reason());
            let mut response = Response::new(Bytes::from_static(b"nope"));
            *response.status_mut() = match rejection.status() {
                StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
                other => other,
            };
            response
        });
    let outcome = send(custom.clone(), with_header(b"wrong", full(b""))).await;
    assert_eq!(outcome.status, StatusCode::FORBIDDEN);
    assert_eq!(outcome.body, "nope");
    assert_eq!(outcome.calls, 0);
    assert!(outcome.content_type.is_none());
    let outcome = send(custom.clone(), without_header(full(&[b'x'; 65]))).await;
    assert_eq!(outcome.status, StatusCode::PAYLOAD_TOO_LARGE);
    let mut req = with_header(SECRET.as_bytes(), full(b""));
    req.headers_mut()
        .append(HOTTOK_HEADER, HeaderValue::from_static(SECRET));
    send(custom.clone(), req).await;
    send(custom.clone(), with_header(b"", full(b""))).await;
    send(custom.clone(), without_header(full(b"x=1"))).await;
    let (failing, _) = Scripted::new([Step::Fail]);
    send(custom, without_header(failing)).await;
    assert_eq!(
        *seen_reasons.lock().unwrap(),
        [
            RejectionReason::Mismatch,
            RejectionReason::TooLarge,
            RejectionReason::Duplicate,
            RejectionReason::Malformed,
            RejectionReason::Missing,
            RejectionReason::BodyError,
        ]
    );
}

#[test]
fn rejection_reasons_have_stable_names_and_statuses() {
    let layer = layer().on_rejection(|rejection| {
        let mut response = rejection.to_response();
        response.headers_mut().insert(
            "x-reason",
            HeaderValue::from_static(rejection.reason().as_str()),
        );
        response
    });
    // Reached only through the layer: a Rejection cannot be built outside the crate.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let response = rt.block_on(
        layer
            .layer(service_fn(|_: Request<VerifiedBody<Full<Bytes>>>| async {
                Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
            }))
            .oneshot(with_header(b"wrong", full(b""))),
    );
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["x-reason"], "mismatch");
    assert_eq!(RejectionReason::TooLarge.as_str(), "too_large");
    assert_eq!(RejectionReason::BodyError.as_str(), "body_error");
}

// ---------------------------------------------------------------------------
// Debug output, auto traits

#[derive(Clone, Debug)]
struct Echo;

impl Service<Request<VerifiedBody<Full<Bytes>>>> for Echo {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Response<Full<Bytes>>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<VerifiedBody<Full<Bytes>>>) -> Self::Future {
        std::future::ready(Ok(Response::new(Full::new(Bytes::new()))))
    }
}

#[tokio::test]
async fn debug_output_of_every_public_type_never_contains_the_secret() {
    let hottok = Hottok::new(SECRET).unwrap().with_previous(NEWER).unwrap();
    let rejection_debug = Arc::new(std::sync::Mutex::new(String::new()));
    let sink = Arc::clone(&rejection_debug);
    let layer = VerifyHottokLayer::new(hottok.clone()).on_rejection(move |r| {
        *sink.lock().unwrap() = format!("{r:?} {r} {:?}", r.reason());
        r.to_response()
    });
    let mut service: VerifyHottok<Echo> = layer.layer(Echo);
    let future: ResponseFuture<Echo, Full<Bytes>> = service.call(without_header(Full::new(
        Bytes::from(format!("hottok={SECRET}")),
    )));
    let future_debug = format!("{future:?}");
    let accepted = future.await.unwrap();
    let rejected = service
        .call(with_header(
            format!("{SECRET}x").as_bytes(),
            Full::new(Bytes::from(format!("hottok={SECRET}"))),
        ))
        .await
        .unwrap();
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    assert!(rejection_debug.lock().unwrap().contains("Mismatch"));

    let captured = Arc::new(std::sync::Mutex::new(String::new()));
    let sink = Arc::clone(&captured);
    let inner = service_fn(move |req: Request<VerifiedBody<Full<Bytes>>>| {
        *sink.lock().unwrap() = format!(
            "{req:?} {:?} {:?}",
            req.body(),
            req.extensions().get::<Verified>()
        );
        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::new()))) }
    });
    let via_header = VerifyHottokLayer::new(hottok.clone())
        .layer(inner)
        .oneshot(with_header(SECRET.as_bytes(), Full::new(Bytes::new())))
        .await
        .unwrap();
    assert!(captured.lock().unwrap().contains("Sensitive"));
    let invalid = Hottok::new(&format!("{SECRET}\n")).unwrap_err();
    let from_env = hotmart_webhook::Hottok::from_env().err();
    let outputs = [
        format!("{hottok:?} {hottok:#?}"),
        format!("{layer:?} {layer:#?}"),
        format!("{service:?} {service:#?}"),
        future_debug,
        format!("{accepted:?} {:?}", accepted.body()),
        format!("{rejected:?} {:?}", rejected.body()),
        format!("{via_header:?}"),
        rejection_debug.lock().unwrap().clone(),
        format!("{invalid:?} {invalid}"),
        format!("{from_env:?}"),
        captured.lock().unwrap().clone(),
    ];
    for output in outputs {
        for secret in [SECRET, NEWER, "ysew", "5M9C"] {
            assert!(!output.contains(secret), "{output}");
        }
    }
    assert!(format!("{layer:?}").contains("Hottok(<redacted>)"));
}

#[test]
fn services_futures_and_bodies_are_send_and_sync_when_their_parts_are() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send_sync_static<T: Send + Sync + 'static>() {}
    assert_send_sync_static::<VerifyHottokLayer>();
    assert_send_sync_static::<VerifyHottok<Echo>>();
    assert_send_sync::<ResponseFuture<Echo, Full<Bytes>>>();
    assert_send_sync::<VerifiedBody<Full<Bytes>>>();
    assert_send_sync::<ResponseBody<Full<Bytes>>>();
    assert_send_sync::<Rejection>();
    assert_send_sync::<Verified>();
}

#[test]
fn verified_body_and_response_body_fit_what_axum_and_hyper_ask_of_a_body() {
    // axum's Route and hyper accept `B: Body<Data = Bytes> + Send + 'static`
    // with `B::Error: Into<BoxError>`.
    type BoxError = Box<dyn std::error::Error + Send + Sync>;
    fn assert_body<B>()
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
    }
    assert_body::<VerifiedBody<Full<Bytes>>>();
    assert_body::<ResponseBody<Full<Bytes>>>();
}

// ---------------------------------------------------------------------------
// tracing

#[cfg(feature = "tracing")]
mod tracing_events {
    use std::fmt::Write as _;
    use std::sync::Mutex;

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use super::*;

    struct Recorder(Arc<Mutex<Vec<String>>>);

    struct Fields<'a>(&'a mut String);

    impl Visit for Fields<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let _ = write!(self.0, "{}={:?} ", field.name(), value);
        }
    }

    impl Subscriber for Recorder {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = String::new();
            event.record(&mut Fields(&mut line));
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[tokio::test]
    async fn each_rejection_emits_one_event_naming_the_reason_and_never_the_token() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let _guard = tracing::subscriber::set_default(Recorder(Arc::clone(&events)));

        send(
            layer(),
            with_header(OTHER_SAME_LENGTH.as_bytes(), full(b"")),
        )
        .await;
        let body = format!("hottok={OTHER_SAME_LENGTH}&email=x@example.com");
        send(layer(), without_header(Full::new(Bytes::from(body)))).await;
        send(layer(), with_header(SECRET.as_bytes(), full(b""))).await;

        let events = events.lock().unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        for event in events.iter() {
            assert!(event.contains("reason=\"mismatch\""), "{event}");
            assert!(event.contains("status=401"), "{event}");
            for secret in [SECRET, OTHER_SAME_LENGTH, "x@example.com"] {
                assert!(!event.contains(secret), "{event}");
            }
        }
    }
}
