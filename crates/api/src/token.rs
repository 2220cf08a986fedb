//! The access token: fetched with the client credentials, cached, refreshed
//! five minutes before it expires, invalidated on a `401`.

use std::time::{Duration, Instant};

use http::header::{ACCEPT, AUTHORIZATION};
use http::{Method, Request, StatusCode};
use http_body_util::Empty;
use serde::Deserialize;

use crate::config::TOKEN_PATH;
use crate::error::ErrorKind;
use crate::lenient::u64_or_string;
use crate::transport::{Transport, decode, hotmart_error, sensitive};
use crate::{Error, Secret};

/// Refresh this long before the token expires.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The cached token; its lock is held while a new one is fetched, so that
/// concurrent callers wait for one fetch instead of making their own.
#[derive(Default)]
pub(crate) struct TokenCache {
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<Token>,
    generation: u64,
}

/// A token and the generation that identifies it for invalidation.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: Secret,
    pub(crate) generation: u64,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// Seconds (not milliseconds: adding it to a millisecond clock is a
    /// known bug of one public client).
    #[serde(default, deserialize_with = "u64_or_string")]
    expires_in: Option<u64>,
}

impl TokenCache {
    /// Forgets the token of `generation`, unless a newer one replaced it
    /// meanwhile (another task already refreshed).
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|t| t.generation == generation)
        {
            state.current = None;
        }
    }
}

impl Transport {
    /// The cached token, or a new one when there is none or it is within
    /// five minutes of expiring.
    pub(crate) async fn token(&self) -> Result<Token, Error> {
        let mut state = self.tokens.state.lock().await;
        if let Some(token) = &state.current {
            if self.clock.now() < token.refresh_at {
                return Ok(token.clone());
            }
        }
        let (value, lifetime) = self.fetch_token().await?;
        // Refresh five minutes early, or halfway for a token that lives
        // less than ten minutes.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        state.generation += 1;
        let token = Token {
            value,
            generation: state.generation,
            refresh_at: self.clock.now() + lifetime - margin,
        };
        state.current = Some(token.clone());
        tracing::debug!(
            expires_in_secs = lifetime.as_secs(),
            "fetched a Hotmart access token"
        );
        Ok(token)
    }

    /// `POST {auth}/security/oauth/token?grant_type=client_credentials&…`
    /// with the Basic value; retried like any call on `429`/`5xx`/no answer.
    async fn fetch_token(&self) -> Result<(Secret, Duration), Error> {
        let mut url = format!("{}{}?", self.config.auth_url, TOKEN_PATH);
        url.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", self.credentials.client_id())
                .append_pair("client_secret", self.credentials.client_secret().expose())
                .finish(),
        );
        let uri: http::Uri = url.parse().map_err(|_| {
            Error::new(
                ErrorKind::Credentials,
                TOKEN_PATH,
                "the client ID or secret cannot be put in a URL",
            )
        })?;
        let mut retries = 0;
        loop {
            let request = Request::builder()
                .method(Method::POST)
                .uri(uri.clone())
                .header(
                    AUTHORIZATION,
                    sensitive(&format!("Basic {}", self.credentials.basic().expose()))
                        .map_err(|e| self.scrubbed(e, None))?,
                )
                .header(ACCEPT, "application/json")
                .body(Empty::new())
                .map_err(|_| {
                    Error::new(
                        ErrorKind::Credentials,
                        TOKEN_PATH,
                        "the Basic value cannot be sent",
                    )
                })?;
            let outcome = self.exchange(request, TOKEN_PATH).await;
            let answer = match outcome {
                Ok(answer) => answer,
                Err(err) if retries < self.config.retry.max_retries() => {
                    drop(err);
                    self.backoff(retries).await;
                    retries += 1;
                    continue;
                }
                Err(err) => return Err(self.scrubbed(err, None)),
            };
            self.note_rate_limit(&answer);
            let status = answer.status;
            if status.is_success() {
                let parsed: TokenAnswer = decode(TOKEN_PATH, &answer.body).map_err(|_| {
                    // Never echo the body: it holds the token.
                    Error::new(
                        ErrorKind::Decode,
                        TOKEN_PATH,
                        "the token answer is not the JSON expected",
                    )
                })?;
                if parsed.access_token.is_empty() {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        TOKEN_PATH,
                        "the token answer has an empty token",
                    ));
                }
                let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
                return Ok((Secret::new(parsed.access_token), lifetime));
            }
            if matches!(status.as_u16(), 429 | 500 | 502 | 503)
                && retries < self.config.retry.max_retries()
            {
                self.backoff(retries).await;
                retries += 1;
                continue;
            }
            let kind = match status {
                StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    ErrorKind::Credentials
                }
                StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
                s if s.is_server_error() => ErrorKind::Server,
                _ => ErrorKind::Request,
            };
            let detail = if kind == ErrorKind::Credentials {
                "the credentials were refused: check HOTMART_CLIENT_ID, HOTMART_CLIENT_SECRET, HOTMART_BASIC"
            } else {
                ""
            };
            let err = Error::new(kind, TOKEN_PATH, detail)
                .with_status(status, hotmart_error(&answer.body));
            return Err(self.scrubbed(err, None));
        }
    }
}
