//! Subscriptions: [`SubscriptionFilter`], [`Subscription`] and a
//! subscription's payments, [`SubscriptionPurchase`].

use std::fmt;

use hotmart_webhook::Timestamp;
use serde::Deserialize;

use crate::TransactionStatus;
use crate::lenient::u64_or_string;
use crate::open_enum::open_enum;
use crate::sales::{Price, Product};

open_enum! {
    /// A subscription's status.
    pub enum SubscriptionStatus {
        /// Active.
        Active = "ACTIVE",
        /// Inactive.
        Inactive = "INACTIVE",
        /// Delayed (a charge failed).
        Delayed = "DELAYED",
        /// Cancelled by the subscriber.
        CancelledByCustomer = "CANCELLED_BY_CUSTOMER",
        /// Cancelled by the seller.
        CancelledBySeller = "CANCELLED_BY_SELLER",
        /// Cancelled by Hotmart.
        CancelledByAdmin = "CANCELLED_BY_ADMIN",
        /// Started.
        Started = "STARTED",
        /// Overdue.
        Overdue = "OVERDUE",
    }
}

/// The filters of `GET /payments/api/v1/subscriptions`. Note Hotmart's
/// spelling `cancelation_date` (one `l`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionFilter {
    /// `product_id`.
    pub product_id: Option<u64>,
    /// `status`.
    pub status: Option<SubscriptionStatus>,
    /// `subscriber_code`.
    pub subscriber_code: Option<String>,
    /// `subscriber_email`.
    pub subscriber_email: Option<String>,
    /// `transaction`.
    pub transaction: Option<String>,
    /// `accession_date` / `end_accession_date`.
    pub accession: (Option<Timestamp>, Option<Timestamp>),
    /// `cancelation_date` / `end_cancelation_date`.
    pub cancelation: (Option<Timestamp>, Option<Timestamp>),
    /// `date_next_charge` / `end_date_next_charge`.
    pub next_charge: (Option<Timestamp>, Option<Timestamp>),
}

impl SubscriptionFilter {
    /// No filter.
    pub fn new() -> Self {
        SubscriptionFilter::default()
    }

    /// Only this status.
    pub fn status(mut self, status: SubscriptionStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only this product.
    pub fn product_id(mut self, id: u64) -> Self {
        self.product_id = Some(id);
        self
    }

    /// Only this subscriber.
    pub fn subscriber_code(mut self, code: impl Into<String>) -> Self {
        self.subscriber_code = Some(code.into());
        self
    }

    /// Cancelled within this range.
    pub fn cancelled_between(mut self, from: Timestamp, to: Timestamp) -> Self {
        self.cancelation = (Some(from), Some(to));
        self
    }

    /// The query parameters (without paging).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(id) = self.product_id {
            q.push(("product_id", id.to_string()));
        }
        if let Some(s) = &self.status {
            q.push(("status", s.as_str().to_owned()));
        }
        for (key, value) in [
            ("subscriber_code", &self.subscriber_code),
            ("subscriber_email", &self.subscriber_email),
            ("transaction", &self.transaction),
        ] {
            if let Some(v) = value {
                q.push((key, v.clone()));
            }
        }
        for ((from_key, to_key), (from, to)) in [
            (("accession_date", "end_accession_date"), self.accession),
            (
                ("cancelation_date", "end_cancelation_date"),
                self.cancelation,
            ),
            (
                ("date_next_charge", "end_date_next_charge"),
                self.next_charge,
            ),
        ] {
            if let Some(t) = from {
                q.push((from_key, t.as_millis().to_string()));
            }
            if let Some(t) = to {
                q.push((to_key, t.as_millis().to_string()));
            }
        }
        q
    }
}

/// One subscription. `Debug` leaves the subscriber out (personal data).
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct Subscription {
    /// The subscriber code (the webhook's `data.subscriber.code`).
    #[serde(default)]
    pub subscriber_code: Option<String>,
    /// The subscription's numeric ID.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub subscription_id: Option<u64>,
    /// Its status.
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
    /// When it started.
    #[serde(default)]
    pub accession_date: Option<Timestamp>,
    /// When it ended.
    #[serde(default)]
    pub end_accession_date: Option<Timestamp>,
    /// The next charge.
    #[serde(default)]
    pub date_next_charge: Option<Timestamp>,
    /// Whether it is in a trial period.
    #[serde(default)]
    pub trial: Option<bool>,
    /// The first transaction.
    #[serde(default)]
    pub transaction: Option<String>,
    /// The plan.
    #[serde(default)]
    pub plan: Option<Plan>,
    /// The product.
    #[serde(default)]
    pub product: Option<Product>,
    /// The price.
    #[serde(default)]
    pub price: Option<Price>,
    /// The subscriber (personal data).
    #[serde(default)]
    pub subscriber: Option<crate::sales::Person>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("subscriber_code", &self.subscriber_code)
            .field("status", &self.status)
            .field("transaction", &self.transaction)
            .field("plan", &self.plan)
            .field("product", &self.product)
            .finish_non_exhaustive()
    }
}

/// A subscription plan.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// Its ID.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Days between charges.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub recurrency_period: Option<u64>,
    /// The number of charges, if limited.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub max_charge_cycles: Option<u64>,
}

/// One payment of a subscription
/// (`GET /payments/api/v1/subscriptions/{code}/purchases` answers a bare
/// array of these).
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct SubscriptionPurchase {
    /// The transaction code.
    #[serde(default)]
    pub transaction: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<TransactionStatus>,
    /// When it was approved.
    #[serde(default)]
    pub approved_date: Option<Timestamp>,
    /// The charge number.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub recurrency_number: Option<u64>,
    /// The price.
    #[serde(default)]
    pub price: Option<Price>,
    /// The payment type.
    #[serde(default)]
    pub payment_type: Option<String>,
    /// Whether it is within the warranty period.
    #[serde(default)]
    pub under_warranty: Option<bool>,
}
