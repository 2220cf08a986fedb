//! The sales history: [`SalesFilter`] and [`Sale`].

use std::fmt;

use hotmart_webhook::{Amount, Timestamp};
use serde::Deserialize;

use crate::TransactionStatus;
use crate::lenient::u64_or_string;

/// The filters of `GET /payments/api/v1/sales/history`. Every one is
/// optional; dates are sent as epoch milliseconds.
///
/// Without a `transaction` or a `transaction_status`, Hotmart returns only
/// `APPROVED` and `COMPLETE` rows: ask for each status explicitly (one per
/// request).
///
/// ```
/// use hotmart_api::{SalesFilter, TransactionStatus};
/// use hotmart_webhook::Timestamp;
///
/// let filter = SalesFilter::new()
///     .status(TransactionStatus::Refunded)
///     .start_date(Timestamp::from_millis(1_700_000_000_000))
///     .product_id(1234567);
/// let query = filter.to_query();
/// assert!(query.contains(&("transaction_status", "REFUNDED".to_owned())));
/// assert!(query.contains(&("start_date", "1700000000000".to_owned())));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SalesFilter {
    /// `transaction_status`.
    pub transaction_status: Option<TransactionStatus>,
    /// `start_date` (inclusive).
    pub start_date: Option<Timestamp>,
    /// `end_date`.
    pub end_date: Option<Timestamp>,
    /// `transaction` (an `HP…` code).
    pub transaction: Option<String>,
    /// `product_id`.
    pub product_id: Option<u64>,
    /// `buyer_email`.
    pub buyer_email: Option<String>,
    /// `payment_type` (`CREDIT_CARD`, `BILLET`, `PIX`, …).
    pub payment_type: Option<String>,
    /// `offer_code`.
    pub offer_code: Option<String>,
    /// `sales_source` (the `src` tracking code).
    pub sales_source: Option<String>,
    /// `commission_as` (`PRODUCER`, `COPRODUCER`, `AFFILIATE`).
    pub commission_as: Option<String>,
}

impl SalesFilter {
    /// No filter.
    pub fn new() -> Self {
        SalesFilter::default()
    }

    /// Only this status.
    pub fn status(mut self, status: TransactionStatus) -> Self {
        self.transaction_status = Some(status);
        self
    }

    /// From this instant.
    pub fn start_date(mut self, at: Timestamp) -> Self {
        self.start_date = Some(at);
        self
    }

    /// Until this instant.
    pub fn end_date(mut self, at: Timestamp) -> Self {
        self.end_date = Some(at);
        self
    }

    /// Only this transaction.
    pub fn transaction(mut self, code: impl Into<String>) -> Self {
        self.transaction = Some(code.into());
        self
    }

    /// Only this product.
    pub fn product_id(mut self, id: u64) -> Self {
        self.product_id = Some(id);
        self
    }

    /// Only this buyer.
    pub fn buyer_email(mut self, email: impl Into<String>) -> Self {
        self.buyer_email = Some(email.into());
        self
    }

    /// Only this payment type.
    pub fn payment_type(mut self, kind: impl Into<String>) -> Self {
        self.payment_type = Some(kind.into());
        self
    }

    /// Only this offer.
    pub fn offer_code(mut self, code: impl Into<String>) -> Self {
        self.offer_code = Some(code.into());
        self
    }

    /// Only this sales source.
    pub fn sales_source(mut self, source: impl Into<String>) -> Self {
        self.sales_source = Some(source.into());
        self
    }

    /// Only sales where the account earned as this role.
    pub fn commission_as(mut self, role: impl Into<String>) -> Self {
        self.commission_as = Some(role.into());
        self
    }

    /// The query parameters (without paging).
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(s) = &self.transaction_status {
            q.push(("transaction_status", s.as_str().to_owned()));
        }
        if let Some(t) = self.start_date {
            q.push(("start_date", t.as_millis().to_string()));
        }
        if let Some(t) = self.end_date {
            q.push(("end_date", t.as_millis().to_string()));
        }
        let strings = [
            ("transaction", &self.transaction),
            ("buyer_email", &self.buyer_email),
            ("payment_type", &self.payment_type),
            ("offer_code", &self.offer_code),
            ("sales_source", &self.sales_source),
            ("commission_as", &self.commission_as),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                q.push((key, v.clone()));
            }
        }
        if let Some(id) = self.product_id {
            q.push(("product_id", id.to_string()));
        }
        q
    }
}

/// One row of the sales history: a transaction and its **current** status
/// (a sale approved, then refunded, shows once, as `REFUNDED`).
///
/// Field names are the API's (`recurrency_number`, `price.currency_code`),
/// which differ from the webhook's. `Debug` leaves the buyer and producer
/// out (personal data).
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct Sale {
    /// The product.
    #[serde(default)]
    pub product: Option<Product>,
    /// The buyer (personal data: never logged by this crate).
    #[serde(default)]
    pub buyer: Option<Person>,
    /// The producer.
    #[serde(default)]
    pub producer: Option<Person>,
    /// The purchase.
    pub purchase: Purchase,
}

impl fmt::Debug for Sale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sale")
            .field("product", &self.product)
            .field("purchase", &self.purchase)
            .finish_non_exhaustive()
    }
}

impl Sale {
    /// The transaction code (`HP…`).
    pub fn transaction(&self) -> &str {
        &self.purchase.transaction
    }

    /// The current status.
    pub fn status(&self) -> &TransactionStatus {
        &self.purchase.status
    }

    /// The product's ID, if given.
    pub fn product_id(&self) -> Option<u64> {
        self.product.as_ref()?.id
    }

    /// True for the dashboard's "Send test" transactions (product ID 0, the
    /// test product's name, or the one fixed test transaction code), which
    /// are never sales.
    pub fn is_test(&self) -> bool {
        is_test_transaction(
            &self.purchase.transaction,
            self.product.as_ref().and_then(|p| p.id),
            self.product.as_ref().and_then(|p| p.name.as_deref()),
        )
    }
}

/// The transaction code the dashboard's "Send test" uses for every event.
pub const TEST_TRANSACTION: &str = "HP16015479281022";
/// The product name of the dashboard's "Send test".
pub const TEST_PRODUCT_NAME: &str = "Produto test postback2";

/// The "Send test" rule on bare values: the fixed test transaction, product
/// ID 0 (the string `"00000"` reads as 0), or the test product's name.
pub fn is_test_transaction(
    transaction: &str,
    product_id: Option<u64>,
    product_name: Option<&str>,
) -> bool {
    transaction == TEST_TRANSACTION
        || product_id == Some(0)
        || product_name == Some(TEST_PRODUCT_NAME)
}

/// A product.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// Its ID (a number; a string of digits is accepted).
    #[serde(default, deserialize_with = "u64_or_string")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A buyer or producer. `Debug` prints nothing but the type (personal data).
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct Person {
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The e-mail address (buyers only).
    #[serde(default)]
    pub email: Option<String>,
    /// Hotmart's user code.
    #[serde(default)]
    pub ucode: Option<String>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(<redacted>)")
    }
}

/// The purchase part of a sale.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Purchase {
    /// The transaction code: the join key with webhooks.
    pub transaction: String,
    /// The current status.
    pub status: TransactionStatus,
    /// When the order was placed.
    #[serde(default)]
    pub order_date: Option<Timestamp>,
    /// When the payment was approved.
    #[serde(default)]
    pub approved_date: Option<Timestamp>,
    /// Whether it is a subscription payment.
    #[serde(default)]
    pub is_subscription: Option<bool>,
    /// The subscription's charge number (the webhook says `recurrence_number`).
    #[serde(default, deserialize_with = "u64_or_string")]
    pub recurrency_number: Option<u64>,
    /// The account's role in the sale.
    #[serde(default)]
    pub commission_as: Option<String>,
    /// The price.
    #[serde(default)]
    pub price: Option<Price>,
    /// The payment.
    #[serde(default)]
    pub payment: Option<Payment>,
    /// The offer.
    #[serde(default)]
    pub offer: Option<Offer>,
    /// When the warranty (refund period) ends.
    #[serde(default)]
    pub warranty_expire_date: Option<Timestamp>,
}

/// An exact price and its currency.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Price {
    /// The amount in currency units, exact.
    #[serde(default)]
    pub value: Option<Amount>,
    /// The ISO currency code (the webhook says `currency_value`).
    #[serde(default)]
    pub currency_code: Option<String>,
}

/// How a sale was paid.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Payment {
    /// The payment type (`CREDIT_CARD`, `BILLET`, `PIX`, …).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The payment method.
    #[serde(default)]
    pub method: Option<String>,
    /// The number of installments.
    #[serde(default, deserialize_with = "u64_or_string")]
    pub installments_number: Option<u64>,
}

/// The offer a sale was made under.
#[derive(Clone, Debug, Deserialize)]
#[non_exhaustive]
pub struct Offer {
    /// The offer code.
    #[serde(default)]
    pub code: Option<String>,
    /// The payment mode.
    #[serde(default)]
    pub payment_mode: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTURE: &str = r#"{"producer":{"name":"Prod","ucode":"u1"},
     "buyer":{"name":"Ana Buyer","ucode":"u2","email":"ana@example.com"},
     "product":{"name":"Course","id":1234567},
     "purchase":{"transaction":"HP1234567890","status":"COMPLETE","order_date":1700000000000,
       "approved_date":1700000060000,"is_subscription":false,"recurrency_number":1,
       "commission_as":"PRODUCER","price":{"value":97.0,"currency_code":"BRL"},
       "payment":{"type":"CREDIT_CARD","method":"CREDIT_CARD","installments_number":1},
       "offer":{"code":"k2j3h4","payment_mode":"..."},"hotmart_fee":{},"tracking":{"source_sck":"..."},
       "warranty_expire_date":1700600000000}}"#;

    #[test]
    fn the_documented_capture_reads_into_typed_fields() {
        let sale: Sale = serde_json::from_str(CAPTURE).unwrap();
        assert_eq!(sale.transaction(), "HP1234567890");
        assert_eq!(sale.status(), &TransactionStatus::Complete);
        assert_eq!(sale.product_id(), Some(1234567));
        assert_eq!(
            sale.purchase.order_date.unwrap().as_millis(),
            1_700_000_000_000
        );
        let price = sale.purchase.price.as_ref().unwrap();
        assert_eq!(price.value.unwrap().to_minor_units(2), Some(9700));
        assert_eq!(
            sale.purchase.payment.as_ref().unwrap().kind.as_deref(),
            Some("CREDIT_CARD")
        );
        assert!(!sale.is_test());
    }

    #[test]
    fn debug_of_a_sale_leaves_the_buyer_out() {
        let sale: Sale = serde_json::from_str(CAPTURE).unwrap();
        let debug = format!("{sale:?}");
        assert!(debug.contains("HP1234567890"));
        assert!(
            !debug.contains("Ana") && !debug.contains("ana@example.com"),
            "{debug}"
        );
    }

    #[test]
    fn unknown_status_is_kept_not_an_error() {
        let json = r#"{"purchase":{"transaction":"HP1","status":"NEW_STATE"}}"#;
        let sale: Sale = serde_json::from_str(json).unwrap();
        assert_eq!(sale.status(), &TransactionStatus::Other("NEW_STATE".into()));
    }

    #[test]
    fn send_test_transactions_are_recognised() {
        let by_product = r#"{"product":{"id":"00000","name":"x"},"purchase":{"transaction":"HP9","status":"APPROVED"}}"#;
        let by_code = r#"{"product":{"id":5},"purchase":{"transaction":"HP16015479281022","status":"APPROVED"}}"#;
        for json in [by_product, by_code] {
            assert!(
                serde_json::from_str::<Sale>(json).unwrap().is_test(),
                "{json}"
            );
        }
    }
}
