//! `ORDER_FULFILLMENT`: logistics data of a physical-product order
//! (documented 2026-06-09; no delivery has been captured yet, so the shapes
//! follow Hotmart's documentation example).

use crate::event::LineItems;
use crate::event::common::{Address, Id, Offer};
use crate::event::purchase::{Carrier, PurchaseStatus};
use crate::{Amount, Money, Text, Timestamp};

payload! {
    /// The `data` of `ORDER_FULFILLMENT`.
    pub struct OrderFulfillment<'a> {
        /// The order.
        #[serde(borrow)]
        pub purchase: Option<FulfillmentPurchase<'a>>,
        /// What to ship.
        #[serde(borrow)]
        pub line_items: Option<LineItems<'a>>,
        /// Delivery.
        #[serde(borrow)]
        pub delivery: Option<Delivery<'a>>,
        /// Freight.
        #[serde(borrow)]
        pub shipping: Option<FulfillmentShipping<'a>>,
        /// Who fulfils the order.
        #[serde(borrow)]
        pub fulfillment_service: Option<FulfillmentService<'a>>,
        /// Billing party (same shape as the shopper).
        #[serde(borrow)]
        pub billing: Option<Shopper<'a>>,
    }
}

payload! {
    /// `data.purchase` of `ORDER_FULFILLMENT`.
    pub struct FulfillmentPurchase<'a> {
        /// Total paid.
        #[serde(borrow)]
        pub full_price: Option<Money<'a>>,
        /// Offer price.
        #[serde(borrow)]
        pub price: Option<Money<'a>>,
        /// When it was paid.
        pub approved_date: Option<Timestamp>,
        /// When it was ordered.
        pub order_date: Option<Timestamp>,
        /// Numeric order id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Transaction code.
        #[serde(borrow)]
        pub transaction: Option<Text<'a>>,
        /// Status (`APPROVED`).
        #[serde(borrow)]
        pub status: Option<PurchaseStatus<'a>>,
        /// The buyer.
        #[serde(borrow)]
        pub shopper: Option<Shopper<'a>>,
    }
}

payload! {
    /// A shopper or billing party of `ORDER_FULFILLMENT`.
    pub struct Shopper<'a> {
        /// Country name.
        #[serde(borrow)]
        pub country: Option<Text<'a>>,
        /// Phone.
        #[serde(borrow)]
        pub phone: Option<Text<'a>>,
        /// Document digits.
        #[serde(borrow)]
        pub document: Option<Text<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// IANA time zone.
        #[serde(borrow)]
        pub time_zone: Option<Text<'a>>,
        /// Locale, e.g. `pt_BR`.
        #[serde(borrow)]
        pub locale: Option<Text<'a>>,
        /// Hotmart user UUID.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Address (`zip_code`).
        #[serde(borrow)]
        pub address: Option<Address<'a>>,
    }
}

payload! {
    /// One element of `line_items`.
    #[derive(Default)]
    pub struct LineItem<'a> {
        /// The offer and its price.
        #[serde(borrow)]
        pub offer: Option<Offer<'a>>,
        /// The product.
        #[serde(borrow)]
        pub product: Option<LineItemProduct<'a>>,
        /// Quantity.
        pub quantity: Option<u32>,
        /// The variation.
        #[serde(borrow)]
        pub variant: Option<Variant<'a>>,
        /// Package dimensions.
        pub dimension: Option<Dimension>,
    }
}

payload! {
    /// The product of a line item.
    pub struct LineItemProduct<'a> {
        /// Product id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Format (`PHYSICAL`).
        #[serde(borrow)]
        pub format: Option<Text<'a>>,
        /// Support e-mail.
        #[serde(borrow)]
        pub support_email: Option<Text<'a>>,
        /// Product UUID.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// The seller.
        #[serde(borrow)]
        pub seller: Option<Seller<'a>>,
    }
}

payload! {
    /// The seller of a line item.
    pub struct Seller<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Hotmart user UUID.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Locale.
        #[serde(borrow)]
        pub locale: Option<Text<'a>>,
    }
}

payload! {
    /// A product variation.
    pub struct Variant<'a> {
        /// Display name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Variation id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// SKU.
        #[serde(borrow)]
        pub sku: Option<Text<'a>>,
        /// Attributes.
        #[serde(borrow)]
        pub attributes: Option<crate::event::Attributes<'a>>,
    }
}

payload! {
    /// Package dimensions: centimetres and kilograms.
    pub struct Dimension {
        /// Depth (cm).
        pub depth: Option<Amount>,
        /// Width (cm).
        pub width: Option<Amount>,
        /// Height (cm).
        pub height: Option<Amount>,
        /// Weight (kg).
        pub weight: Option<Amount>,
    }
}

payload! {
    /// `data.delivery`.
    pub struct Delivery<'a> {
        /// Processing time before shipping (days).
        pub shipping_processing_time: Option<u32>,
        /// `SHIPPING`.
        #[serde(borrow)]
        pub method_type: Option<Text<'a>>,
        /// Delivery time (days).
        pub delivery_time: Option<u32>,
        /// Destination address.
        #[serde(borrow)]
        pub destination: Option<Address<'a>>,
    }
}

payload! {
    /// `data.shipping` of `ORDER_FULFILLMENT`.
    pub struct FulfillmentShipping<'a> {
        /// Total freight charged.
        #[serde(borrow)]
        pub shipping_total_value: Option<Money<'a>>,
        /// Carrier.
        #[serde(borrow)]
        pub carrier: Option<Carrier<'a>>,
        /// Logistics time (days).
        pub shipping_logistics_time: Option<u32>,
        /// The carrier's service.
        #[serde(borrow)]
        pub carrier_options: Option<Carrier<'a>>,
        /// `FLAT_RATE`, `FREE_SHIPPING` or `FIXED_PRICE`.
        #[serde(borrow, rename = "type")]
        pub kind: Option<Text<'a>>,
        /// Estimated cost.
        #[serde(borrow)]
        pub estimate_shipping_cost: Option<Money<'a>>,
        /// Markup over the cost.
        #[serde(borrow)]
        pub shipping_markup_price: Option<Money<'a>>,
    }
}

payload! {
    /// `data.fulfillment_service`.
    pub struct FulfillmentService<'a> {
        /// `MANUAL` or `PARTNER`.
        #[serde(borrow)]
        pub service_type: Option<Text<'a>>,
        /// The partner (`UICLAP`, `MONTINK`, …), for `PARTNER`.
        #[serde(borrow)]
        pub service_name: Option<Text<'a>>,
    }
}
