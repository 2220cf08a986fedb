//! [`VerifyHottokLayer`]: a Tower middleware that lets through only requests
//! carrying the right hottok.
//!
//! This file holds the layer and its service; the [`Verified`] marker and
//! the [`Rejection`] are in `rejection.rs`, the [`ResponseFuture`] (and the
//! body fallback) in `future.rs`, the bodies in `body.rs`, and the search for
//! the body's `hottok` field in `hottok/find.rs` (shared with
//! [`mask_hottok`](crate::mask_hottok)).
//!
//! How a request is judged is told on [`VerifyHottokLayer`]. The crate root
//! re-exports the layer, its service, [`VerifiedBody`], [`Verified`] and
//! [`HottokSource`]; the rest is reached here.

mod body;
mod future;
mod rejection;

use std::error::Error;
use std::fmt;
use std::mem;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::header::Entry;
use http::{HeaderMap, Request, Response};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

pub use body::{ResponseBody, VerifiedBody};
pub use future::ResponseFuture;
pub use rejection::{HottokSource, Rejection, RejectionReason, Verified};

use crate::hottok::{HOTTOK_HEADER, Hottok, MAX_HOTTOK_LEN, MatchedToken, is_visible_ascii};

/// The default of [`VerifyHottokLayer::body_limit`]: 64 KiB.
///
/// Hotmart payloads are a few kilobytes; the largest captured is under 8 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

type RejectFn = dyn Fn(&Rejection) -> Response<Bytes> + Send + Sync;

/// Settings shared (behind an `Arc`) by the layer and every service clone.
#[derive(Clone)]
struct Config {
    hottok: Hottok,
    body_fallback: bool,
    body_limit: usize,
    on_rejection: Option<Arc<RejectFn>>,
    #[cfg(feature = "tracing")]
    log_level: tracing::Level,
}

impl Config {
    fn reject<B>(&self, reason: RejectionReason) -> Response<ResponseBody<B>> {
        let rejection = Rejection { reason };
        #[cfg(feature = "tracing")]
        {
            // `tracing`'s macros need a constant level.
            macro_rules! rejected {
                ($level:expr) => {
                    tracing::event!(
                        $level,
                        reason = reason.as_str(),
                        status = rejection.status().as_u16(),
                        "hotmart webhook request rejected"
                    )
                };
            }
            match self.log_level {
                tracing::Level::ERROR => rejected!(tracing::Level::ERROR),
                tracing::Level::WARN => rejected!(tracing::Level::WARN),
                tracing::Level::INFO => rejected!(tracing::Level::INFO),
                tracing::Level::DEBUG => rejected!(tracing::Level::DEBUG),
                _ => rejected!(tracing::Level::TRACE),
            }
        }
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
///    JSON string when the body starts with `{`, else a form field. Trailers
///    count against the limit. Only then is the inner service driven to
///    readiness (a clone of it: the readiness `poll_ready` reserved is given
///    back at once), so a slow unauthenticated body holds no concurrency slot
///    of the inner service. The inner service then gets the same bytes. When
///    the fallback is off: `401`.
///
/// A body that fails while being read gives `400`, or `413` when the failure
/// is a length limit outside the layer (`http_body_util::Limited`,
/// tower-http's `RequestBodyLimit`): the inner service's error type cannot
/// carry the body's error, and a rejection is a response, never an error
/// (`type Error = S::Error`, so axum needs no `HandleErrorLayer`). Every `401`
/// carries `WWW-Authenticate`.
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
                #[cfg(feature = "tracing")]
                log_level: tracing::Level::DEBUG,
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

    /// The level of the `tracing` event emitted for each rejected request
    /// (feature `tracing`): `DEBUG` by default, so that unauthenticated
    /// traffic, which anyone can send, does not flood a `WARN` log.
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn rejection_log_level(mut self, level: tracing::Level) -> Self {
        Arc::make_mut(&mut self.config).log_level = level;
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
    B::Error: Into<Box<dyn Error + Send + Sync>>,
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
                // The body may take long to arrive, and nothing proves the
                // request genuine until it has: give back what `poll_ready`
                // reserved (a concurrency slot, a pooled connection) by
                // dropping the ready service, and let the future drive a
                // fresh clone to readiness once the body is verified.
                let inner = self.inner.clone();
                drop(mem::replace(&mut self.inner, inner.clone()));
                let (parts, body) = req.into_parts();
                ResponseFuture::buffering(body, parts, inner, Arc::clone(config))
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
            assert_eq!(
                response.headers()[http::header::CONTENT_TYPE],
                "application/json"
            );
            assert_eq!(
                response
                    .headers()
                    .get(http::header::WWW_AUTHENTICATE)
                    .is_some(),
                rejection.status() == http::StatusCode::UNAUTHORIZED
            );
            let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(json["success"], false);
            assert_eq!(json["error"]["code"], rejection.code());
            assert_eq!(json["error"]["message"], rejection.message());
        }
    }
}
