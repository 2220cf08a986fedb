//! The subscription-management events.

use super::*;

/// The `data` of `SUBSCRIPTION_CANCELLATION`.
pub fn subscription_cancellation() -> impl Strategy<Value = SubscriptionCancellation<'static>> {
    record!(SubscriptionCancellation {
        actual_recurrence_value: opt(amount()),
        cancellation_date: opt(timestamp()),
        date_next_charge: opt(timestamp()),
        product: opt(product_ref()),
        subscriber: opt(subscriber()),
        subscription: opt(record!(CanceledSubscription {
            id: opt(id()),
            plan: opt(plan()),
        })),
    })
}

/// The `data` of `SWITCH_PLAN`.
pub fn switch_plan() -> impl Strategy<Value = SwitchPlan<'static>> {
    record!(SwitchPlan {
        switch_plan_date: opt(timestamp()),
        subscription: opt(record!(SwitchPlanSubscription {
            subscriber_code: opt(subscriber_code()),
            status: opt(open_enum()),
            date_next_charge: opt(timestamp()),
            product: opt(product_ref()),
            user: opt(user()),
        })),
        plans: opt(vec(plan(), 0..3).prop_map(crate::List::from)),
    })
}

/// The `data` of `UPDATE_SUBSCRIPTION_CHARGE_DATE`.
pub fn charge_date_update() -> impl Strategy<Value = ChargeDateUpdate<'static>> {
    record!(ChargeDateUpdate {
        subscription: opt(record!(ChargeDateSubscription {
            old_charge_day: opt(1u32..=31),
            new_charge_day: opt(1u32..=31),
            date_next_charge: opt(iso_timestamp()),
            status: opt(open_enum()),
            product: opt(product_ref()),
        })),
        subscriber: opt(subscriber()),
        plan: opt(plan()),
    })
}
