//! Who may see the history page: the admin token, a session cookie, CSRF.
//!
//! Two ways in, both checked in constant time with `subtle`:
//!
//! - **Scripts** send `Authorization: Bearer <admin token>` on every request.
//!   No cookie is involved, so a browser cannot be tricked into sending it:
//!   such requests need no CSRF token.
//! - **People** post the token once to `/admin/login` (a form field named
//!   `token`) and get a session cookie, `HttpOnly; SameSite=Strict;
//!   Path=/admin`. Every form that changes something carries a CSRF token.
//!
//! The session cookie is stateless: `v1.<expiry>.<nonce>.<mac>`, where
//! `mac` is an HMAC-SHA256 of the expiry and nonce keyed by a key derived from the admin token. So
//! the token itself is never in the cookie; every receiver instance that has
//! the same token accepts the cookie (no session table to share); and
//! changing the token logs everyone out. The price of statelessness: logging
//! out removes the cookie from that browser, but a copy taken before stays
//! valid until it expires ([`SESSION_LIFETIME`]) or the token changes.
//!
//! The CSRF token is an HMAC of the session cookie's value under a second
//! derived key: a page can only show it to someone who holds the cookie, and
//! a cross-site form (which `SameSite=Strict` already keeps the cookie from)
//! cannot guess it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, header};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::AdminToken;

type HmacSha256 = Hmac<Sha256>;

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "hotmart_admin";

/// How long a session lasts after login.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The name of the hidden form field that carries the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// The admin token and the keys derived from it. `Debug` prints nothing
/// secret.
#[derive(Clone)]
pub(crate) struct AdminKeys {
    /// Compares candidates in constant time (hashed first, so the length
    /// does not leak either).
    token: Arc<AdminToken>,
    session_key: [u8; 32],
    csrf_key: [u8; 32],
}

impl fmt::Debug for AdminKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKeys(<redacted>)")
    }
}

/// How a request proved it may use the admin pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer` with the admin token: no CSRF token needed.
    Bearer,
    /// A valid session cookie; the value is kept to check CSRF tokens.
    Session(String),
}

impl Credential {
    /// The CSRF token forms must carry, or `None` for bearer requests (which
    /// need none).
    pub(crate) fn csrf_token(&self, keys: &AdminKeys) -> Option<String> {
        match self {
            Credential::Bearer => None,
            Credential::Session(cookie) => Some(keys.csrf_token(cookie)),
        }
    }

    /// Whether a state-changing request may go ahead: always for bearer
    /// requests, and for a session only with the matching CSRF token.
    pub(crate) fn allows_change(&self, keys: &AdminKeys, submitted: Option<&str>) -> bool {
        match self {
            Credential::Bearer => true,
            Credential::Session(cookie) => {
                let Some(submitted) = submitted else {
                    return false;
                };
                let expected = keys.csrf_token(cookie);
                bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
            }
        }
    }
}

/// What [`AdminKeys::authenticate`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Authentication {
    /// The request may go ahead.
    Allowed(Credential),
    /// No credential at all: a browser is sent to the login form.
    Missing,
    /// A credential that is wrong or expired: `401` for scripts; a browser
    /// with a stale cookie is sent to the login form.
    Refused,
}

impl AdminKeys {
    /// Derives the keys from the admin token (from its SHA-256 digest, which
    /// is all [`AdminToken`] keeps).
    pub(crate) fn new(token: Arc<AdminToken>) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = HmacSha256::new_from_slice(token.digest())
                .expect("HMAC accepts keys of any length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        AdminKeys {
            session_key: derive(b"hotmart-receiver admin session v1"),
            csrf_key: derive(b"hotmart-receiver admin csrf v1"),
            token,
        }
    }

    /// Whether `candidate` is the admin token, in constant time.
    pub(crate) fn token_matches(&self, candidate: &str) -> bool {
        self.token.matches(candidate.as_bytes())
    }

    /// A new session cookie value that expires [`SESSION_LIFETIME`] after
    /// `now`. Each login gets its own (a nonce), so each has its own CSRF
    /// token.
    pub(crate) fn new_session(&self, now: SystemTime) -> String {
        static LOGINS: AtomicU64 = AtomicU64::new(0);
        let expiry = unix_seconds(now).saturating_add(SESSION_LIFETIME.as_secs());
        let nanos = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let nonce = (u64::from(nanos) << 20) ^ LOGINS.fetch_add(1, Ordering::Relaxed);
        let signed = format!("{expiry}.{nonce:x}");
        format!(
            "v1.{signed}.{}",
            hex(&self.mac(&self.session_key, signed.as_bytes()))
        )
    }

    /// Whether a session cookie value is authentic and not expired at `now`.
    pub(crate) fn session_is_valid(&self, value: &str, now: SystemTime) -> bool {
        let Some(("v1", rest)) = value.split_once('.') else {
            return false;
        };
        let Some((signed, mac)) = rest.rsplit_once('.') else {
            return false;
        };
        let expected = hex(&self.mac(&self.session_key, signed.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return false;
        }
        // Only an authentic expiry is worth reading.
        let expiry = signed.split('.').next().unwrap_or("");
        expiry
            .parse::<u64>()
            .is_ok_and(|expiry| unix_seconds(now) < expiry)
    }

    /// The CSRF token that goes with a session cookie value.
    pub(crate) fn csrf_token(&self, session: &str) -> String {
        hex(&self.mac(&self.csrf_key, session.as_bytes()))
    }

    /// Checks a request's `Authorization` header, then its session cookie.
    /// A present but wrong `Authorization` header refuses the request even
    /// if a cookie is valid: a script with a bad token should hear so.
    pub(crate) fn authenticate(&self, headers: &HeaderMap, now: SystemTime) -> Authentication {
        let mut authorizations = headers.get_all(header::AUTHORIZATION).iter();
        if let Some(authorization) = authorizations.next() {
            let bearer = authorization
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer "));
            return match bearer {
                Some(token) if authorizations.next().is_none() && self.token_matches(token) => {
                    Authentication::Allowed(Credential::Bearer)
                }
                _ => Authentication::Refused,
            };
        }
        match session_cookie(headers) {
            None => Authentication::Missing,
            Some(value) if self.session_is_valid(value, now) => {
                Authentication::Allowed(Credential::Session(value.to_owned()))
            }
            Some(_) => Authentication::Refused,
        }
    }

    fn mac(&self, key: &[u8; 32], message: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

/// The value of our session cookie in the request, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` header that starts a session. `Secure` is added when
/// the request came through an HTTPS proxy (`X-Forwarded-Proto: https`):
/// over plain HTTP on a loopback address, a `Secure` cookie would not be
/// sent back at all.
pub(crate) fn set_session_cookie(value: &str, request: &HeaderMap) -> HeaderValue {
    let secure = if forwarded_https(request) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/admin; Max-Age={}{secure}",
        SESSION_LIFETIME.as_secs()
    );
    HeaderValue::from_str(&cookie).expect("the cookie is hex digits, dots and ASCII attributes")
}

/// The `Set-Cookie` header that ends a session in this browser.
pub(crate) fn clear_session_cookie(request: &HeaderMap) -> HeaderValue {
    let secure = if forwarded_https(request) {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/admin; Max-Age=0{secure}");
    HeaderValue::from_str(&cookie).expect("an ASCII cookie")
}

fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "admin-secret-0123456789";

    fn keys() -> AdminKeys {
        AdminKeys::new(Arc::new(AdminToken::new(TOKEN).unwrap()))
    }

    #[test]
    fn a_new_session_is_valid_until_it_expires() {
        let now = SystemTime::now();
        let session = keys().new_session(now);
        assert!(keys().session_is_valid(&session, now));
        assert!(
            !keys().session_is_valid(&session, now + SESSION_LIFETIME + Duration::from_secs(1))
        );
    }

    #[test]
    fn the_cookie_never_contains_the_token() {
        let session = keys().new_session(SystemTime::now());
        assert!(!session.contains(TOKEN));
        assert!(!format!("{:?}", keys()).contains(TOKEN));
    }

    #[test]
    fn changing_the_token_invalidates_sessions() {
        let now = SystemTime::now();
        let session = keys().new_session(now);
        let other = AdminKeys::new(Arc::new(
            AdminToken::new("another-secret-0123456789").unwrap(),
        ));
        assert!(!other.session_is_valid(&session, now));
    }

    #[test]
    fn a_forged_expiry_is_refused() {
        let now = SystemTime::now();
        let session = keys().new_session(now);
        let mac = session.rsplit('.').next().unwrap();
        let nonce = session.split('.').nth(2).unwrap();
        let forged = format!("v1.99999999999.{nonce}.{mac}");
        assert!(!keys().session_is_valid(&forged, now));
        assert!(!keys().session_is_valid(&format!("v1.{mac}"), now));
        assert!(!keys().session_is_valid("v1.1.2.3", now));
        assert!(!keys().session_is_valid("", now));
    }

    #[test]
    fn two_logins_at_the_same_instant_get_different_sessions() {
        let now = SystemTime::now();
        assert_ne!(keys().new_session(now), keys().new_session(now));
    }

    #[test]
    fn csrf_tokens_belong_to_one_session() {
        let keys = keys();
        let now = SystemTime::now();
        let one = Credential::Session(keys.new_session(now));
        let other = Credential::Session(keys.new_session(now + Duration::from_secs(5)));
        let token = one.csrf_token(&keys).unwrap();
        assert!(one.allows_change(&keys, Some(&token)));
        assert!(!other.allows_change(&keys, Some(&token)));
        assert!(!one.allows_change(&keys, None));
        assert!(!one.allows_change(&keys, Some("")));
        assert!(Credential::Bearer.allows_change(&keys, None));
    }

    #[test]
    fn bearer_and_cookie_are_both_accepted() {
        let keys = keys();
        let now = SystemTime::now();
        let mut headers = HeaderMap::new();
        assert_eq!(keys.authenticate(&headers, now), Authentication::Missing);
        let bearer = format!("Bearer {TOKEN}");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&bearer).unwrap(),
        );
        assert_eq!(
            keys.authenticate(&headers, now),
            Authentication::Allowed(Credential::Bearer)
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer admin-secret-012345678X"),
        );
        assert_eq!(keys.authenticate(&headers, now), Authentication::Refused);

        let session = keys.new_session(now);
        let mut headers = HeaderMap::new();
        let cookie = format!("other=1; {COOKIE_NAME}={session}; more=2");
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
        assert_eq!(
            keys.authenticate(&headers, now),
            Authentication::Allowed(Credential::Session(session))
        );
    }
}
