//! What typed webhook crates do: the same purchase and cancellation structs
//! with owned fields (`String`, `f64`, `Vec`), derived `Deserialize`, and a
//! dispatch on the event name. Bench-only; mirrors the crate's field set so
//! both read the same amount of the body.

#![allow(dead_code, unreachable_pub)]

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;

/// An id or a timestamp: a JSON number or a string (Hotmart sends both).
#[derive(Debug)]
pub enum NumOrStr {
    Num(i64),
    Str(String),
}

impl<'de> Deserialize<'de> for NumOrStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumOrStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumOrStr, E> {
                Ok(NumOrStr::Num(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumOrStr, E> {
                Ok(NumOrStr::Num(v as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumOrStr, E> {
                Ok(NumOrStr::Str(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug)]
pub struct OwnedEnvelope {
    pub id: String,
    pub creation_date: Option<NumOrStr>,
    pub version: Option<String>,
    pub event: OwnedEvent,
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // no Box: no allocation the crate does not make either
pub enum OwnedEvent {
    Purchase(String, OwnedPurchaseData),
    SubscriptionCancellation(OwnedCancellation),
}

#[derive(Debug, Deserialize)]
#[serde(bound = "'de: 'a")]
struct Raw<'a> {
    id: String,
    #[serde(alias = "creationDate")]
    creation_date: Option<NumOrStr>,
    version: Option<String>,
    event: String,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// The envelope with `data` borrowed raw, then `data` typed by the event
/// name: the usual hand-written dispatch (and a generous one: no `Value`, no
/// `#[serde(flatten)]` buffering).
pub fn parse(body: &[u8]) -> Result<OwnedEnvelope, serde_json::Error> {
    let raw: Raw<'_> = serde_json::from_slice(body)?;
    let event = match raw.event.as_str() {
        "PURCHASE_APPROVED"
        | "PURCHASE_COMPLETE"
        | "PURCHASE_CANCELED"
        | "PURCHASE_BILLET_PRINTED"
        | "PURCHASE_REFUNDED"
        | "PURCHASE_CHARGEBACK"
        | "PURCHASE_EXPIRED"
        | "PURCHASE_DELAYED"
        | "PURCHASE_PROTEST" => {
            OwnedEvent::Purchase(raw.event.clone(), serde_json::from_str(raw.data.get())?)
        }
        "SUBSCRIPTION_CANCELLATION" => {
            OwnedEvent::SubscriptionCancellation(serde_json::from_str(raw.data.get())?)
        }
        _ => return Err(de::Error::custom("not mirrored")),
    };
    Ok(OwnedEnvelope {
        id: raw.id,
        creation_date: raw.creation_date,
        version: raw.version,
        event,
    })
}

/// Whether [`parse`] mirrors this event.
pub fn mirrors(event: &str) -> bool {
    event.starts_with("PURCHASE_") && event != "PURCHASE_OUT_OF_SHOPPING_CART"
        || event == "SUBSCRIPTION_CANCELLATION"
}

#[derive(Debug, Deserialize)]
pub struct OwnedPurchaseData {
    pub product: Option<OwnedProduct>,
    pub affiliates: Option<Vec<OwnedAffiliate>>,
    pub buyer: Option<OwnedBuyer>,
    pub producer: Option<OwnedProducer>,
    pub commissions: Option<Vec<OwnedCommission>>,
    pub purchase: Option<OwnedPurchase>,
    pub subscription: Option<OwnedSubscription>,
    pub shipping: Option<OwnedShipping>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedProduct {
    pub id: Option<NumOrStr>,
    pub ucode: Option<String>,
    pub name: Option<String>,
    pub has_co_production: Option<bool>,
    pub warranty_date: Option<NumOrStr>,
    pub support_email: Option<String>,
    pub is_physical_product: Option<bool>,
    pub content: Option<OwnedProductContent>,
    pub product_format_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedProductContent {
    pub has_physical_products: Option<bool>,
    pub products: Option<Vec<OwnedBundledProduct>>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedBundledProduct {
    pub id: Option<NumOrStr>,
    pub ucode: Option<String>,
    pub name: Option<String>,
    pub is_physical_product: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedAffiliate {
    pub affiliate_code: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedBuyer {
    pub email: Option<String>,
    pub ucode: Option<String>,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub checkout_phone: Option<String>,
    pub checkout_phone_code: Option<String>,
    pub document: Option<String>,
    pub document_type: Option<String>,
    pub address: Option<OwnedAddress>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedAddress {
    pub country: Option<String>,
    pub country_iso: Option<String>,
    pub zipcode: Option<String>,
    pub zip_code: Option<String>,
    pub state: Option<String>,
    pub city: Option<String>,
    pub neighborhood: Option<String>,
    pub address: Option<String>,
    pub street: Option<String>,
    pub number: Option<String>,
    pub complement: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedProducer {
    pub name: Option<String>,
    pub document: Option<String>,
    pub legal_nature: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCommission {
    pub value: Option<f64>,
    pub currency_value: Option<String>,
    pub source: Option<String>,
    pub currency_conversion: Option<OwnedCurrencyConversion>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCurrencyConversion {
    pub converted_value: Option<f64>,
    pub converted_to_currency: Option<String>,
    pub conversion_rate: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedMoney {
    pub value: f64,
    pub currency_value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedPurchase {
    pub transaction: Option<String>,
    pub status: Option<String>,
    pub order_date: Option<NumOrStr>,
    pub approved_date: Option<NumOrStr>,
    pub price: Option<OwnedMoney>,
    pub full_price: Option<OwnedMoney>,
    pub original_offer_price: Option<OwnedMoney>,
    pub offer: Option<OwnedOffer>,
    pub payment: Option<OwnedPayment>,
    pub checkout_country: Option<OwnedCountry>,
    pub order_bump: Option<OwnedOrderBump>,
    pub origin: Option<OwnedOrigin>,
    pub recurrence_number: Option<u32>,
    pub date_next_charge: Option<NumOrStr>,
    pub subscription_anticipation_purchase: Option<bool>,
    pub invoice_by: Option<String>,
    pub is_funnel: Option<bool>,
    pub business_model: Option<String>,
    pub event_tickets: Option<OwnedEventTickets>,
    pub variants: Option<OwnedVariants>,
    #[serde(rename = "sckPaymentLink")]
    pub sck_payment_link: Option<String>,
    pub buyer_ip: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedOffer {
    pub code: Option<String>,
    pub key: Option<String>,
    pub coupon_code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<OwnedMoney>,
    pub metadata: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedPayment {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub installments_number: Option<u32>,
    pub billet_url: Option<String>,
    pub billet_barcode: Option<String>,
    pub pix_code: Option<String>,
    pub pix_qrcode: Option<String>,
    pub pix_expiration_date: Option<NumOrStr>,
    pub refusal_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCountry {
    pub name: Option<String>,
    pub iso: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedOrderBump {
    pub is_order_bump: Option<bool>,
    pub parent_purchase_transaction: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedOrigin {
    pub src: Option<String>,
    pub sck: Option<String>,
    pub xcod: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedEventTickets {
    pub amount: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedVariants {
    pub sku: Option<String>,
    pub attributes: Option<Vec<OwnedAttribute>>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedAttribute {
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedSubscription {
    pub status: Option<String>,
    pub plan: Option<OwnedPlan>,
    pub subscriber: Option<OwnedSubscriber>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedPlan {
    pub id: Option<NumOrStr>,
    pub name: Option<String>,
    pub offer: Option<OwnedOffer>,
    pub current: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedSubscriber {
    pub code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<OwnedPhone>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedPhone {
    #[serde(rename = "dddPhone")]
    pub ddd_phone: Option<String>,
    pub phone: Option<String>,
    #[serde(rename = "dddCell")]
    pub ddd_cell: Option<String>,
    pub cell: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedShipping {
    pub cost: Option<OwnedMoney>,
    pub estimated_delivery_days: Option<u32>,
    pub carrier: Option<OwnedCarrier>,
    pub fulfillment: Option<OwnedFulfillment>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCarrier {
    pub name: Option<String>,
    pub service: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedFulfillment {
    pub service: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCancellation {
    pub actual_recurrence_value: Option<f64>,
    pub cancellation_date: Option<NumOrStr>,
    pub date_next_charge: Option<NumOrStr>,
    pub product: Option<OwnedProductRef>,
    pub subscriber: Option<OwnedSubscriber>,
    pub subscription: Option<OwnedCanceledSubscription>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedProductRef {
    pub id: Option<NumOrStr>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OwnedCanceledSubscription {
    pub id: Option<NumOrStr>,
    pub plan: Option<OwnedPlan>,
}
