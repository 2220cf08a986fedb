//! Subscription management: `SUBSCRIPTION_CANCELLATION`, `SWITCH_PLAN` and
//! `UPDATE_SUBSCRIPTION_CHARGE_DATE`.

use crate::event::common::{Id, Plan, ProductRef, Subscriber, User};
use crate::{Amount, Text, Timestamp};

open_enum! {
    /// `subscription.status` in `SWITCH_PLAN` and
    /// `UPDATE_SUBSCRIPTION_CHARGE_DATE`, which Hotmart spells
    /// `CANCELED_BY_*` with `VENDOR` (purchase events say `CANCELLED_BY_*`
    /// and `SELLER`, see [`SubscriptionStatus`](crate::event::SubscriptionStatus)).
    /// Both spellings are accepted; serialising writes this family's.
    pub enum SubscriptionManagementStatus {
        /// Active.
        Active = "ACTIVE",
        /// Inactive.
        Inactive = "INACTIVE",
        /// Delayed.
        Delayed = "DELAYED",
        /// Canceled by the customer.
        CanceledByCustomer = "CANCELED_BY_CUSTOMER" | "CANCELLED_BY_CUSTOMER",
        /// Canceled by the seller.
        CanceledBySeller = "CANCELED_BY_VENDOR" | "CANCELLED_BY_SELLER" | "CANCELED_BY_SELLER" | "CANCELLED_BY_VENDOR",
        /// Canceled by Hotmart.
        CanceledByAdmin = "CANCELED_BY_ADMIN" | "CANCELLED_BY_ADMIN",
        /// Overdue.
        Overdue = "OVERDUE",
        /// Started.
        Started = "STARTED",
        /// Past due.
        PastDue = "PAST_DUE",
        /// Expired.
        Expired = "EXPIRED",
    }
}

payload! {
    /// The `data` of `SUBSCRIPTION_CANCELLATION`.
    ///
    /// It arrives on the day of cancellation, but the subscriber has paid
    /// until [`date_next_charge`](Self::date_next_charge): end access then.
    /// There is no status in this event.
    #[derive(Default)]
    pub struct SubscriptionCancellation<'a> in place {
        /// Value of the last processed charge.
        pub actual_recurrence_value: Option<Amount>,
        /// When it was canceled.
        pub cancellation_date: Option<Timestamp>,
        /// The charge that would happen if reactivated: the end of the paid period.
        pub date_next_charge: Option<Timestamp>,
        /// The product.
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// The subscriber.
        #[serde(borrow)]
        pub subscriber: Option<Subscriber<'a>> in place,
        /// The subscription.
        #[serde(borrow)]
        pub subscription: Option<CanceledSubscription<'a>> in place,
    }
}

payload! {
    /// `data.subscription` of a cancellation.
    #[derive(Default)]
    pub struct CanceledSubscription<'a> in place {
        /// Subscription id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Plan.
        #[serde(borrow)]
        pub plan: Option<Plan<'a>> in place,
    }
}

payload! {
    /// The `data` of `SWITCH_PLAN`: a subscriber moved to another plan.
    pub struct SwitchPlan<'a> {
        /// When the plan changed.
        pub switch_plan_date: Option<Timestamp>,
        /// The subscription.
        #[serde(borrow)]
        pub subscription: Option<SwitchPlanSubscription<'a>>,
        /// The new plan (`current: true`) and the previous one, in no fixed order.
        #[serde(borrow)]
        pub plans: Option<crate::event::Plans<'a>>,
    }
}

impl SwitchPlan<'_> {
    /// The plan switched to (`current: true`).
    pub fn new_plan(&self) -> Option<&Plan<'_>> {
        self.plans
            .as_deref()?
            .iter()
            .find(|p| p.current == Some(true))
    }

    /// The plan switched from (`current: false`).
    pub fn previous_plan(&self) -> Option<&Plan<'_>> {
        self.plans
            .as_deref()?
            .iter()
            .find(|p| p.current == Some(false))
    }
}

payload! {
    /// `data.subscription` of `SWITCH_PLAN` (note the flat `subscriber_code`).
    pub struct SwitchPlanSubscription<'a> {
        /// Subscriber code.
        #[serde(borrow)]
        pub subscriber_code: Option<Text<'a>>,
        /// Status.
        #[serde(borrow)]
        pub status: Option<SubscriptionManagementStatus<'a>>,
        /// Next charge (documented, not seen in tests).
        pub date_next_charge: Option<Timestamp>,
        /// The product.
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// The subscriber.
        #[serde(borrow)]
        pub user: Option<User<'a>>,
    }
}

payload! {
    /// The `data` of `UPDATE_SUBSCRIPTION_CHARGE_DATE`: the subscriber changed
    /// the day of the month they are charged.
    pub struct ChargeDateUpdate<'a> {
        /// The subscription (snake_case or camelCase keys, see [`ChargeDateSubscription`]).
        #[serde(borrow)]
        pub subscription: Option<ChargeDateSubscription<'a>>,
        /// The subscriber.
        #[serde(borrow)]
        pub subscriber: Option<Subscriber<'a>>,
        /// The plan.
        #[serde(borrow)]
        pub plan: Option<Plan<'a>>,
    }
}

payload! {
    /// `data.subscription` of `UPDATE_SUBSCRIPTION_CHARGE_DATE`.
    ///
    /// Hotmart has sent this object with snake_case keys (`old_charge_day`,
    /// docs and 2025-09 tests) and camelCase keys (`oldChargeDay`, 2025-11
    /// tests); both are read, snake_case is written. The next charge is an
    /// ISO-8601 string here, the only such date in 2.0.0.
    pub struct ChargeDateSubscription<'a> {
        /// The previous day of the month.
        #[serde(alias = "oldChargeDay")]
        pub old_charge_day: Option<u32>,
        /// The new day of the month.
        #[serde(alias = "newChargeDay")]
        pub new_charge_day: Option<u32>,
        /// Next charge.
        #[serde(alias = "dateNextCharge")]
        pub date_next_charge: Option<Timestamp>,
        /// Status.
        #[serde(borrow)]
        pub status: Option<SubscriptionManagementStatus<'a>>,
        /// The product.
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
    }
}
