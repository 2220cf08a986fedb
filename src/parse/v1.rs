//! v1 deliveries: the form postback, and the same postback re-encoded as a
//! flat JSON object.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Mode, parse_typed};
use crate::Text;
use crate::error::{Category, ParseError};
use crate::event::v1::V1Purchase;
use crate::problem::{self, Problem, read_or_note};

/// A v1 postback re-encoded as a flat JSON object of strings; tolerantly, a
/// value of another type is a problem, and the field absent.
pub(super) fn parse_json_purchase(body: &[u8], mode: Mode) -> Result<V1Purchase<'_>, ParseError> {
    let mut purchase = V1Purchase::default();
    match mode {
        Mode::Strict => {
            for (key, value) in parse_typed::<FlatObject<'_>>(body, mode)?.0 {
                set_v1_field(&mut purchase, key, value)?;
            }
        }
        Mode::Tolerant => {
            for (key, raw) in parse_typed::<RawObject<'_>>(body, mode)?.0 {
                let Some(value) = read_or_note::<Text<'_>>(raw) else {
                    continue;
                };
                if let Err(err) = set_v1_field(&mut purchase, key, value) {
                    problem::note(raw.get(), err.message().to_owned());
                }
            }
        }
    }
    if !is_recognised(&purchase) {
        return Err(ParseError::new(
            Category::Data,
            Some("event".to_owned()),
            "not a Hotmart webhook: a JSON object without `event` and without the keys of a v1 event",
        ));
    }
    Ok(purchase)
}

/// A postback carries at least one of `status`, `callback_type`,
/// `transaction` or `prod`. An empty `status` or `callback_type` is absent
/// (an empty typed value is `None`), so it does not count: `to_wire` could
/// not write it back, and the body it wrote would not parse.
fn is_recognised(purchase: &V1Purchase<'_>) -> bool {
    purchase.status.is_some()
        || purchase.callback_type.is_some()
        || purchase.transaction.is_some()
        || purchase.prod.is_some()
}

/// A JSON object whose values are all strings, in order.
struct FlatObject<'a>(Vec<(Text<'a>, Text<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for FlatObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlatVisitor;
        impl<'de> Visitor<'de> for FlatVisitor {
            type Value = FlatObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FlatObject<'de>, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    pairs.push((k, v));
                }
                Ok(FlatObject(pairs))
            }
        }
        deserializer.deserialize_map(FlatVisitor)
    }
}

/// A JSON object's members, their values raw, in order.
struct RawObject<'a>(Vec<(Text<'a>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    pairs.push((k, v));
                }
                Ok(RawObject(pairs))
            }
        }
        deserializer.deserialize_map(RawVisitor)
    }
}

fn set_v1_field<'a>(
    purchase: &mut V1Purchase<'a>,
    key: Text<'a>,
    value: Text<'a>,
) -> Result<(), ParseError> {
    if key == "hottok" {
        return Ok(());
    }
    match purchase.set(&key, value) {
        Ok(None) => Ok(()),
        Ok(Some(value)) => {
            purchase.extra.push((key, value));
            Ok(())
        }
        Err(e) => Err(ParseError::new(
            Category::Data,
            Some(e.field.to_owned()),
            e.message,
        )),
    }
}

/// Parses a v1 form postback; tolerantly, a value that does not read as its
/// field's type is a problem, and the field absent.
pub(crate) fn parse_form(body: &[u8], mode: Mode) -> Result<V1Purchase<'_>, ParseError> {
    let mut purchase = V1Purchase::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let offset = value.as_ptr() as usize - body.as_ptr() as usize;
        let key = decode_form(key)?;
        let value = decode_form(value)?;
        match set_v1_field(&mut purchase, key, value) {
            Ok(()) => {}
            Err(err) if mode == Mode::Tolerant => purchase.problems.push(Problem::new(
                err.path().unwrap_or_default(),
                err.message(),
                offset,
            )),
            Err(err) => return Err(err),
        }
    }
    if !is_recognised(&purchase) {
        return Err(ParseError::new(
            Category::Syntax,
            None,
            "not a Hotmart webhook: neither a JSON object nor a v1 form postback \
             (no non-empty `status` or `callback_type`, no `transaction` or `prod` field)",
        ));
    }
    Ok(purchase)
}

/// Decodes one form component: borrowed when there is nothing to decode.
pub(super) fn decode_form(raw: &[u8]) -> Result<Text<'_>, ParseError> {
    let not_utf8 = || ParseError::new(Category::Syntax, None, "form body is not valid UTF-8");
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(raw)
            .map(Text::borrowed)
            .map_err(|_| not_utf8());
    }
    // One buffer: `+` is a space, then `%XX` is a byte (so `%2B` stays a
    // `+`), and a `%` without two hex digits is kept as it is — what
    // replacing `+` and then `percent_decode` give, with one allocation.
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'+' => b' ',
            b'%' => match (
                raw.get(i + 1).and_then(|&b| hex(b)),
                raw.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    i += 2;
                    hi << 4 | lo
                }
                _ => b'%',
            },
            b => b,
        };
        decoded.push(byte);
        i += 1;
    }
    String::from_utf8(decoded)
        .map(Text::from)
        .map_err(|_| not_utf8())
}
