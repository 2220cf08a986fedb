//! [`ResponseFuture`]: the inner service's response, or the rejection's; on
//! the body fallback, the body is read and judged first, and only then is a
//! clone of the inner service driven to readiness and called.
//!
//! The body is read through `http_body_util::Limited` (the limit, and the
//! same `LengthLimitError` as an outer limit gives). The frames are gathered
//! here rather than with `BodyExt::collect`: a body of one frame is kept
//! without a copy or an allocation, which `collect` does not do.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, Request, Response, request};
use http_body::Body;
use http_body_util::{LengthLimitError, Limited};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::body::{ResponseBody, VerifiedBody};
use super::rejection::{HottokSource, RejectionReason, Verified};
use super::{Config, check};
use crate::hottok::find::{self, BodyHottok};

/// The error type `http_body_util::Limited` needs of a body.
type BoxError = Box<dyn Error + Send + Sync>;

pin_project! {
    /// The future returned by [`VerifyHottok`](super::VerifyHottok): the
    /// inner service's response, or the rejection's.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<VerifiedBody<B>>>,
        B: Body,
        B::Error: Into<BoxError>,
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
        B: Body,
        B::Error: Into<BoxError>,
    {
        Called { #[pin] future: S::Future },
        Rejected { reason: RejectionReason, config: Arc<Config> },
        // The body fallback's state is boxed (one allocation, kept from the
        // reading to the call), so that the future stays small on the header
        // path.
        Buffering { #[pin] body: Limited<B>, deferred: Option<Box<Deferred<S, B>>> },
        Readying { deferred: Box<Deferred<S, B>> },
    }
}

/// What the body fallback holds between the call and the inner service's.
pub(super) struct Deferred<S, B> {
    /// The request's head, until the body is in.
    parts: Option<request::Parts>,
    /// A clone of the inner service, not yet ready: readiness is sought only
    /// once the body is in and verified.
    inner: S,
    config: Arc<Config>,
    collected: Collected,
    trailers: Option<HeaderMap>,
    /// The verified request, while the inner service gets ready.
    request: Option<Request<VerifiedBody<B>>>,
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
    B: Body,
    B::Error: Into<BoxError>,
{
    pub(super) fn called(future: S::Future) -> Self {
        ResponseFuture {
            state: State::Called { future },
        }
    }

    pub(super) fn rejected(reason: RejectionReason, config: &Arc<Config>) -> Self {
        ResponseFuture {
            state: State::Rejected {
                reason,
                config: Arc::clone(config),
            },
        }
    }

    /// Reads `body` (at most the configured limit, through
    /// `http_body_util::Limited`), then judges it.
    pub(super) fn buffering(body: B, parts: request::Parts, inner: S, config: Arc<Config>) -> Self {
        ResponseFuture {
            state: State::Buffering {
                body: Limited::new(body, config.body_limit),
                deferred: Some(Box::new(Deferred {
                    parts: Some(parts),
                    inner,
                    config,
                    collected: Collected::Empty,
                    trailers: None,
                    request: None,
                })),
            },
        }
    }
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
    B: Body,
    B::Error: Into<BoxError>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Called { .. } => "Called",
            State::Rejected { .. } => "Rejected",
            State::Buffering { .. } => "Buffering",
            State::Readying { .. } => "Readying",
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
    B::Error: Into<BoxError>,
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
                StateProj::Buffering { body, deferred } => match ready!(body.poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        let deferred = deferred
                            .as_mut()
                            .expect("ResponseFuture polled after it completed");
                        match frame.into_data() {
                            Ok(mut data) => {
                                let len = data.remaining();
                                deferred.collected.push(data.copy_to_bytes(len));
                            }
                            Err(frame) => {
                                if let Ok(more) = frame.into_trailers() {
                                    match &mut deferred.trailers {
                                        Some(trailers) => trailers.extend(more),
                                        None => deferred.trailers = Some(more),
                                    }
                                }
                            }
                        }
                        continue;
                    }
                    Some(Err(err)) => State::Rejected {
                        reason: body_failure(err),
                        config: deferred
                            .take()
                            .expect("ResponseFuture polled after it completed")
                            .config,
                    },
                    None => judge(
                        deferred
                            .take()
                            .expect("ResponseFuture polled after it completed"),
                    ),
                },
                StateProj::Readying { deferred } => {
                    ready!(deferred.inner.poll_ready(cx))?;
                    let request = deferred
                        .request
                        .take()
                        .expect("ResponseFuture polled after it completed");
                    State::Called {
                        future: deferred.inner.call(request),
                    }
                }
            };
            state.set(next);
        }
    }
}

/// The whole body is in: judge its `hottok` field (and its size, trailers
/// included), then go on to the inner service with the same bytes, or
/// reject.
fn judge<S, B>(mut deferred: Box<Deferred<S, B>>) -> State<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
    B: Body,
    B::Error: Into<BoxError>,
{
    let bytes = std::mem::take(&mut deferred.collected).into_bytes();
    let trailers_len = deferred.trailers.as_ref().map_or(0, |trailers| {
        trailers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    });
    let config = &deferred.config;
    let verdict = if bytes.len().saturating_add(trailers_len) > config.body_limit {
        Err(RejectionReason::TooLarge)
    } else {
        match find::find(&bytes) {
            BodyHottok::Found(token) => check(token.as_bytes(), &config.hottok),
            BodyHottok::Missing => Err(RejectionReason::Missing),
            BodyHottok::Duplicate => Err(RejectionReason::Duplicate),
            BodyHottok::Malformed => Err(RejectionReason::Malformed),
        }
    };
    match (verdict, deferred.parts.take()) {
        (Ok(token), Some(mut parts)) => {
            parts
                .extensions
                .insert(Verified::new(HottokSource::Body, token));
            let body = VerifiedBody::buffered(bytes, deferred.trailers.take());
            deferred.request = Some(Request::from_parts(parts, body));
            // The same allocation goes on to the next state.
            State::Readying { deferred }
        }
        (Err(reason), _) => State::Rejected {
            reason,
            config: deferred.config,
        },
        (Ok(_), None) => panic!("ResponseFuture polled after it completed"),
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
    fn push(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        *self = match std::mem::take(self) {
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

/// A body that failed while being read: `TooLarge` when a length limit
/// tripped (the layer's own, or one outside it, such as
/// `http_body_util::Limited` or tower-http's `RequestBodyLimit`), else
/// `BodyError`.
fn body_failure(err: BoxError) -> RejectionReason {
    let mut cause: Option<&(dyn Error + 'static)> = Some(&*err);
    while let Some(error) = cause {
        if error.is::<LengthLimitError>() {
            return RejectionReason::TooLarge;
        }
        cause = error.source();
    }
    RejectionReason::BodyError
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    #[derive(Debug)]
    struct Wrapped(BoxError);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("wrapped")
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.0)
        }
    }

    async fn limit_error() -> BoxError {
        let body = Limited::new(Full::new(Bytes::from_static(b"two")), 1);
        match body.collect().await {
            Ok(_) => panic!("three bytes fit a limit of one"),
            Err(err) => err,
        }
    }

    #[tokio::test]
    async fn a_length_limit_anywhere_in_the_chain_is_too_large() {
        assert_eq!(body_failure(limit_error().await), RejectionReason::TooLarge);
        assert_eq!(
            body_failure(Box::new(Wrapped(limit_error().await))),
            RejectionReason::TooLarge
        );
        assert_eq!(
            body_failure("connection reset".into()),
            RejectionReason::BodyError
        );
    }
}
