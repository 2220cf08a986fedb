//! [`Verified`], the proof a request passed, and [`Rejection`], the answer
//! to one that did not.

use std::error::Error;
use std::fmt;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use crate::hottok::MatchedToken;

/// The challenge of every default `401`.
const WWW_AUTHENTICATE_VALUE: &str = r#"Hottok realm="hotmart-webhook""#;

/// Proof, in the request extensions, that [`VerifyHottok`](super::VerifyHottok) accepted the
/// request.
///
/// Only this crate can construct it, so a handler (or an extractor) that finds
/// it knows the hottok was checked:
///
/// ```
/// use hotmart_webhook::layer::{HottokSource, Verified};
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
    /// [`Hottok::verify`](crate::Hottok::verify)).
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
    /// An empty hottok, one longer than [`MAX_HOTTOK_LEN`](crate::MAX_HOTTOK_LEN), one with bytes
    /// outside visible ASCII, a JSON `hottok` that is not a string, or a body
    /// starting with `{` that is not valid JSON. `401`.
    Malformed,
    /// The body (read because the header was absent) is larger than the
    /// limit. `413`.
    TooLarge,
    /// The body failed while it was being read. `400`. (A limit outside the
    /// layer that trips while the body is read, such as
    /// `http_body_util::Limited` or tower-http's `RequestBodyLimit`, is
    /// [`TooLarge`](RejectionReason::TooLarge).)
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

/// A request refused by [`VerifyHottok`](super::VerifyHottok).
///
/// It becomes a response, never an error: by default
/// [`to_response`](Rejection::to_response), or what the function given to
/// [`VerifyHottokLayer::on_rejection`](super::VerifyHottokLayer::on_rejection) makes of it. It carries the reason
/// only, never a token or any part of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub(super) reason: RejectionReason,
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
    /// `{"success":false,"error":{"code":…,"message":…}}`; a `401` also
    /// carries `WWW-Authenticate: Hottok realm="hotmart-webhook"` (RFC 9110
    /// §15.5.2: the scheme names the `X-HOTMART-HOTTOK` token, no standard
    /// scheme fits).
    ///
    /// ```
    /// # use hotmart_webhook::layer::Rejection;
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
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.status() == StatusCode::UNAUTHORIZED {
            // RFC 9110 §15.5.2: a 401 carries at least one challenge.
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE_VALUE),
            );
        }
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
