//! [`ResponseFuture`]: the inner service's response, or the rejection's; on
//! the body fallback, the body is read and judged first, and only then is a
//! clone of the inner service driven to readiness and called.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, request};
use http_body::Body;
use http_body_util::combinators::Collect;
use http_body_util::{BodyExt, LengthLimitError, Limited};
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
        // Boxed, so that the future stays small on the header path.
        Buffering {
            collect: Pin<Box<Collect<Limited<B>>>>,
            pending: Option<Box<Pending<S>>>,
        },
        Readying { ready: Option<Box<Readying<S, B>>> },
    }
}

/// What the body fallback holds while the body is read.
pub(super) struct Pending<S> {
    pub(super) parts: request::Parts,
    /// A clone of the inner service, not yet ready: readiness is sought only
    /// once the body is in and verified.
    pub(super) inner: S,
    pub(super) config: Arc<Config>,
}

/// A verified request waiting for the inner service to be ready.
struct Readying<S, B> {
    inner: S,
    request: Request<VerifiedBody<B>>,
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

    /// Reads `body` (at most the configured limit), then judges it.
    pub(super) fn buffering(body: B, pending: Pending<S>) -> Self {
        let limit = pending.config.body_limit;
        ResponseFuture {
            state: State::Buffering {
                collect: Box::pin(Limited::new(body, limit).collect()),
                pending: Some(Box::new(pending)),
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
                StateProj::Buffering { collect, pending } => {
                    let collected = ready!(collect.as_mut().poll(cx));
                    let pending = pending
                        .take()
                        .expect("ResponseFuture polled after it completed");
                    match collected {
                        Ok(collected) => {
                            let trailers = collected.trailers().cloned();
                            judge(*pending, collected.to_bytes(), trailers)
                        }
                        Err(err) => State::Rejected {
                            reason: body_failure(err),
                            config: pending.config,
                        },
                    }
                }
                StateProj::Readying { ready } => {
                    let waiting = ready
                        .as_mut()
                        .expect("ResponseFuture polled after it completed");
                    ready!(waiting.inner.poll_ready(cx))?;
                    let Readying { mut inner, request } = *ready.take().expect("just seen");
                    State::Called {
                        future: inner.call(request),
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
fn judge<S, B>(pending: Pending<S>, bytes: Bytes, trailers: Option<HeaderMap>) -> State<S, B>
where
    S: Service<Request<VerifiedBody<B>>>,
    B: Body,
    B::Error: Into<BoxError>,
{
    let Pending {
        mut parts,
        inner,
        config,
    } = pending;
    let trailers_len = trailers.as_ref().map_or(0, |trailers| {
        trailers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum()
    });
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
    match verdict {
        Ok(token) => {
            parts
                .extensions
                .insert(Verified::new(HottokSource::Body, token));
            let body = VerifiedBody::buffered(bytes, trailers);
            State::Readying {
                ready: Some(Box::new(Readying {
                    inner,
                    request: Request::from_parts(parts, body),
                })),
            }
        }
        Err(reason) => State::Rejected { reason, config },
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
    use http_body_util::Full;

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
