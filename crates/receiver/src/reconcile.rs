//! Reconcile: find, in Hotmart's sales history, the sales whose webhook the
//! store never got, and import them as deliveries.
//!
//! The sales history shows each transaction once, with its **current**
//! status. For every status that has a webhook (both spellings where the
//! history and the webhook differ, see
//! [`TransactionStatus::webhook_event`]), the history is walked over a closed
//! window ([`hotmart_api::SalesWalk`]: each page once, a window Hotmart times
//! out on split in two); each sale's status is mapped to the webhook event
//! it stands for, and the sale is missing when the store has no delivery
//! under that event's [purchase key](crate::key::purchase_key)
//! (`purchase:<transaction>:<event>`). The dashboard's "Send test"
//! transactions are ignored.
//!
//! [`import`] stores a missing sale as a 2.0.0 delivery built from the
//! history row, with `source = "reconcile"`, under that same key: the worker
//! processes it like any delivery, and when Hotmart's own webhook for the
//! transaction and status arrives later it is a duplicate of this row, never
//! a second effect. (At-least-once still holds where it always does: a
//! processor that fails after its effect is retried.)
//!
//! Only the current status is visible: a sale approved, then refunded, shows
//! as `REFUNDED`, so only its `PURCHASE_REFUNDED` can be recovered, and one
//! approved and then completed is imported as `PURCHASE_COMPLETE`.

use std::collections::HashSet;

use hotmart_api::{Client, Sale, SalesFilter, TransactionStatus, WalkProgress, Window};
use serde_json::{Value, json};

use crate::key::purchase_key;
use crate::store::{Inserted, NewDelivery, Source, Store, StoreError};
use crate::summary::summarize;

/// A sale of the history that the store lacks.
#[derive(Clone, Debug)]
pub struct MissingSale {
    /// The idempotency key it is (or will be) stored under.
    pub key: String,
    /// The webhook event its status stands for (`PURCHASE_APPROVED`, …).
    pub event: &'static str,
    /// The history row.
    pub sale: Sale,
}

impl MissingSale {
    /// The transaction code.
    pub fn transaction(&self) -> &str {
        self.sale.transaction()
    }

    /// One JSON object for `reconcile --json`: transaction, status (as the
    /// API says), event, product, dates, price, key. No buyer data.
    pub fn to_json(&self) -> Value {
        let purchase = &self.sale.purchase;
        let price = purchase.price.as_ref();
        json!({
            "transaction": self.transaction(),
            "status": self.sale.status().as_str(),
            "event": self.event,
            "product_id": self.sale.product_id(),
            "order_date": purchase.order_date.map(|t| t.to_string()),
            "approved_date": purchase.approved_date.map(|t| t.to_string()),
            "price": price.and_then(|p| p.value).map(|v| v.to_string()),
            "currency": price.and_then(|p| p.currency_code.clone()),
            "key": self.key,
        })
    }
}

/// Where a reconciliation is, for a progress line.
#[derive(Debug)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The status being walked.
    pub status: &'a TransactionStatus,
    /// Its walk.
    pub walk: &'a WalkProgress,
    /// Missing sales found so far (every status).
    pub missing: usize,
}

/// Why a reconciliation stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReconcileError {
    /// Hotmart's API failed (see [`hotmart_api::Error::is_credentials`]).
    Api(hotmart_api::Error),
    /// The store failed.
    Store(StoreError),
    /// A built delivery did not get the key it was compared under (a bug:
    /// nothing was stored).
    KeyMismatch {
        /// The key compared.
        expected: String,
        /// The key the stored body would get.
        got: String,
    },
}

impl std::fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReconcileError::Api(e) => std::fmt::Display::fmt(e, f),
            ReconcileError::Store(e) => std::fmt::Display::fmt(e, f),
            ReconcileError::KeyMismatch { expected, got } => {
                write!(
                    f,
                    "reconcile: the delivery built for {expected} would be keyed {got}; nothing stored"
                )
            }
        }
    }
}

impl std::error::Error for ReconcileError {}

impl From<hotmart_api::Error> for ReconcileError {
    fn from(e: hotmart_api::Error) -> Self {
        ReconcileError::Api(e)
    }
}

impl From<StoreError> for ReconcileError {
    fn from(e: StoreError) -> Self {
        ReconcileError::Store(e)
    }
}

/// Walks the history over `window` for every status with a webhook and
/// returns the sales the store lacks, in walk order, each key once.
pub async fn find_missing(
    client: &Client,
    store: &dyn Store,
    window: Window,
    mut on_progress: impl FnMut(Progress<'_>),
) -> Result<Vec<MissingSale>, ReconcileError> {
    let mut missing = Vec::new();
    let mut seen = HashSet::new();
    for status in TransactionStatus::with_webhook() {
        let mut walk = client.walk_sales(SalesFilter::new().status(status.clone()), window);
        while let Some(sales) = walk.next_page().await? {
            let candidates: Vec<MissingSale> = sales
                .into_iter()
                .filter(|sale| !sale.is_test())
                .filter_map(|sale| {
                    let event = sale.status().webhook_event()?;
                    let key = purchase_key(sale.transaction(), event);
                    Some(MissingSale { key, event, sale })
                })
                .filter(|m| seen.insert(m.key.clone()))
                .collect();
            if !candidates.is_empty() {
                let keys: Vec<String> = candidates.iter().map(|m| m.key.clone()).collect();
                let existing = store.existing_keys(&keys).await?;
                missing.extend(
                    candidates
                        .into_iter()
                        .filter(|m| !existing.contains(&m.key)),
                );
            }
            on_progress(Progress {
                status: &status,
                walk: walk.progress(),
                missing: missing.len(),
            });
        }
    }
    Ok(missing)
}

/// The 2.0.0 body a missing sale is stored as: the envelope (`id`
/// `reconcile:<key>`, `event`, `version`, `creation_date` = now) and the
/// history row's product, buyer, producer and purchase under the webhook's
/// names (`recurrence_number`, `price.currency_value`, the webhook's status
/// spelling).
pub fn delivery_body(missing: &MissingSale, now_ms: i64) -> Vec<u8> {
    let sale = &missing.sale;
    let p = &sale.purchase;
    let person = |who: Option<&hotmart_api::Person>| {
        who.map(|x| json!({"name": x.name, "email": x.email, "ucode": x.ucode}))
    };
    let product = sale
        .product
        .as_ref()
        .map(|x| json!({"id": x.id, "name": x.name}));
    let price = p
        .price
        .as_ref()
        .map(|x| json!({"value": x.value, "currency_value": x.currency_code}));
    let payment = p
        .payment
        .as_ref()
        .map(|x| json!({"type": x.kind, "installments_number": x.installments_number}));
    let body = json!({
        "id": format!("reconcile:{}", missing.key),
        "creation_date": now_ms,
        "event": missing.event,
        "version": "2.0.0",
        "data": {
            "product": product,
            "buyer": person(sale.buyer.as_ref()),
            "producer": person(sale.producer.as_ref()),
            "purchase": {
                "transaction": sale.transaction(),
                "status": sale.status().webhook_status(),
                "order_date": p.order_date.map(|t| t.as_millis()),
                "approved_date": p.approved_date.map(|t| t.as_millis()),
                "price": price,
                "payment": payment,
                "offer": p.offer.as_ref().map(|o| json!({"code": o.code})),
                "recurrence_number": p.recurrency_number,
                "warranty_expire_date": p.warranty_expire_date.map(|t| t.as_millis()),
            },
        },
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Stores a missing sale as a delivery with `source = "reconcile"`, under
/// its key: [`Inserted::New`], or [`Inserted::Duplicate`] /
/// [`Inserted::Requeued`] when Hotmart's webhook got there first.
pub async fn import(
    store: &dyn Store,
    missing: &MissingSale,
    now_ms: i64,
) -> Result<Inserted, ReconcileError> {
    let body = delivery_body(missing, now_ms);
    let summary = summarize(&body);
    if summary.key != missing.key {
        return Err(ReconcileError::KeyMismatch {
            expected: missing.key.clone(),
            got: summary.key,
        });
    }
    let inserted = store
        .insert(NewDelivery {
            source: Source::Reconcile,
            summary,
            received_at: now_ms,
            body,
        })
        .await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sale(status: &str) -> Sale {
        let json = format!(
            r#"{{"buyer":{{"name":"Ana","email":"ana@example.com"}},"product":{{"id":42,"name":"Curso"}},
            "purchase":{{"transaction":"HP77","status":"{status}","order_date":1767225600000,
            "approved_date":1767225660000,"recurrency_number":2,"price":{{"value":1385.22,"currency_code":"BRL"}},
            "payment":{{"type":"PIX","installments_number":1}}}}}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn the_built_body_parses_to_the_key_a_real_webhook_gets_for_every_status() {
        for status in TransactionStatus::with_webhook() {
            let sale = sale(status.as_str());
            let event = sale.status().webhook_event().unwrap();
            let missing = MissingSale {
                key: purchase_key("HP77", event),
                event,
                sale,
            };
            let body = delivery_body(&missing, 1_767_300_000_000);
            let summary = summarize(&body);
            assert_eq!(summary.parse_error, None, "{status}");
            assert_eq!(summary.key, missing.key, "{status}");
            assert_eq!(summary.event.as_deref(), Some(event));
            assert_eq!(summary.transaction.as_deref(), Some("HP77"));
        }
    }

    #[test]
    fn the_built_body_keeps_the_price_exact_and_uses_the_webhooks_names() {
        let sale = sale("COMPLETE");
        let missing = MissingSale {
            key: purchase_key("HP77", "PURCHASE_COMPLETE"),
            event: "PURCHASE_COMPLETE",
            sale,
        };
        let body = delivery_body(&missing, 1);
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.contains(r#""value":1385.22"#), "{text}");
        assert!(text.contains(r#""currency_value":"BRL""#), "{text}");
        assert!(text.contains(r#""recurrence_number":2"#), "{text}");
        assert!(text.contains(r#""status":"COMPLETED""#), "{text}");
        let json = missing.to_json().to_string();
        assert!(!json.contains("ana@example.com"), "{json}");
    }
}
