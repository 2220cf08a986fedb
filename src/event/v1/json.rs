//! The three camelCase JSON side events of v1: cart abandonment,
//! subscription cancellation and switch plan.

use crate::event::cart::CartBuyer;
use crate::event::common::{Id, Offer, ProductRef, User};
use crate::{Amount, Text, Timestamp};

payload! {
    /// v1 cart abandonment (camelCase JSON, no `event`): recognised by
    /// `affiliate` together with `productName`.
    #[serde(rename_all = "camelCase")]
    pub struct V1CartAbandonment<'a> {
        /// Whether the lead came through an affiliate.
        pub affiliate: Option<bool>,
        /// The lead's user key.
        #[serde(borrow)]
        pub user_key: Option<Text<'a>>,
        /// Product name.
        #[serde(borrow)]
        pub product_name: Option<Text<'a>>,
        /// Product id.
        #[serde(borrow)]
        pub product_id: Option<Id<'a>>,
        /// Product UUID.
        #[serde(borrow)]
        pub product_ucode: Option<Text<'a>>,
        /// Product category.
        #[serde(borrow)]
        pub product_category: Option<Id<'a>>,
        /// The lead (the same `{name, email, phone}` as the 2.0.0 event's).
        #[serde(borrow, rename = "buyerVO")]
        pub buyer_vo: Option<CartBuyer<'a>>,
        /// Whether there was a negotiation.
        pub has_negotiate: Option<bool>,
        /// Subscription plan id.
        #[serde(borrow)]
        pub subscription_plan_id: Option<Id<'a>>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// v1 subscription cancellation (camelCase JSON): recognised by
    /// `cancellationDate`. Dates are read as epoch milliseconds or ISO-8601
    /// (both have been seen in receivers).
    #[serde(rename_all = "camelCase")]
    pub struct V1SubscriptionCancellation<'a> {
        /// Subscription id.
        #[serde(borrow)]
        pub subscription_id: Option<Id<'a>>,
        /// Subscriber code (a number in some emitters).
        #[serde(borrow)]
        pub subscriber_code: Option<Id<'a>>,
        /// When it was canceled.
        pub cancellation_date: Option<Timestamp>,
        /// Subscriber name.
        #[serde(borrow)]
        pub user_name: Option<Text<'a>>,
        /// Subscriber e-mail.
        #[serde(borrow)]
        pub user_email: Option<Text<'a>>,
        /// Value of the last charge.
        pub actual_recurrence_value: Option<Amount>,
        /// Product name.
        #[serde(borrow)]
        pub product_name: Option<Text<'a>>,
        /// Plan name.
        #[serde(borrow)]
        pub subscription_plan_name: Option<Text<'a>>,
        /// End of the paid period.
        pub date_next_charge: Option<Timestamp>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// v1 switch plan (camelCase JSON): recognised by `switchPlanDate`.
    #[serde(rename_all = "camelCase")]
    pub struct V1SwitchPlan<'a> {
        /// When the plan changed.
        pub switch_plan_date: Option<Timestamp>,
        /// The subscription.
        #[serde(borrow)]
        pub subscription: Option<V1Subscription<'a>>,
        /// The plan switched to.
        #[serde(borrow)]
        pub new_subscription_plan: Option<V1Plan<'a>>,
        /// The plan switched from.
        #[serde(borrow)]
        pub previous_subscription_plan: Option<V1Plan<'a>>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// The subscription of a v1 switch plan.
    #[serde(rename_all = "camelCase")]
    pub struct V1Subscription<'a> {
        /// The product.
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// Recurrence number.
        pub recurrence_number: Option<u32>,
        /// Status.
        #[serde(borrow)]
        pub status: Option<Text<'a>>,
        /// The subscriber.
        #[serde(borrow)]
        pub subscriber: Option<V1Subscriber<'a>>,
        /// The plan.
        #[serde(borrow)]
        pub plan: Option<V1Plan<'a>>,
    }
}

payload! {
    /// The subscriber of a v1 switch plan.
    pub struct V1Subscriber<'a> {
        /// Subscriber code.
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
        /// The person.
        #[serde(borrow)]
        pub user: Option<User<'a>>,
    }
}

payload! {
    /// A plan of a v1 switch plan.
    #[serde(rename_all = "camelCase")]
    pub struct V1Plan<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Maximum number of charges.
        pub max_charge_cycles: Option<i64>,
        /// Days between charges.
        pub recurrency_period: Option<i64>,
        /// The offer (`key`).
        #[serde(borrow)]
        pub offer: Option<Offer<'a>>,
        /// Price.
        pub value: Option<Amount>,
        /// Currency.
        #[serde(borrow)]
        pub currency_code: Option<Text<'a>>,
    }
}
