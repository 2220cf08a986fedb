//! The whole `VerifyHottok` layer: a fuzzed header set (`x-hotmart-hottok`
//! present, absent, duplicated, garbage; `content-length`; others) and a
//! body delivered in fuzzed chunks, with pending polls, possibly failing
//! midway. Polled by hand with a no-op waker, no runtime, no sockets.
//!
//! Invariants: the answer is the inner service's (200), 401, 413 or 400;
//! the inner service runs exactly when the answer is its own; one header
//! decides alone (accepted exactly when it equals a configured token, the
//! body then streamed unchanged); two or more headers give 401; without a
//! header and with the body fallback, an accepted request handed on exactly
//! the bytes sent, the token it matched is the one `Verified::token` names,
//! and `mask_hottok` of that body carries no accepted token any more.
#![no_main]

use std::convert::Infallible;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use hotmart_webhook::{
    HOTTOK_HEADER, Hottok, HottokSource, MatchedToken, Verified, VerifiedBody, VerifyHottokLayer,
    mask_hottok,
};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use libfuzzer_sys::arbitrary::{Result as ArbitraryResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use tower_layer::Layer;
use tower_service::Service;

const SECRET: &str = "ysewXlAZI1qRtYuIoPaSdFgHjKlZxC518471";
const PREVIOUS: &str = "5M9CA6NvtqWeRtYuIoPaSdFgHjKlZx13df093f";

use hotmart_webhook::test_util::{BodyFailed, ScriptedBody, Step};

/// What the inner service saw.
#[derive(Debug, Default)]
struct Seen {
    source: Option<HottokSource>,
    token: Option<MatchedToken>,
    data: Vec<u8>,
    errored: bool,
}

type Record = Arc<Mutex<Option<Seen>>>;

/// Reads the whole body (until it ends or fails) and records it.
#[derive(Clone)]
struct Inner(Record);

impl Service<Request<VerifiedBody<ScriptedBody>>> for Inner {
    type Response = Response<empty::Empty>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>>>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<VerifiedBody<ScriptedBody>>) -> Self::Future {
        let record = Arc::clone(&self.0);
        Box::pin(async move {
            let mut seen = Seen {
                source: req.extensions().get::<Verified>().map(Verified::source),
                token: req.extensions().get::<Verified>().map(Verified::token),
                ..Seen::default()
            };
            let mut body = req.into_body();
            while let Some(frame) =
                std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
            {
                match frame {
                    Ok(frame) => {
                        if let Ok(data) = frame.into_data() {
                            seen.data.extend_from_slice(&data);
                        }
                    }
                    Err(BodyFailed) => {
                        seen.errored = true;
                        break;
                    }
                }
            }
            *record.lock().unwrap() = Some(seen);
            Ok(Response::new(empty::Empty))
        })
    }
}

/// An empty response body, without pulling in http-body-util.
mod empty {
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use http_body::{Body, Frame};

    pub(crate) struct Empty;

    impl Body for Empty {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(None)
        }
    }
}

struct Case {
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
    script: Vec<Step>,
    fallback: bool,
    limit: usize,
    rotation: bool,
}

fn header(u: &mut Unstructured<'_>) -> ArbitraryResult<Option<(HeaderName, HeaderValue)>> {
    let hottok_name = *u.choose(&["x-hotmart-hottok", "X-HOTMART-HOTTOK", "X-Hotmart-Hottok"])?;
    let (name, value): (&str, Vec<u8>) = match u.int_in_range(0..=7u8)? {
        0 | 1 => (hottok_name, SECRET.into()),
        2 => (hottok_name, PREVIOUS.into()),
        3 => (hottok_name, u.arbitrary::<&[u8]>()?.to_vec()),
        4 => (
            hottok_name,
            [SECRET.as_bytes(), u.arbitrary::<&[u8]>()?].concat(),
        ),
        5 => ("content-length", u.arbitrary::<u64>()?.to_string().into()),
        6 => (
            "content-length",
            u.int_in_range(0..=4096u64)?.to_string().into(),
        ),
        _ => ("x-other", u.arbitrary::<&[u8]>()?.to_vec()),
    };
    // Header values cannot hold every byte: those are not sent.
    Ok(HeaderName::from_bytes(name.as_bytes())
        .ok()
        .zip(HeaderValue::from_bytes(&value).ok()))
}

fn case(u: &mut Unstructured<'_>) -> ArbitraryResult<Case> {
    let fallback = u.arbitrary()?;
    let rotation = u.arbitrary()?;
    let limit = match u.int_in_range(0..=3u8)? {
        0 => 64 * 1024,
        1 => 0,
        _ => u.int_in_range(0..=4096usize)?,
    };
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0..=4u8)? {
        headers.extend(header(u)?);
    }
    // The body: one that carries a token in a form or JSON field, or bytes.
    let token = *u.choose(&[SECRET, PREVIOUS, "wrong-token"])?;
    let raw: Vec<u8> = u.arbitrary::<&[u8]>()?.to_vec();
    let body = match u.int_in_range(0..=3u8)? {
        0 => [format!("hottok={token}&").as_bytes(), &raw].concat(),
        1 => [&raw[..], format!("&hottok={token}").as_bytes()].concat(),
        2 => [format!("{{\"hottok\":\"{token}\",\"x\":").as_bytes(), &raw].concat(),
        _ => raw,
    };
    // Chunks, pending polls, a failure, trailers.
    let mut cuts = vec![0, body.len()];
    for _ in 0..u.int_in_range(0..=6u8)? {
        cuts.push(u.int_in_range(0..=body.len())?);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut script: Vec<Step> = cuts
        .windows(2)
        .map(|w| Step::Data(Bytes::copy_from_slice(&body[w[0]..w[1]])))
        .collect();
    for _ in 0..u.int_in_range(0..=3u8)? {
        let at = u.int_in_range(0..=script.len())?;
        script.insert(at, Step::Pending);
    }
    if u.ratio(1, 4)? {
        let at = u.int_in_range(0..=script.len())?;
        script.truncate(at);
        script.push(Step::Fail);
    } else if u.arbitrary()? {
        script.push(Step::Trailers);
    }
    Ok(Case {
        headers,
        body,
        script,
        fallback,
        limit,
        rotation,
    })
}

/// Which configured token `candidate` is.
fn which(candidate: &[u8]) -> Option<MatchedToken> {
    if candidate == SECRET.as_bytes() {
        Some(MatchedToken::Current)
    } else if candidate == PREVIOUS.as_bytes() {
        Some(MatchedToken::Previous)
    } else {
        None
    }
}

/// The token a body carries, read as Hotmart writes it: a top-level JSON
/// string or a form field, exactly once.
fn body_token(body: &[u8]) -> Option<String> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        // Lossy: the layer's finder skips the values it does not read
        // without validating their UTF-8, so stray bytes inside another
        // string do not make the body unauthentic (tests/regressions.rs,
        // `a_json_body_with_the_right_hottok_and_stray_non_utf8_bytes_elsewhere_is_authentic`).
        let text = String::from_utf8_lossy(body);
        let value: serde_json::Value = serde_json::from_str(&text).ok()?;
        value.get("hottok")?.as_str().map(str::to_owned)
    } else {
        let mut found = form_urlencoded::parse(body).filter(|(k, _)| k == "hottok");
        let (_, token) = found.next()?;
        found.next().is_none().then(|| token.into_owned())
    }
}

fn run(case: &Case) {
    let mut hottok = Hottok::new(SECRET).unwrap();
    let mut tokens = vec![SECRET];
    if case.rotation {
        hottok = hottok.with_previous(PREVIOUS).unwrap();
        tokens.push(PREVIOUS);
    }
    let record: Record = Arc::default();
    let mut service = VerifyHottokLayer::new(hottok)
        .body_fallback(case.fallback)
        .body_limit(case.limit)
        .layer(Inner(Arc::clone(&record)));
    let mut request = Request::post("/hotmart")
        .body(ScriptedBody::new(case.script.iter().cloned()))
        .unwrap();
    for (name, value) in &case.headers {
        request.headers_mut().append(name, value.clone());
    }

    let mut cx = Context::from_waker(Waker::noop());
    assert!(service.poll_ready(&mut cx).is_ready());
    let mut future = pin!(service.call(request));
    // Every pending poll of the script wakes at once: a bounded number of
    // polls must finish the request.
    let mut polls = 0;
    let response = loop {
        if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
            break result.unwrap();
        }
        polls += 1;
        assert!(polls < 64, "the layer does not finish");
    };
    let status = response.status();
    let rejected = response.body().is_rejection();
    let seen = record.lock().unwrap().take();

    assert!(
        [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::BAD_REQUEST
        ]
        .contains(&status),
        "status {status}"
    );
    assert_eq!(rejected, seen.is_none());
    assert_eq!(status == StatusCode::OK, seen.is_some());

    let fails = case.script.iter().any(|s| matches!(s, Step::Fail));
    let mut data_before_failure = Vec::new();
    for step in &case.script {
        match step {
            Step::Data(d) => data_before_failure.extend_from_slice(d),
            Step::Fail => break,
            _ => {}
        }
    }
    let headers: Vec<&HeaderValue> = case
        .headers
        .iter()
        .filter(|(n, _)| *n == HOTTOK_HEADER)
        .map(|(_, v)| v)
        .collect();
    match headers.as_slice() {
        [one] => {
            let accepted = tokens.iter().any(|t| one.as_bytes() == t.as_bytes());
            assert_eq!(seen.is_some(), accepted);
            if let Some(seen) = seen {
                assert_eq!(seen.source, Some(HottokSource::Header));
                assert_eq!(seen.token, which(one.as_bytes()));
                assert_eq!(seen.errored, fails);
                assert_eq!(seen.data, data_before_failure);
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED);
            }
        }
        [] if !case.fallback => assert_eq!(status, StatusCode::UNAUTHORIZED),
        [] => {
            let announced = case
                .headers
                .iter()
                .find(|(n, _)| *n == http::header::CONTENT_LENGTH)
                .and_then(|(_, v)| v.to_str().ok()?.trim().parse::<u64>().ok())
                .unwrap_or(0);
            // Trailers (`x-checksum: 1`) count against the limit too.
            let trailers = if case.script.iter().any(|s| matches!(s, Step::Trailers)) {
                "x-checksum".len() + 1
            } else {
                0
            };
            let oversized =
                announced > case.limit as u64 || data_before_failure.len() + trailers > case.limit;
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                assert!(oversized);
            }
            if status == StatusCode::BAD_REQUEST {
                assert!(fails);
            }
            if !fails && !oversized {
                let accepted = body_token(&case.body).is_some_and(|t| tokens.contains(&t.as_str()));
                assert_eq!(seen.is_some(), accepted);
            }
            if let Some(seen) = seen {
                assert!(!fails && !oversized);
                assert_eq!(seen.source, Some(HottokSource::Body));
                assert!(!seen.errored);
                assert_eq!(seen.data, case.body);
                let token = body_token(&case.body).expect("accepted without a token");
                assert_eq!(seen.token, which(token.as_bytes()));
                let masked = mask_hottok(&case.body);
                assert_eq!(masked.len(), case.body.len());
                assert!(body_token(&masked).is_none_or(|t| !tokens.contains(&t.as_str())));
            }
        }
        _ => assert_eq!(status, StatusCode::UNAUTHORIZED, "a duplicated header"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if let Ok(case) = case(&mut u) {
        run(&case);
    }
});
