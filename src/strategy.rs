//! [`proptest`](https://docs.rs/proptest) strategies that generate realistic
//! Hotmart deliveries, so you can property-test your own handlers (feature
//! `proptest`).
//!
//! Every event of the 2.0.0 catalogue and every v1 shape has a strategy;
//! [`webhook`] picks among all of them. The values look like Hotmart's:
//! `HP…` transaction codes, UUID event ids and ucodes, BRL/USD/CLP amounts
//! with 0 to 6 decimals, epoch-millisecond dates (ISO-8601 where Hotmart
//! sends strings), the known enum spellings and their aliases, unknown enum
//! values and event names, names with accents, strings that need JSON
//! escapes or percent-encoding, and absent optional fields.
//!
//! Every generated value survives the wire: [`Webhook::to_wire`] (and
//! `serde_json::to_vec` for every shape) parses back to an equal value. The
//! strategies hold to what makes that true: an open enum's `Other` never holds
//! a spelling the enum knows, amounts keep at most 15 significant digits,
//! typed v1 fields hold values valid for their type, v1 JSON events carry the
//! keys that identify them, and a v1 postback carries at least one of
//! `status`, `callback_type`, `transaction` or `prod`.
//!
//! # Testing a handler
//!
//! ```
//! use hotmart_webhook::{Event, ParseError, Webhook, parse, strategy};
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! #[derive(Debug, PartialEq)]
//! enum Action {
//!     Grant(String),
//!     Revoke(String),
//!     Ignore,
//! }
//!
//! /// The handler under test: what the receiver does with a delivery.
//! fn handle(body: &[u8]) -> Result<Action, ParseError> {
//!     let webhook = parse(body)?;
//!     let transaction = webhook.transaction().unwrap_or_default().to_owned();
//!     Ok(match &webhook {
//!         Webhook::V2(envelope) => match envelope.event {
//!             Event::PurchaseApproved(_) | Event::PurchaseComplete(_) => Action::Grant(transaction),
//!             Event::PurchaseRefunded(_) | Event::PurchaseChargeback(_) => Action::Revoke(transaction),
//!             _ => Action::Ignore,
//!         },
//!         _ => Action::Ignore,
//!     })
//! }
//!
//! // In a test file this is a `proptest! { #[test] fn … }` block; here the
//! // runner is driven by hand so that the example runs as a doc test.
//! let mut runner = TestRunner::default();
//! runner
//!     .run(&strategy::webhook(), |webhook| {
//!         // Every delivery Hotmart can send must be answered, never an error.
//!         let action = handle(&webhook.to_wire().unwrap());
//!         prop_assert!(action.is_ok(), "{:?}", action);
//!         if let Webhook::V2(envelope) = &webhook {
//!             if let Event::PurchaseRefunded(data) = &envelope.event {
//!                 let transaction = data.transaction().unwrap_or_default().to_owned();
//!                 prop_assert_eq!(action.unwrap(), Action::Revoke(transaction));
//!             }
//!         }
//!         Ok(())
//!     })
//!     .unwrap();
//! ```
#![cfg_attr(docsrs, doc(cfg(feature = "proptest")))]

use std::fmt::Debug;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::event::v1::{
    PaymentMode, ReceiverType, V1_PURCHASE_FIELDS, V1CartAbandonment, V1PaymentEngine,
    V1PaymentType, V1Plan, V1Purchase, V1Status, V1Subscriber, V1Subscription,
    V1SubscriptionCancellation, V1SubscriptionStatus, V1SwitchPlan,
};
use crate::event::*;
use crate::{Amount, Encoding, Envelope, KeyCase, Money, RawJson, Text, Timestamp, Webhook};

// ---------------------------------------------------------------------------
// Walking the strings of a parsed value

/// Every string a parsed value holds, with whether it borrows from the body.
pub(crate) trait Strings {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>);
}

impl Strings for Text<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        out.push((self.as_str(), self.is_borrowed()));
    }
}

impl Strings for RawJson<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        out.push((self.get(), self.is_borrowed()));
    }
}

impl Strings for Id<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        if let Id::Text(text) = self {
            text.strings(out);
        }
    }
}

impl Strings for Money<'_> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        self.currency_value.strings(out);
    }
}

impl<T: Strings> Strings for Option<T> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        if let Some(value) = self {
            value.strings(out);
        }
    }
}

impl<T: Strings> Strings for Vec<T> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        for value in self {
            value.strings(out);
        }
    }
}

impl<T: Strings, const N: usize> Strings for crate::List<T, N> {
    fn strings<'s>(&'s self, out: &mut Vec<(&'s str, bool)>) {
        for value in self.iter() {
            value.strings(out);
        }
    }
}

macro_rules! no_strings {
    ($($t:ty),*) => {
        $(impl Strings for $t {
            fn strings<'s>(&'s self, _: &mut Vec<(&'s str, bool)>) {}
        })*
    };
}

no_strings!(bool, u32, i64, Amount, Timestamp);

/// Every string held by a parsed webhook (ids, names, e-mails, unknown enum
/// values, unknown event names, the raw JSON of unknown data, the v1
/// `extra` fields), each with `true` when it borrows from the body
/// ([`Text::is_borrowed`], [`RawJson::is_borrowed`]).
///
/// A test of the zero-copy promise: a string whose wire form needed no JSON
/// escape and no percent-decoding must borrow.
///
/// ```
/// use hotmart_webhook::{parse, strategy};
///
/// let body = br#"{"id":"e1","event":"CLUB_FIRST_ACCESS","version":"2.0.0",
///   "data":{"user":{"name":"Jo\u00e3o","email":"joao@example.com"}}}"#;
/// let webhook = parse(body)?;
/// let strings = strategy::strings(&webhook);
/// assert!(strings.contains(&("joao@example.com", true)));
/// assert!(strings.contains(&("João", false)));
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
pub fn strings<'w>(webhook: &'w Webhook<'_>) -> Vec<(&'w str, bool)> {
    let mut out = Vec::new();
    match webhook {
        Webhook::V2(envelope) => {
            envelope.id.strings(&mut out);
            envelope.version.strings(&mut out);
            envelope.event.visit_strings(&mut out);
        }
        Webhook::V1Purchase(p) => p.visit_strings(&mut out),
        Webhook::V1CartAbandonment(c) => c.strings(&mut out),
        Webhook::V1SubscriptionCancellation(c) => c.strings(&mut out),
        Webhook::V1SwitchPlan(s) => s.strings(&mut out),
    }
    out
}

// ---------------------------------------------------------------------------
// Building blocks

/// An open enum, for the generic strategy over known and unknown values.
pub(crate) trait OpenEnum: Sized + Clone + Debug + 'static {
    const SPELLINGS: &'static [&'static str];
    fn from_text(text: Text<'static>) -> Self;
    fn is_other(&self) -> bool;
}

/// Builds a struct from one strategy per field: nested tuples of at most
/// nine, so any number of fields fits proptest's tuple strategies (which stop
/// at twelve) without nesting too deep for the compiler.
macro_rules! record {
    ($ty:ident { $($field:ident : $strategy:expr),* $(,)? }) => {{
        let strategy = record!(@nest $($strategy,)*);
        strategy
            .prop_map(|record!(@pat $($field,)*)| $ty { $($field,)* })
            .boxed()
    }};
    (@nest) => { Just(()) };
    (@nest $a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $($rest:expr,)+) => {
        ($a, $b, $c, $d, $e, $f, $g, $h, record!(@nest $($rest,)*))
    };
    (@nest $head:expr, $($rest:expr,)*) => { ($head, record!(@nest $($rest,)*)) };
    (@pat) => { () };
    (@pat $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $($rest:ident,)+) => {
        ($a, $b, $c, $d, $e, $f, $g, $h, record!(@pat $($rest,)*))
    };
    (@pat $head:ident, $($rest:ident,)*) => { ($head, record!(@pat $($rest,)*)) };
}

/// An optional field: absent about a quarter of the time.
fn opt<T: Clone + Debug + 'static>(
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    option::weighted(0.75, strategy).boxed()
}

fn owned(s: &'static str) -> Text<'static> {
    Text::borrowed(s)
}

/// Realistic values most of the time, any [`text`] sometimes.
fn mixed(realistic: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Text<'static>> {
    prop_oneof![6 => realistic.prop_map(Text::from), 1 => text()].boxed()
}

fn pick(values: &'static [&'static str]) -> BoxedStrategy<Text<'static>> {
    prop_oneof![6 => select(values).prop_map(owned), 1 => text()].boxed()
}

const PERSON_NAMES: &[&str] = &[
    "Ana Souza",
    "João da Silva",
    "Maria José Gonçalves",
    "Teste Comprador",
    "José Ñúñez",
    "Carlos  Pereira ",
    "",
];

const PRODUCT_NAMES: &[&str] = &[
    "Produto test postback2",
    "App DesignAuto",
    "Curso de Inglês — Módulo 1",
    "Mentoria \"Premium\"",
    "Livro físico",
];

const CURRENCIES: &[&str] = &["BRL", "USD", "CLP", "EUR", "MXN", "COP", "ARS", "PEN"];

/// Free text: plain ASCII, Portuguese and Spanish with accents, strings that
/// need JSON escapes (quotes, backslashes, control characters), any printable
/// Unicode, and the empty string.
pub fn text() -> impl Strategy<Value = Text<'static>> {
    prop_oneof![
        3 => "[A-Za-z0-9]{1,16}",
        2 => "[ A-Za-z0-9À-ÿçãõ.,'/-]{0,24}",
        1 => "[\"\\\\/\\x00-\\x1f\\x7f a-z]{0,12}",
        1 => "\\PC{0,16}",
        1 => Just(String::new()),
    ]
    .prop_map(Text::from)
}

/// A UUID v4, as Hotmart's event ids and ucodes.
pub fn uuid() -> impl Strategy<Value = Text<'static>> {
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".prop_map(Text::from)
}

/// A transaction code: `HP` and 10 to 14 digits.
pub fn transaction() -> impl Strategy<Value = Text<'static>> {
    "HP[0-9]{10,14}".prop_map(Text::from)
}

fn email() -> BoxedStrategy<Text<'static>> {
    mixed(
        "[a-z]{1,10}(\\.[a-z]{1,8})?(\\+[a-z0-9]{1,4})?@(example\\.com|hotmail\\.com|hotmart\\.com\\.br)",
    )
}

fn person() -> BoxedStrategy<Text<'static>> {
    prop_oneof![
        2 => select(PERSON_NAMES).prop_map(owned),
        2 => "[A-Z][a-zà-ú]{2,9} [A-Z][a-zà-ú]{2,10}".prop_map(Text::from),
        1 => text(),
    ]
    .boxed()
}

fn product_name() -> BoxedStrategy<Text<'static>> {
    pick(PRODUCT_NAMES)
}

fn digits(max: usize) -> BoxedStrategy<Text<'static>> {
    let pattern = format!("[0-9]{{0,{max}}}");
    mixed(proptest::string::string_regex(&pattern).expect("a valid pattern"))
}

fn url() -> BoxedStrategy<Text<'static>> {
    mixed("https://(pay|api)\\.hotmart\\.com/[a-z0-9]{4,12}\\?sck=[A-Z_]{3,8}")
}

fn code() -> BoxedStrategy<Text<'static>> {
    mixed("[a-z0-9]{8}|[A-Z0-9]{8}")
}

fn currency() -> BoxedStrategy<Text<'static>> {
    pick(CURRENCIES)
}

fn country_iso() -> BoxedStrategy<Text<'static>> {
    pick(&["BR", "US", "CL", "PT", "MX", "CO", "ES"])
}

/// An exact amount of at most 15 significant digits: prices of 0 to 2
/// decimals, CLP prices with decimals, conversion rates of 6 decimals, and
/// rarely anything up to 28 decimals.
pub fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        6 => (0i64..10_000_000, 0u32..=2),
        2 => (0i64..1_000_000_000_000_000, 0u32..=6),
        1 => (0i64..100_000_000, Just(6u32)),
        1 => (-1_000_000_000_000i64..1_000_000_000_000_000, 0u32..=28),
    ]
    .prop_map(|(mantissa, scale)| Amount::new(Decimal::new(mantissa, scale)))
}

/// An amount with its currency (absent as in the 2022 test template).
pub fn money() -> impl Strategy<Value = Money<'static>> {
    (amount(), opt(currency())).prop_map(|(value, currency_value)| Money {
        value,
        currency_value,
    })
}

/// Epoch milliseconds between 1970 and 2100.
fn millis() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => 1_500_000_000_000i64..1_900_000_000_000,
        1 => 0i64..4_102_444_800_000,
    ]
    .boxed()
}

/// A date as Hotmart sends it: mostly epoch milliseconds (a JSON integer),
/// sometimes a string of digits or ISO-8601 with or without milliseconds,
/// and rarely any `i64` of milliseconds.
pub fn timestamp() -> impl Strategy<Value = Timestamp> {
    let encoding = prop_oneof![
        6 => Just(Encoding::Millis),
        1 => Just(Encoding::MillisString),
        1 => Just(Encoding::Iso8601),
        1 => Just(Encoding::Iso8601Millis),
    ];
    prop_oneof![
        9 => (millis(), encoding).prop_map(|(ms, e)| Timestamp::from_millis(ms).with_encoding(e)),
        1 => (any::<i64>(), prop_oneof![Just(Encoding::Millis), Just(Encoding::MillisString)])
            .prop_map(|(ms, e)| Timestamp::from_millis(ms).with_encoding(e)),
    ]
}

/// An ISO-8601 date at whole seconds (`warranty_date`, the charge-date
/// change's `date_next_charge`).
fn iso_timestamp() -> BoxedStrategy<Timestamp> {
    millis()
        .prop_map(|ms| Timestamp::from_millis(ms - ms % 1000).with_encoding(Encoding::Iso8601))
        .boxed()
}

/// An id as Hotmart sends them: integers, strings of digits (leading zeros
/// kept), other strings.
pub fn id() -> impl Strategy<Value = Id<'static>> {
    prop_oneof![
        4 => (0i64..10_000_000).prop_map(Id::Number),
        1 => any::<i64>().prop_map(Id::Number),
        2 => "[0-9]{1,10}".prop_map(|s| Id::Text(Text::from(s))),
        1 => text().prop_map(Id::Text),
    ]
}

/// A value outside the enum's spellings: shouty or lower-case words, any
/// non-empty text.
fn unknown_spelling() -> BoxedStrategy<Text<'static>> {
    prop_oneof![
        2 => "[A-Z][A-Z_]{0,19}".prop_map(Text::from),
        1 => "[a-z][a-z_]{0,15}".prop_map(Text::from),
        1 => text().prop_filter("empty", |t| !t.is_empty()),
    ]
    .boxed()
}

fn open_enum<E: OpenEnum>() -> BoxedStrategy<E> {
    prop_oneof![
        5 => select(E::SPELLINGS).prop_map(|s| E::from_text(owned(s))),
        1 => unknown_spelling()
            .prop_map(E::from_text)
            .prop_filter("a spelling the enum knows", E::is_other),
    ]
    .boxed()
}

/// Any JSON value, small: the `data` of unknown events, `offer.metadata`.
fn json_value() -> BoxedStrategy<serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        text().prop_map(|t| Value::String(t.as_str().to_owned())),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            vec(("[a-z_]{1,10}", inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
    .boxed()
}

fn raw_json(
    value: impl Strategy<Value = serde_json::Value> + 'static,
) -> BoxedStrategy<RawJson<'static>> {
    value
        .prop_map(|v| {
            let raw: Box<RawValue> =
                serde_json::value::to_raw_value(&v).expect("a serde_json::Value always serialises");
            RawJson::from(raw)
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// Shared parts

fn product_ref() -> BoxedStrategy<ProductRef<'static>> {
    record!(ProductRef {
        id: opt(id()),
        name: opt(product_name())
    })
}

fn user() -> BoxedStrategy<User<'static>> {
    record!(User {
        name: opt(person()),
        email: opt(email())
    })
}

fn country() -> BoxedStrategy<Country<'static>> {
    record!(Country {
        name: opt(pick(&[
            "Brasil",
            "Chile",
            "Estados Unidos",
            "México",
            "España"
        ])),
        iso: opt(country_iso()),
    })
}

fn offer() -> BoxedStrategy<Offer<'static>> {
    record!(Offer {
        code: opt(code()),
        key: opt(code()),
        coupon_code: opt(mixed("[A-Z0-9]{4,10}")),
        name: opt(text()),
        description: opt(text()),
        price: opt(money()),
        // `null` reads as an absent field.
        metadata: option::weighted(
            0.2,
            raw_json(json_value().prop_filter("null", |v| !v.is_null()))
        )
        .boxed(),
    })
}

fn plan() -> BoxedStrategy<Plan<'static>> {
    record!(Plan {
        id: opt(id()),
        name: opt(pick(&["plano de teste", "Plano Anual", "Mensal"])),
        offer: opt(offer()),
        current: opt(any::<bool>()),
    })
}

fn subscriber_phone() -> BoxedStrategy<SubscriberPhone<'static>> {
    record!(SubscriberPhone {
        ddd_phone: opt(digits(2)),
        phone: opt(digits(9)),
        ddd_cell: opt(digits(2)),
        cell: opt(digits(9)),
    })
}

fn subscriber_code() -> BoxedStrategy<Text<'static>> {
    mixed("[A-Z0-9]{8}")
}

fn subscriber() -> BoxedStrategy<Subscriber<'static>> {
    record!(Subscriber {
        code: opt(subscriber_code()),
        name: opt(person()),
        email: opt(email()),
        phone: opt(subscriber_phone()),
    })
}

fn address() -> BoxedStrategy<Address<'static>> {
    record!(Address {
        country: opt(pick(&["Brasil", "Chile", "Portugal"])),
        country_iso: opt(country_iso()),
        zipcode: opt(mixed("[0-9]{5}-?[0-9]{3}")),
        zip_code: opt(mixed("[0-9]{8}")),
        state: opt(pick(&[
            "SP",
            "MG",
            "RJ",
            "São Paulo",
            "Región Metropolitana"
        ])),
        city: opt(pick(&[
            "São Paulo",
            "Uberlândia",
            "Santiago",
            "Belo Horizonte"
        ])),
        neighborhood: opt(text()),
        address: opt(text()),
        street: opt(text()),
        number: opt(digits(5)),
        complement: opt(text()),
    })
}

// ---------------------------------------------------------------------------
// The purchase family

/// The `data` of the nine purchase events.
pub fn purchase_data() -> impl Strategy<Value = PurchaseData<'static>> {
    record!(PurchaseData {
        product: opt(product()),
        affiliates: opt(vec(affiliate(), 0..3).prop_map(crate::List::from)),
        buyer: opt(buyer()),
        producer: opt(producer()),
        commissions: opt(vec(commission(), 0..4).prop_map(crate::List::from)),
        purchase: opt(purchase()),
        subscription: option::weighted(0.5, subscription()).boxed(),
        shipping: option::weighted(0.2, shipping()).boxed(),
    })
}

fn product() -> BoxedStrategy<Product<'static>> {
    record!(Product {
        id: opt(id()),
        ucode: opt(uuid()),
        name: opt(product_name()),
        has_co_production: opt(any::<bool>()),
        warranty_date: opt(iso_timestamp()),
        support_email: opt(email()),
        is_physical_product: opt(any::<bool>()),
        content: option::weighted(0.3, product_content()).boxed(),
        product_format_id: option::weighted(0.2, any::<i64>()).boxed(),
    })
}

fn product_content() -> BoxedStrategy<ProductContent<'static>> {
    record!(ProductContent {
        has_physical_products: opt(any::<bool>()),
        products: opt(vec(bundled_product(), 0..3).prop_map(crate::List::from)),
    })
}

fn bundled_product() -> BoxedStrategy<BundledProduct<'static>> {
    record!(BundledProduct {
        id: opt(id()),
        ucode: opt(uuid()),
        name: opt(product_name()),
        is_physical_product: opt(any::<bool>()),
    })
}

fn affiliate() -> BoxedStrategy<Affiliate<'static>> {
    let none = Affiliate {
        affiliate_code: Some(owned("")),
        name: Some(owned("")),
    };
    prop_oneof![
        1 => Just(none),
        2 => record!(Affiliate {
            affiliate_code: opt(mixed("[A-Z][0-9]{8}[A-Z]")),
            name: opt(person()),
        }),
    ]
    .boxed()
}

fn document_type() -> BoxedStrategy<DocumentType<'static>> {
    prop_oneof![5 => open_enum(), 1 => Just(DocumentType::Other(owned("")))].boxed()
}

fn buyer() -> BoxedStrategy<Buyer<'static>> {
    record!(Buyer {
        email: opt(email()),
        ucode: option::weighted(0.2, uuid()).boxed(),
        name: opt(person()),
        first_name: opt(person()),
        last_name: opt(person()),
        checkout_phone: opt(mixed("\\+?[0-9]{8,13}")),
        checkout_phone_code: opt(digits(3)),
        document: opt(digits(14)),
        document_type: opt(document_type()),
        address: opt(address()),
    })
}

fn producer() -> BoxedStrategy<Producer<'static>> {
    record!(Producer {
        name: opt(person()),
        document: opt(digits(14)),
        legal_nature: opt(open_enum()),
    })
}

fn commission() -> BoxedStrategy<Commission<'static>> {
    record!(Commission {
        value: opt(amount()),
        currency_value: opt(currency()),
        source: opt(open_enum()),
        currency_conversion: option::weighted(0.4, currency_conversion()).boxed(),
    })
}

fn currency_conversion() -> BoxedStrategy<CurrencyConversion<'static>> {
    record!(CurrencyConversion {
        converted_value: opt(amount()),
        converted_to_currency: opt(currency()),
        conversion_rate: opt(amount()),
    })
}

fn purchase() -> BoxedStrategy<Purchase<'static>> {
    record!(Purchase {
        transaction: opt(prop_oneof![6 => transaction(), 1 => text()]),
        status: opt(open_enum()),
        order_date: opt(timestamp()),
        approved_date: opt(timestamp()),
        price: opt(money()),
        full_price: opt(money()),
        original_offer_price: opt(money()),
        offer: opt(offer()),
        payment: opt(payment()),
        checkout_country: opt(country()),
        order_bump: opt(order_bump()),
        origin: opt(origin()),
        recurrence_number: opt(prop_oneof![4 => 1u32..30, 1 => any::<u32>()]),
        date_next_charge: opt(timestamp()),
        subscription_anticipation_purchase: opt(any::<bool>()),
        invoice_by: opt(open_enum()),
        is_funnel: opt(any::<bool>()),
        business_model: opt(open_enum()),
        event_tickets: opt(any::<Option<i64>>().prop_map(|amount| EventTickets { amount })),
        variants: option::weighted(0.2, variants()).boxed(),
        sck_payment_link: opt(pick(&["sckPaymentLinkTest", "HOTMART_PRODUCT_PAGE"])),
        buyer_ip: option::weighted(0.2, mixed("[0-9]{1,3}(\\.[0-9]{1,3}){3}")).boxed(),
    })
}

fn payment() -> BoxedStrategy<Payment<'static>> {
    record!(Payment {
        kind: opt(open_enum()),
        installments_number: opt(prop_oneof![4 => 1u32..=12, 1 => any::<u32>()]),
        billet_url: opt(url()),
        billet_barcode: opt(digits(48)),
        pix_code: opt(text()),
        pix_qrcode: opt(url()),
        pix_expiration_date: opt(timestamp()),
        refusal_reason: opt(text()),
    })
}

fn order_bump() -> BoxedStrategy<OrderBump<'static>> {
    record!(OrderBump {
        is_order_bump: opt(any::<bool>()),
        parent_purchase_transaction: opt(transaction()),
    })
}

fn origin() -> BoxedStrategy<Origin<'static>> {
    record!(Origin {
        src: opt(text()),
        sck: opt(pick(&["HOTMART_PRODUCT_PAGE", "HOTMART_CHECKOUT"])),
        xcod: opt(text()),
    })
}

fn attribute() -> BoxedStrategy<Attribute<'static>> {
    record!(Attribute {
        name: opt(pick(&["Tamanho", "Cor"])),
        value: opt(pick(&["M", "GG", "Azul-marinho"])),
    })
}

fn variants() -> BoxedStrategy<Variants<'static>> {
    record!(Variants {
        sku: opt(code()),
        attributes: opt(vec(attribute(), 0..3).prop_map(crate::List::from)),
    })
}

fn subscription() -> BoxedStrategy<Subscription<'static>> {
    record!(Subscription {
        status: opt(open_enum()),
        plan: opt(plan()),
        subscriber: opt(subscriber()),
    })
}

fn carrier() -> BoxedStrategy<Carrier<'static>> {
    record!(Carrier {
        name: opt(pick(&["CORREIOS", "JADLOG"])),
        service: opt(pick(&["SEDEX", "PAC"])),
        code: opt(code()),
    })
}

fn shipping() -> BoxedStrategy<Shipping<'static>> {
    record!(Shipping {
        cost: opt(money()),
        estimated_delivery_days: opt(0u32..60),
        carrier: opt(carrier()),
        fulfillment: opt(pick(&["MANUAL", "UICLAP", "MONTINK"]).prop_map(|service| {
            FulfillmentInfo {
                service: Some(service),
            }
        })),
    })
}

// ---------------------------------------------------------------------------
// The other 2.0.0 events

/// A cart-abandonment lead (2.0.0 `buyer`, v1 `buyerVO`).
pub fn cart_buyer() -> impl Strategy<Value = CartBuyer<'static>> {
    record!(CartBuyer {
        name: opt(person()),
        email: opt(email()),
        phone: opt(mixed("\\+?[0-9]{8,13}")),
    })
}

/// The `data` of `PURCHASE_OUT_OF_SHOPPING_CART`.
pub fn cart_abandonment() -> impl Strategy<Value = CartAbandonment<'static>> {
    record!(CartAbandonment {
        affiliate: opt(any::<bool>()),
        product: opt(product_ref()),
        buyer: opt(cart_buyer()),
        offer: opt(offer()),
        checkout_country: opt(country()),
        buyer_ip: option::weighted(0.2, mixed("[0-9]{1,3}(\\.[0-9]{1,3}){3}")).boxed(),
    })
}

/// The `data` of `SUBSCRIPTION_CANCELLATION`.
pub fn subscription_cancellation() -> impl Strategy<Value = SubscriptionCancellation<'static>> {
    record!(SubscriptionCancellation {
        actual_recurrence_value: opt(amount()),
        cancellation_date: opt(timestamp()),
        date_next_charge: opt(timestamp()),
        product: opt(product_ref()),
        subscriber: opt(subscriber()),
        subscription: opt(record!(CanceledSubscription {
            id: opt(id()),
            plan: opt(plan()),
        })),
    })
}

/// The `data` of `SWITCH_PLAN`.
pub fn switch_plan() -> impl Strategy<Value = SwitchPlan<'static>> {
    record!(SwitchPlan {
        switch_plan_date: opt(timestamp()),
        subscription: opt(record!(SwitchPlanSubscription {
            subscriber_code: opt(subscriber_code()),
            status: opt(open_enum()),
            date_next_charge: opt(timestamp()),
            product: opt(product_ref()),
            user: opt(user()),
        })),
        plans: opt(vec(plan(), 0..3).prop_map(crate::List::from)),
    })
}

/// The `data` of `UPDATE_SUBSCRIPTION_CHARGE_DATE`.
pub fn charge_date_update() -> impl Strategy<Value = ChargeDateUpdate<'static>> {
    record!(ChargeDateUpdate {
        subscription: opt(record!(ChargeDateSubscription {
            old_charge_day: opt(1u32..=31),
            new_charge_day: opt(1u32..=31),
            date_next_charge: opt(iso_timestamp()),
            status: opt(open_enum()),
            product: opt(product_ref()),
        })),
        subscriber: opt(subscriber()),
        plan: opt(plan()),
    })
}

/// The `data` of `CLUB_FIRST_ACCESS`.
pub fn club_first_access() -> impl Strategy<Value = ClubFirstAccess<'static>> {
    record!(ClubFirstAccess {
        product: opt(product_ref()),
        user: opt(user()),
    })
}

/// The `data` of `CLUB_MODULE_COMPLETED`.
pub fn club_module_completed() -> impl Strategy<Value = ClubModuleCompleted<'static>> {
    record!(ClubModuleCompleted {
        product: opt(product_ref()),
        user: opt(user()),
        module: opt(record!(Module {
            id: opt(mixed("[A-Za-z0-9]{10}")),
            name: opt(text()),
        })),
    })
}

fn shopper() -> BoxedStrategy<Shopper<'static>> {
    record!(Shopper {
        country: opt(pick(&["Brasil", "Chile"])),
        phone: opt(mixed("\\+?[0-9]{8,13}")),
        document: opt(digits(14)),
        name: opt(person()),
        time_zone: opt(pick(&["America/Sao_Paulo", "America/Santiago"])),
        locale: opt(pick(&["pt_BR", "es_CL", "en_US"])),
        ucode: opt(uuid()),
        email: opt(email()),
        address: opt(address()),
    })
}

fn line_item() -> BoxedStrategy<LineItem<'static>> {
    record!(LineItem {
        offer: opt(offer()),
        product: opt(record!(LineItemProduct {
            id: opt(id()),
            name: opt(product_name()),
            format: opt(pick(&["PHYSICAL"])),
            support_email: opt(email()),
            ucode: opt(uuid()),
            seller: opt(record!(Seller {
                name: opt(person()),
                email: opt(email()),
                ucode: opt(uuid()),
                locale: opt(pick(&["pt_BR", "es_CL"])),
            })),
        })),
        quantity: opt(1u32..10),
        variant: opt(record!(Variant {
            name: opt(text()),
            id: opt(id()),
            sku: opt(code()),
            attributes: opt(vec(attribute(), 0..3).prop_map(crate::List::from)),
        })),
        dimension: opt(record!(Dimension {
            depth: opt(amount()),
            width: opt(amount()),
            height: opt(amount()),
            weight: opt(amount()),
        })),
    })
}

/// The `data` of `ORDER_FULFILLMENT`.
pub fn order_fulfillment() -> impl Strategy<Value = OrderFulfillment<'static>> {
    record!(OrderFulfillment {
        purchase: opt(record!(FulfillmentPurchase {
            full_price: opt(money()),
            price: opt(money()),
            approved_date: opt(timestamp()),
            order_date: opt(timestamp()),
            id: opt(id()),
            transaction: opt(transaction()),
            status: opt(open_enum()),
            shopper: opt(shopper()),
        })),
        line_items: opt(vec(line_item(), 0..3).prop_map(crate::List::from)),
        delivery: opt(record!(Delivery {
            shipping_processing_time: opt(0u32..30),
            method_type: opt(pick(&["SHIPPING"])),
            delivery_time: opt(0u32..60),
            destination: opt(address()),
        })),
        shipping: opt(record!(FulfillmentShipping {
            shipping_total_value: opt(money()),
            carrier: opt(carrier()),
            shipping_logistics_time: opt(0u32..30),
            carrier_options: opt(carrier()),
            kind: opt(pick(&["FLAT_RATE", "FREE_SHIPPING", "FIXED_PRICE"])),
            estimate_shipping_cost: opt(money()),
            shipping_markup_price: opt(money()),
        })),
        fulfillment_service: opt(record!(FulfillmentService {
            service_type: opt(pick(&["MANUAL", "PARTNER"])),
            service_name: opt(pick(&["UICLAP", "MONTINK"])),
        })),
        billing: opt(shopper()),
    })
}

/// Event names found in third-party guides, which Hotmart never sends.
const NOT_HOTMART: &[&str] = &[
    "PURCHASE_COMPLETED",
    "SUBSCRIPTION_CREATED",
    "SUBSCRIPTION_RENEWED",
    "COMMISSION_GENERATED",
    "PURCHASE_CANCELLED",
    "SUBSCRIPTION_CANCELED",
];

/// An event this crate does not model: an unknown name with any JSON `data`.
pub fn unknown_event() -> impl Strategy<Value = Event<'static>> {
    let name = prop_oneof![
        2 => select(NOT_HOTMART).prop_map(owned),
        2 => "[A-Z][A-Z_]{2,29}".prop_map(Text::from),
        1 => text(),
    ]
    .prop_filter("a modelled event name", |name| {
        !EVENT_NAMES.contains(&name.as_str())
    });
    (name, raw_json(json_value())).prop_map(|(name, data)| Event::Unknown { name, data })
}

fn purchase_event(
    variant: fn(PurchaseData<'static>) -> Event<'static>,
    status: &'static str,
) -> BoxedStrategy<Event<'static>> {
    // The status observed with each event; unknown statuses stay as drawn.
    purchase_data()
        .prop_map(move |mut data| {
            if let Some(purchase) = &mut data.purchase {
                if purchase.status.as_ref().is_some_and(|s| !s.is_other()) {
                    purchase.status = Some(PurchaseStatus::from_text(owned(status)));
                }
            }
            variant(data)
        })
        .boxed()
}

/// Any 2.0.0 event: each of the catalogue, purchase events with the status
/// Hotmart sends with them, and unknown events.
pub fn v2_event() -> impl Strategy<Value = Event<'static>> {
    Union::new_weighted(vec![
        (3, purchase_event(Event::PurchaseApproved, "APPROVED")),
        (1, purchase_event(Event::PurchaseComplete, "COMPLETED")),
        (1, purchase_event(Event::PurchaseCanceled, "CANCELED")),
        (
            1,
            purchase_event(Event::PurchaseBilletPrinted, "BILLET_PRINTED"),
        ),
        (1, purchase_event(Event::PurchaseRefunded, "REFUNDED")),
        (1, purchase_event(Event::PurchaseChargeback, "CHARGEBACK")),
        (1, purchase_event(Event::PurchaseExpired, "EXPIRED")),
        (1, purchase_event(Event::PurchaseDelayed, "DELAYED")),
        (1, purchase_event(Event::PurchaseProtest, "DISPUTE")),
        (
            1,
            cart_abandonment()
                .prop_map(Event::PurchaseOutOfShoppingCart)
                .boxed(),
        ),
        (
            1,
            subscription_cancellation()
                .prop_map(Event::SubscriptionCancellation)
                .boxed(),
        ),
        (1, switch_plan().prop_map(Event::SwitchPlan).boxed()),
        (
            1,
            charge_date_update()
                .prop_map(Event::UpdateSubscriptionChargeDate)
                .boxed(),
        ),
        (
            1,
            club_first_access().prop_map(Event::ClubFirstAccess).boxed(),
        ),
        (
            1,
            club_module_completed()
                .prop_map(Event::ClubModuleCompleted)
                .boxed(),
        ),
        (
            1,
            order_fulfillment()
                .prop_map(Event::OrderFulfillment)
                .boxed(),
        ),
        (1, unknown_event().boxed()),
    ])
}

/// A 2.0.0 envelope: a UUID id, `creation_date` in epoch milliseconds
/// (`creationDate` for most `CLUB_FIRST_ACCESS`), version `2.0.0` (or
/// absent), any event; and sometimes another `version`, which makes even a
/// known event name [`Event::Unknown`].
pub fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    let id = prop_oneof![6 => uuid(), 1 => "[0-9]{1,19}".prop_map(Text::from), 1 => text()];
    let version = prop_oneof![
        12 => Just(Some(owned("2.0.0"))),
        2 => Just(None),
        1 => prop_oneof![Just(owned("1.0.0")), Just(owned("2.0")), text()]
            .prop_filter("2.0.0", |v| v != "2.0.0")
            .prop_map(Some),
    ];
    (id, opt(timestamp()), 0u8..10, version, v2_event()).prop_map(
        |(id, creation_date, coin, version, event)| {
            let camel = if matches!(event, Event::ClubFirstAccess(_)) {
                coin < 9
            } else {
                coin < 1
            };
            let creation_date_key = match creation_date {
                Some(_) if camel => KeyCase::Camel,
                _ => KeyCase::Snake,
            };
            let typed = version.as_deref().is_none_or(|v| v == "2.0.0");
            let event = if typed {
                event
            } else {
                // Another version: the parser keeps the data unparsed.
                struct Data<'r>(&'r Event<'static>);
                impl serde::Serialize for Data<'_> {
                    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        self.0.serialize_data(s)
                    }
                }
                let data = serde_json::value::to_raw_value(&Data(&event))
                    .expect("event data always serialises");
                Event::Unknown {
                    name: Text::from(event.name().to_owned()),
                    data: RawJson::from(data),
                }
            };
            Envelope {
                id: Some(id),
                creation_date,
                creation_date_key,
                version,
                event,
                problems: Vec::new(),
            }
        },
    )
}

// ---------------------------------------------------------------------------
// Version 1.0.0

/// Keys a v1 postback's unknown (`extra`) fields never use: the typed
/// fields, `hottok` (checked and dropped), and the keys that make a JSON
/// object another kind of delivery.
const RESERVED_KEYS: &[&str] = &[
    "hottok",
    "id",
    "event",
    "version",
    "data",
    "creation_date",
    "creationDate",
    "affiliate",
    "productName",
    "cancellationDate",
    "switchPlanDate",
];

fn extra_field() -> BoxedStrategy<(Text<'static>, Text<'static>)> {
    let key = prop_oneof![
        2 => select(&[
            "subscription_date_next_charge",
            "parent_purchase_transaction",
            "order_bump_ids",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "quantityTickets",
            "order_id",
        ][..])
        .prop_map(owned),
        2 => "[a-z][a-z_]{0,15}".prop_map(Text::from),
        1 => text(),
    ]
    .prop_filter("a typed or reserved key", |key| {
        !V1_PURCHASE_FIELDS.contains(&key.as_str()) && !RESERVED_KEYS.contains(&key.as_str())
    });
    (key, text()).boxed()
}

fn v1_amount() -> BoxedStrategy<Amount> {
    (0i64..10_000_000, 0u32..=2)
        .prop_map(|(m, s)| Amount::new(Decimal::new(m, s)))
        .boxed()
}

fn v1_date() -> BoxedStrategy<Timestamp> {
    prop_oneof![
        3 => iso_timestamp(),
        1 => timestamp().boxed(),
    ]
    .boxed()
}

/// A v1 form purchase postback: typed fields with valid values, text fields
/// that may be empty (`aff=`), unknown fields in `extra`; at least one of
/// `status`, `callback_type`, `transaction`, `prod`.
pub fn v1_purchase() -> impl Strategy<Value = V1Purchase<'static>> {
    let fields = record!(V1Purchase {
        prod: opt(mixed("0{0,4}[0-9]{1,7}")),
        prod_name: opt(product_name()),
        off: opt(code()),
        price: opt(prop_oneof![3 => v1_amount(), 1 => amount().boxed()]),
        aff: opt(prop_oneof![Just(owned("")), mixed("[A-Z][0-9]{8}[A-Z]")]),
        aff_name: opt(person()),
        email: opt(email()),
        name: opt(person()),
        first_name: opt(person()),
        last_name: opt(person()),
        doc: opt(digits(14)),
        phone_local_code: opt(digits(3)),
        phone_number: opt(digits(9)),
        phone_checkout_local_code: opt(digits(9)),
        phone_checkout_number: opt(digits(9)),
        address: opt(text()),
        address_number: opt(digits(5)),
        address_country: opt(pick(&["Brasil", "Chile"])),
        address_district: opt(text()),
        address_comp: opt(text()),
        address_city: opt(pick(&["São Paulo", "Uberlândia"])),
        address_state: opt(pick(&["SP", "MG"])),
        address_zip_code: opt(mixed("[0-9]{5}-?[0-9]{3}")),
        transaction: opt(prop_oneof![6 => transaction(), 1 => text()]),
        xcod: opt(text()),
        src: opt(text()),
        status: opt(open_enum::<V1Status<'static>>()),
        payment_engine: opt(open_enum::<V1PaymentEngine<'static>>()),
        payment_type: opt(open_enum::<V1PaymentType<'static>>()),
        hotkey: opt(text()),
        name_subscription_plan: opt(pick(&["plano de teste", "Plano Anual"])),
        subscriber_code: opt(subscriber_code()),
        recurrency_period: opt(prop_oneof![
            select(&[7u32, 30, 60, 90, 180, 360][..]),
            any::<u32>()
        ]),
        recurrency: opt(1u32..30),
        cms_marketplace: opt(v1_amount()),
        cms_vendor: opt(v1_amount()),
        cms_aff: opt(v1_amount()),
        coupon_code: opt(mixed("[A-Z0-9]{4,10}")),
        callback_type: opt(prop_oneof![4 => 1u32..=2, 1 => any::<u32>()]),
        subscription_status: opt(open_enum::<V1SubscriptionStatus<'static>>()),
        transaction_ext: opt(transaction()),
        sck: opt(text()),
        purchase_date: opt(v1_date()),
        confirmation_purchase_date: opt(v1_date()),
        billet_url: opt(url()),
        currency_code_from: opt(currency()),
        original_offer_price: opt(v1_amount()),
        currency: opt(currency()),
        signature_status: opt(pick(&["active", "Active", "Canceled by client"])),
        billet_barcode: opt(digits(48)),
        producer_name: opt(person()),
        producer_document: opt(digits(14)),
        producer_legal_nature: opt(open_enum::<LegalNature<'static>>()),
        currency_code_from_: opt(currency()),
        refusal_reason: opt(text()),
        doc_type: opt(open_enum::<DocumentType<'static>>()),
        full_price: opt(v1_amount()),
        warranty_date: opt(v1_date()),
        cms_aff_currency: opt(currency()),
        product_support_email: opt(email()),
        amount: opt(any::<i64>()),
        aff_cms_rate_currency: opt(currency()),
        aff_cms_rate_commission: opt(amount()),
        aff_cms_rate_conversion: opt(amount()),
        installments_number: opt(1u32..=12),
        receiver_type: opt(open_enum::<ReceiverType<'static>>()),
        product_offer_payment_mode: opt(open_enum::<PaymentMode<'static>>()),
        has_co_production: opt(any::<bool>()),
        funnel: opt(any::<bool>()),
        order_bump: opt(any::<bool>()),
        extra: vec(extra_field(), 0..4),
        problems: Just(Vec::new()),
    });
    (fields, transaction()).prop_map(|(mut purchase, transaction)| {
        let recognised = purchase.status.is_some()
            || purchase.callback_type.is_some()
            || purchase.transaction.is_some()
            || purchase.prod.is_some();
        if !recognised {
            purchase.transaction = Some(transaction);
        }
        purchase
    })
}

fn v1_plan() -> BoxedStrategy<V1Plan<'static>> {
    record!(V1Plan {
        name: opt(pick(&["plano de teste", "Plano Anual"])),
        max_charge_cycles: opt(any::<i64>()),
        recurrency_period: opt(prop_oneof![Just(30i64), Just(360i64), any::<i64>()]),
        offer: opt(offer()),
        value: opt(amount()),
        currency_code: opt(currency()),
    })
}

/// A v1 cart abandonment (always with `affiliate` and `productName`, the
/// keys that identify it).
pub fn v1_cart_abandonment() -> impl Strategy<Value = V1CartAbandonment<'static>> {
    record!(V1CartAbandonment {
        affiliate: any::<bool>().prop_map(Some),
        user_key: opt(code()),
        product_name: product_name().prop_map(Some),
        product_id: opt(id()),
        product_ucode: opt(uuid()),
        product_category: opt(id()),
        buyer_vo: opt(cart_buyer()),
        has_negotiate: opt(any::<bool>()),
        subscription_plan_id: opt(id()),
        problems: Just(Vec::new()),
    })
}

/// A v1 subscription cancellation (always with `cancellationDate`; dates as
/// epoch milliseconds or ISO-8601 strings).
pub fn v1_subscription_cancellation() -> impl Strategy<Value = V1SubscriptionCancellation<'static>>
{
    record!(V1SubscriptionCancellation {
        subscription_id: opt(id()),
        subscriber_code: opt(prop_oneof![
            3 => subscriber_code().prop_map(Id::Text),
            1 => id().boxed(),
        ]),
        cancellation_date: timestamp().prop_map(Some),
        user_name: opt(person()),
        user_email: opt(email()),
        actual_recurrence_value: opt(amount()),
        product_name: opt(product_name()),
        subscription_plan_name: opt(text()),
        date_next_charge: opt(timestamp()),
        problems: Just(Vec::new()),
    })
}

/// A v1 plan switch (always with `switchPlanDate`).
pub fn v1_switch_plan() -> impl Strategy<Value = V1SwitchPlan<'static>> {
    record!(V1SwitchPlan {
        switch_plan_date: timestamp().prop_map(Some),
        subscription: opt(record!(V1Subscription {
            product: opt(product_ref()),
            recurrence_number: opt(1u32..30),
            status: opt(pick(&["ACTIVE", "CANCELLED_BY_CUSTOMER"])),
            subscriber: opt(record!(V1Subscriber {
                code: opt(subscriber_code()),
                user: opt(user()),
            })),
            plan: opt(v1_plan()),
        })),
        new_subscription_plan: opt(v1_plan()),
        previous_subscription_plan: opt(v1_plan()),
        problems: Just(Vec::new()),
    })
}

/// Any v1 delivery: the form postback or one of the three JSON events.
pub fn v1_webhook() -> impl Strategy<Value = Webhook<'static>> {
    prop_oneof![
        3 => v1_purchase().prop_map(Webhook::V1Purchase),
        1 => v1_cart_abandonment().prop_map(Webhook::V1CartAbandonment),
        1 => v1_subscription_cancellation().prop_map(Webhook::V1SubscriptionCancellation),
        1 => v1_switch_plan().prop_map(Webhook::V1SwitchPlan),
    ]
}

/// Any delivery Hotmart sends: mostly 2.0.0 envelopes, then v1 postbacks
/// and v1 JSON events.
pub fn webhook() -> impl Strategy<Value = Webhook<'static>> {
    prop_oneof![
        3 => envelope().prop_map(Webhook::V2),
        1 => v1_webhook(),
    ]
}
