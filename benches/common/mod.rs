//! Shared by the benches: the payloads, the variants compared on them, and
//! the layer set-ups.

#![allow(dead_code, unreachable_pub)]

pub mod owned;

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use hotmart_webhook::{HOTTOK_HEADER, Hottok, VerifyHottokLayer};
use http::{HeaderValue, Request, Response};
use http_body_util::Full;
use serde::de::IgnoredAny;
use tower::{Layer, ServiceExt, service_fn};

/// The three reference bodies, first in every table.
pub const REFERENCE: &[&str] = &[
    "purchase_approved_compact",
    "purchase_approved_full",
    "subscription_cancellation",
];

/// The v1 form postback fixture.
pub const FORM: &str = "v1/approved_1.form";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Json,
    Form,
}

pub struct Payload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub kind: Kind,
    /// The 2.0.0 event name (JSON bodies).
    pub event: String,
}

impl Payload {
    pub fn is_reference(&self) -> bool {
        REFERENCE.contains(&self.name.as_str())
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every payload: the reference bodies, the v1 form fixture, then every v2
/// fixture in name order.
pub fn payloads() -> Vec<Payload> {
    let mut out = Vec::new();
    for name in REFERENCE {
        let bytes = std::fs::read(root().join(format!("benches/payloads/{name}.json")))
            .expect("reference payload");
        out.push(json_payload(name.to_string(), bytes));
    }
    out.push(Payload {
        name: FORM.to_owned(),
        bytes: std::fs::read(root().join("tests/fixtures").join(FORM)).expect("form fixture"),
        kind: Kind::Form,
        event: String::new(),
    });
    let mut v2: Vec<_> = std::fs::read_dir(root().join("tests/fixtures/v2"))
        .expect("v2 fixtures")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v2.sort();
    for path in v2 {
        let name = format!("v2/{}", path.file_stem().unwrap().to_string_lossy());
        out.push(json_payload(name, std::fs::read(&path).expect("fixture")));
    }
    for p in &out {
        let parsed = hotmart_webhook::parse(&p.bytes).expect("every bench payload parses");
        assert!(parsed.is_known(), "{} parses into a typed event", p.name);
    }
    out
}

fn json_payload(name: String, bytes: Vec<u8>) -> Payload {
    let event = serde_json::from_slice::<serde_json::Value>(&bytes).expect("JSON")["event"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Payload {
        name,
        bytes,
        kind: Kind::Json,
        event,
    }
}

/// The parse variants, by name. For the form body the "floor" is
/// `form_urlencoded::parse` walked once and the "generic" variant collects it
/// into a `HashMap<String, String>`.
pub const PARSE_VARIANTS: &[&str] = &["parse", "ignored", "value", "owned"];

/// Whether `variant` applies to `payload`.
pub fn applies(variant: &str, payload: &Payload) -> bool {
    match variant {
        "owned" => payload.kind == Kind::Json && owned::mirrors(&payload.event),
        _ => true,
    }
}

/// One parse variant, chosen once (no string match inside the timed loop);
/// the result is looked at through `black_box(&…)` (no copy) and dropped
/// inside, as a handler would.
pub fn parse_fn(variant: &str, kind: Kind) -> fn(&[u8]) {
    match (variant, kind) {
        ("parse", _) => |body| {
            let parsed = hotmart_webhook::parse(black_box(body));
            assert!(parsed.is_ok());
            black_box(&parsed);
        },
        ("ignored", Kind::Json) => |body| {
            let parsed = serde_json::from_slice::<IgnoredAny>(black_box(body));
            assert!(parsed.is_ok());
            black_box(&parsed);
        },
        ("value", Kind::Json) => |body| {
            let parsed = serde_json::from_slice::<serde_json::Value>(black_box(body));
            assert!(parsed.is_ok());
            black_box(&parsed);
        },
        ("owned", Kind::Json) => |body| {
            let parsed = owned::parse(black_box(body));
            assert!(parsed.is_ok());
            black_box(&parsed);
        },
        ("ignored", Kind::Form) => |body| {
            for pair in form_urlencoded::parse(black_box(body)) {
                black_box(pair);
            }
        },
        ("value", Kind::Form) => |body| {
            black_box(
                form_urlencoded::parse(black_box(body))
                    .into_owned()
                    .collect::<std::collections::HashMap<String, String>>(),
            );
        },
        _ => panic!("no variant {variant} for {kind:?}"),
    }
}

/// Runs one parse variant once.
pub fn run_parse(variant: &str, payload: &Payload) {
    parse_fn(variant, payload.kind)(&payload.bytes)
}

/// The hottok of the v1 form fixture (masked there, but a valid token), used
/// by every layer bench so that the body fallback accepts the fixture.
pub const SECRET: &str = "XXX0XXXXXXXXXXXX0XXXXXXX0XXXXX0000000";

/// The v2 body sent with the header (its size does not matter: the header
/// path never reads it).
pub const HEADER_BODY: &[u8] = br#"{"event":"PURCHASE_APPROVED"}"#;

/// `SECRET` with its first byte changed, and with its last byte changed.
pub fn wrong_first() -> String {
    format!("Y{}", &SECRET[1..])
}
pub fn wrong_last() -> String {
    format!("{}1", &SECRET[..SECRET.len() - 1])
}

async fn handler<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    black_box(&req);
    Ok(Response::new(Full::new(Bytes::new())))
}

pub fn hottok() -> Hottok {
    Hottok::new(SECRET).unwrap()
}

/// The layer variants: the bare service and the same service behind the
/// layer, on the header path, the body path, and rejections.
pub const LAYER_VARIANTS: &[&str] = &[
    "bare_header",
    "layer_header",
    "bare_form",
    "layer_body",
    "reject_first",
    "reject_last",
    "matches_first",
    "matches_last",
];

pub struct Layers {
    hottok: Hottok,
    layer: VerifyHottokLayer,
    form: Bytes,
    good: HeaderValue,
    wrong_first: HeaderValue,
    wrong_last: HeaderValue,
    wrong_first_bytes: Aligned,
    wrong_last_bytes: Aligned,
}

/// A candidate token at the start of a cache line, so that the two wrong
/// tokens compared by `matches_first` and `matches_last` sit at the same
/// alignment (heap buffers at different offsets from a cache line time
/// differently, whatever their bytes).
#[repr(align(64))]
struct Aligned([u8; 64], usize);

/// One copy of the comparison code for both candidates (two copies could
/// sit at different code alignments).
#[inline(never)]
fn matches(hottok: &Hottok, candidate: &Aligned) {
    black_box(hottok.matches(black_box(candidate.get())));
}

impl Aligned {
    fn new(token: &str) -> Self {
        let mut bytes = [0; 64];
        bytes[..token.len()].copy_from_slice(token.as_bytes());
        Aligned(bytes, token.len())
    }

    fn get(&self) -> &[u8] {
        &self.0[..self.1]
    }
}

impl Default for Layers {
    fn default() -> Self {
        Self::new()
    }
}

impl Layers {
    pub fn new() -> Self {
        let form = std::fs::read(root().join("tests/fixtures").join(FORM)).unwrap();
        Layers {
            hottok: hottok(),
            layer: VerifyHottokLayer::new(hottok()),
            form: Bytes::from(form),
            good: HeaderValue::from_static(SECRET),
            wrong_first: HeaderValue::from_str(&wrong_first()).unwrap(),
            wrong_last: HeaderValue::from_str(&wrong_last()).unwrap(),
            wrong_first_bytes: Aligned::new(&wrong_first()),
            wrong_last_bytes: Aligned::new(&wrong_last()),
        }
    }

    fn header_request(&self, token: &HeaderValue) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(Bytes::from_static(HEADER_BODY)));
        *req.method_mut() = http::Method::POST;
        req.headers_mut().insert(HOTTOK_HEADER, token.clone());
        req
    }

    fn form_request(&self) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(self.form.clone()));
        *req.method_mut() = http::Method::POST;
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        req
    }

    /// One layer variant, chosen once, run through `oneshot` on a clone of
    /// the service (what a router does per request).
    pub fn variant(variant: &str) -> fn(&Layers) {
        match variant {
            "bare_header" => |l| {
                let svc = service_fn(handler::<Full<Bytes>>);
                let res = block_on(svc.oneshot(l.header_request(&l.good)));
                black_box(res.unwrap());
            },
            "layer_header" => |l| {
                let svc = l.layer.layer(service_fn(handler));
                let res = block_on(svc.oneshot(l.header_request(&l.good)));
                debug_assert!(res.as_ref().unwrap().status().is_success());
                black_box(res.unwrap());
            },
            "bare_form" => |l| {
                let svc = service_fn(handler::<Full<Bytes>>);
                let res = block_on(svc.oneshot(l.form_request()));
                black_box(res.unwrap());
            },
            "layer_body" => |l| {
                let svc = l.layer.layer(service_fn(handler));
                let res = block_on(svc.oneshot(l.form_request()));
                debug_assert!(res.as_ref().unwrap().status().is_success());
                black_box(res.unwrap());
            },
            "reject_first" => |l| {
                let svc = l.layer.layer(service_fn(handler));
                let res = block_on(svc.oneshot(l.header_request(&l.wrong_first)));
                black_box(res.unwrap());
            },
            "reject_last" => |l| {
                let svc = l.layer.layer(service_fn(handler));
                let res = block_on(svc.oneshot(l.header_request(&l.wrong_last)));
                black_box(res.unwrap());
            },
            "matches_first" => |l| {
                matches(&l.hottok, &l.wrong_first_bytes);
            },
            "matches_last" => |l| {
                matches(&l.hottok, &l.wrong_last_bytes);
            },
            _ => panic!("no layer variant {variant}"),
        }
    }

    /// Runs one layer variant once.
    pub fn run(&self, variant: &str) {
        Self::variant(variant)(self)
    }

    /// Checks the statuses the timed loop only debug-asserts.
    pub fn check(&self) {
        let status = |req| {
            block_on(self.layer.layer(service_fn(handler)).oneshot(req))
                .unwrap()
                .status()
        };
        assert!(status(self.header_request(&self.good)).is_success());
        assert!(status(self.form_request()).is_success());
        assert_eq!(status(self.header_request(&self.wrong_first)), 401);
        assert_eq!(status(self.header_request(&self.wrong_last)), 401);
    }
}

/// Polls a future that completes without waiting (every service here does).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the future waited"),
    }
}
