//! The purchase family: `PURCHASE_APPROVED`, `PURCHASE_COMPLETE`,
//! `PURCHASE_CANCELED`, `PURCHASE_BILLET_PRINTED`, `PURCHASE_REFUNDED`,
//! `PURCHASE_CHARGEBACK`, `PURCHASE_EXPIRED`, `PURCHASE_DELAYED` and
//! `PURCHASE_PROTEST` all carry [`PurchaseData`].

use crate::event::common::{Address, Country, Id, Offer, Plan, Subscriber};
use crate::event::{Affiliates, Attributes, BundledProducts, Commissions};
use crate::{Amount, Money, Text, Timestamp};

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
    /// `data.product` of a purchase.
    #[derive(Default)]
    pub struct Product<'a> in place {
        /// Product id (`0` in test events).
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Product UUID; Hotmart recommends identifying products by it.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Product name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Whether the product has co-producers.
        pub has_co_production: Option<bool>,
        /// End of the refund window (midnight UTC); present once approved.
        pub warranty_date: Option<Timestamp>,
        /// Support e-mail.
        #[serde(borrow)]
        pub support_email: Option<Text<'a>>,
        /// Whether the product is physical.
        pub is_physical_product: Option<bool>,
        /// The products of a bundle.
        #[serde(borrow)]
        pub content: Option<ProductContent<'a>>,
        /// Undocumented product format code seen in 2026 production traffic.
        pub product_format_id: Option<i64>,
    }
}

payload! {
    /// `product.content`: what a bundle contains.
    pub struct ProductContent<'a> {
        /// Whether any bundled product is physical.
        pub has_physical_products: Option<bool>,
        /// The bundled products.
        #[serde(borrow)]
        pub products: Option<BundledProducts<'a>>,
    }
}

payload! {
    /// One product of a bundle.
    #[derive(Default)]
    pub struct BundledProduct<'a> {
        /// Product id.
        #[serde(borrow)]
        pub id: Option<Id<'a>>,
        /// Product UUID.
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Whether it is physical.
        pub is_physical_product: Option<bool>,
    }
}

payload! {
    /// One element of `affiliates`.
    #[derive(Default)]
    pub struct Affiliate<'a> {
        /// Affiliate code; `""` when there is no affiliate.
        #[serde(borrow)]
        pub affiliate_code: Option<Text<'a>>,
        /// Affiliate name; `""` when there is no affiliate.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
    }
}

impl Affiliate<'_> {
    /// The affiliate code, or `None` when absent or empty.
    pub fn code(&self) -> Option<&str> {
        self.affiliate_code.as_deref().filter(|c| !c.is_empty())
    }
}

payload! {
    /// `data.buyer` of a purchase.
    #[derive(Default)]
    pub struct Buyer<'a> in place {
        /// E-mail.
        #[serde(borrow)]
        pub email: Option<Text<'a>>,
        /// Hotmart user UUID (undocumented, 2026 production).
        #[serde(borrow)]
        pub ucode: Option<Text<'a>>,
        /// Full name (may carry trailing spaces).
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// First name.
        #[serde(borrow)]
        pub first_name: Option<Text<'a>>,
        /// Last name.
        #[serde(borrow)]
        pub last_name: Option<Text<'a>>,
        /// Phone typed at checkout (with the country code for non-Brazilians).
        #[serde(borrow)]
        pub checkout_phone: Option<Text<'a>>,
        /// Area code (DDD) of Brazilian buyers.
        #[serde(borrow)]
        pub checkout_phone_code: Option<Text<'a>>,
        /// Document digits; may be `""`.
        #[serde(borrow)]
        pub document: Option<Text<'a>>,
        /// Document type; may be `""`.
        #[serde(borrow)]
        pub document_type: Option<DocumentType<'a>>,
        /// Address.
        #[serde(borrow)]
        pub address: Option<Address<'a>> in place,
    }
}

payload! {
    /// `data.producer`.
    pub struct Producer<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// CPF/CNPJ digits.
        #[serde(borrow)]
        pub document: Option<Text<'a>>,
        /// `Pessoa Física` or `Pessoa Jurídica`.
        #[serde(borrow)]
        pub legal_nature: Option<LegalNature<'a>>,
    }
}

payload! {
    /// One element of `commissions`.
    #[derive(Default)]
    pub struct Commission<'a> {
        /// The commission in `currency_value`.
        pub value: Option<Amount>,
        /// ISO 4217 currency (may differ from the purchase's).
        #[serde(borrow)]
        pub currency_value: Option<Text<'a>>,
        /// Whose commission.
        #[serde(borrow)]
        pub source: Option<CommissionSource<'a>>,
        /// Conversion to the producer's currency (since 2024-04).
        #[serde(borrow)]
        pub currency_conversion: Option<CurrencyConversion<'a>>,
    }
}

payload! {
    /// `commissions[].currency_conversion`.
    pub struct CurrencyConversion<'a> {
        /// The converted value.
        pub converted_value: Option<Amount>,
        /// The currency converted to.
        #[serde(borrow)]
        pub converted_to_currency: Option<Text<'a>>,
        /// The rate (six decimals).
        pub conversion_rate: Option<Amount>,
    }
}

payload! {
    /// `data.purchase`.
    #[derive(Default)]
    pub struct Purchase<'a> in place {
        /// Transaction code (`HP…`), the same across a purchase's events.
        #[serde(borrow)]
        pub transaction: Option<Text<'a>>,
        /// Status.
        #[serde(borrow)]
        pub status: Option<PurchaseStatus<'a>>,
        /// When the order was placed (for renewals: the renewal's).
        pub order_date: Option<Timestamp>,
        /// When it was paid; absent until then.
        pub approved_date: Option<Timestamp>,
        /// Offer price at purchase time.
        #[serde(borrow)]
        pub price: Option<Money<'a>>,
        /// Total paid, interest and fees included.
        #[serde(borrow)]
        pub full_price: Option<Money<'a>>,
        /// The offer's original price (its currency may differ).
        #[serde(borrow)]
        pub original_offer_price: Option<Money<'a>>,
        /// The offer.
        #[serde(borrow)]
        pub offer: Option<Offer<'a>> in place,
        /// Payment.
        #[serde(borrow)]
        pub payment: Option<Payment<'a>> in place,
        /// Checkout country.
        #[serde(borrow)]
        pub checkout_country: Option<Country<'a>>,
        /// Order bump.
        #[serde(borrow)]
        pub order_bump: Option<OrderBump<'a>>,
        /// Tracking parameters of the checkout URL.
        #[serde(borrow)]
        pub origin: Option<Origin<'a>>,
        /// 1 for the first charge of a subscription, then 2, 3, …
        pub recurrence_number: Option<u32>,
        /// Next charge of a subscription.
        pub date_next_charge: Option<Timestamp>,
        /// A renewal paid in advance.
        pub subscription_anticipation_purchase: Option<bool>,
        /// Who issues the invoice.
        #[serde(borrow)]
        pub invoice_by: Option<InvoiceBy<'a>>,
        /// Part of a Hotmart sales funnel.
        pub is_funnel: Option<bool>,
        /// Business model.
        #[serde(borrow)]
        pub business_model: Option<BusinessModel<'a>>,
        /// Tickets of an event product.
        pub event_tickets: Option<EventTickets>,
        /// The variation bought (documented 2026).
        #[serde(borrow)]
        pub variants: Option<Variants<'a>>,
        /// Payment-link source (test events only).
        #[serde(borrow, rename = "sckPaymentLink")]
        pub sck_payment_link: Option<Text<'a>>,
        /// Buyer IP (some test events and old docs only).
        #[serde(borrow)]
        pub buyer_ip: Option<Text<'a>>,
    }
}

payload! {
    /// `purchase.payment`.
    #[derive(Default)]
    pub struct Payment<'a> in place {
        /// Method.
        #[serde(borrow, rename = "type")]
        pub kind: Option<PaymentType<'a>>,
        /// Number of instalments (1 for PIX and boleto).
        pub installments_number: Option<u32>,
        /// Boleto reprint URL.
        #[serde(borrow)]
        pub billet_url: Option<Text<'a>>,
        /// Boleto bar code.
        #[serde(borrow)]
        pub billet_barcode: Option<Text<'a>>,
        /// PIX "copia e cola" string.
        #[serde(borrow)]
        pub pix_code: Option<Text<'a>>,
        /// PIX QR code image URL.
        #[serde(borrow)]
        pub pix_qrcode: Option<Text<'a>>,
        /// PIX expiry.
        pub pix_expiration_date: Option<Timestamp>,
        /// Why a card was refused (free text).
        #[serde(borrow)]
        pub refusal_reason: Option<Text<'a>>,
    }
}

payload! {
    /// `purchase.order_bump`.
    pub struct OrderBump<'a> {
        /// Whether the purchase is part of an order bump.
        pub is_order_bump: Option<bool>,
        /// The parent purchase's transaction, for bumps.
        #[serde(borrow)]
        pub parent_purchase_transaction: Option<Text<'a>>,
    }
}

payload! {
    /// `purchase.origin`: the `src`, `sck` and `xcod` parameters of the
    /// checkout URL (free text).
    pub struct Origin<'a> {
        /// `src`.
        #[serde(borrow)]
        pub src: Option<Text<'a>>,
        /// `sck` (`HOTMART_PRODUCT_PAGE` for marketplace links).
        #[serde(borrow)]
        pub sck: Option<Text<'a>>,
        /// `xcod`.
        #[serde(borrow)]
        pub xcod: Option<Text<'a>>,
    }
}

payload! {
    /// `purchase.event_tickets`.
    pub struct EventTickets {
        /// Number of tickets (test events put a timestamp here).
        pub amount: Option<i64>,
    }
}

payload! {
    /// `purchase.variants`: the product variation bought.
    pub struct Variants<'a> {
        /// SKU.
        #[serde(borrow)]
        pub sku: Option<Text<'a>>,
        /// Attributes such as size and colour.
        #[serde(borrow)]
        pub attributes: Option<Attributes<'a>>,
    }
}

payload! {
    /// A `{name, value}` attribute of a variation.
    #[derive(Default)]
    pub struct Attribute<'a> {
        /// Name, e.g. `"Tamanho"`.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Value, e.g. `"M"`.
        #[serde(borrow)]
        pub value: Option<Text<'a>>,
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

payload! {
    /// `data.shipping` of a purchase of a physical product.
    pub struct Shipping<'a> {
        /// Freight cost (0 = free).
        #[serde(borrow)]
        pub cost: Option<Money<'a>>,
        /// Estimated delivery in days.
        pub estimated_delivery_days: Option<u32>,
        /// Carrier.
        #[serde(borrow)]
        pub carrier: Option<Carrier<'a>>,
        /// Who fulfils the order.
        #[serde(borrow)]
        pub fulfillment: Option<FulfillmentInfo<'a>>,
    }
}

payload! {
    /// A carrier: `{name: "CORREIOS", service: "SEDEX"}` or `{name, code}`.
    pub struct Carrier<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Service (`SEDEX`, `PAC`).
        #[serde(borrow)]
        pub service: Option<Text<'a>>,
        /// Code.
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
    }
}

payload! {
    /// `shipping.fulfillment`.
    pub struct FulfillmentInfo<'a> {
        /// `MANUAL` or a print-on-demand partner (`UICLAP`, `MONTINK`).
        #[serde(borrow)]
        pub service: Option<Text<'a>>,
    }
}
