//! A local fake of Hotmart's API for tests (feature `fake`).
//!
//! [`FakeHotmart`] serves, on `127.0.0.1` and a port the system picks, what
//! `HOTMART-API.md` describes of the real API:
//!
//! * `POST /security/oauth/token`: checks the Basic value, the client ID and
//!   the client secret, and issues numbered tokens;
//! * `GET /payments/api/v1/sales/history`: the sales given to the builder,
//!   filtered by `transaction_status` (without one or a `transaction`, only
//!   `APPROVED` and `COMPLETE`, as Hotmart does), `start_date`/`end_date` on
//!   the order date (both inclusive), `transaction`, `product_id`,
//!   `buyer_email`; sorted by order date; paged by offset with page tokens
//!   that are base64 of `{"page":N,"rows":M}` like the real ones;
//! * `GET /payments/api/v1/subscriptions` and
//!   `GET /payments/api/v1/subscriptions/{code}/purchases` (a bare array);
//! * scripted faults ([`Faults`]): a `429` with `RateLimit-Reset`, an answer
//!   with `RateLimit-Remaining: 0`, a `401 token_expired` in the middle of a
//!   walk, a `500`/`503`, and a `502` for every history window wider than a
//!   given span;
//! * counters: tokens issued, each history page served (by status, window
//!   and page number), every request, so a test can assert that every page
//!   was read once and the token refreshed once.
//!
//! Test support: turn the feature on in `[dev-dependencies]` only.

mod clock;
mod data;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use clock::ManualClock;
pub use data::{FakeSale, FakeSubscription};

use crate::{Client, Config, Credentials, RetryPolicy};

/// The fake's credentials unless the builder sets others.
pub const FAKE_CLIENT_ID: &str = "fake-client-id";
/// The fake's client secret unless the builder sets another.
pub const FAKE_CLIENT_SECRET: &str = "fake-client-secret-5b1e0c";

/// Scripted faults. History requests are numbered from 1 in arrival order
/// (every `GET /payments/api/v1/sales/history`, answered or refused).
///
/// Build it with struct syntax and `..Faults::default()`.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// `(n, reset_secs)`: history request *n* gets `429 too_many_requests`
    /// with `RateLimit-Remaining: 0` and `RateLimit-Reset: reset_secs`.
    pub too_many_requests: Vec<(usize, u64)>,
    /// `(n, reset_secs)`: history request *n* is answered normally but with
    /// `RateLimit-Remaining: 0` and `RateLimit-Reset: reset_secs`.
    pub remaining_zero: Vec<(usize, u64)>,
    /// History request *n* finds every token issued so far expired: `401
    /// token_expired` (and so does any later request with those tokens).
    pub expire_tokens_at: Vec<usize>,
    /// `(n, status)`: history request *n* gets this 5xx status.
    pub server_errors: Vec<(usize, u16)>,
    /// A history request whose window (`end_date - start_date`, or no dates
    /// at all) is wider than this gets `502`, as Hotmart does for a query
    /// running over 30 s.
    pub max_window: Option<Duration>,
}

/// Which page of which query: the key of [`FakeHotmart::page_reads`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageKey {
    /// `transaction_status`, if given.
    pub status: Option<String>,
    /// `start_date`, if given.
    pub start: Option<i64>,
    /// `end_date`, if given.
    pub end: Option<i64>,
    /// The page number, from 1.
    pub page: u64,
}

/// One request the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// `GET` or `POST`.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query pairs (the token request's `client_secret` is left out).
    pub query: Vec<(String, String)>,
    /// The status answered.
    pub status: u16,
}

/// Builds a [`FakeHotmart`].
#[derive(Clone, Debug)]
pub struct FakeBuilder {
    client_id: String,
    client_secret: String,
    expires_in: u64,
    sales: Vec<FakeSale>,
    subscriptions: Vec<FakeSubscription>,
    faults: Faults,
}

impl FakeBuilder {
    /// Another client ID and secret.
    pub fn credentials(mut self, client_id: &str, client_secret: &str) -> Self {
        self.client_id = client_id.to_owned();
        self.client_secret = client_secret.to_owned();
        self
    }

    /// The `expires_in` of issued tokens, in seconds (default 172799, the
    /// documentation's example).
    pub fn token_lifetime(mut self, seconds: u64) -> Self {
        self.expires_in = seconds;
        self
    }

    /// Adds a sale.
    pub fn sale(mut self, sale: FakeSale) -> Self {
        self.sales.push(sale);
        self
    }

    /// Adds sales.
    pub fn sales(mut self, sales: impl IntoIterator<Item = FakeSale>) -> Self {
        self.sales.extend(sales);
        self
    }

    /// Adds a subscription.
    pub fn subscription(mut self, subscription: FakeSubscription) -> Self {
        self.subscriptions.push(subscription);
        self
    }

    /// Sets the scripted faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Starts serving on `127.0.0.1`, port 0, on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<FakeHotmart> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            builder: self,
            history_requests: 0,
            tokens: Vec::new(),
            expired_below: 0,
            page_reads: BTreeMap::new(),
            recorded: Vec::new(),
        }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = routes::router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeHotmart {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

pub(crate) struct State {
    pub(crate) builder: FakeBuilder,
    pub(crate) history_requests: usize,
    /// Tokens issued, in order; token *i* is `fake-access-token-{i+1}`.
    pub(crate) tokens: Vec<String>,
    /// Tokens numbered below this are expired.
    pub(crate) expired_below: usize,
    pub(crate) page_reads: BTreeMap<PageKey, usize>,
    pub(crate) recorded: Vec<Recorded>,
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running fake of Hotmart's API. Stopped by [`FakeHotmart::shutdown`] or
/// when dropped.
#[derive(Debug)]
pub struct FakeHotmart {
    addr: SocketAddr,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State { .. }")
    }
}

impl FakeHotmart {
    /// A builder with the default credentials and no sales.
    pub fn builder() -> FakeBuilder {
        FakeBuilder {
            client_id: FAKE_CLIENT_ID.to_owned(),
            client_secret: FAKE_CLIENT_SECRET.to_owned(),
            expires_in: 172_799,
            sales: Vec::new(),
            subscriptions: Vec::new(),
            faults: Faults::default(),
        }
    }

    /// `http://127.0.0.1:PORT`: both the API and the auth base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials the fake accepts.
    pub fn credentials(&self) -> Credentials {
        let state = lock(&self.state);
        Credentials::new(&state.builder.client_id, &state.builder.client_secret)
            .expect("the fake's credentials are valid")
    }

    /// A [`Config`] pointing both base URLs at the fake, with short retry
    /// delays (tests that check the delays use a [`ManualClock`]).
    pub fn config(&self) -> Config {
        Config::default()
            .api_url(&self.url())
            .and_then(|c| c.auth_url(&self.url()))
            .expect("the fake's URL is valid")
            .retry(
                RetryPolicy::new(5)
                    .with_delays(Duration::from_millis(1), Duration::from_millis(20)),
            )
    }

    /// A client of the fake whose waits go through `clock`.
    pub fn client(&self, clock: Arc<ManualClock>) -> Client {
        Client::with_clock(self.credentials(), self.config(), clock)
    }

    /// The environment a command-line tool needs to use the fake:
    /// `HOTMART_API_URL`, `HOTMART_AUTH_URL`, `HOTMART_CLIENT_ID`,
    /// `HOTMART_CLIENT_SECRET`.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let state = lock(&self.state);
        vec![
            (crate::ENV_API_URL, self.url()),
            (crate::ENV_AUTH_URL, self.url()),
            (crate::ENV_CLIENT_ID, state.builder.client_id.clone()),
            (
                crate::ENV_CLIENT_SECRET,
                state.builder.client_secret.clone(),
            ),
        ]
    }

    /// Adds a sale while running.
    pub fn add_sale(&self, sale: FakeSale) {
        lock(&self.state).builder.sales.push(sale);
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        lock(&self.state).tokens.len()
    }

    /// Every token issued so far (to search outputs for them).
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.state).tokens.clone()
    }

    /// History requests received (answered or refused).
    pub fn history_requests(&self) -> usize {
        lock(&self.state).history_requests
    }

    /// How many times each history page was served with `200`.
    pub fn page_reads(&self) -> BTreeMap<PageKey, usize> {
        lock(&self.state).page_reads.clone()
    }

    /// Every request, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).recorded.clone()
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeHotmart {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
