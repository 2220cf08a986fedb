//! Receive [Hotmart](https://hotmart.com) webhooks safely.
//!
//! Hotmart notifies a seller's server of purchases, refunds, subscriptions and
//! members-area activity by HTTP `POST`. This crate gives you the two halves of
//! a correct receiver:
//!
//! * **Authenticity**: Hotmart signs nothing; the only proof that a request is
//!   Hotmart's is the account's *hottok*, sent in the `X-HOTMART-HOTTOK`
//!   header (v2.0.0) or as the `hottok` body field (v1). The crate checks it in
//!   constant time and fails closed.
//! * **Parsing**: one [`parse`] for every payload version (2.0.0 JSON, v1 form
//!   postbacks, v1 JSON events), into strongly typed values that borrow from
//!   the body ([`Text`]). Unknown events and enum values are kept, never
//!   errors, and a field of an unexpected type reads as absent and is listed
//!   in [`Webhook::problems`] ([`parse_strict`] fails instead): an authentic
//!   delivery must be answered `2xx`, or Hotmart may switch the endpoint off.
//! * **Storing**: [`mask_hottok`] hides the hottok that v1 (and some 2.0.0)
//!   bodies carry, with the same finder the layer reads it with.
//!
//! # Verifying
//!
//! [`VerifyHottokLayer`] is a Tower layer for any `http::Request<B>`: axum
//! (`route_layer`), hyper (with hyper-util's `TowerToHyperService`) and warp
//! (around `warp::service`). A request with the right `X-HOTMART-HOTTOK`
//! header goes on without its body being touched; without the header, the v1
//! body's `hottok` field is checked (bounded buffering); everything else gets
//! a `401` JSON response. The secret is compared in constant time.
//!
//! ```
//! use hotmart_webhook::{Hottok, VerifyHottokLayer, VerifiedBody};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In production: Hottok::from_env()? reads HOTMART_WEBHOOK_SECRET.
//! let hottok = Hottok::new("my-account-hottok")?;
//! let service = ServiceBuilder::new()
//!     .layer(VerifyHottokLayer::new(hottok))
//!     .service_fn(|req: http::Request<VerifiedBody<String>>| async move {
//!         // Only verified requests get here.
//!         Ok::<_, std::convert::Infallible>(http::Response::new(String::from("ok")))
//!     });
//!
//! let forged = http::Request::post("/hotmart").header("x-hotmart-hottok", "guess").body(String::new())?;
//! assert_eq!(service.clone().oneshot(forged).await?.status(), 401);
//! let genuine = http::Request::post("/hotmart").header("x-hotmart-hottok", "my-account-hottok").body(String::new())?;
//! assert_eq!(service.oneshot(genuine).await?.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! With feature `axum`, the `axum::HotmartWebhook` extractor hands the
//! verified body to a handler, and the crate's errors are `IntoResponse`.
//!
//! # Parsing
//!
//! ```
//! use hotmart_webhook::{parse, Event, Webhook};
//!
//! let body = std::fs::read("tests/fixtures/v2/PURCHASE_APPROVED_4.json").unwrap();
//! match parse(&body)? {
//!     Webhook::V2(envelope) => match &envelope.event {
//!         Event::PurchaseApproved(purchase) if purchase.is_renewal() => {
//!             // Hotmart has no renewal event: a renewal is PURCHASE_APPROVED
//!             // with purchase.recurrence_number > 1.
//!         }
//!         Event::PurchaseApproved(purchase) => {
//!             assert_eq!(purchase.transaction(), Some("HP2363007968"));
//!             let price = purchase.price().unwrap();
//!             assert_eq!((price.value.to_minor_units(2), price.currency()), (Some(700), Some("BRL")));
//!         }
//!         Event::Unknown { name, .. } => println!("answer 200 and store it: {name}"),
//!         _ => {}
//!     },
//!     other => println!("a v1 delivery: {}", other.event_name()),
//! }
//! # Ok::<(), hotmart_webhook::ParseError>(())
//! ```
//!
//! # What Hotmart never sends
//!
//! Event names found in third-party guides and generated code,
//! `PURCHASE_COMPLETED`, `SUBSCRIPTION_CREATED`, `SUBSCRIPTION_RENEWED`,
//! `COMMISSION_GENERATED`, `PURCHASE_CANCELLED`, are not Hotmart's: they parse
//! as [`Event::Unknown`]. The real catalogue is [`event::EVENT_NAMES`]: a
//! renewal is `PURCHASE_APPROVED` with `recurrence_number` > 1, commissions
//! travel inside every purchase event, and a completed purchase is the event
//! `PURCHASE_COMPLETE` with the status `COMPLETED`. Hotmart also never signs
//! a request (no HMAC header exists): the hottok is the only proof.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod macros;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod error;
pub mod event;
mod hottok;
pub mod layer;
mod list;
mod money;
mod owned;
mod parse;
mod problem;
mod raw;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;
mod text;
mod time;

pub use error::{Category, ParseError};
pub use event::{Event, Id};
pub use hottok::{
    FromEnvError, HOTTOK_HEADER, Hottok, InvalidHottok, MAX_HOTTOK_LEN, MatchedToken,
    PREVIOUS_SECRET_ENV_VAR, SECRET_ENV_VAR, mask_hottok,
};
pub use layer::{
    DEFAULT_BODY_LIMIT, HottokSource, Verified, VerifiedBody, VerifyHottok, VerifyHottokLayer,
};
pub use list::List;
pub use money::{Amount, InvalidAmount, Money, currency_exponent};
pub use parse::{Envelope, KeyCase, Webhook, parse, parse_strict};
pub use problem::Problem;
pub use raw::RawJson;
pub use text::Text;
pub use time::{Encoding, Timestamp};

/// The decimal type behind [`Amount`], re-exported for arithmetic.
pub use rust_decimal::Decimal;
