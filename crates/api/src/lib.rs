//! A client of [Hotmart](https://hotmart.com)'s REST API, built for one job
//! above all: finding the sales a webhook receiver never got.
//!
//! Hotmart keeps its webhook history for 60 days and retries a delivery only
//! a few times; after that, the sales history of the API is the only way to
//! know what was missed. This crate does what integrators keep writing by
//! hand, with the paging bugs fixed:
//!
//! * **Token** ([`Credentials`]): OAuth client credentials, the dashboard's
//!   Basic value accepted with or without `Basic `; cached, refreshed five
//!   minutes before it expires (`expires_in` is in seconds), and on a `401`
//!   invalidated and the call retried once.
//! * **Sales history** ([`Client::sales_history`], [`Client::walk_sales`]):
//!   every filter of [`SalesFilter`]; paging through
//!   `page_info.next_page_token` (up to 500 rows a page) until there is none;
//!   walks over closed [`Window`]s that read each page once, yield each
//!   transaction once, and split a window in two when Hotmart answers `502`.
//! * **Subscriptions** ([`Client::subscriptions`],
//!   [`Client::subscription_purchases`]).
//! * **Limits**: waits for `RateLimit-Reset` when `RateLimit-Remaining`
//!   reaches 0; retries `429`/`500`/`502`/`503` with capped exponential
//!   backoff and jitter ([`RetryPolicy`]). Time goes through a [`Clock`], so
//!   tests check the waits without waiting.
//! * **Typed items** with open enums ([`TransactionStatus`]: an unknown
//!   status is kept, never an error) and exact money; [`Error`] carries
//!   Hotmart's `error` and `error_description`.
//! * **No secret in output**: the client secret, the Basic value and the
//!   token are [`Secret`]s, redacted in `Debug`; errors never contain them,
//!   nor a buyer's data.
//!
//! Hosts come from `HOTMART_API_URL` (default
//! `https://developers.hotmart.com`) and `HOTMART_AUTH_URL` (default
//! `https://api-sec-vlc.hotmart.com`).
//!
//! # Example
//!
//! Against the crate's own fake (feature `fake`), the way your tests can run:
//!
//! ```
//! # #[cfg(feature = "fake")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use hotmart_api::fake::{FakeHotmart, FakeSale};
//! use hotmart_api::{Client, SalesFilter, TransactionStatus, Window};
//! use hotmart_webhook::Timestamp;
//!
//! let fake = FakeHotmart::builder()
//!     .sale(FakeSale::new("HP0001", "APPROVED", 1_700_000_000_000))
//!     .sale(FakeSale::new("HP0002", "REFUNDED", 1_700_000_100_000))
//!     .start()
//!     .await?;
//! let client = Client::new(fake.credentials(), fake.config());
//!
//! let window = Window::new(Timestamp::from_millis(1_699_000_000_000), Timestamp::from_millis(1_701_000_000_000)).unwrap();
//! let refunds = client
//!     .walk_sales(SalesFilter::new().status(TransactionStatus::Refunded), window)
//!     .collect()
//!     .await?;
//! assert_eq!(refunds.len(), 1);
//! assert_eq!(refunds[0].transaction(), "HP0002");
//! assert_eq!(refunds[0].status().webhook_event(), Some("PURCHASE_REFUNDED"));
//! # Ok(()) }
//! # #[cfg(not(feature = "fake"))]
//! # fn main() {}
//! ```
//!
//! # Feature flags
//!
//! * `fake`: [`fake::FakeHotmart`], a local fake of the API for tests (token
//!   endpoint, sales history with offset page tokens, subscriptions, scripted
//!   `429` / `401` / `502` faults, request counters) and
//!   [`fake::ManualClock`]. Test support: turn it on in `[dev-dependencies]`
//!   only; it costs axum.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod clock;
mod config;
mod dates;
mod error;
mod lenient;
mod open_enum;
mod page;
mod retry;
mod sales;
mod secret;
mod status;
mod subscriptions;
mod token;
mod transport;
mod walk;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::{Client, SetupError};
pub use clock::{Clock, Sleep, TokioClock};
pub use config::{
    Config, ConfigError, DEFAULT_API_URL, DEFAULT_AUTH_URL, ENV_API_URL, ENV_AUTH_URL,
    MAX_PAGE_SIZE, TOKEN_PATH,
};
pub use dates::{DayEdge, InvalidDate, parse_date};
pub use error::{Error, ErrorKind, HotmartError};
pub use page::{Page, PageInfo};
pub use retry::RetryPolicy;
pub use sales::{
    Offer, Payment, Person, Price, Product, Purchase, Sale, SalesFilter, TEST_PRODUCT_NAME,
    TEST_TRANSACTION, is_test_transaction,
};
pub use secret::{
    Credentials, CredentialsError, ENV_BASIC, ENV_CLIENT_ID, ENV_CLIENT_SECRET, Secret,
};
pub use status::TransactionStatus;
pub use subscriptions::{
    Plan, Subscription, SubscriptionFilter, SubscriptionPurchase, SubscriptionStatus,
};
pub use walk::{SalesWalk, WalkProgress, Window};
