//! The form-encoded v1 purchase postback, declared once with its wire names.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::form::{FieldError, FormValue};
use super::{
    PaymentMode, ReceiverType, V1PaymentEngine, V1PaymentType, V1Status, V1SubscriptionStatus,
};
use crate::event::common::Id;
use crate::event::purchase::{DocumentType, LegalNature, PurchaseStatus};
use crate::{Amount, Money, Text, Timestamp};

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
