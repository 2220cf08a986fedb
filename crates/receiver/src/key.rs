//! Idempotency keys: what deduplicates deliveries and what the seller's app
//! gets as `Idempotency-Key` / `webhook-id`.
//!
//! One event has one key, however many times and by whatever path it arrives
//! (Hotmart's retries, its "reprocess" resend, a v1 postback, a sale imported
//! by reconcile from the sales history). The rule per shape:
//!
//! | shape | key |
//! |---|---|
//! | purchase family: a 2.0.0 event carrying `data.purchase.transaction`, or a v1 postback | `purchase:<transaction>:<2.0.0 event name>` ([`purchase_key`]); a v1 status maps to its event name ([`event_for_status`]), an unmapped one gives `STATUS_<status>` |
//! | any other 2.0.0 event | `event:<id>` (Hotmart keeps the `id` across retries and resends); without an `id`, `v2:<event>:<SHA-256 of its canonical JSON>` |
//! | v1 subscription cancellation | `v1:subscription_cancellation:<subscriberCode>:<cancellationDate ms>` |
//! | other v1 JSON events (cart abandonment, plan switch) | `v1:<kind>:<SHA-256 of the body's canonical JSON without hottok>`, the same for the same content |
//! | a body that does not parse | `unparsed:<SHA-256 of the masked body>` |
//!
//! Never a fresh random value: a redelivery must find its first copy.

use hotmart_webhook::Webhook;
use sha2::{Digest, Sha256};

/// The key of a purchase-family event: `purchase:<transaction>:<event>`,
/// `event` being the 2.0.0 name (`PURCHASE_APPROVED`).
///
/// ```
/// assert_eq!(
///     hotmart_receiver::key::purchase_key("HP123", "PURCHASE_APPROVED"),
///     "purchase:HP123:PURCHASE_APPROVED"
/// );
/// ```
pub fn purchase_key(transaction: &str, event: &str) -> String {
    format!("purchase:{transaction}:{event}")
}

/// The 2.0.0 event that a purchase status represents (v1 postbacks and the
/// sales history give statuses; 2.0.0 gives events), in any of Hotmart's
/// spellings; `None` for statuses no 2.0.0 event carries.
///
/// ```
/// use hotmart_receiver::key::event_for_status;
/// assert_eq!(event_for_status("approved"), Some("PURCHASE_APPROVED"));
/// assert_eq!(event_for_status("PROTESTED"), Some("PURCHASE_PROTEST"));
/// assert_eq!(event_for_status("PARTIALLY_REFUNDED"), Some("PURCHASE_REFUNDED"));
/// // WAITING_PAYMENT (v1: `wayting_payment`) has no 2.0.0 event.
/// assert_eq!(event_for_status("WAITING_PAYMENT"), None);
/// assert_eq!(event_for_status("STARTED"), None);
/// ```
pub fn event_for_status(status: &str) -> Option<&'static str> {
    // One table for both directions: the sales history's mapping (both
    // spellings) is the API client's; v1 postbacks send the same words in
    // lower case.
    hotmart_api::TransactionStatus::from(status.to_ascii_uppercase().as_str()).webhook_event()
}

/// The key of a parsed delivery (see the [module docs](self)).
pub fn idempotency_key(webhook: &Webhook<'_>) -> String {
    match webhook {
        Webhook::V2(envelope) => match webhook.transaction() {
            Some(transaction) => purchase_key(transaction, envelope.event.name()),
            None => match envelope.id.as_deref() {
                Some(id) => format!("event:{id}"),
                None => format!("v2:{}:{}", envelope.event.name(), content_hash(webhook)),
            },
        },
        Webhook::V1Purchase(_) => {
            let status = webhook
                .purchase_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            let event =
                event_for_status(&status).map_or_else(|| format!("STATUS_{status}"), str::to_owned);
            match webhook.transaction() {
                Some(transaction) => purchase_key(transaction, &event),
                None => format!("v1:purchase:{}", content_hash(webhook)),
            }
        }
        Webhook::V1SubscriptionCancellation(c) => match (&c.subscriber_code, c.cancellation_date) {
            (Some(code), Some(date)) => {
                format!("v1:subscription_cancellation:{code}:{}", date.as_millis())
            }
            _ => format!("v1:subscription_cancellation:{}", content_hash(webhook)),
        },
        other => format!("v1:{}:{}", other.event_name(), content_hash(other)),
    }
}

/// The key of a body that does not parse.
pub fn unparsed_key(masked_body: &[u8]) -> String {
    format!("unparsed:{}", hex(&Sha256::digest(masked_body)))
}

/// SHA-256 of the parsed value re-serialised with sorted keys: the same
/// content gives the same hash whatever the key order or spacing, and the
/// hottok is not part of the parsed value.
fn content_hash(webhook: &Webhook<'_>) -> String {
    let canonical = serde_json::to_value(webhook)
        .map(|v| v.to_string())
        .unwrap_or_default();
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(body: &str) -> String {
        idempotency_key(&hotmart_webhook::parse(body.as_bytes()).unwrap())
    }

    #[test]
    fn a_v1_postback_and_its_v2_event_share_a_key() {
        let v1 = key("status=approved&transaction=HP1&hottok=x");
        let v2 = key(
            r#"{"id":"a","event":"PURCHASE_APPROVED","version":"2.0.0","data":{"purchase":{"transaction":"HP1","status":"APPROVED"}}}"#,
        );
        assert_eq!(v1, "purchase:HP1:PURCHASE_APPROVED");
        assert_eq!(v1, v2);
    }

    #[test]
    fn other_v2_events_are_keyed_by_their_id() {
        assert_eq!(
            key(r#"{"id":"e-1","event":"CLUB_FIRST_ACCESS","version":"2.0.0","data":{}}"#),
            "event:e-1"
        );
    }

    #[test]
    fn a_v1_json_event_gets_the_same_key_whatever_its_spacing_and_hottok() {
        let a = key(
            r#"{"hottok":"one","switchPlanDate":1656013119173,"subscription":{"status":"ACTIVE"}}"#,
        );
        let b = key(
            r#"{ "subscription" : {"status":"ACTIVE"}, "switchPlanDate":1656013119173, "hottok":"two" }"#,
        );
        let c = key(
            r#"{"hottok":"one","switchPlanDate":1656013119174,"subscription":{"status":"ACTIVE"}}"#,
        );
        assert!(a.starts_with("v1:switch_plan:"), "{a}");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_v1_cancellation_is_keyed_by_subscriber_and_date() {
        assert_eq!(
            key(r#"{"hottok":"x","subscriberCode":"S1","cancellationDate":1656013119173}"#),
            "v1:subscription_cancellation:S1:1656013119173"
        );
    }
}
