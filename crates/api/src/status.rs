//! [`TransactionStatus`]: a sale's status in the sales history, and the
//! webhook event each one corresponds to.

use crate::open_enum::open_enum;

open_enum! {
    /// A transaction's current status as the sales history spells it.
    ///
    /// The history spells some statuses differently from the webhook
    /// (`COMPLETE` vs `COMPLETED`, `CANCELLED` vs `CANCELED`,
    /// `PRINTED_BILLET` vs `BILLET_PRINTED`); [`TransactionStatus::webhook_event`]
    /// maps both spellings. An unknown status is kept in `Other`.
    ///
    /// ```
    /// use hotmart_api::TransactionStatus;
    /// let s: TransactionStatus = "PRINTED_BILLET".parse().unwrap();
    /// assert_eq!(s, TransactionStatus::PrintedBillet);
    /// assert_eq!(s.webhook_event(), Some("PURCHASE_BILLET_PRINTED"));
    /// let new: TransactionStatus = "SOMETHING_NEW".parse().unwrap();
    /// assert_eq!(new.as_str(), "SOMETHING_NEW");
    /// assert_eq!(new.webhook_event(), None);
    /// ```
    pub enum TransactionStatus {
        /// Paid.
        Approved = "APPROVED",
        /// Paid and past the warranty period.
        Complete = "COMPLETE",
        /// Cancelled.
        Cancelled = "CANCELLED",
        /// Refunded.
        Refunded = "REFUNDED",
        /// Partly refunded.
        PartiallyRefunded = "PARTIALLY_REFUNDED",
        /// Charged back by the card holder.
        Chargeback = "CHARGEBACK",
        /// A boleto (bank slip) was printed, not yet paid.
        PrintedBillet = "PRINTED_BILLET",
        /// Disputed by the buyer.
        Protested = "PROTESTED",
        /// Disputed (the webhook's spelling, also reported from the API).
        Dispute = "DISPUTE",
        /// The payment deadline passed.
        Expired = "EXPIRED",
        /// Payment overdue.
        Overdue = "OVERDUE",
        /// Payment delayed (the webhook's spelling, also reported from the API).
        Delayed = "DELAYED",
        /// Waiting for payment (no webhook).
        WaitingPayment = "WAITING_PAYMENT",
        /// Started (no webhook).
        Started = "STARTED",
        /// Under analysis, Hotmart's spelling (no webhook).
        UnderAnalisys = "UNDER_ANALISYS",
        /// Blocked (no webhook).
        Blocked = "BLOCKED",
        /// Refused for lack of funds (no webhook).
        NoFunds = "NO_FUNDS",
        /// Pre-order (no webhook).
        PreOrder = "PRE_ORDER",
        /// Being processed (no webhook).
        ProcessingTransaction = "PROCESSING_TRANSACTION",
    }
}

impl TransactionStatus {
    /// The v2 webhook event a transaction in this status was announced by
    /// (`PURCHASE_APPROVED`, …), or `None` for the statuses that have no
    /// webhook (waiting payment, started, under analysis, …) and for unknown
    /// ones. Both spellings are accepted where the history and the webhook
    /// differ; `PROTESTED`/`DISPUTE` and `OVERDUE`/`DELAYED` are the two
    /// low-confidence rows of the mapping.
    pub fn webhook_event(&self) -> Option<&'static str> {
        Some(match self.as_str() {
            "APPROVED" => "PURCHASE_APPROVED",
            "COMPLETE" | "COMPLETED" => "PURCHASE_COMPLETE",
            "CANCELLED" | "CANCELED" => "PURCHASE_CANCELED",
            "REFUNDED" | "PARTIALLY_REFUNDED" => "PURCHASE_REFUNDED",
            "CHARGEBACK" => "PURCHASE_CHARGEBACK",
            "PRINTED_BILLET" | "BILLET_PRINTED" => "PURCHASE_BILLET_PRINTED",
            "PROTESTED" | "DISPUTE" => "PURCHASE_PROTEST",
            "EXPIRED" => "PURCHASE_EXPIRED",
            "OVERDUE" | "DELAYED" => "PURCHASE_DELAYED",
            _ => return None,
        })
    }

    /// The status the webhook's `data.purchase.status` carries for the same
    /// state (`COMPLETED` for `COMPLETE`, …), or `None` without a webhook.
    pub fn webhook_status(&self) -> Option<&'static str> {
        Some(match self.webhook_event()? {
            "PURCHASE_APPROVED" => "APPROVED",
            "PURCHASE_COMPLETE" => "COMPLETED",
            "PURCHASE_CANCELED" => "CANCELED",
            "PURCHASE_REFUNDED" => "REFUNDED",
            "PURCHASE_CHARGEBACK" => "CHARGEBACK",
            "PURCHASE_BILLET_PRINTED" => "BILLET_PRINTED",
            "PURCHASE_PROTEST" => "DISPUTE",
            "PURCHASE_EXPIRED" => "EXPIRED",
            _ => "DELAYED",
        })
    }

    /// Every history status that has a webhook, in both spellings where the
    /// mapping is uncertain: the statuses a reconciliation walks, one walk
    /// each (without a status filter, the history returns only `APPROVED`
    /// and `COMPLETE`).
    pub fn with_webhook() -> [TransactionStatus; 12] {
        use TransactionStatus::*;
        [
            Approved,
            Complete,
            Cancelled,
            Refunded,
            PartiallyRefunded,
            Chargeback,
            PrintedBillet,
            Protested,
            Dispute,
            Expired,
            Overdue,
            Delayed,
        ]
    }

    /// The statuses that no webhook announces (waiting payment, started,
    /// under analysis, blocked, no funds, pre-order, processing): listed by
    /// `hotmart sales --status all`, never walked by a reconciliation.
    pub fn without_webhook() -> [TransactionStatus; 7] {
        use TransactionStatus::*;
        [
            WaitingPayment,
            Started,
            UnderAnalisys,
            Blocked,
            NoFunds,
            PreOrder,
            ProcessingTransaction,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_walked_maps_to_a_webhook_event_and_back_to_a_webhook_status() {
        for status in TransactionStatus::with_webhook() {
            let event = status.webhook_event().unwrap();
            assert!(event.starts_with("PURCHASE_"), "{status}");
            assert!(status.webhook_status().is_some());
        }
    }

    #[test]
    fn both_spellings_map_to_the_same_event() {
        for (api, hook) in [
            ("COMPLETE", "COMPLETED"),
            ("CANCELLED", "CANCELED"),
            ("PRINTED_BILLET", "BILLET_PRINTED"),
            ("PROTESTED", "DISPUTE"),
            ("OVERDUE", "DELAYED"),
        ] {
            assert_eq!(
                TransactionStatus::from(api).webhook_event(),
                TransactionStatus::from(hook).webhook_event(),
                "{api} / {hook}"
            );
        }
    }

    #[test]
    fn statuses_without_a_webhook_map_to_nothing() {
        for s in TransactionStatus::without_webhook() {
            assert_eq!(s.webhook_event(), None, "{s}");
            assert!(!matches!(s, TransactionStatus::Other(_)), "{s}");
        }
    }
}
