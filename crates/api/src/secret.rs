//! [`Secret`] and [`Credentials`]: what must never be printed.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A secret string (a client secret, a Basic value, an access token).
///
/// `Debug` prints `Secret(<redacted>)`; there is no `Display`, no
/// `Serialize` and no `PartialEq`, so a secret cannot end up in a log line,
/// an error message or a JSON output by accident. [`Secret::expose`] is the
/// one way to read it, and this crate calls it only to build a request.
///
/// ```
/// use hotmart_api::Secret;
/// let s = Secret::new("abc123");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.expose(), "abc123");
/// ```
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, to put in a request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The API credentials of a Hotmart account: client ID, client secret, and
/// the "Basic" value the dashboard shows beside them
/// (`base64(client_id:client_secret)`).
///
/// Any two of the three determine the third, so you may give the ID and the
/// secret ([`Credentials::new`]), the Basic value alone
/// ([`Credentials::from_basic`]), or all three. The Basic value is accepted
/// with or without its `Basic ` prefix, since users paste it both ways.
///
/// `Debug` shows the client ID only.
///
/// ```
/// use hotmart_api::Credentials;
///
/// let a = Credentials::new("my-id", "my-secret")?;
/// let b = Credentials::from_basic("Basic bXktaWQ6bXktc2VjcmV0")?;
/// let c = Credentials::from_basic("bXktaWQ6bXktc2VjcmV0")?;
/// assert_eq!(a.basic().expose(), b.basic().expose());
/// assert_eq!(b.client_id(), "my-id");
/// assert_eq!(c.client_secret().expose(), "my-secret");
/// assert!(!format!("{a:?}").contains("my-secret"));
/// # Ok::<(), hotmart_api::CredentialsError>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: Secret,
    basic: Secret,
}

/// The environment variable holding the client ID.
pub const ENV_CLIENT_ID: &str = "HOTMART_CLIENT_ID";
/// The environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "HOTMART_CLIENT_SECRET";
/// The environment variable holding the Basic value (with or without `Basic `).
pub const ENV_BASIC: &str = "HOTMART_BASIC";

impl Credentials {
    /// Credentials from the client ID and secret; the Basic value is computed.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Result<Self, CredentialsError> {
        let client_id = client_id.into();
        let client_secret = client_secret.into();
        check_part(&client_id, "client ID")?;
        check_part(&client_secret, "client secret")?;
        let basic = STANDARD.encode(format!("{client_id}:{client_secret}"));
        Ok(Credentials {
            client_id,
            client_secret: Secret(client_secret),
            basic: Secret(basic),
        })
    }

    /// Credentials from the Basic value alone (`base64(id:secret)`, with or
    /// without the `Basic ` prefix): the ID and secret are decoded from it.
    pub fn from_basic(basic: &str) -> Result<Self, CredentialsError> {
        let encoded = strip_basic(basic)?;
        let decoded = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(CredentialsError(
                "the Basic value is not base64 of `client_id:client_secret`",
            ))?;
        let (id, secret) = decoded.split_once(':').ok_or(CredentialsError(
            "the Basic value is not base64 of `client_id:client_secret`",
        ))?;
        let mut credentials = Credentials::new(id, secret)?;
        // Send the value exactly as the dashboard gave it.
        credentials.basic = Secret(encoded.to_owned());
        Ok(credentials)
    }

    /// Credentials from all three values, the Basic value sent as given
    /// (without its optional `Basic ` prefix).
    pub fn with_basic(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        basic: &str,
    ) -> Result<Self, CredentialsError> {
        let mut credentials = Credentials::new(client_id, client_secret)?;
        credentials.basic = Secret(strip_basic(basic)?.to_owned());
        Ok(credentials)
    }

    /// Reads `HOTMART_CLIENT_ID`, `HOTMART_CLIENT_SECRET` and `HOTMART_BASIC`:
    /// the ID and secret, or the Basic value, or all three. Errors name the
    /// variables, never their values.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Credentials::from_env`], reading from any lookup function (for
    /// command-line flags layered over the environment, and for tests).
    pub fn from_lookup(
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, CredentialsError> {
        let mut get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let id = get(ENV_CLIENT_ID);
        let secret = get(ENV_CLIENT_SECRET);
        let basic = get(ENV_BASIC);
        match (id, secret, basic) {
            (Some(id), Some(secret), Some(basic)) => Credentials::with_basic(id, secret, &basic),
            (Some(id), Some(secret), None) => Credentials::new(id, secret),
            (_, _, Some(basic)) => Credentials::from_basic(&basic),
            _ => Err(CredentialsError(
                "no Hotmart API credentials: set HOTMART_CLIENT_ID and HOTMART_CLIENT_SECRET, or HOTMART_BASIC",
            )),
        }
    }

    /// The client ID (not a secret: it is sent in the token request's URL).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret.
    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    /// The Basic value, without the `Basic ` prefix.
    pub fn basic(&self) -> &Secret {
        &self.basic
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("basic", &self.basic)
            .finish()
    }
}

fn strip_basic(basic: &str) -> Result<&str, CredentialsError> {
    let trimmed = basic.trim();
    let value = match trimmed.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("basic ") => trimmed[6..].trim_start(),
        _ => trimmed,
    };
    check_part(value, "Basic value")?;
    Ok(value)
}

fn check_part(value: &str, what: &'static str) -> Result<(), CredentialsError> {
    if value.is_empty() {
        return Err(CredentialsError(match what {
            "client ID" => "the client ID is empty",
            "client secret" => "the client secret is empty",
            _ => "the Basic value is empty",
        }));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CredentialsError(match what {
            "client ID" => "the client ID has spaces or characters outside visible ASCII",
            "client secret" => "the client secret has spaces or characters outside visible ASCII",
            _ => "the Basic value has spaces or characters outside visible ASCII",
        }));
    }
    Ok(())
}

/// Unusable credentials. The message names what is wrong, never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialsError(&'static str);

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CredentialsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_value_is_accepted_with_or_without_its_prefix() {
        let a = Credentials::from_basic("Basic aWQ6c2VjcmV0").unwrap();
        let b = Credentials::from_basic("aWQ6c2VjcmV0").unwrap();
        let c = Credentials::from_basic("  basic   aWQ6c2VjcmV0 ").unwrap();
        for x in [&a, &b, &c] {
            assert_eq!(x.client_id(), "id");
            assert_eq!(x.client_secret().expose(), "secret");
            assert_eq!(x.basic().expose(), "aWQ6c2VjcmV0");
        }
    }

    #[test]
    fn env_needs_id_and_secret_or_basic() {
        let none = Credentials::from_lookup(|_| None).unwrap_err();
        assert!(none.to_string().contains("HOTMART_BASIC"));
        let only_id = Credentials::from_lookup(|n| (n == ENV_CLIENT_ID).then(|| "x".into()));
        assert!(only_id.is_err());
        let ok = Credentials::from_lookup(|n| match n {
            ENV_CLIENT_ID => Some("id".into()),
            ENV_CLIENT_SECRET => Some("secret".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(ok.basic().expose(), "aWQ6c2VjcmV0");
    }

    #[test]
    fn a_bad_basic_value_is_an_error_that_does_not_echo_it() {
        let err = Credentials::from_basic("Basic not-base64!!").unwrap_err();
        assert!(!err.to_string().contains("not-base64"));
    }
}
