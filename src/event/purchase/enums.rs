//! The closed vocabularies of a purchase: statuses, payment types,
//! commission sources, business models, document types.

open_enum! {
    /// `purchase.status`. Hotmart's traffic and its documentation spell
    /// several states differently; both spellings map to one variant
    /// (`COMPLETED`/`COMPLETE`, `CANCELED`/`CANCELLED`,
    /// `BILLET_PRINTED`/`PRINTED_BILLET`, `DISPUTE`/`PROTESTED`), and
    /// serialising writes the spelling seen in traffic. The v1 lowercase
    /// statuses map here too (see `V1Purchase::purchase_status`).
    ///
    /// Do not derive the event from the status: read the event.
    pub enum PurchaseStatus {
        /// Paid.
        Approved = "APPROVED",
        /// Blocked.
        Blocked = "BLOCKED",
        /// Canceled (a refused card, an unpaid boleto or PIX).
        Canceled = "CANCELED" | "CANCELLED",
        /// Chargeback.
        Chargeback = "CHARGEBACK",
        /// The warranty period ended without a refund.
        Completed = "COMPLETED" | "COMPLETE",
        /// Expired without payment.
        Expired = "EXPIRED",
        /// No funds.
        NoFunds = "NO_FUNDS",
        /// Overdue.
        Overdue = "OVERDUE",
        /// Partially refunded.
        PartiallyRefunded = "PARTIALLY_REFUNDED",
        /// Pre-order.
        PreOrder = "PRE_ORDER",
        /// Boleto printed or PIX pending (`PURCHASE_BILLET_PRINTED`).
        BilletPrinted = "BILLET_PRINTED" | "PRINTED_BILLET",
        /// Payment being processed.
        ProcessingTransaction = "PROCESSING_TRANSACTION",
        /// Refund requested / dispute opened by the buyer (`PURCHASE_PROTEST`).
        Dispute = "DISPUTE" | "PROTESTED",
        /// Refunded.
        Refunded = "REFUNDED",
        /// Started.
        Started = "STARTED",
        /// Under analysis (Hotmart spells it `UNDER_ANALISYS`).
        UnderAnalysis = "UNDER_ANALISYS" | "UNDER_ANALYSIS",
        /// Waiting for payment.
        WaitingPayment = "WAITING_PAYMENT",
        /// A recurring charge failed (`PURCHASE_DELAYED`).
        Delayed = "DELAYED",
    }
}

open_enum! {
    /// `purchase.payment.type`.
    pub enum PaymentType {
        /// Boleto bancário.
        Billet = "BILLET",
        /// Cash payment.
        CashPayment = "CASH_PAYMENT",
        /// Credit card.
        CreditCard = "CREDIT_CARD",
        /// Direct bank transfer.
        DirectBankTransfer = "DIRECT_BANK_TRANSFER",
        /// Direct debit.
        DirectDebit = "DIRECT_DEBIT",
        /// Financed boleto.
        FinancedBillet = "FINANCED_BILLET",
        /// Financed instalments.
        FinancedInstallment = "FINANCED_INSTALLMENT",
        /// Google Pay.
        GooglePay = "GOOGLE_PAY",
        /// Hotcard.
        Hotcard = "HOTCARD",
        /// Two methods combined.
        Hybrid = "HYBRID",
        /// Manual transfer.
        ManualTransfer = "MANUAL_TRANSFER",
        /// PayPal.
        Paypal = "PAYPAL",
        /// International PayPal (Hotmart spells it `PAYPAL_INTERNACIONAL`).
        PaypalInternational = "PAYPAL_INTERNACIONAL",
        /// PicPay.
        Picpay = "PICPAY",
        /// PIX.
        Pix = "PIX",
        /// Samsung Pay.
        SamsungPay = "SAMSUNG_PAY",
        /// Wallet.
        Wallet = "WALLET",
    }
}

open_enum! {
    /// `subscription.status` inside purchase events (`CANCELLED_BY_*`,
    /// `SELLER`). The subscription-management events use another spelling
    /// ([`SubscriptionManagementStatus`](crate::event::SubscriptionManagementStatus));
    /// both spellings are accepted by both types.
    pub enum SubscriptionStatus {
        /// Active.
        Active = "ACTIVE",
        /// Inactive (first charge failed).
        Inactive = "INACTIVE",
        /// Delayed.
        Delayed = "DELAYED",
        /// Canceled by the customer.
        CanceledByCustomer = "CANCELLED_BY_CUSTOMER" | "CANCELED_BY_CUSTOMER",
        /// Canceled by the seller.
        CanceledBySeller = "CANCELLED_BY_SELLER" | "CANCELED_BY_VENDOR" | "CANCELED_BY_SELLER" | "CANCELLED_BY_VENDOR",
        /// Canceled by Hotmart.
        CanceledByAdmin = "CANCELLED_BY_ADMIN" | "CANCELED_BY_ADMIN",
        /// Started.
        Started = "STARTED",
        /// Overdue.
        Overdue = "OVERDUE",
        /// Past due (a renewal failed).
        PastDue = "PAST_DUE",
        /// Expired (not renewed).
        Expired = "EXPIRED",
    }
}

open_enum! {
    /// `commissions[].source`: who the commission is for.
    pub enum CommissionSource {
        /// Hotmart's fee.
        Marketplace = "MARKETPLACE",
        /// The producer.
        Producer = "PRODUCER",
        /// A co-producer.
        Coproducer = "COPRODUCER",
        /// An affiliate.
        Affiliate = "AFFILIATE",
        /// An add-on.
        Addon = "ADDON",
    }
}

open_enum! {
    /// `purchase.business_model`. The undocumented `D` seen in production is
    /// kept in `Other`.
    pub enum BusinessModel {
        /// Hotmart issues the invoice.
        R = "R",
        /// The producer invoices through Hotmart's foreign entity.
        A = "A",
        /// The producer invoices through Hotmart Brazil.
        I = "I",
    }
}

open_enum! {
    /// `purchase.invoice_by`.
    pub enum InvoiceBy {
        /// Hotmart invoices.
        Hotmart = "HOTMART",
        /// The seller invoices.
        Seller = "SELLER",
    }
}

open_enum! {
    /// `buyer.document_type` (often the empty string, kept in `Other`).
    pub enum DocumentType {
        /// Brazilian individual taxpayer number.
        Cpf = "CPF",
        /// Brazilian company number.
        Cnpj = "CNPJ",
        /// Spanish/Latin-American national id.
        Dni = "DNI",
        /// Spanish company id.
        Cif = "CIF",
        /// Any other country's document.
        Document = "DOCUMENT",
    }
}

open_enum! {
    /// `producer.legal_nature` (Brazilian producers only).
    pub enum LegalNature {
        /// `Pessoa Física`: a natural person.
        NaturalPerson = "Pessoa Física",
        /// `Pessoa Jurídica`: a company.
        LegalEntity = "Pessoa Jurídica",
    }
}
