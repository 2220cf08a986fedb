//! [`Client`]: the endpoints, over the shared transport of `transport.rs`.

use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, TokioClock};
use crate::page::Page;
use crate::sales::{Sale, SalesFilter};
use crate::subscriptions::{Subscription, SubscriptionFilter, SubscriptionPurchase};
use crate::transport::{On502, Transport};
use crate::walk::{SalesWalk, Window};
use crate::{Config, Credentials, Error};

/// A client of Hotmart's REST API.
///
/// It fetches an access token with the account's client credentials, caches
/// it, refreshes it five minutes before it expires and, when the API answers
/// `401`, fetches a new one and retries the call once. It waits for
/// `RateLimit-Reset` when `RateLimit-Remaining` reaches 0, and retries
/// `429`/`500`/`502`/`503` and lost connections with capped exponential
/// backoff and jitter ([`RetryPolicy`](crate::RetryPolicy)).
///
/// Cloning is cheap and clones share the token, the connection pool and the
/// rate-limit state.
///
/// ```no_run
/// use hotmart_api::{Client, Config, Credentials, SalesFilter, TransactionStatus, Window};
/// use hotmart_webhook::Timestamp;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // HOTMART_CLIENT_ID + HOTMART_CLIENT_SECRET, or HOTMART_BASIC;
/// // HOTMART_API_URL / HOTMART_AUTH_URL override the hosts.
/// let client = Client::new(Credentials::from_env()?, Config::from_env()?);
/// let window = Window::new(
///     Timestamp::from_millis(1_700_000_000_000),
///     Timestamp::from_millis(1_700_086_400_000),
/// ).unwrap();
/// let mut walk = client.walk_sales(SalesFilter::new().status(TransactionStatus::Refunded), window);
/// while let Some(sales) = walk.next_page().await? {
///     for sale in sales {
///         println!("{} {}", sale.transaction(), sale.status());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
}

/// The endpoint paths.
pub(crate) mod paths {
    pub(crate) const SALES_HISTORY: &str = "/payments/api/v1/sales/history";
    pub(crate) const SUBSCRIPTIONS: &str = "/payments/api/v1/subscriptions";
    pub(crate) const SUBSCRIPTION_PURCHASES: &str =
        "/payments/api/v1/subscriptions/{subscriber_code}/purchases";
}

impl Client {
    /// A client with the real clock.
    pub fn new(credentials: Credentials, config: Config) -> Self {
        Client::with_clock(credentials, config, Arc::new(TokioClock))
    }

    /// A client whose waits and token expiry go through `clock` (tests use a
    /// clock that does not really wait).
    pub fn with_clock(credentials: Credentials, config: Config, clock: Arc<dyn Clock>) -> Self {
        Client {
            transport: Arc::new(Transport::new(credentials, config, clock)),
        }
    }

    /// A client from the environment: credentials from `HOTMART_CLIENT_ID`
    /// and `HOTMART_CLIENT_SECRET` or `HOTMART_BASIC`, hosts from
    /// `HOTMART_API_URL` and `HOTMART_AUTH_URL`. The error is one line naming
    /// the variable, never a value.
    pub fn from_env() -> Result<Self, SetupError> {
        let credentials = Credentials::from_env().map_err(SetupError::Credentials)?;
        let config = Config::from_env().map_err(SetupError::Config)?;
        Ok(Client::new(credentials, config))
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.transport.config
    }

    /// Fetches a token now (or reuses the cached one): the quickest check
    /// that the credentials work.
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.transport.token().await.map(drop)
    }

    /// One page of `GET /payments/api/v1/sales/history` (`page_token` from
    /// the previous page's [`Page::next_page_token`]). A `502` is retried;
    /// use [`Client::walk_sales`] to split a window that is too wide instead.
    pub async fn sales_history(
        &self,
        filter: &SalesFilter,
        page_token: Option<&str>,
    ) -> Result<Page<Sale>, Error> {
        self.sales_page(filter, page_token, On502::Retry).await
    }

    pub(crate) async fn sales_page(
        &self,
        filter: &SalesFilter,
        page_token: Option<&str>,
        on_502: On502,
    ) -> Result<Page<Sale>, Error> {
        let mut query = filter.to_query();
        self.paging(&mut query, page_token);
        self.transport
            .get_json(
                paths::SALES_HISTORY,
                paths::SALES_HISTORY.to_owned(),
                &query,
                on_502,
            )
            .await
    }

    /// Walks the sales history over a closed window, page after page, each
    /// transaction once; a window Hotmart answers `502` for is split in two.
    /// See [`SalesWalk`].
    pub fn walk_sales(&self, filter: SalesFilter, window: Window) -> SalesWalk {
        SalesWalk::new(self.clone(), filter, window)
    }

    /// One page of `GET /payments/api/v1/subscriptions`.
    pub async fn subscriptions(
        &self,
        filter: &SubscriptionFilter,
        page_token: Option<&str>,
    ) -> Result<Page<Subscription>, Error> {
        let mut query = filter.to_query();
        self.paging(&mut query, page_token);
        self.transport
            .get_json(
                paths::SUBSCRIPTIONS,
                paths::SUBSCRIPTIONS.to_owned(),
                &query,
                On502::Retry,
            )
            .await
    }

    /// The payments of one subscription
    /// (`GET /payments/api/v1/subscriptions/{subscriber_code}/purchases`,
    /// a bare array).
    pub async fn subscription_purchases(
        &self,
        subscriber_code: &str,
    ) -> Result<Vec<SubscriptionPurchase>, Error> {
        let code: String = form_urlencoded::byte_serialize(subscriber_code.as_bytes()).collect();
        let path = format!("/payments/api/v1/subscriptions/{code}/purchases");
        self.transport
            .get_json(paths::SUBSCRIPTION_PURCHASES, path, &[], On502::Retry)
            .await
    }

    fn paging(&self, query: &mut Vec<(&'static str, String)>, page_token: Option<&str>) {
        query.push(("max_results", self.transport.config.page_size.to_string()));
        if let Some(token) = page_token {
            query.push(("page_token", token.to_owned()));
        }
    }
}

/// Why [`Client::from_env`] could not build a client.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetupError {
    /// Missing or unusable credentials.
    Credentials(crate::CredentialsError),
    /// A bad base URL.
    Config(crate::ConfigError),
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Credentials(e) => fmt::Display::fmt(e, f),
            SetupError::Config(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for SetupError {}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.transport.credentials)
            .field("config", &self.transport.config)
            .finish_non_exhaustive()
    }
}
