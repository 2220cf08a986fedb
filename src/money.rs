//! Exact money: [`Amount`] and [`Money`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::Text;

/// An exact decimal amount in currency units (not cents): `97.0` is R$ 97.
///
/// Hotmart sends amounts as JSON numbers, integer or fractional (`7`,
/// `5625.21`, conversion rates with six decimals). `Amount` keeps the decimal
/// digits exactly as written, never passing through a binary float, so sums
/// and comparisons are exact:
///
/// ```
/// use hotmart_webhook::Amount;
///
/// let a: Amount = "0.1".parse().unwrap();
/// let b: Amount = "0.2".parse().unwrap();
/// assert_eq!((a.decimal() + b.decimal()).to_string(), "0.3");
/// assert_eq!("97.0".parse::<Amount>().unwrap(), "97".parse::<Amount>().unwrap());
/// ```
///
/// Equality is numeric (`97.0 == 97`). Conversions: [`Amount::decimal`]
/// (arithmetic), [`Amount::to_minor_units`] (integer cents and the like), and
/// [`Amount::to_f64`] for display only.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

/// The largest number of decimals an [`Amount`] keeps (rust_decimal's limit).
const MAX_SCALE: u32 = 28;

impl Amount {
    /// Wraps a decimal.
    pub const fn new(value: Decimal) -> Self {
        Amount(value)
    }

    /// The exact value, for arithmetic.
    pub const fn decimal(self) -> Decimal {
        self.0
    }

    /// The value in minor units of a currency with `exponent` decimals
    /// (2 for BRL and USD, 0 for CLP), or `None` when the amount has more
    /// decimals than that (Hotmart sends fractional CLP, e.g. `5625.21`) or
    /// does not fit in an `i64`.
    ///
    /// ```
    /// use hotmart_webhook::Amount;
    /// let price: Amount = "1385.22".parse().unwrap();
    /// assert_eq!(price.to_minor_units(2), Some(138522));
    /// assert_eq!(price.to_minor_units(0), None);
    /// ```
    pub fn to_minor_units(self, exponent: u32) -> Option<i64> {
        if exponent > MAX_SCALE {
            return None;
        }
        let factor = Decimal::from_i128_with_scale(10i128.checked_pow(exponent)?, 0);
        let scaled = self.0.checked_mul(factor)?;
        if scaled.fract() != Decimal::ZERO {
            return None;
        }
        scaled.to_i64()
    }

    /// The nearest `f64`, for display and charts. Never compare or sum these.
    pub fn to_f64(self) -> f64 {
        let mantissa = self.0.mantissa();
        let scale = self.0.scale();
        // Exactly representable operands give a correctly rounded quotient.
        if mantissa.unsigned_abs() < (1u128 << 53) && scale <= 22 {
            mantissa as f64 / POW10[scale as usize]
        } else {
            self.0.to_string().parse().unwrap_or(f64::NAN)
        }
    }

    /// Parses the text of a JSON number (or a decimal string), exactly.
    pub(crate) fn parse_number(text: &str) -> Result<Self, InvalidAmount> {
        let t = text.trim();
        let valid_start = t
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
        if !valid_start {
            return Err(InvalidAmount);
        }
        let parsed = if t.bytes().any(|b| b == b'e' || b == b'E') {
            Decimal::from_scientific(t)
        } else {
            Decimal::from_str_exact(t)
        };
        parsed.map(Amount).map_err(|_| InvalidAmount)
    }
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The error of parsing an [`Amount`] from text that is not a decimal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidAmount;

impl fmt::Display for InvalidAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid decimal amount")
    }
}

impl std::error::Error for InvalidAmount {}

impl FromStr for Amount {
    type Err = InvalidAmount;
    fn from_str(s: &str) -> Result<Self, InvalidAmount> {
        Amount::parse_number(s)
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl From<Amount> for Decimal {
    fn from(value: Amount) -> Self {
        value.0
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Amount {
    /// Writes a JSON number: an integer when there are no decimals, otherwise
    /// the shortest float text that reads back as exactly these digits (up to
    /// 15 significant digits; longer values are written as a decimal string,
    /// which [`Amount`] also reads).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mantissa = self.0.mantissa();
        let scale = self.0.scale();
        if scale == 0 {
            if let Ok(i) = i64::try_from(mantissa) {
                return serializer.serialize_i64(i);
            }
        }
        if mantissa.unsigned_abs() < 1_000_000_000_000_000 && scale <= 22 {
            return serializer.serialize_f64(self.to_f64());
        }
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Reads a JSON number exactly from its text (or a string holding a
    /// decimal). Needs `serde_json`'s deserializer, which this crate uses.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <&RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        let inner = match text.as_bytes().first() {
            Some(b'"') if text.len() >= 2 && !text.contains('\\') => &text[1..text.len() - 1],
            _ => text,
        };
        Amount::parse_number(inner).map_err(|_| {
            de::Error::invalid_value(
                de::Unexpected::Other("a non-decimal value"),
                &"a decimal number",
            )
        })
    }
}

/// An amount with its ISO 4217 currency, as Hotmart's `{value, currency_value}`
/// objects (`price`, `full_price`, `original_offer_price`, shipping costs).
///
/// The currency can differ between the objects of one purchase (a BRL price
/// with a USD `original_offer_price`), so each amount travels with its own.
///
/// `value` is required: read tolerantly, a `value` that is not an amount
/// makes the whole `Money` absent, with one problem at the `Money`'s path.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Money<'a> {
    /// The amount in currency units.
    pub value: Amount,
    /// ISO 4217 code (`"BRL"`, `"USD"`, `"CLP"`); absent in the 2022 test template.
    #[serde(
        borrow,
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::problem::field"
    )]
    pub currency_value: Option<Text<'a>>,
}

impl<'a> Money<'a> {
    /// An amount with a currency.
    pub fn new(value: Amount, currency: impl Into<Text<'a>>) -> Self {
        Money {
            value,
            currency_value: Some(currency.into()),
        }
    }

    /// The currency code, when sent.
    pub fn currency(&self) -> Option<&str> {
        self.currency_value.as_deref()
    }

    /// The amount in the currency's minor units (ISO 4217 exponent: 0 for
    /// CLP, COP's 2, JPY's 0, …; 2 when the currency is absent or unknown),
    /// or `None` when not exactly representable.
    pub fn minor_units(&self) -> Option<i64> {
        self.value
            .to_minor_units(currency_exponent(self.currency().unwrap_or("")))
    }

    /// A copy independent of the body.
    pub fn into_owned(self) -> Money<'static> {
        Money {
            value: self.value,
            currency_value: self.currency_value.map(Text::into_owned),
        }
    }
}

impl crate::owned::IntoOwned for Money<'_> {
    type Owned = Money<'static>;
    fn into_owned(self) -> Money<'static> {
        Money::into_owned(self)
    }
}

/// The ISO 4217 minor-unit exponent of the currencies Hotmart sells in.
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "CLP" | "JPY" | "KRW" | "PYG" | "VND" | "ISK" | "UGX" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "TND" | "JOD" | "IQD" | "LYD" => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(json: &str) -> Amount {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn json_numbers_are_read_exactly() {
        assert_eq!(amount("5625.21").to_string(), "5625.21");
        assert_eq!(amount("5.419698").to_string(), "5.419698");
        assert_eq!(amount("7").to_string(), "7");
        assert_eq!(amount("\"1500.00\"").to_string(), "1500.00");
        assert_eq!(amount("1e2"), amount("100"));
    }

    #[test]
    fn point_one_plus_point_two_is_point_three() {
        let sum = amount("0.1").decimal() + amount("0.2").decimal();
        assert_eq!(sum, amount("0.3").decimal());
    }

    #[test]
    fn non_numbers_are_rejected() {
        for bad in ["true", "\"abc\"", "[1]", "{}", "null", "\"\""] {
            assert!(serde_json::from_str::<Amount>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serialising_reads_back_equal() {
        for text in [
            "7",
            "97.0",
            "5625.21",
            "0.000001",
            "1385.22",
            "-3.5",
            "12345678901234.5",
        ] {
            let a = amount(text);
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(amount(&json), a, "{text} -> {json}");
        }
    }

    #[test]
    fn minor_units_follow_the_currency() {
        let clp = Money::new(amount("6694"), "CLP");
        assert_eq!(clp.minor_units(), Some(6694));
        let brl = Money::new(amount("97.5"), "BRL");
        assert_eq!(brl.minor_units(), Some(9750));
        assert_eq!(Money::new(amount("5625.21"), "CLP").minor_units(), None);
        assert_eq!(amount("1e20").to_minor_units(2), None);
        assert!(serde_json::from_str::<Amount>("1e30").is_err());
    }

    #[test]
    fn to_f64_is_the_nearest_float() {
        assert_eq!(amount("5625.21").to_f64(), 5625.21);
        assert_eq!(amount("0.1").to_f64(), 0.1);
    }
}
