//! [`VerifyHottokLayer`]: a Tower middleware that lets through only requests
//! carrying the right hottok.
//!
//! Read top to bottom: the [`Verified`] marker, the [`Rejection`], the layer,
//! the service, its [`ResponseFuture`]; the bodies are in `body.rs` and the
//! search for the body's `hottok` field in `hottok/find.rs` (shared with
//! [`mask_hottok`](crate::mask_hottok)).
//!
//! How a request is judged is told on [`VerifyHottokLayer`].

mod body;

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use http::header::Entry;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, request};
use http_body::Body;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

pub use body::{ResponseBody, VerifiedBody};

use crate::hottok::{HOTTOK_HEADER, Hottok, MAX_HOTTOK_LEN, MatchedToken, find, is_visible_ascii};
use find::BodyHottok;

/// The default of [`VerifyHottokLayer::body_limit`]: 64 KiB.
///
/// Hotmart payloads are a few kilobytes; the largest captured is under 8 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Proof, in the request extensions, that [`VerifyHottok`] accepted the
/// request.
///
/// Only this crate can construct it, so a handler (or an extractor) that finds
/// it knows the hottok was checked:
///
/// ```
/// use hotmart_webhook::{HottokSource, Verified};
///
/// fn was_verified<B>(req: &http::Request<B>) -> bool {
///     req.extensions().get::<Verified>().is_some()
/// }
/// # let _ = was_verified::<()>;
/// # let _ = HottokSource::Header;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    source: HottokSource,
    token: MatchedToken,
}

impl Verified {
    /// Only this crate marks a request verified.
    pub(crate) const fn new(source: HottokSource, token: MatchedToken) -> Self {
        Verified { source, token }
    }

    /// Where the accepted hottok was found.
    pub fn source(&self) -> HottokSource {
        self.source
    }

    /// Which accepted token the request carried: during a change-over, the
    /// previous token can go once no request has carried it for longer than
    /// Hotmart retries. Found without a timing difference (see
    /// [`Hottok::verify`]).
    ///
    /// ```
    /// use hotmart_webhook::{MatchedToken, Verified};
    ///
    /// fn note<B>(req: &http::Request<B>) {
    ///     if let Some(verified) = req.extensions().get::<Verified>() {
    ///         if verified.token() == MatchedToken::Previous {
    ///             eprintln!("a delivery still carries the previous hottok");
    ///         }
    ///     }
    /// }
    /// # let _ = note::<()>;
    /// ```
    pub fn token(&self) -> MatchedToken {
        self.token
    }
}

/// Where the hottok of an accepted request was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HottokSource {
    /// The `X-HOTMART-HOTTOK` header (v2.0.0 deliveries).
    Header,
    /// The `hottok` field of the body, JSON or form (v1 deliveries).
    Body,
}

/// Why a request was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionReason {
    /// No hottok: no header, and the body fallback is off or the body has no
    /// `hottok` field. `401`.
    Missing,
    /// A well-formed hottok that is not an accepted one. `401`.
    Mismatch,
    /// The header sent more than once, or the body field present more than
    /// once. `401`.
    Duplicate,
    /// An empty hottok, one longer than [`MAX_HOTTOK_LEN`], one with bytes
    /// outside visible ASCII, a JSON `hottok` that is not a string, or a body
    /// starting with `{` that is not valid JSON. `401`.
    Malformed,
    /// The body (read because the header was absent) is larger than the
    /// limit. `413`.
    TooLarge,
    /// The body failed while it was being read. `400`.
    BodyError,
}

impl RejectionReason {
    /// A short lower-case name, as used in the `tracing` event: `"missing"`,
    /// `"mismatch"`, `"duplicate"`, `"malformed"`, `"too_large"`,
    /// `"body_error"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectionReason::Missing => "missing",
            RejectionReason::Mismatch => "mismatch",
            RejectionReason::Duplicate => "duplicate",
            RejectionReason::Malformed => "malformed",
            RejectionReason::TooLarge => "too_large",
            RejectionReason::BodyError => "body_error",
        }
    }
}

/// A request refused by [`VerifyHottok`].
///
/// It becomes a response, never an error: by default
/// [`to_response`](Rejection::to_response), or what the function given to
/// [`VerifyHottokLayer::on_rejection`] makes of it. It carries the reason
/// only, never a token or any part of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    reason: RejectionReason,
}

impl Rejection {
    /// Why the request was refused.
    pub fn reason(&self) -> RejectionReason {
        self.reason
    }

    /// The status of the default response: `401` for every hottok problem,
    /// `413` for [`RejectionReason::TooLarge`], `400` for
    /// [`RejectionReason::BodyError`].
    pub fn status(&self) -> StatusCode {
        match self.reason {
            RejectionReason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RejectionReason::BodyError => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The machine-readable code of the default response:
    /// `WEBHOOK_AUTHENTICATION_FAILED`, `WEBHOOK_PAYLOAD_TOO_LARGE` or
    /// `WEBHOOK_BODY_UNREADABLE`.
    pub fn code(&self) -> &'static str {
        match self.reason {
            RejectionReason::TooLarge => "WEBHOOK_PAYLOAD_TOO_LARGE",
            RejectionReason::BodyError => "WEBHOOK_BODY_UNREADABLE",
            _ => "WEBHOOK_AUTHENTICATION_FAILED",
        }
    }

    /// The human-readable message of the default response. It is the same
    /// for every `401`, so a client learns nothing about why its token failed.
    pub fn message(&self) -> &'static str {
        match self.reason {
            RejectionReason::TooLarge => "Webhook payload too large",
            RejectionReason::BodyError => "Webhook body could not be read",
            _ => "Webhook hottok validation failed",
        }
    }

    /// The default response: [`status`](Rejection::status), `content-type:
    /// application/json` and the JSON error object
    /// `{"success":false,"error":{"code":…,"message":…}}`.
    ///
    /// ```
    /// # use hotmart_webhook::Rejection;
    /// fn reject(rejection: &Rejection) -> http::Response<bytes::Bytes> {
    ///     let mut response = rejection.to_response();
    ///     response.headers_mut().insert("cache-control", "no-store".parse().unwrap());
    ///     response
    /// }
    /// # let _ = reject;
    /// ```
    pub fn to_response(&self) -> Response<Bytes> {
        let body: &'static [u8] = match self.reason {
            RejectionReason::TooLarge => {
                br#"{"success":false,"error":{"code":"WEBHOOK_PAYLOAD_TOO_LARGE","message":"Webhook payload too large"}}"#
            }
            RejectionReason::BodyError => {
                br#"{"success":false,"error":{"code":"WEBHOOK_BODY_UNREADABLE","message":"Webhook body could not be read"}}"#
            }
            _ => {
                br#"{"success":false,"error":{"code":"WEBHOOK_AUTHENTICATION_FAILED","message":"Webhook hottok validation failed"}}"#
            }
        };
        let mut response = Response::new(Bytes::from_static(body));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.message().to_ascii_lowercase(),
            self.reason.as_str()
        )
    }
}

impl Error for Rejection {}

type RejectFn = dyn Fn(&Rejection) -> Response<Bytes> + Send + Sync;

/// Settings shared (behind an `Arc`) by the layer and every service clone.
#[derive(Clone)]
struct Config {
    hottok: Hottok,
    body_fallback: bool,
    body_limit: usize,
    on_rejection: Option<Arc<RejectFn>>,
}

impl Config {
    fn reject<B>(&self, reason: RejectionReason) -> Response<ResponseBody<B>> {
        let rejection = Rejection { reason };
        #[cfg(feature = "tracing")]
        tracing::warn!(
            reason = reason.as_str(),
            status = rejection.status().as_u16(),
            "hotmart webhook request rejected"
        );
        let response = match &self.on_rejection {
            Some(on_rejection) => on_rejection(&rejection),
            None => rejection.to_response(),
        };
        response.map(ResponseBody::rejection)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("hottok", &self.hottok)
            .field("body_fallback", &self.body_fallback)
            .field("body_limit", &self.body_limit)
            .field(
                "on_rejection",
                &if self.on_rejection.is_some() {
                    "custom"
                } else {
                    "default"
                },
            )
            .finish()
    }
}

/// Verifies the hottok of every request before the inner service sees it.
///
/// Cloning the layer or the services it makes is cheap: the settings sit in
/// an `Arc`.
///
/// # How a request is judged
///
/// 1. `X-HOTMART-HOTTOK` header present once (v2.0.0): it alone decides, and
///    the body is never polled. Sent twice, empty, wrong, or with bytes outside
///    visible ASCII: `401` at once.
/// 2. Header absent (v1 deliveries): when the body fallback is on (the
///    default), the body is read, at most [`VerifyHottokLayer::body_limit`]
///    bytes (`413` beyond, before reading when `Content-Length` or the body's
///    size hint already says so), and its `hottok` field decides: a top-level
///    JSON string when the body starts with `{`, else a form field. The inner
///    service then gets the same bytes. When the fallback is off: `401`.
///
/// A body that fails while being read gives `400`: the inner service's error
/// type cannot carry the body's error, and a rejection is a response, never an
/// error (`type Error = S::Error`, so axum needs no `HandleErrorLayer`).
///
/// # Example
///
/// ```
/// use std::convert::Infallible;
///
/// use bytes::Bytes;
/// use http::{Request, Response, StatusCode};
/// use http_body_util::{BodyExt, Full};
/// use hotmart_webhook::{Hottok, HottokSource, Verified, VerifiedBody, VerifyHottokLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// async fn handler(req: Request<VerifiedBody<Full<Bytes>>>) -> Result<Response<Full<Bytes>>, Infallible> {
///     let source = req.extensions().get::<Verified>().map(Verified::source);
///     let body = req.into_body().collect().await.unwrap_or_else(|e| match e {}).to_bytes();
///     Ok(Response::new(Full::new(Bytes::from(format!("{source:?} {}", body.len())))))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let hottok = Hottok::new("ysewXlAZI1abcdefghijklmnopqrst518471")?;
/// let service = VerifyHottokLayer::new(hottok)
///     .body_limit(16 * 1024)
///     .layer(service_fn(handler));
///
/// // v2.0.0: the header decides.
/// let request = Request::post("/hotmart")
///     .header("X-HOTMART-HOTTOK", "ysewXlAZI1abcdefghijklmnopqrst518471")
///     .body(Full::new(Bytes::from_static(br#"{"event":"PURCHASE_APPROVED"}"#)))?;
/// let response = service.clone().oneshot(request).await?;
/// assert_eq!(response.status(), StatusCode::OK);
/// assert_eq!(response.into_body().collect().await?.to_bytes(), "Some(Header) 29");
///
/// // v1: no header, the form field decides.
/// let request = Request::post("/hotmart")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(Full::new(Bytes::from_static(b"hottok=ysewXlAZI1abcdefghijklmnopqrst518471&status=approved")))?;
/// let response = service.clone().oneshot(request).await?;
/// assert_eq!(response.into_body().collect().await?.to_bytes(), "Some(Body) 59");
///
/// // A wrong token: 401 with a JSON error object, the handler is not called.
/// let request = Request::post("/hotmart")
///     .header("X-HOTMART-HOTTOK", "not-the-token")
///     .body(Full::new(Bytes::new()))?;
/// let response = service.oneshot(request).await?;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// let body = response.into_body().collect().await?.to_bytes();
/// assert!(body.starts_with(br#"{"success":false,"error":{"code":"WEBHOOK_AUTHENTICATION_FAILED""#));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct VerifyHottokLayer {
    config: Arc<Config>,
}

impl VerifyHottokLayer {
    /// A layer accepting the tokens of `hottok`, with the body fallback on and
    /// a body limit of [`DEFAULT_BODY_LIMIT`] (64 KiB).
    pub fn new(hottok: Hottok) -> Self {
        VerifyHottokLayer {
            config: Arc::new(Config {
                hottok,
                body_fallback: true,
                body_limit: DEFAULT_BODY_LIMIT,
                on_rejection: None,
            }),
        }
    }

    /// Whether a request without the header may prove itself with a `hottok`
    /// field in its body (v1 deliveries). On by default; turn it off when
    /// every configured webhook uses v2.0.0, so bodies are never buffered
    /// before authentication.
    pub fn body_fallback(mut self, enabled: bool) -> Self {
        Arc::make_mut(&mut self.config).body_fallback = enabled;
        self
    }

    /// The most body bytes read when looking for the hottok in the body
    /// (default [`DEFAULT_BODY_LIMIT`]). A larger body gets `413`; the check
    /// is made on `Content-Length` and the body's size hint before reading,
    /// and again while reading, so at most the limit plus one frame is held.
    pub fn body_limit(mut self, limit: usize) -> Self {
        Arc::make_mut(&mut self.config).body_limit = limit;
        self
    }

    /// Makes the responses for rejected requests with `f` instead of
    /// [`Rejection::to_response`].
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http::{Response, StatusCode};
    /// use hotmart_webhook::{Hottok, VerifyHottokLayer};
    ///
    /// # fn main() -> Result<(), hotmart_webhook::InvalidHottok> {
    /// let layer = VerifyHottokLayer::new(Hottok::new("a-long-random-token")?).on_rejection(|rejection| {
    ///     let mut response = Response::new(Bytes::from_static(b"go away"));
    ///     *response.status_mut() = if rejection.status() == StatusCode::UNAUTHORIZED {
    ///         StatusCode::FORBIDDEN
    ///     } else {
    ///         rejection.status()
    ///     };
    ///     response
    /// });
    /// # let _ = layer;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_rejection<F>(mut self, f: F) -> Self
    where
        F: Fn(&Rejection) -> Response<Bytes> + Send + Sync + 'static,
    {
        Arc::make_mut(&mut self.config).on_rejection = Some(Arc::new(f));
        self
    }
}

impl<S> Layer<S> for VerifyHottokLayer {
    type Service = VerifyHottok<S>;

    fn layer(&self, inner: S) -> VerifyHottok<S> {
        VerifyHottok {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

impl fmt::Debug for VerifyHottokLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyHottokLayer")
            .field("config", &self.config)
            .finish()
    }
}

/// The service made by [`VerifyHottokLayer`]: calls `S` only for requests
/// with an accepted hottok, and answers the others itself.
///
/// `S` receives a [`Request<VerifiedBody<B>>`](VerifiedBody) with the
/// [`Verified`] marker in its extensions and the hottok header (if any) marked
/// sensitive.
#[derive(Clone)]
pub struct VerifyHottok<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> VerifyHottok<S> {
    /// Wraps `inner` with the default settings of [`VerifyHottokLayer::new`].
    pub fn new(inner: S, hottok: Hottok) -> Self {
        VerifyHottokLayer::new(hottok).layer(inner)
    }

    /// Same as [`VerifyHottokLayer::new`].
    pub fn layer(hottok: Hottok) -> VerifyHottokLayer {
        VerifyHottokLayer::new(hottok)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for VerifyHottok<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyHottok")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, B, ResBody> Service<Request<B>> for VerifyHottok<S>
where
    S: Service<Request<VerifiedBody<B>>, Response = Response<ResBody>> + Clone,
    B: Body,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let config = &self.config;
        match check_header(req.headers_mut(), &config.hottok) {
            Some(Ok(token)) => {
                req.extensions_mut()
                    .insert(Verified::new(HottokSource::Header, token));
                ResponseFuture::called(self.inner.call(req.map(VerifiedBody::streaming)))
            }
            Some(Err(reason)) => ResponseFuture::rejected(reason, config),
            None if !config.body_fallback => {
                ResponseFuture::rejected(RejectionReason::Missing, config)
            }
            None if announced_len(&req) > config.body_limit as u64 => {
                ResponseFuture::rejected(RejectionReason::TooLarge, config)
            }
            None => {
                // The service made ready by `poll_ready` goes into the future
                // and is called once the body has been read; `self` keeps a
                // fresh clone (the usual Tower idiom for deferred calls).
                let clone = self.inner.clone();
                let inner = mem::replace(&mut self.inner, clone);
                let (parts, body) = req.into_parts();
                ResponseFuture {
                    state: State::Buffering {
                        body,
                        buffer: Box::new(Buffer {
                            pending: Some((parts, inner)),
                            collected: Collected::Empty,
                            trailers: None,
                            config: Arc::clone(config),
                        }),
                    },
                }
            }
        }
    }
}

/// Judges the hottok header with one map lookup: `None` when absent, else
/// the verdict; an accepted value is marked sensitive.
fn check_header(
    headers: &mut HeaderMap,
    hottok: &Hottok,
) -> Option<Result<MatchedToken, RejectionReason>> {
    match headers.try_entry(&HOTTOK_HEADER) {
        Ok(Entry::Occupied(mut entry)) => {
            let mut values = entry.iter_mut();
            let (Some(value), None) = (values.next(), values.next()) else {
                return Some(Err(RejectionReason::Duplicate));
            };
            let verdict = check(value.as_bytes(), hottok);
            if verdict.is_ok() {
                value.set_sensitive(true);
            }
            Some(verdict)
        }
        Ok(Entry::Vacant(_)) => None,
        // No room for an entry handle (a map at its maximum size): two lookups.
        Err(_) => {
            let mut values = headers.get_all(&HOTTOK_HEADER).iter();
            let verdict = match (values.next(), values.next()) {
                (None, _) => return None,
                (Some(_), Some(_)) => Err(RejectionReason::Duplicate),
                (Some(value), None) => check(value.as_bytes(), hottok),
            };
            if let (Ok(_), Some(value)) = (verdict, headers.get_mut(&HOTTOK_HEADER)) {
                value.set_sensitive(true);
            }
            Some(verdict)
        }
    }
}

/// Checks one candidate: constant time against the tokens, then (only on
/// failure, and only looking at the candidate) the reason.
fn check(candidate: &[u8], hottok: &Hottok) -> Result<MatchedToken, RejectionReason> {
    if let Some(token) = hottok.verify(candidate) {
        Ok(token)
    } else if candidate.is_empty()
        || candidate.len() > MAX_HOTTOK_LEN
        || !candidate.iter().copied().all(is_visible_ascii)
    {
        Err(RejectionReason::Malformed)
    } else {
        Err(RejectionReason::Mismatch)
    }
}

/// The larger of `Content-Length` (when it parses) and the body's lower size
/// hint.
fn announced_len<B: Body>(req: &Request<B>) -> u64 {
    let content_length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    content_length.max(req.body().size_hint().lower())
}

pin_project! {
    /// The future returned by [`VerifyHottok`]: the inner service's response,
    /// or the rejection's.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<VerifiedBody<B>>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<VerifiedBody<B>>>,
    {
        Called { #[pin] future: S::Future },
        Rejected { reason: RejectionReason, config: Arc<Config> },
        Buffering {
            #[pin]
            body: B,
            buffer: Box<Buffer<S>>,
        },
    }
}

/// The state of the body fallback, boxed so that the future stays small on
/// the header path.
struct Buffer<S> {
    pending: Option<(request::Parts, S)>,
    collected: Collected,
    trailers: Option<HeaderMap>,
    config: Arc<Config>,
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
{
    fn called(future: S::Future) -> Self {
        ResponseFuture {
            state: State::Called { future },
        }
    }

    fn rejected(reason: RejectionReason, config: &Arc<Config>) -> Self {
        ResponseFuture {
            state: State::Rejected {
                reason,
                config: Arc::clone(config),
            },
        }
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Called { .. } => "Called",
            State::Rejected { .. } => "Rejected",
            State::Buffering { .. } => "Buffering",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Future for ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody<B>>, Response = Response<ResBody>>,
    B: Body,
    ResBody: Body<Data = Bytes>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::Called { future } => {
                    return future
                        .poll(cx)
                        .map_ok(|response| response.map(ResponseBody::inner));
                }
                StateProj::Rejected { reason, config } => {
                    return Poll::Ready(Ok(config.reject(*reason)));
                }
                StateProj::Buffering { body, buffer } => match ready!(body.poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(mut data) => {
                            let len = data.remaining();
                            if buffer.collected.len().saturating_add(len) > buffer.config.body_limit
                            {
                                State::Rejected {
                                    reason: RejectionReason::TooLarge,
                                    config: Arc::clone(&buffer.config),
                                }
                            } else {
                                buffer.collected.push(data.copy_to_bytes(len));
                                continue;
                            }
                        }
                        Err(frame) => {
                            if let Ok(more) = frame.into_trailers() {
                                match &mut buffer.trailers {
                                    Some(trailers) => trailers.extend(more),
                                    None => buffer.trailers = Some(more),
                                }
                            }
                            continue;
                        }
                    },
                    Some(Err(_)) => State::Rejected {
                        reason: RejectionReason::BodyError,
                        config: Arc::clone(&buffer.config),
                    },
                    None => buffer.finish(),
                },
            };
            state.set(next);
        }
    }
}

impl<S> Buffer<S> {
    /// The whole body has been read: judge its `hottok` field, then call the
    /// inner service with the same bytes, or reject.
    fn finish<B>(&mut self) -> State<S, B>
    where
        S: Service<Request<VerifiedBody<B>>>,
    {
        let bytes = mem::take(&mut self.collected).into_bytes();
        let verdict = match find::find(&bytes) {
            BodyHottok::Found(token) => check(token.as_bytes(), &self.config.hottok),
            BodyHottok::Missing => Err(RejectionReason::Missing),
            BodyHottok::Duplicate => Err(RejectionReason::Duplicate),
            BodyHottok::Malformed => Err(RejectionReason::Malformed),
        };
        match (verdict, self.pending.take()) {
            (Ok(token), Some((mut parts, mut inner))) => {
                parts
                    .extensions
                    .insert(Verified::new(HottokSource::Body, token));
                let body = VerifiedBody::buffered(bytes, self.trailers.take());
                State::Called {
                    future: inner.call(Request::from_parts(parts, body)),
                }
            }
            (Err(reason), _) => State::Rejected {
                reason,
                config: Arc::clone(&self.config),
            },
            (Ok(_), None) => panic!("ResponseFuture polled after it completed"),
        }
    }
}

/// The body bytes read so far: no copy for a body of one frame.
#[derive(Default)]
enum Collected {
    #[default]
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Collected {
    fn len(&self) -> usize {
        match self {
            Collected::Empty => 0,
            Collected::One(bytes) => bytes.len(),
            Collected::Many(bytes) => bytes.len(),
        }
    }

    fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        *self = match mem::take(self) {
            Collected::Empty => Collected::One(data),
            Collected::One(first) => {
                let mut all = BytesMut::with_capacity(first.len() + data.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                Collected::Many(all)
            }
            Collected::Many(mut all) => {
                all.extend_from_slice(&data);
                Collected::Many(all)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Collected::Empty => Bytes::new(),
            Collected::One(bytes) => bytes,
            Collected::Many(bytes) => bytes.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hottok() -> Hottok {
        Hottok::new("abcdefghij0123456789").unwrap()
    }

    #[test]
    fn check_classifies_failures_by_the_candidate_only() {
        let h = hottok();
        assert_eq!(
            check(b"abcdefghij0123456789", &h),
            Ok(MatchedToken::Current)
        );
        assert_eq!(
            check(b"abcdefghij0123456780", &h),
            Err(RejectionReason::Mismatch)
        );
        assert_eq!(check(b"short", &h), Err(RejectionReason::Mismatch));
        assert_eq!(check(b"", &h), Err(RejectionReason::Malformed));
        assert_eq!(check(b"abc def", &h), Err(RejectionReason::Malformed));
        assert_eq!(
            check("ação".as_bytes(), &h),
            Err(RejectionReason::Malformed)
        );
        assert_eq!(
            check(&[b'a'; MAX_HOTTOK_LEN + 1], &h),
            Err(RejectionReason::Malformed)
        );
    }

    #[test]
    fn collected_keeps_one_frame_without_copy_and_joins_several() {
        let mut c = Collected::Empty;
        let first = Bytes::from_static(b"abc");
        c.push(first.clone());
        c.push(Bytes::new());
        assert!(matches!(&c, Collected::One(b) if b.as_ptr() == first.as_ptr()));
        c.push(Bytes::from_static(b"de"));
        c.push(Bytes::from_static(b"f"));
        assert_eq!(c.len(), 6);
        assert_eq!(c.into_bytes(), "abcdef");
    }

    #[test]
    fn every_reason_has_a_json_response_with_its_status() {
        for reason in [
            RejectionReason::Missing,
            RejectionReason::Mismatch,
            RejectionReason::Duplicate,
            RejectionReason::Malformed,
            RejectionReason::TooLarge,
            RejectionReason::BodyError,
        ] {
            let rejection = Rejection { reason };
            let response = rejection.to_response();
            assert_eq!(response.status(), rejection.status());
            assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
            let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(json["success"], false);
            assert_eq!(json["error"]["code"], rejection.code());
            assert_eq!(json["error"]["message"], rejection.message());
        }
    }
}
