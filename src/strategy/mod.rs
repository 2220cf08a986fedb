//! [`proptest`](https://docs.rs/proptest) strategies that generate realistic
//! Hotmart deliveries, so you can property-test your own handlers (feature
//! `proptest`).
//!
//! Every event of the 2.0.0 catalogue and every v1 shape has a strategy;
//! [`webhook`] picks among all of them. The values look like Hotmart's:
//! `HP…` transaction codes, UUID event ids and ucodes, BRL/USD/CLP amounts
//! with 0 to 6 decimals, epoch-millisecond dates (ISO-8601 where Hotmart
//! sends strings), the known enum spellings and their aliases, unknown enum
//! values and event names, names with accents, strings that need JSON
//! escapes or percent-encoding, and absent optional fields.
//!
//! Every generated value survives the wire: [`Webhook::to_wire`] (and
//! `serde_json::to_vec` for every shape) parses back to an equal value. The
//! strategies hold to what makes that true: an open enum's `Other` never holds
//! a spelling the enum knows, amounts keep at most 15 significant digits,
//! typed v1 fields hold values valid for their type, v1 JSON events carry the
//! keys that identify them, and a v1 postback carries at least one of
//! `status`, `callback_type`, `transaction` or `prod`.
//!
//! # Testing a handler
//!
//! ```
//! use hotmart_webhook::{Event, ParseError, Webhook, parse, strategy};
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! #[derive(Debug, PartialEq)]
//! enum Action {
//!     Grant(String),
//!     Revoke(String),
//!     Ignore,
//! }
//!
//! /// The handler under test: what the receiver does with a delivery.
//! fn handle(body: &[u8]) -> Result<Action, ParseError> {
//!     let webhook = parse(body)?;
//!     let transaction = webhook.transaction().unwrap_or_default().to_owned();
//!     Ok(match &webhook {
//!         Webhook::V2(envelope) => match envelope.event {
//!             Event::PurchaseApproved(_) | Event::PurchaseComplete(_) => Action::Grant(transaction),
//!             Event::PurchaseRefunded(_) | Event::PurchaseChargeback(_) => Action::Revoke(transaction),
//!             _ => Action::Ignore,
//!         },
//!         _ => Action::Ignore,
//!     })
//! }
//!
//! // In a test file this is a `proptest! { #[test] fn … }` block; here the
//! // runner is driven by hand so that the example runs as a doc test.
//! let mut runner = TestRunner::default();
//! runner
//!     .run(&strategy::webhook(), |webhook| {
//!         // Every delivery Hotmart can send must be answered, never an error.
//!         let action = handle(&webhook.to_wire().unwrap());
//!         prop_assert!(action.is_ok(), "{:?}", action);
//!         if let Webhook::V2(envelope) = &webhook {
//!             if let Event::PurchaseRefunded(data) = &envelope.event {
//!                 let transaction = data.transaction().unwrap_or_default().to_owned();
//!                 prop_assert_eq!(action.unwrap(), Action::Revoke(transaction));
//!             }
//!         }
//!         Ok(())
//!     })
//!     .unwrap();
//! ```
#![cfg_attr(docsrs, doc(cfg(feature = "proptest")))]

use std::fmt::Debug;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::event::v1::{
    PaymentMode, ReceiverType, V1_PURCHASE_FIELDS, V1CartAbandonment, V1PaymentEngine,
    V1PaymentType, V1Plan, V1Purchase, V1Status, V1Subscriber, V1Subscription,
    V1SubscriptionCancellation, V1SubscriptionStatus, V1SwitchPlan,
};
use crate::event::*;
use crate::{Amount, Encoding, Envelope, KeyCase, Money, RawJson, Text, Timestamp, Webhook};

// By concern, mirroring `event/`: `strings` (what borrows), `values` (the
// building blocks), `common`, one file per event family, `v2` (any event,
// the envelope) and `v1`.
#[macro_use]
mod values;
mod cart;
mod club;
mod common;
mod fulfillment;
mod purchase;
mod strings;
mod subscription;
mod v1;
mod v2;

pub use cart::*;
pub use club::*;
use common::*;
pub use fulfillment::*;
pub use purchase::*;
pub use strings::*;
pub use subscription::*;
pub use v1::*;
pub use v2::*;
pub use values::*;

/// Any delivery Hotmart sends: mostly 2.0.0 envelopes, then v1 postbacks
/// and v1 JSON events.
pub fn webhook() -> impl Strategy<Value = Webhook<'static>> {
    prop_oneof![
        3 => envelope().prop_map(Webhook::V2),
        1 => v1_webhook(),
    ]
}
