//! Finding `hottok` fields in a body: one finder for the layer, which
//! judges the top-level field of a v1 body, and for [`mask_hottok`], which
//! masks every field at any depth, so that what the layer reads as a token
//! is always what the masker hides.
//!
//! [`mask_hottok`]: crate::mask_hottok

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::Text;

/// What the body says about its hottok.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyHottok<'a> {
    /// Exactly one `hottok` field, with this (decoded) value.
    Found(Text<'a>),
    /// No `hottok` field.
    Missing,
    /// The field appears more than once.
    Duplicate,
    /// A JSON body that is not valid JSON, or whose `hottok` is not a string.
    Malformed,
}

/// `true` when the first non-whitespace byte of `body` is `byte`.
pub(crate) fn starts_with(body: &[u8], byte: u8) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&byte)
}

/// Looks for the hottok of a v1 body: a top-level JSON string field `hottok`
/// when the first non-whitespace byte is `{`, else the form field `hottok`.
pub(crate) fn find(body: &[u8]) -> BodyHottok<'_> {
    if starts_with(body, b'{') {
        find_json(body)
    } else {
        find_form(body)
    }
}

fn find_json(body: &[u8]) -> BodyHottok<'_> {
    let mut first = None;
    let mut count = 0usize;
    let walked = json_hottoks(body, Depth::TopLevel, &mut |_, raw| {
        count += 1;
        first.get_or_insert(raw);
    });
    match (walked, first) {
        (Err(_), _) => BodyHottok::Malformed,
        _ if count > 1 => BodyHottok::Duplicate,
        (Ok(()), None) => BodyHottok::Missing,
        (Ok(()), Some(raw)) => match serde_json::from_str::<Text<'_>>(raw.get()) {
            Ok(token) => BodyHottok::Found(token),
            Err(_) => BodyHottok::Malformed,
        },
    }
}

/// The same answer as decoding every pair with `form_urlencoded::parse`,
/// but only the `hottok` pair is decoded: a v1 body has some 70 fields, many
/// percent-encoded, and decoding them all cost ten times the rest of the
/// layer.
fn find_form(body: &[u8]) -> BodyHottok<'_> {
    let mut found = None;
    // `form_urlencoded::parse` splits on `&` and skips empty pairs too.
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        if let Some((_, value)) = hottok_pair(pair) {
            if found.is_some() {
                return BodyHottok::Duplicate;
            }
            found = Some(value);
        }
    }
    match found {
        Some(value) => BodyHottok::Found(Text::from(value)),
        None => BodyHottok::Missing,
    }
}

/// Every pair of a form body whose key decodes to `hottok`, in order: the
/// byte range of its value as sent (empty when the pair has no `=`), and the
/// value decoded.
pub(crate) fn form_hottoks(body: &[u8]) -> impl Iterator<Item = (Range<usize>, Cow<'_, str>)> {
    // `form_urlencoded::parse` splits on `&` and skips empty pairs too.
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .filter_map(move |pair| {
            let (value_at, value) = hottok_pair(pair)?;
            let start = pair.as_ptr() as usize - body.as_ptr() as usize;
            Some((start + value_at..start + pair.len(), value))
        })
}

/// Where the value of `pair` starts and its decoding, when the key of
/// `pair` (which holds no `&`) decodes to `hottok`.
#[inline(always)]
fn hottok_pair(pair: &[u8]) -> Option<(usize, Cow<'_, str>)> {
    let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
    // Only a key spelling `hottok` itself, or one with a `%` escape, can
    // decode to `hottok` (`+` decodes to a space).
    if key != b"hottok" && !(key.len() > 6 && key.contains(&b'%')) {
        return None;
    }
    // The pair holds no `&`: parsing it alone gives exactly its decoding.
    let (key_decoded, value) = form_urlencoded::parse(pair).next()?;
    (key_decoded == "hottok").then(|| ((key.len() + 1).min(pair.len()), value))
}

/// How deep [`json_hottoks`] looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Depth {
    /// The keys of the top-level object only (the layer's v1 rule).
    TopLevel,
    /// Every object, at any depth, inside objects and arrays.
    Any,
}

/// Calls `found` with the byte range and the raw text of the value of every
/// `hottok` key of the JSON `body` (keys compared after unescaping, so
/// `"hott\u006fk"` counts) at `depth`, in order. Fails when `body` is not
/// exactly one JSON value. A `hottok` value is not looked into.
pub(crate) fn json_hottoks<'a>(
    body: &'a [u8],
    depth: Depth,
    found: &mut dyn FnMut(Range<usize>, &'a RawValue),
) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let walk = Walk {
        body,
        descend: depth == Depth::Any,
        found,
    };
    if depth == Depth::TopLevel {
        (&mut de).deserialize_map(walk)?;
    } else {
        walk.deserialize(&mut de)?;
    }
    de.end()
}

/// Visits one JSON value, reporting its `hottok` keys, and descending into
/// nested values when `descend`.
struct Walk<'w, 'a> {
    body: &'a [u8],
    descend: bool,
    found: &'w mut dyn FnMut(Range<usize>, &'a RawValue),
}

impl<'a> Walk<'_, 'a> {
    fn again(&mut self) -> Walk<'_, 'a> {
        Walk {
            body: self.body,
            descend: self.descend,
            found: &mut *self.found,
        }
    }

    /// The range of `raw` inside the body it was read from.
    fn range(&self, raw: &RawValue) -> Option<Range<usize>> {
        let start = (raw.get().as_ptr() as usize).checked_sub(self.body.as_ptr() as usize)?;
        let end = start.checked_add(raw.get().len())?;
        (end <= self.body.len()).then_some(start..end)
    }
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for Walk<'_, 'a> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for Walk<'_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key == "hottok" {
                let raw: &'de RawValue = map.next_value()?;
                let range = self
                    .range(raw)
                    .ok_or_else(|| serde::de::Error::custom("value outside the body"))?;
                (self.found)(range, raw);
            } else if self.descend {
                map.next_value_seed(self.again())?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.again())?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// For a body that is not valid JSON (which the layer refuses, but a request
/// verified by its header may carry): the ranges of the values that follow
/// every string literal decoding to `hottok` and a `:`. A string value's
/// range is its content, any other value's runs to the next `,`, `}`, `]` or
/// whitespace.
pub(crate) fn lexical_json_hottoks(body: &[u8]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut i = 0;
    while let Some(open) = body[i..].iter().position(|&b| b == b'"').map(|p| i + p) {
        let close = string_end(body, open);
        i = close.saturating_add(1).min(body.len());
        let colon = skip_whitespace(body, i);
        if body.get(colon) != Some(&b':') || !decodes_to_hottok(&body[open..i]) {
            continue;
        }
        let value = skip_whitespace(body, colon + 1);
        if body.get(value) == Some(&b'"') {
            let end = string_end(body, value);
            ranges.push(value + 1..end);
            i = end.saturating_add(1).min(body.len());
        } else {
            let len = body[value..]
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(body.len() - value);
            ranges.push(value..value + len);
            i = value + len;
        }
    }
    ranges
}

/// The index of the quote closing the string opened at `open`, or the body's
/// length when it is never closed.
fn string_end(body: &[u8], open: usize) -> usize {
    let mut escaped = false;
    for (k, &b) in body.iter().enumerate().skip(open + 1) {
        match b {
            b'"' if !escaped => return k,
            b'\\' if !escaped => escaped = true,
            _ => escaped = false,
        }
    }
    body.len()
}

fn skip_whitespace(body: &[u8], from: usize) -> usize {
    from + body.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
    })
}

fn decodes_to_hottok(literal: &[u8]) -> bool {
    serde_json::from_slice::<Text<'_>>(literal).is_ok_and(|key| key == "hottok")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decoding of every pair, as `find_form` did before it skipped the
    /// other pairs.
    fn find_form_reference(body: &[u8]) -> BodyHottok<'_> {
        let mut found = None;
        for (key, value) in form_urlencoded::parse(body) {
            if key == "hottok" {
                if found.is_some() {
                    return BodyHottok::Duplicate;
                }
                found = Some(value);
            }
        }
        match found {
            Some(value) => BodyHottok::Found(Text::from(value)),
            None => BodyHottok::Missing,
        }
    }

    #[test]
    fn form_search_agrees_with_decoding_every_pair() {
        let fixture = include_bytes!("../../tests/fixtures/v1/approved_1.form");
        let bodies: &[&[u8]] = &[
            fixture,
            b"hottok=abc",
            b"&&hottok=a%2Fb&status=approved&",
            b"hott%6Fk=abc",
            b"hott%6fk=abc&hottok=def",
            b"%68%6F%74%74%6F%6B=x",
            b"hottok",
            b"hottok=",
            b"hottok=a=b",
            b"hottok+=abc",
            b"hot+tok=abc",
            b"x=1&hottok=a+b%20c",
            b"hottok=%FF",
            b"hott%FFok=abc",
            b"status=approved",
            b"",
        ];
        for body in bodies {
            assert_eq!(
                find_form(body),
                find_form_reference(body),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(matches!(find_form(fixture), BodyHottok::Found(t) if t.is_borrowed()));
    }

    fn found(s: &str) -> BodyHottok<'_> {
        BodyHottok::Found(Text::borrowed(s))
    }

    #[test]
    fn json_top_level_hottok_is_found_and_borrowed() {
        let body = br#" {"data":{"hottok":"nested"},"hottok":"abc","id":1}"#;
        let BodyHottok::Found(token) = find(body) else {
            panic!("not found")
        };
        assert_eq!(token, "abc");
        assert!(token.is_borrowed());
    }

    #[test]
    fn json_escaped_key_and_value_are_decoded() {
        assert_eq!(find(br#"{"hott\u006fk":"a\/b"}"#), found("a/b"));
    }

    #[test]
    fn json_nested_hottok_alone_is_missing() {
        assert_eq!(find(br#"{"data":{"hottok":"x"}}"#), BodyHottok::Missing);
    }

    #[test]
    fn json_duplicate_hottok_is_duplicate_even_when_equal() {
        assert_eq!(
            find(br#"{"hottok":"a","x":[1,2],"hottok":"a"}"#),
            BodyHottok::Duplicate
        );
        assert_eq!(
            find(br#"{"hottok":"a","hottok":1,"hottok":"b"}"#),
            BodyHottok::Duplicate
        );
    }

    #[test]
    fn json_non_string_hottok_is_malformed() {
        assert_eq!(find(br#"{"hottok":123}"#), BodyHottok::Malformed);
        assert_eq!(find(br#"{"hottok":null}"#), BodyHottok::Malformed);
        assert_eq!(find(br#"{"hottok":["a"]}"#), BodyHottok::Malformed);
    }

    #[test]
    fn broken_or_trailing_json_is_malformed() {
        assert_eq!(find(br#"{"hottok":"a""#), BodyHottok::Malformed);
        assert_eq!(find(br#"{"hottok":"a"} {}"#), BodyHottok::Malformed);
        assert_eq!(find(b"{"), BodyHottok::Malformed);
    }

    #[test]
    fn form_hottok_is_found_and_decoded() {
        assert_eq!(find(b"callback_type=1&hottok=abc&x=1"), found("abc"));
        assert_eq!(find(b"hottok=a+b%20c"), found("a b c"));
        assert_eq!(find(b"hott%6Fk=a"), found("a"));
    }

    #[test]
    fn form_duplicate_hottok_is_duplicate() {
        assert_eq!(find(b"hottok=a&x=1&hottok=a"), BodyHottok::Duplicate);
    }

    #[test]
    fn bodies_without_hottok_are_missing() {
        assert_eq!(find(b""), BodyHottok::Missing);
        assert_eq!(find(b"   "), BodyHottok::Missing);
        assert_eq!(find(b"[1,2]"), BodyHottok::Missing);
        assert_eq!(find(b"\xff\xfe\x00"), BodyHottok::Missing);
        assert_eq!(find(b"hottokk=a&xhottok=b"), BodyHottok::Missing);
    }
}
