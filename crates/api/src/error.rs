//! [`Error`]: what went wrong talking to Hotmart, without any secret.

use std::fmt;

use http::StatusCode;
use serde::Deserialize;

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token endpoint refused the credentials (`400`/`401`/`403` there):
    /// fix `HOTMART_CLIENT_ID`/`HOTMART_CLIENT_SECRET`/`HOTMART_BASIC`.
    Credentials,
    /// The API refused the token even after a fresh one was fetched, or the
    /// credentials lack the permission (`401`/`403`).
    Unauthorized,
    /// Hotmart refused the request (`400`, `404`, …): a bad parameter.
    Request,
    /// Still `429` after every retry.
    RateLimited,
    /// Still `500`/`502`/`503` after every retry (or a `502` on a window too
    /// narrow to split).
    Server,
    /// No answer: connection refused or reset, TLS failure, timeout.
    Transport,
    /// An answer that is not the JSON expected.
    Decode,
}

/// Hotmart's error body: `{"error": "...", "error_description": "..."}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct HotmartError {
    /// The error code (`invalid_parameter`, `token_expired`, `unauthorized`,
    /// `too_many_requests`, …).
    #[serde(default)]
    pub error: Option<String>,
    /// The human-readable description.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// A failed call to Hotmart's API.
///
/// It carries the HTTP status and Hotmart's `error` / `error_description`
/// when there was an answer. Its `Display` and `Debug` name the endpoint's
/// path, never its query (the token request carries the client secret in
/// its query), and never a credential or token: the client scrubs any it
/// knows from Hotmart's text before building the error.
#[derive(Clone, Debug)]
pub struct Error {
    kind: ErrorKind,
    endpoint: &'static str,
    status: Option<StatusCode>,
    hotmart: Option<HotmartError>,
    detail: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, endpoint: &'static str, detail: impl Into<String>) -> Self {
        Error {
            kind,
            endpoint,
            status: None,
            hotmart: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn with_status(mut self, status: StatusCode, hotmart: Option<HotmartError>) -> Self {
        self.status = Some(status);
        self.hotmart = hotmart;
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status of Hotmart's answer, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// Hotmart's `error` code, if it sent one.
    pub fn error_code(&self) -> Option<&str> {
        self.hotmart.as_ref()?.error.as_deref()
    }

    /// Hotmart's `error_description`, if it sent one.
    pub fn error_description(&self) -> Option<&str> {
        self.hotmart.as_ref()?.error_description.as_deref()
    }

    /// The endpoint's path (`/payments/api/v1/sales/history`, …).
    pub fn endpoint(&self) -> &str {
        self.endpoint
    }

    /// True for failures of the credentials themselves (a command-line tool
    /// exits with status 2 for these, as for bad usage).
    pub fn is_credentials(&self) -> bool {
        matches!(self.kind, ErrorKind::Credentials | ErrorKind::Unauthorized)
    }

    pub(crate) fn scrub(mut self, secrets: &[&str]) -> Self {
        self.detail = scrub(&self.detail, secrets);
        if let Some(h) = &mut self.hotmart {
            for text in [&mut h.error, &mut h.error_description]
                .into_iter()
                .flatten()
            {
                *text = scrub(text, secrets);
            }
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hotmart API {}: ", self.endpoint)?;
        if let Some(status) = self.status {
            write!(f, "HTTP {}", status.as_u16())?;
            if let Some(code) = self.error_code() {
                write!(f, " {code}")?;
            }
            if let Some(description) = self.error_description() {
                write!(f, ": {description}")?;
            }
            if !self.detail.is_empty() {
                write!(f, " ({})", self.detail)?;
            }
            Ok(())
        } else {
            f.write_str(&self.detail)
        }
    }
}

impl std::error::Error for Error {}

/// Replaces every occurrence of a known secret (and cuts text that is too
/// long for one line).
fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, "<redacted>");
        }
    }
    if out.len() > 300 {
        let mut cut = 300;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_status_and_hotmarts_words_but_no_known_secret() {
        let err = Error::new(
            ErrorKind::Unauthorized,
            "/payments/api/v1/sales/history",
            "",
        )
        .with_status(
            StatusCode::UNAUTHORIZED,
            Some(HotmartError {
                error: Some("invalid_token".into()),
                error_description: Some("Invalid access token: tok-123456".into()),
            }),
        )
        .scrub(&["tok-123456"]);
        let text = err.to_string();
        assert_eq!(
            text,
            "Hotmart API /payments/api/v1/sales/history: HTTP 401 invalid_token: Invalid access token: <redacted>"
        );
        assert!(!format!("{err:?}").contains("tok-123456"));
        assert_eq!(err.error_code(), Some("invalid_token"));
    }
}
