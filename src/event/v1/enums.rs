//! The closed vocabularies of v1: statuses, payment types and engines,
//! receiver types and payment modes.

use crate::event::purchase::PurchaseStatus;

open_enum! {
    /// `status` of a v1 purchase postback (lowercase; `canceled` with one L).
    pub enum V1Status {
        /// `started`.
        Started = "started",
        /// `approved`.
        Approved = "approved",
        /// `canceled`.
        Canceled = "canceled" | "cancelled",
        /// `pending_analysis`.
        PendingAnalysis = "pending_analysis",
        /// `billet_printed`.
        BilletPrinted = "billet_printed",
        /// `refunded`.
        Refunded = "refunded",
        /// `dispute`.
        Dispute = "dispute",
        /// `completed`.
        Completed = "completed",
        /// `blocked`.
        Blocked = "blocked",
        /// `chargeback`.
        Chargeback = "chargeback",
        /// `delayed`.
        Delayed = "delayed",
        /// `expired`.
        Expired = "expired",
        /// `wayting_payment` (sic).
        WaitingPayment = "wayting_payment" | "waiting_payment",
    }
}

impl<'a> V1Status<'a> {
    /// The 2.0.0 status of the same state, so v1 and v2 handlers can share code.
    pub fn to_purchase_status(&self) -> PurchaseStatus<'a> {
        match self {
            V1Status::Started => PurchaseStatus::Started,
            V1Status::Approved => PurchaseStatus::Approved,
            V1Status::Canceled => PurchaseStatus::Canceled,
            V1Status::PendingAnalysis => PurchaseStatus::UnderAnalysis,
            V1Status::BilletPrinted => PurchaseStatus::BilletPrinted,
            V1Status::Refunded => PurchaseStatus::Refunded,
            V1Status::Dispute => PurchaseStatus::Dispute,
            V1Status::Completed => PurchaseStatus::Completed,
            V1Status::Blocked => PurchaseStatus::Blocked,
            V1Status::Chargeback => PurchaseStatus::Chargeback,
            V1Status::Delayed => PurchaseStatus::Delayed,
            V1Status::Expired => PurchaseStatus::Expired,
            V1Status::WaitingPayment => PurchaseStatus::WaitingPayment,
            V1Status::Other(text) => PurchaseStatus::Other(text.clone()),
        }
    }
}

open_enum! {
    /// `payment_type` of a v1 purchase postback.
    pub enum V1PaymentType {
        /// `credit_card`.
        CreditCard = "credit_card",
        /// `billet`.
        Billet = "billet",
        /// `bank_transfer`.
        BankTransfer = "bank_transfer",
        /// `bcash_balance`.
        BcashBalance = "bcash_balance",
        /// `paypal`.
        Paypal = "paypal",
        /// `debit_card`.
        DebitCard = "debit_card",
        /// `moip_balance`.
        MoipBalance = "moip_balance",
        /// `order.checkout.hotmart_balance`.
        HotmartBalance = "order.checkout.hotmart_balance",
        /// `pix` (undocumented for v1; the likely spelling).
        Pix = "pix",
    }
}

open_enum! {
    /// `payment_engine` of a v1 purchase postback.
    pub enum V1PaymentEngine {
        /// `hotmart`.
        Hotmart = "hotmart",
        /// `moip`.
        Moip = "moip",
        /// `paypal`.
        Paypal = "paypal",
        /// `bcash`.
        Bcash = "bcash",
        /// `monthly`.
        Monthly = "monthly",
    }
}

open_enum! {
    /// `subscription_status` of a v1 purchase postback.
    pub enum V1SubscriptionStatus {
        /// `active`.
        Active = "active",
        /// `canceled`.
        Canceled = "canceled" | "cancelled",
        /// `past_due`.
        PastDue = "past_due",
        /// `expired`.
        Expired = "expired",
        /// `started`.
        Started = "started",
        /// `inactive`.
        Inactive = "inactive",
    }
}

open_enum! {
    /// `receiver_type`: whom this postback is for.
    pub enum ReceiverType {
        /// The seller (producer).
        Seller = "SELLER",
        /// An affiliate.
        Affiliate = "AFFILIATE",
        /// A co-producer.
        Coproducer = "COPRODUCER",
    }
}

open_enum! {
    /// `productOfferPaymentMode`.
    pub enum PaymentMode {
        /// `pagamento_unico`: single payment.
        SinglePayment = "pagamento_unico",
        /// `multiplos_pagamentos`: several payments.
        MultiplePayments = "multiplos_pagamentos",
        /// `pagamento_vista`: paid upfront.
        Upfront = "pagamento_vista",
    }
}
