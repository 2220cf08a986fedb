//! Building blocks: texts, codes, amounts, dates, ids, open enums, raw JSON.

use super::*;

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
pub(super) fn opt<T: Clone + Debug + 'static>(
    strategy: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    option::weighted(0.75, strategy).boxed()
}

pub(super) fn owned(s: &'static str) -> Text<'static> {
    Text::borrowed(s)
}

/// Realistic values most of the time, any [`text`] sometimes.
pub(super) fn mixed(
    realistic: impl Strategy<Value = String> + 'static,
) -> BoxedStrategy<Text<'static>> {
    prop_oneof![6 => realistic.prop_map(Text::from), 1 => text()].boxed()
}

pub(super) fn pick(values: &'static [&'static str]) -> BoxedStrategy<Text<'static>> {
    prop_oneof![6 => select(values).prop_map(owned), 1 => text()].boxed()
}

pub(super) const PERSON_NAMES: &[&str] = &[
    "Ana Souza",
    "João da Silva",
    "Maria José Gonçalves",
    "Teste Comprador",
    "José Ñúñez",
    "Carlos  Pereira ",
    "",
];

pub(super) const PRODUCT_NAMES: &[&str] = &[
    "Produto test postback2",
    "App DesignAuto",
    "Curso de Inglês — Módulo 1",
    "Mentoria \"Premium\"",
    "Livro físico",
];

pub(super) const CURRENCIES: &[&str] = &["BRL", "USD", "CLP", "EUR", "MXN", "COP", "ARS", "PEN"];

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

pub(super) fn email() -> BoxedStrategy<Text<'static>> {
    mixed(
        "[a-z]{1,10}(\\.[a-z]{1,8})?(\\+[a-z0-9]{1,4})?@(example\\.com|hotmail\\.com|hotmart\\.com\\.br)",
    )
}

pub(super) fn person() -> BoxedStrategy<Text<'static>> {
    prop_oneof![
        2 => select(PERSON_NAMES).prop_map(owned),
        2 => "[A-Z][a-zà-ú]{2,9} [A-Z][a-zà-ú]{2,10}".prop_map(Text::from),
        1 => text(),
    ]
    .boxed()
}

pub(super) fn product_name() -> BoxedStrategy<Text<'static>> {
    pick(PRODUCT_NAMES)
}

pub(super) fn digits(max: usize) -> BoxedStrategy<Text<'static>> {
    let pattern = format!("[0-9]{{0,{max}}}");
    mixed(proptest::string::string_regex(&pattern).expect("a valid pattern"))
}

pub(super) fn url() -> BoxedStrategy<Text<'static>> {
    mixed("https://(pay|api)\\.hotmart\\.com/[a-z0-9]{4,12}\\?sck=[A-Z_]{3,8}")
}

pub(super) fn code() -> BoxedStrategy<Text<'static>> {
    mixed("[a-z0-9]{8}|[A-Z0-9]{8}")
}

pub(super) fn currency() -> BoxedStrategy<Text<'static>> {
    pick(CURRENCIES)
}

pub(super) fn country_iso() -> BoxedStrategy<Text<'static>> {
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
pub(super) fn millis() -> BoxedStrategy<i64> {
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
pub(super) fn iso_timestamp() -> BoxedStrategy<Timestamp> {
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
pub(super) fn unknown_spelling() -> BoxedStrategy<Text<'static>> {
    prop_oneof![
        2 => "[A-Z][A-Z_]{0,19}".prop_map(Text::from),
        1 => "[a-z][a-z_]{0,15}".prop_map(Text::from),
        1 => text().prop_filter("empty", |t| !t.is_empty()),
    ]
    .boxed()
}

pub(super) fn open_enum<E: OpenEnum>() -> BoxedStrategy<E> {
    prop_oneof![
        5 => select(E::SPELLINGS).prop_map(|s| E::from_text(owned(s))),
        1 => unknown_spelling()
            .prop_map(E::from_text)
            .prop_filter("a spelling the enum knows", E::is_other),
    ]
    .boxed()
}

/// Any JSON value, small: the `data` of unknown events, `offer.metadata`.
pub(super) fn json_value() -> BoxedStrategy<serde_json::Value> {
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

pub(super) fn raw_json(
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
