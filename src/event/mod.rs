//! The typed payloads, one module per family.
//!
//! [`Event`] has one variant per event of Hotmart's 2.0.0 catalogue, and
//! [`Event::Unknown`] for any other name: an authentic delivery must be
//! answered `2xx` even when this crate does not model it yet, or Hotmart may
//! switch the endpoint off.

mod cart;
mod club;
mod common;
mod fulfillment;
pub(crate) mod in_place;
mod purchase;
mod subscription;
pub mod v1;

pub use cart::{CartAbandonment, CartBuyer};
pub use club::{ClubFirstAccess, ClubModuleCompleted, Module};
pub use common::{
    Address, Country, Id, Offer, Plan, ProductRef, Subscriber, SubscriberPhone, User,
};
pub use fulfillment::{
    Delivery, Dimension, FulfillmentPurchase, FulfillmentService, FulfillmentShipping, LineItem,
    LineItemProduct, OrderFulfillment, Seller, Shopper, Variant,
};
pub use purchase::{
    Affiliate, Attribute, BundledProduct, BusinessModel, Buyer, Carrier, Commission,
    CommissionSource, CurrencyConversion, DocumentType, EventTickets, FulfillmentInfo, InvoiceBy,
    LegalNature, OrderBump, Origin, Payment, PaymentType, Producer, Product, ProductContent,
    Purchase, PurchaseData, PurchaseStatus, Shipping, Subscription, SubscriptionStatus, Variants,
};
pub use subscription::{
    CanceledSubscription, ChargeDateSubscription, ChargeDateUpdate, SubscriptionCancellation,
    SubscriptionManagementStatus, SwitchPlan, SwitchPlanSubscription,
};

use crate::List;
use serde::Serializer;

// The arrays of a payload keep their usual number of elements inline, so a
// typical delivery parses without a heap allocation; a longer array spills
// to the heap. They dereference to slices (`p.affiliates.as_deref()`).

/// `affiliates`: Hotmart sends exactly one element (with empty strings when
/// there is no affiliate), kept inline.
pub type Affiliates<'a> = List<Affiliate<'a>, 1>;
/// `commissions`: two inline (`MARKETPLACE` and `PRODUCER` in the
/// producer's view).
pub type Commissions<'a> = List<Commission<'a>, 2>;
/// `product.content.products`: the products of a bundle, two inline.
pub type BundledProducts<'a> = List<BundledProduct<'a>, 2>;
/// `variants.attributes` and `line_items[].variant.attributes`, two inline.
pub type Attributes<'a> = List<Attribute<'a>, 2>;
/// `SWITCH_PLAN`'s `plans`: the previous and the new plan, inline.
pub type Plans<'a> = List<Plan<'a>, 2>;
/// `ORDER_FULFILLMENT`'s `line_items`, one inline.
pub type LineItems<'a> = List<LineItem<'a>, 1>;

use crate::{RawJson, Text};

macro_rules! events {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal => $ty:ident ),* $(,)?) => {
        /// The `data` of a 2.0.0 delivery, typed by its `event` name.
        ///
        /// ```
        /// use hotmart_webhook::{parse, Event, Webhook};
        ///
        /// let body = br#"{"data":{"product":{"id":5036092,"name":"Curso"},
        ///   "user":{"name":"Ana","email":"ana@example.com"}},
        ///   "id":"815d801d","creationDate":1747842203564,"event":"CLUB_FIRST_ACCESS","version":"2.0.0"}"#;
        /// match parse(body)? {
        ///     Webhook::V2(envelope) => match &envelope.event {
        ///         Event::PurchaseApproved(p) | Event::PurchaseComplete(p) => {
        ///             println!("grant access for {:?}", p.transaction());
        ///         }
        ///         Event::PurchaseRefunded(p) | Event::PurchaseChargeback(p) => {
        ///             println!("revoke access for {:?}", p.transaction());
        ///         }
        ///         Event::ClubFirstAccess(access) => {
        ///             let user = access.user.as_ref().unwrap();
        ///             assert_eq!(user.email.as_deref(), Some("ana@example.com"));
        ///         }
        ///         Event::Unknown { name, .. } => println!("not modelled yet: {name}"),
        ///         _ => {}
        ///     },
        ///     _ => unreachable!("a v1 postback"),
        /// }
        /// # Ok::<(), hotmart_webhook::ParseError>(())
        /// ```
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Event<'a> {
            $( $(#[$doc])* $variant($ty<'a>), )*
            /// An event this crate does not model (or an envelope whose
            /// version is not a `2.x.y`, or without an `id`): the name and
            /// the raw `data` are kept.
            ///
            /// A later release may model the event: an arm matching
            /// `Unknown { name: "X", .. }` then silently stops matching. For
            /// an event the crate does not model yet, match on
            /// [`Event::name`] instead.
            Unknown {
                /// The `event` name as sent.
                name: Text<'a>,
                /// The `data` as sent.
                data: RawJson<'a>,
            },
        }

        /// Every event name of Hotmart's 2.0.0 catalogue that [`Event`] models.
        pub const EVENT_NAMES: &[&str] = &[$($wire),*];

        impl<'a> Event<'a> {
            /// The wire name (`"PURCHASE_APPROVED"`, or the unknown name as sent).
            pub fn name(&self) -> &str {
                match self {
                    $( Event::$variant(_) => $wire, )*
                    Event::Unknown { name, .. } => name,
                }
            }

            /// `false` for [`Event::Unknown`].
            pub fn is_known(&self) -> bool {
                !matches!(self, Event::Unknown { .. })
            }

            /// A copy independent of the body.
            pub fn into_owned(self) -> Event<'static> {
                match self {
                    $( Event::$variant(data) => Event::$variant(data.into_owned()), )*
                    Event::Unknown { name, data } => Event::Unknown {
                        name: name.into_owned(),
                        data: data.into_owned(),
                    },
                }
            }

            /// Parses `data` for a known event name; `None` for an unknown name.
            pub(crate) fn parse_data(name: &str, data: &'a str) -> Option<Result<Self, serde_json::Error>> {
                Some(match name {
                    $( $wire => serde_json::from_str(data).map(Event::$variant), )*
                    _ => return None,
                })
            }

            /// The catalogue's own spelling of `name`, when it is a known event.
            pub(crate) fn known_name(name: &[u8]) -> Option<&'static str> {
                match name {
                    $( n if n == $wire.as_bytes() => Some($wire), )*
                    _ => None,
                }
            }

            /// The variant of a purchase event name, to build it in place.
            pub(crate) fn purchase_variant(name: &str) -> Option<fn(PurchaseData<'a>) -> Self> {
                Some(match name {
                    "PURCHASE_APPROVED" => Event::PurchaseApproved,
                    "PURCHASE_COMPLETE" => Event::PurchaseComplete,
                    "PURCHASE_CANCELED" => Event::PurchaseCanceled,
                    "PURCHASE_BILLET_PRINTED" => Event::PurchaseBilletPrinted,
                    "PURCHASE_REFUNDED" => Event::PurchaseRefunded,
                    "PURCHASE_CHARGEBACK" => Event::PurchaseChargeback,
                    "PURCHASE_EXPIRED" => Event::PurchaseExpired,
                    "PURCHASE_DELAYED" => Event::PurchaseDelayed,
                    "PURCHASE_PROTEST" => Event::PurchaseProtest,
                    _ => return None,
                })
            }

            /// Reads `data` typed for the known event `name` from any
            /// deserializer (the single pass of [`crate::parse`]).
            pub(crate) fn deserialize_data<'de: 'a, D: serde::Deserializer<'de>>(
                name: &'static str,
                deserializer: D,
            ) -> Result<Self, D::Error> {
                match name {
                    $( $wire => <$ty<'a> as serde::Deserialize<'de>>::deserialize(deserializer).map(Event::$variant), )*
                    _ => Err(serde::de::Error::custom("not a known event")),
                }
            }

            /// The same as [`Event::parse_data`], tracking the path of a failing field.
            pub(crate) fn parse_data_tracked(
                name: &str,
                data: &'a str,
            ) -> Option<Result<Self, serde_path_to_error::Error<serde_json::Error>>> {
                let de = &mut serde_json::Deserializer::from_str(data);
                Some(match name {
                    $( $wire => serde_path_to_error::deserialize(de).map(Event::$variant), )*
                    _ => return None,
                })
            }

            /// Every string of the event, with whether it borrows.
            #[cfg(feature = "proptest")]
            pub(crate) fn visit_strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
                match self {
                    $( Event::$variant(data) => $crate::strategy::Strings::strings(data, out), )*
                    Event::Unknown { name, data } => {
                        $crate::strategy::Strings::strings(name, out);
                        $crate::strategy::Strings::strings(data, out);
                    }
                }
            }

            /// Serialises the `data` object.
            pub(crate) fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Event::$variant(data) => serde::Serialize::serialize(data, serializer), )*
                    Event::Unknown { data, .. } => serde::Serialize::serialize(data, serializer),
                }
            }
        }
    };
}

events! {
    /// A purchase was paid (also every subscription renewal, with
    /// `recurrence_number` > 1).
    PurchaseApproved = "PURCHASE_APPROVED" => PurchaseData,
    /// The warranty period ended without a refund (status `COMPLETED`;
    /// delivered in a nightly batch).
    PurchaseComplete = "PURCHASE_COMPLETE" => PurchaseData,
    /// A purchase was canceled (card refused, boleto or PIX unpaid, a first
    /// subscription charge failed).
    PurchaseCanceled = "PURCHASE_CANCELED" => PurchaseData,
    /// A boleto was printed or a PIX is pending: waiting for payment.
    PurchaseBilletPrinted = "PURCHASE_BILLET_PRINTED" => PurchaseData,
    /// A purchase was refunded.
    PurchaseRefunded = "PURCHASE_REFUNDED" => PurchaseData,
    /// A chargeback.
    PurchaseChargeback = "PURCHASE_CHARGEBACK" => PurchaseData,
    /// A purchase expired without payment.
    PurchaseExpired = "PURCHASE_EXPIRED" => PurchaseData,
    /// A recurring charge failed (status `DELAYED`, with `refusal_reason`).
    PurchaseDelayed = "PURCHASE_DELAYED" => PurchaseData,
    /// The buyer asked for a refund / opened a dispute (status `DISPUTE`).
    PurchaseProtest = "PURCHASE_PROTEST" => PurchaseData,
    /// Cart abandonment.
    PurchaseOutOfShoppingCart = "PURCHASE_OUT_OF_SHOPPING_CART" => CartAbandonment,
    /// A subscription was canceled.
    SubscriptionCancellation = "SUBSCRIPTION_CANCELLATION" => SubscriptionCancellation,
    /// A subscriber switched plans.
    SwitchPlan = "SWITCH_PLAN" => SwitchPlan,
    /// A subscriber changed the charge day.
    UpdateSubscriptionChargeDate = "UPDATE_SUBSCRIPTION_CHARGE_DATE" => ChargeDateUpdate,
    /// A student's first access to the members area.
    ClubFirstAccess = "CLUB_FIRST_ACCESS" => ClubFirstAccess,
    /// A student completed a module.
    ClubModuleCompleted = "CLUB_MODULE_COMPLETED" => ClubModuleCompleted,
    /// Logistics data of a physical-product order.
    OrderFulfillment = "ORDER_FULFILLMENT" => OrderFulfillment,
}

/// The nine events that carry [`PurchaseData`], as a pattern binding it.
macro_rules! purchase_family {
    ($p:ident) => {
        Event::PurchaseApproved($p)
            | Event::PurchaseComplete($p)
            | Event::PurchaseCanceled($p)
            | Event::PurchaseBilletPrinted($p)
            | Event::PurchaseRefunded($p)
            | Event::PurchaseChargeback($p)
            | Event::PurchaseExpired($p)
            | Event::PurchaseDelayed($p)
            | Event::PurchaseProtest($p)
    };
}

impl<'a> Event<'a> {
    /// The purchase data of the nine purchase events, to fill in place.
    pub(crate) fn purchase_mut(&mut self) -> Option<&mut PurchaseData<'a>> {
        match self {
            purchase_family!(p) => Some(p),
            _ => None,
        }
    }

    /// The purchase data of the nine purchase events.
    pub fn purchase(&self) -> Option<&PurchaseData<'_>> {
        match self {
            purchase_family!(p) => Some(p),
            _ => None,
        }
    }
}
