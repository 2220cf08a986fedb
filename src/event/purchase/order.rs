//! The purchase itself: price, offer, payment, tracking, variants.

use super::{BusinessModel, InvoiceBy, PaymentType, PurchaseStatus};
use crate::event::Attributes;
use crate::event::common::{Country, Offer};
use crate::{Money, Text, Timestamp};

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
