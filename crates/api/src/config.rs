//! [`Config`]: where the API lives and how the client behaves.

use std::fmt;
use std::time::Duration;

use crate::RetryPolicy;

/// The production API host (`HOTMART_API_URL` overrides it).
pub const DEFAULT_API_URL: &str = "https://developers.hotmart.com";
/// The production authentication host (`HOTMART_AUTH_URL` overrides it).
pub const DEFAULT_AUTH_URL: &str = "https://api-sec-vlc.hotmart.com";
/// The token endpoint's path on the authentication host.
pub const TOKEN_PATH: &str = "/security/oauth/token";
/// The environment variable overriding the API base URL.
pub const ENV_API_URL: &str = "HOTMART_API_URL";
/// The environment variable overriding the authentication base URL.
pub const ENV_AUTH_URL: &str = "HOTMART_AUTH_URL";
/// The largest page Hotmart serves.
pub const MAX_PAGE_SIZE: u32 = 500;

/// Settings of a [`Client`](crate::Client): base URLs, page size, retries,
/// timeouts. [`Config::default`] is production; [`Config::from_env`] reads
/// the two URL overrides.
///
/// ```
/// use hotmart_api::Config;
/// let config = Config::default().api_url("http://127.0.0.1:8080")?.page_size(100);
/// assert_eq!(config.api_base(), "http://127.0.0.1:8080");
/// # Ok::<(), hotmart_api::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) api_url: String,
    pub(crate) auth_url: String,
    pub(crate) page_size: u32,
    pub(crate) retry: RetryPolicy,
    pub(crate) request_timeout: Duration,
    pub(crate) min_window: Duration,
    pub(crate) default_reset: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_url: DEFAULT_API_URL.to_owned(),
            auth_url: DEFAULT_AUTH_URL.to_owned(),
            page_size: MAX_PAGE_SIZE,
            retry: RetryPolicy::default(),
            // Hotmart gives up on a query after 30 s (and answers 502).
            request_timeout: Duration::from_secs(60),
            min_window: Duration::from_secs(60),
            default_reset: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// The defaults, with `HOTMART_API_URL` and `HOTMART_AUTH_URL` applied
    /// when set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading from any lookup function.
    pub fn from_lookup(
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        if let Some(url) = lookup(ENV_API_URL).filter(|v| !v.trim().is_empty()) {
            config = config.api_url(&url).map_err(|e| e.named(ENV_API_URL))?;
        }
        if let Some(url) = lookup(ENV_AUTH_URL).filter(|v| !v.trim().is_empty()) {
            config = config.auth_url(&url).map_err(|e| e.named(ENV_AUTH_URL))?;
        }
        Ok(config)
    }

    /// Sets the API base URL (`http` or `https`, no query).
    pub fn api_url(mut self, url: &str) -> Result<Self, ConfigError> {
        self.api_url = base_url(url)?;
        Ok(self)
    }

    /// Sets the authentication base URL (the token path is appended).
    pub fn auth_url(mut self, url: &str) -> Result<Self, ConfigError> {
        self.auth_url = base_url(url)?;
        Ok(self)
    }

    /// Rows per page, 1 to 500 (clamped).
    pub fn page_size(mut self, rows: u32) -> Self {
        self.page_size = rows.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// The retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long one HTTP exchange may take (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The narrowest history window that is still split in two when Hotmart
    /// answers `502` (default one minute); a narrower one is retried instead.
    pub fn min_window(mut self, span: Duration) -> Self {
        self.min_window = span;
        self
    }

    /// The API base URL.
    pub fn api_base(&self) -> &str {
        &self.api_url
    }

    /// The authentication base URL.
    pub fn auth_base(&self) -> &str {
        &self.auth_url
    }
}

fn base_url(url: &str) -> Result<String, ConfigError> {
    let url = url.trim().trim_end_matches('/');
    let uri: http::Uri = url.parse().map_err(|_| ConfigError::new("is not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(ConfigError::new("must start with http:// or https://")),
    }
    if uri.host().is_none() {
        return Err(ConfigError::new("has no host"));
    }
    if uri.query().is_some() {
        return Err(ConfigError::new("must not have a query string"));
    }
    Ok(url.to_owned())
}

/// A bad setting: one line naming it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    setting: &'static str,
    problem: &'static str,
}

impl ConfigError {
    fn new(problem: &'static str) -> Self {
        ConfigError {
            setting: "the base URL",
            problem,
        }
    }

    fn named(mut self, setting: &'static str) -> Self {
        self.setting = setting;
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_the_base_urls_and_a_bad_one_names_its_variable() {
        let config = Config::from_lookup(|n| match n {
            ENV_API_URL => Some("http://127.0.0.1:9/".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.api_base(), "http://127.0.0.1:9");
        assert_eq!(config.auth_base(), DEFAULT_AUTH_URL);
        let err =
            Config::from_lookup(|n| (n == ENV_AUTH_URL).then(|| "ftp://x".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "HOTMART_AUTH_URL must start with http:// or https://"
        );
    }
}
