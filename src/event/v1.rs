//! Version 1.0.0 ("postback"): the form-encoded purchase postback and the
//! three camelCase JSON side events.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::event::cart::CartBuyer;
use crate::event::common::{Id, Offer, ProductRef, User};
use crate::event::purchase::{DocumentType, LegalNature, PurchaseStatus};
use crate::{Amount, Money, Text, Timestamp};

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

/// A value of a v1 form field: every form value is a string on the wire; the
/// typed ones are parsed from it (an empty typed value means absent).
pub(crate) trait FormValue<'a>: Sized {
    /// What a valid value looks like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the decoded string; `Ok(None)` for an empty typed value.
    fn from_form(text: Text<'a>) -> Result<Option<Self>, ()>;
    /// The wire string.
    fn to_form(&self) -> Cow<'_, str>;
}

impl<'a> FormValue<'a> for Text<'a> {
    const EXPECTED: &'static str = "a string";
    fn from_form(text: Text<'a>) -> Result<Option<Self>, ()> {
        Ok(Some(text))
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
}

macro_rules! form_value_from_str {
    ($($t:ty => $expected:literal),*) => {
        $(impl FormValue<'_> for $t {
            const EXPECTED: &'static str = $expected;
            fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse().map(Some).map_err(|_| ())
            }
            fn to_form(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        })*
    };
}

form_value_from_str!(u32 => "a whole number", i64 => "a whole number", Amount => "a decimal number");

impl FormValue<'_> for bool {
    const EXPECTED: &'static str = "`true` or `false`";
    fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
        match text.as_str() {
            "" => Ok(None),
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(()),
        }
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

impl FormValue<'_> for Timestamp {
    const EXPECTED: &'static str = "an ISO-8601 date-time";
    fn from_form(text: Text<'_>) -> Result<Option<Self>, ()> {
        if text.is_empty() {
            return Ok(None);
        }
        Timestamp::parse_str(&text).map(Some).ok_or(())
    }
    fn to_form(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_wire_string())
    }
}

macro_rules! form_value_enum {
    ($($t:ident),*) => {
        $(impl<'a> FormValue<'a> for $t<'a> {
            const EXPECTED: &'static str = "a string";
            fn from_form(text: Text<'a>) -> Result<Option<Self>, ()> {
                Ok((!text.is_empty()).then(|| $t::from_text(text)))
            }
            fn to_form(&self) -> Cow<'_, str> {
                Cow::Borrowed(self.as_str())
            }
        })*
    };
}

form_value_enum!(
    V1Status,
    V1PaymentType,
    V1PaymentEngine,
    V1SubscriptionStatus,
    ReceiverType,
    PaymentMode,
    LegalNature,
    DocumentType
);

/// Why a field of a v1 postback was refused.
pub(crate) struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) message: String,
}

macro_rules! v1_purchase {
    ($( $(#[$doc:meta])* $field:ident : $ty:ty = $wire:literal ),* $(,)?) => {
        /// A v1 purchase postback (`application/x-www-form-urlencoded`, UTF-8),
        /// one per status change.
        ///
        /// Every documented field is typed where the protocol gives a type
        /// (decimals, whole numbers, dates, booleans, enums); fields this crate
        /// does not know are kept in [`extra`](Self::extra), in order. Text
        /// fields keep empty values (`aff=`); an empty typed value is `None`.
        /// The `hottok` field is checked by the layer and deliberately not
        /// kept, so a parsed postback can be logged or stored safely.
        ///
        /// ```
        /// use hotmart_webhook::{parse, Webhook};
        ///
        /// let body = b"hottok=secret&prod=00000&status=approved&transaction=HP1121336654889\
        ///     &price=1500.00&currency=BRL&email=ana%40example.com&name=Ana+Souza&aff=";
        /// let Webhook::V1Purchase(p) = parse(body)? else { unreachable!() };
        /// assert_eq!(p.transaction.as_deref(), Some("HP1121336654889"));
        /// assert_eq!(p.name.as_deref(), Some("Ana Souza"));
        /// assert_eq!(p.price.unwrap().to_minor_units(2), Some(150_000));
        /// assert_eq!(p.aff.as_deref(), Some(""));
        /// # Ok::<(), hotmart_webhook::ParseError>(())
        /// ```
        #[derive(Clone, Debug, Default, PartialEq)]
        #[non_exhaustive]
        pub struct V1Purchase<'a> {
            $( $(#[$doc])* pub $field: Option<$ty>, )*
            /// Fields this crate does not know, as `(name, value)` in arrival order.
            pub extra: Vec<(Text<'a>, Text<'a>)>,
            /// The fields whose value did not read as their type, read as
            /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
            pub problems: Vec<$crate::Problem>,
        }

        /// The wire names of every field [`V1Purchase`] types, in Hotmart's
        /// documented order (`hottok` excluded).
        pub const V1_PURCHASE_FIELDS: &[&str] = &[$($wire),*];

        impl<'a> V1Purchase<'a> {
            /// Stores one decoded field; gives the value back, `Ok(Some(value))`,
            /// for a field it does not know.
            pub(crate) fn set(&mut self, key: &str, value: Text<'a>) -> Result<Option<Text<'a>>, FieldError> {
                match key {
                    $( $wire => {
                        if self.$field.is_some() {
                            return Err(FieldError { field: $wire, message: format!("duplicate field `{}`", $wire) });
                        }
                        self.$field = <$ty as FormValue<'a>>::from_form(value).map_err(|()| FieldError {
                            field: $wire,
                            message: format!("invalid value, expected {}", <$ty as FormValue<'a>>::EXPECTED),
                        })?;
                        Ok(None)
                    } )*
                    _ => Ok(Some(value)),
                }
            }

            /// Every present field as `(wire name, wire value)`, documented
            /// fields first in documented order, then [`extra`](Self::extra).
            pub fn fields(&self) -> impl Iterator<Item = (&str, Cow<'_, str>)> {
                let known = [$( self.$field.as_ref().map(|v| ($wire, FormValue::to_form(v))), )*];
                known
                    .into_iter()
                    .flatten()
                    .chain(self.extra.iter().map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str()))))
            }

            /// Every string of the postback, with whether it borrows.
            #[cfg(feature = "proptest")]
            pub(crate) fn visit_strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
                $( $crate::strategy::Strings::strings(&self.$field, out); )*
                for (key, value) in &self.extra {
                    $crate::strategy::Strings::strings(key, out);
                    $crate::strategy::Strings::strings(value, out);
                }
            }

            /// A copy independent of the body.
            pub fn into_owned(self) -> V1Purchase<'static> {
                V1Purchase {
                    $( $field: $crate::owned::IntoOwned::into_owned(self.$field), )*
                    extra: self.extra.into_iter().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
                    problems: self.problems,
                }
            }
        }
    };
}

v1_purchase! {
    /// Product id (kept as a string: test postbacks send `00000`).
    prod: Text<'a> = "prod",
    /// Product name.
    prod_name: Text<'a> = "prod_name",
    /// Offer code.
    off: Text<'a> = "off",
    /// Offer price at purchase time.
    price: Amount = "price",
    /// Affiliate code (empty without one).
    aff: Text<'a> = "aff",
    /// Affiliate name.
    aff_name: Text<'a> = "aff_name",
    /// Buyer e-mail.
    email: Text<'a> = "email",
    /// Buyer name.
    name: Text<'a> = "name",
    /// Buyer first name.
    first_name: Text<'a> = "first_name",
    /// Buyer last name.
    last_name: Text<'a> = "last_name",
    /// Buyer document (CPF, …).
    doc: Text<'a> = "doc",
    /// Area code of the registered phone.
    phone_local_code: Text<'a> = "phone_local_code",
    /// Registered phone.
    phone_number: Text<'a> = "phone_number",
    /// Area code of the phone typed at checkout.
    phone_checkout_local_code: Text<'a> = "phone_checkout_local_code",
    /// Phone typed at checkout.
    phone_checkout_number: Text<'a> = "phone_checkout_number",
    /// Street.
    address: Text<'a> = "address",
    /// House number.
    address_number: Text<'a> = "address_number",
    /// Country name.
    address_country: Text<'a> = "address_country",
    /// Neighbourhood.
    address_district: Text<'a> = "address_district",
    /// Complement.
    address_comp: Text<'a> = "address_comp",
    /// City.
    address_city: Text<'a> = "address_city",
    /// State (`SP`, `MG`, …).
    address_state: Text<'a> = "address_state",
    /// Postal code.
    address_zip_code: Text<'a> = "address_zip_code",
    /// Transaction code.
    transaction: Text<'a> = "transaction",
    /// Custom tracking code of the sales link.
    xcod: Text<'a> = "xcod",
    /// Source code.
    src: Text<'a> = "src",
    /// Purchase status.
    status: V1Status<'a> = "status",
    /// Payment processor.
    payment_engine: V1PaymentEngine<'a> = "payment_engine",
    /// Payment method.
    payment_type: V1PaymentType<'a> = "payment_type",
    /// Serial released for members-site products.
    hotkey: Text<'a> = "hotkey",
    /// Subscription plan name.
    name_subscription_plan: Text<'a> = "name_subscription_plan",
    /// Subscriber code.
    subscriber_code: Text<'a> = "subscriber_code",
    /// Days between charges (7, 30, 60, 90, 180, 360).
    recurrency_period: u32 = "recurrency_period",
    /// Current recurrence number.
    recurrency: u32 = "recurrency",
    /// Hotmart's fee.
    cms_marketplace: Amount = "cms_marketplace",
    /// Producer commission.
    cms_vendor: Amount = "cms_vendor",
    /// Affiliate commission.
    cms_aff: Amount = "cms_aff",
    /// Coupon code.
    coupon_code: Text<'a> = "coupon_code",
    /// `1` purchase, `2` subscription cancellation.
    callback_type: u32 = "callback_type",
    /// Subscription status.
    subscription_status: V1SubscriptionStatus<'a> = "subscription_status",
    /// Transaction code at the external processor.
    transaction_ext: Text<'a> = "transaction_ext",
    /// Checkout source code.
    sck: Text<'a> = "sck",
    /// Purchase date.
    purchase_date: Timestamp = "purchase_date",
    /// Payment confirmation date.
    confirmation_purchase_date: Timestamp = "confirmation_purchase_date",
    /// Boleto reprint link.
    billet_url: Text<'a> = "billet_url",
    /// Currency of the transaction origin.
    currency_code_from: Text<'a> = "currency_code_from",
    /// Original offer price.
    original_offer_price: Amount = "original_offer_price",
    /// Currency.
    currency: Text<'a> = "currency",
    /// Subscription status as displayed (`Active`, `Canceled by client`, …; tests send `active`).
    signature_status: Text<'a> = "signature_status",
    /// Boleto bar code.
    billet_barcode: Text<'a> = "billet_barcode",
    /// Producer name.
    producer_name: Text<'a> = "producer_name",
    /// Producer document.
    producer_document: Text<'a> = "producer_document",
    /// `Pessoa Física` / `Pessoa Jurídica`.
    producer_legal_nature: LegalNature<'a> = "producer_legal_nature",
    /// Currency used to pay (the trailing underscore is Hotmart's).
    currency_code_from_: Text<'a> = "currency_code_from_",
    /// Why the payment was refused.
    refusal_reason: Text<'a> = "refusal_reason",
    /// Buyer document type.
    doc_type: DocumentType<'a> = "doc_type",
    /// Total paid.
    full_price: Amount = "full_price",
    /// End of the refund window.
    warranty_date: Timestamp = "warranty_date",
    /// Currency of the affiliate commission.
    cms_aff_currency: Text<'a> = "cms_aff_currency",
    /// Support e-mail.
    product_support_email: Text<'a> = "product_support_email",
    /// Number of e-tickets.
    amount: i64 = "amount",
    /// Affiliate commission conversion: currency.
    aff_cms_rate_currency: Text<'a> = "aff_cms_rate_currency",
    /// Affiliate commission conversion: commission.
    aff_cms_rate_commission: Amount = "aff_cms_rate_commission",
    /// Affiliate commission conversion: rate.
    aff_cms_rate_conversion: Amount = "aff_cms_rate_conversion",
    /// Number of instalments.
    installments_number: u32 = "installments_number",
    /// Whom this postback is for.
    receiver_type: ReceiverType<'a> = "receiver_type",
    /// Payment mode of the offer.
    product_offer_payment_mode: PaymentMode<'a> = "productOfferPaymentMode",
    /// Whether the product has co-producers.
    has_co_production: bool = "has_co_production",
    /// Part of a sales funnel (later test transcriptions).
    funnel: bool = "funnel",
    /// Part of an order bump (later test transcriptions).
    order_bump: bool = "order_bump",
}

impl V1Purchase<'_> {
    /// The status as a 2.0.0 [`PurchaseStatus`].
    pub fn purchase_status(&self) -> Option<PurchaseStatus<'_>> {
        self.status.as_ref().map(V1Status::to_purchase_status)
    }

    /// `price` with `currency`.
    pub fn price_money(&self) -> Option<Money<'_>> {
        Some(Money {
            value: self.price?,
            currency_value: self.currency.as_deref().map(Text::borrowed),
        })
    }

    /// `prod` as an [`Id`].
    pub fn product_id(&self) -> Option<Id<'_>> {
        self.prod.as_deref().map(|p| Id::Text(Text::borrowed(p)))
    }

    /// The postback as an `application/x-www-form-urlencoded` body (spaces
    /// as `+`), without `hottok`.
    pub fn to_form(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.fields() {
            out.append_pair(name, &value);
        }
        out.finish()
    }
}

impl Serialize for V1Purchase<'_> {
    /// A flat object of the wire fields, every value a string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.fields() {
            map.serialize_entry(name, &value)?;
        }
        map.end()
    }
}

payload! {
    /// v1 cart abandonment (camelCase JSON, no `event`): recognised by
    /// `affiliate` together with `productName`.
    #[serde(rename_all = "camelCase")]
    pub struct V1CartAbandonment<'a> {
        /// Whether the lead came through an affiliate.
        pub affiliate: Option<bool>,
        /// The lead's user key.
        #[serde(borrow)]
        pub user_key: Option<Text<'a>>,
        /// Product name.
        #[serde(borrow)]
        pub product_name: Option<Text<'a>>,
        /// Product id.
        #[serde(borrow)]
        pub product_id: Option<Id<'a>>,
        /// Product UUID.
        #[serde(borrow)]
        pub product_ucode: Option<Text<'a>>,
        /// Product category.
        #[serde(borrow)]
        pub product_category: Option<Id<'a>>,
        /// The lead (the same `{name, email, phone}` as the 2.0.0 event's).
        #[serde(borrow, rename = "buyerVO")]
        pub buyer_vo: Option<CartBuyer<'a>>,
        /// Whether there was a negotiation.
        pub has_negotiate: Option<bool>,
        /// Subscription plan id.
        #[serde(borrow)]
        pub subscription_plan_id: Option<Id<'a>>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// v1 subscription cancellation (camelCase JSON): recognised by
    /// `cancellationDate`. Dates are read as epoch milliseconds or ISO-8601
    /// (both have been seen in receivers).
    #[serde(rename_all = "camelCase")]
    pub struct V1SubscriptionCancellation<'a> {
        /// Subscription id.
        #[serde(borrow)]
        pub subscription_id: Option<Id<'a>>,
        /// Subscriber code (a number in some emitters).
        #[serde(borrow)]
        pub subscriber_code: Option<Id<'a>>,
        /// When it was canceled.
        pub cancellation_date: Option<Timestamp>,
        /// Subscriber name.
        #[serde(borrow)]
        pub user_name: Option<Text<'a>>,
        /// Subscriber e-mail.
        #[serde(borrow)]
        pub user_email: Option<Text<'a>>,
        /// Value of the last charge.
        pub actual_recurrence_value: Option<Amount>,
        /// Product name.
        #[serde(borrow)]
        pub product_name: Option<Text<'a>>,
        /// Plan name.
        #[serde(borrow)]
        pub subscription_plan_name: Option<Text<'a>>,
        /// End of the paid period.
        pub date_next_charge: Option<Timestamp>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// v1 switch plan (camelCase JSON): recognised by `switchPlanDate`.
    #[serde(rename_all = "camelCase")]
    pub struct V1SwitchPlan<'a> {
        /// When the plan changed.
        pub switch_plan_date: Option<Timestamp>,
        /// The subscription.
        #[serde(borrow)]
        pub subscription: Option<V1Subscription<'a>>,
        /// The plan switched to.
        #[serde(borrow)]
        pub new_subscription_plan: Option<V1Plan<'a>>,
        /// The plan switched from.
        #[serde(borrow)]
        pub previous_subscription_plan: Option<V1Plan<'a>>,
        /// The fields whose value did not read as their type, read as
        /// absent (see [`Webhook::problems`](crate::Webhook::problems)).
        #[serde(skip)]
        pub problems: Vec<crate::Problem>,
    }
}

payload! {
    /// The subscription of a v1 switch plan.
    #[serde(rename_all = "camelCase")]
    pub struct V1Subscription<'a> {
        /// The product.
        #[serde(borrow)]
        pub product: Option<ProductRef<'a>>,
        /// Recurrence number.
        pub recurrence_number: Option<u32>,
        /// Status.
        #[serde(borrow)]
        pub status: Option<Text<'a>>,
        /// The subscriber.
        #[serde(borrow)]
        pub subscriber: Option<V1Subscriber<'a>>,
        /// The plan.
        #[serde(borrow)]
        pub plan: Option<V1Plan<'a>>,
    }
}

payload! {
    /// The subscriber of a v1 switch plan.
    pub struct V1Subscriber<'a> {
        /// Subscriber code.
        #[serde(borrow)]
        pub code: Option<Text<'a>>,
        /// The person.
        #[serde(borrow)]
        pub user: Option<User<'a>>,
    }
}

payload! {
    /// A plan of a v1 switch plan.
    #[serde(rename_all = "camelCase")]
    pub struct V1Plan<'a> {
        /// Name.
        #[serde(borrow)]
        pub name: Option<Text<'a>>,
        /// Maximum number of charges.
        pub max_charge_cycles: Option<i64>,
        /// Days between charges.
        pub recurrency_period: Option<i64>,
        /// The offer (`key`).
        #[serde(borrow)]
        pub offer: Option<Offer<'a>>,
        /// Price.
        pub value: Option<Amount>,
        /// Currency.
        #[serde(borrow)]
        pub currency_code: Option<Text<'a>>,
    }
}
