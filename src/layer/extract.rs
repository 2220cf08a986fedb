//! Finding the `hottok` field in a buffered v1 body, without allocating when
//! the token needs no decoding.

use std::fmt;

use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::Text;

/// What the body says about its hottok.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BodyHottok<'a> {
    /// Exactly one `hottok` field, with this (decoded) value.
    Found(Text<'a>),
    /// No `hottok` field.
    Missing,
    /// The field appears more than once.
    Duplicate,
    /// A JSON body that is not valid JSON, or whose `hottok` is not a string.
    Malformed,
}

/// Looks for the hottok of a v1 body: a top-level JSON string field `hottok`
/// when the first non-whitespace byte is `{`, else the form field `hottok`.
pub(super) fn find(body: &[u8]) -> BodyHottok<'_> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => find_json(body),
        _ => find_form(body),
    }
}

fn find_json(body: &[u8]) -> BodyHottok<'_> {
    let mut de = serde_json::Deserializer::from_slice(body);
    match de.deserialize_map(TopLevel) {
        Ok(found) if de.end().is_ok() => found,
        _ => BodyHottok::Malformed,
    }
}

/// The same answer as decoding every pair with `form_urlencoded::parse`,
/// but only the `hottok` pair is decoded: a v1 body has some 70 fields, many
/// percent-encoded, and decoding them all cost ten times the rest of the
/// layer.
fn find_form(body: &[u8]) -> BodyHottok<'_> {
    let mut found = None;
    // `form_urlencoded::parse` splits on `&` and skips empty pairs too.
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
        // Only a key spelling `hottok` itself, or one with a `%` escape, can
        // decode to `hottok` (`+` decodes to a space).
        let candidate = key == b"hottok" || (key.len() > 6 && key.contains(&b'%'));
        if !candidate {
            continue;
        }
        // The pair holds no `&`: parsing it alone gives exactly its decoding.
        let Some((key, value)) = form_urlencoded::parse(pair).next() else {
            continue;
        };
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

/// Visits the top-level object: keeps `hottok`, skips every other value.
struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = BodyHottok<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: Option<Text<'de>> = None;
        let mut duplicate = false;
        while let Some(key) = map.next_key::<Text<'de>>()? {
            if key == "hottok" && found.is_none() && !duplicate {
                found = Some(map.next_value::<Text<'de>>()?);
            } else {
                duplicate |= key == "hottok";
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(match found {
            _ if duplicate => BodyHottok::Duplicate,
            Some(token) => BodyHottok::Found(token),
            None => BodyHottok::Missing,
        })
    }
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
