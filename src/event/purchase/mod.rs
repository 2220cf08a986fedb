//! The purchase family: `PURCHASE_APPROVED`, `PURCHASE_COMPLETE`,
//! `PURCHASE_CANCELED`, `PURCHASE_BILLET_PRINTED`, `PURCHASE_REFUNDED`,
//! `PURCHASE_CHARGEBACK`, `PURCHASE_EXPIRED`, `PURCHASE_DELAYED` and
//! `PURCHASE_PROTEST` all carry [`PurchaseData`].
//!
//! By concern: `enums` (statuses and other closed vocabularies), `product`,
//! `parties` (buyer, producer, affiliates, commissions), `order` (the
//! purchase, its payment and offer) and `shipping`; the `data` itself and its
//! subscription are here.

mod enums;
mod order;
mod parties;
mod product;
mod shipping;

pub use enums::{
    BusinessModel, CommissionSource, DocumentType, InvoiceBy, LegalNature, PaymentType,
    PurchaseStatus, SubscriptionStatus,
};
pub use order::{Attribute, EventTickets, OrderBump, Origin, Payment, Purchase, Variants};
pub use parties::{Affiliate, Buyer, Commission, CurrencyConversion, Producer};
pub use product::{BundledProduct, Product, ProductContent};
pub use shipping::{Carrier, FulfillmentInfo, Shipping};

use crate::Money;
use crate::event::common::{Id, Plan, Subscriber};
use crate::event::{Affiliates, Commissions};

payload! {
    /// The `data` of every purchase event.
    ///
    /// ```
    /// use hotmart_webhook::{parse, Event, Webhook};
    ///
    /// let body = br#"{"data":{"purchase":{"transaction":"HP2363007968","status":"APPROVED",
    ///   "recurrence_number":2,"price":{"value":64.9,"currency_value":"BRL"}},
    ///   "buyer":{"email":"ana@example.com"}},
    ///   "id":"083bb5a0","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    /// let Webhook::V2(envelope) = parse(body)? else { unreachable!() };
    /// let Event::PurchaseApproved(data) = &envelope.event else { unreachable!() };
    /// assert_eq!(data.transaction(), Some("HP2363007968"));
    /// assert!(data.is_renewal());
    /// # Ok::<(), hotmart_webhook::ParseError>(())
    /// ```
    #[derive(Default)]
    pub struct PurchaseData<'a> in place {
        /// The product bought.
        #[serde(borrow)]
        pub product: Option<Product<'a>> in place,
        /// Affiliates. Without an affiliate Hotmart sends one element with
        /// empty strings: test [`Affiliate::code`], not the length.
        #[serde(borrow)]
        pub affiliates: Option<Affiliates<'a>>,
        /// The buyer (only what the checkout collected).
        #[serde(borrow)]
        pub buyer: Option<Buyer<'a>> in place,
        /// The producer.
        #[serde(borrow)]
        pub producer: Option<Producer<'a>>,
        /// Commissions; in the producer's view `MARKETPLACE` and `PRODUCER`.
        #[serde(borrow)]
        pub commissions: Option<Commissions<'a>>,
        /// The purchase itself.
        #[serde(borrow)]
        pub purchase: Option<Purchase<'a>> in place,
        /// The subscription, for subscription products.
        #[serde(borrow)]
        pub subscription: Option<Subscription<'a>> in place,
        /// Freight, for physical products (documented 2026).
        #[serde(borrow)]
        pub shipping: Option<Shipping<'a>>,
    }
}

impl PurchaseData<'_> {
    /// `purchase.transaction`, e.g. `"HP2363007968"`: the same across every
    /// event of one purchase.
    pub fn transaction(&self) -> Option<&str> {
        self.purchase.as_ref()?.transaction.as_deref()
    }

    /// `purchase.status`.
    pub fn status(&self) -> Option<&PurchaseStatus<'_>> {
        self.purchase.as_ref()?.status.as_ref()
    }

    /// `buyer.email`.
    pub fn buyer_email(&self) -> Option<&str> {
        self.buyer.as_ref()?.email.as_deref()
    }

    /// `product.id`.
    pub fn product_id(&self) -> Option<&Id<'_>> {
        self.product.as_ref()?.id.as_ref()
    }

    /// `purchase.price`.
    pub fn price(&self) -> Option<&Money<'_>> {
        self.purchase.as_ref()?.price.as_ref()
    }

    /// `subscription.subscriber.code`.
    pub fn subscriber_code(&self) -> Option<&str> {
        self.subscription
            .as_ref()?
            .subscriber
            .as_ref()?
            .code
            .as_deref()
    }

    /// `true` for a subscription renewal: Hotmart has no renewal event, it
    /// sends `PURCHASE_APPROVED` (then `PURCHASE_COMPLETE`) with
    /// `purchase.recurrence_number` > 1.
    pub fn is_renewal(&self) -> bool {
        self.purchase
            .as_ref()
            .and_then(|p| p.recurrence_number)
            .is_some_and(|n| n > 1)
    }

    /// The first affiliate with a non-empty code.
    pub fn affiliate(&self) -> Option<&Affiliate<'_>> {
        self.affiliates
            .as_deref()?
            .iter()
            .find(|a| a.code().is_some())
    }
}

payload! {
    /// `data.subscription` of a purchase.
    #[derive(Default)]
    pub struct Subscription<'a> in place {
        /// Status (only `ACTIVE` has been observed, even on refunds in tests).
        #[serde(borrow)]
        pub status: Option<SubscriptionStatus<'a>>,
        /// Plan.
        #[serde(borrow)]
        pub plan: Option<Plan<'a>> in place,
        /// Subscriber.
        #[serde(borrow)]
        pub subscriber: Option<Subscriber<'a>> in place,
    }
}
