//! Version 1.0.0 ("postback"): the form-encoded purchase postback and the
//! three camelCase JSON side events.
//!
//! By concern: `enums` (statuses and other closed vocabularies), `form`
//! (how a form value is typed), `purchase` (the postback itself) and `json`
//! (the side events).

mod enums;
mod form;
mod json;
mod purchase;

pub use enums::{
    PaymentMode, ReceiverType, V1PaymentEngine, V1PaymentType, V1Status, V1SubscriptionStatus,
};
pub use json::{
    V1CartAbandonment, V1Plan, V1Subscriber, V1Subscription, V1SubscriptionCancellation,
    V1SwitchPlan,
};
pub use purchase::{V1_PURCHASE_FIELDS, V1Purchase};
