//! [`mask_hottok`]: a body fit for storing, with every hottok value hidden.

use std::borrow::Cow;
use std::ops::Range;

use super::find::{self, Depth};

/// The body with the value of every `hottok` field masked, ready to be
/// stored or logged: borrowed, untouched, when there is nothing to mask.
///
/// v1 deliveries always carry the account's hottok in their body, and some
/// v2.0.0 deliveries do too, so a body kept as it came keeps the secret at
/// rest. The fields are found by the finder the layer uses to read a body's
/// hottok, so a token the layer accepts is always one this function hides:
///
/// * a JSON body (first non-whitespace byte `{` or `[`): every `hottok` key
///   of every object at any depth, keys compared after unescaping (so
///   `"hott\u006fk"` counts). A string value becomes as many `*` as it has
///   bytes between its quotes (an escape such as `\"` is masked whole); a
///   number becomes `0` followed by spaces; inside an object or array value,
///   every string and number is masked that way. The body keeps its length
///   and stays valid JSON with the same structure. `true`, `false` and `null`
///   carry no secret and are kept.
/// * any other body, read as a form: the value of every pair whose key
///   decodes to `hottok` (`hottok=`, `hott%6Fk=`) becomes as many `*` as it
///   has bytes as sent.
/// * a body that starts like JSON but is not valid JSON (the layer refuses
///   it, but a request verified by its header may carry one): both the form
///   rule and a lexical one, which masks the value after every string
///   literal that decodes to `hottok` and is followed by `:`.
///
/// Only the `hottok` fields are masked: buyer data stays (see the crate's
/// security notes).
///
/// ```
/// use hotmart_webhook::mask_hottok;
///
/// let form = b"status=approved&hottok=s3cr3t&prod=1";
/// assert_eq!(&*mask_hottok(form), b"status=approved&hottok=******&prod=1");
///
/// let json = br#"{"id":"1","data":{"hott\u006fk":"s3cr3t"}}"#;
/// assert_eq!(&*mask_hottok(json), br#"{"id":"1","data":{"hott\u006fk":"******"}}"#);
///
/// // Nothing to mask: the same bytes, not a copy.
/// let clean = br#"{"event":"PURCHASE_APPROVED"}"#;
/// assert!(matches!(mask_hottok(clean), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn mask_hottok(body: &[u8]) -> Cow<'_, [u8]> {
    let mut json = Vec::new();
    let looks_like_json = find::starts_with(body, b'{') || find::starts_with(body, b'[');
    if looks_like_json
        && find::json_hottoks(body, Depth::Any, &mut |range, _| json.push(range)).is_ok()
    {
        if json.is_empty() {
            return Cow::Borrowed(body);
        }
        let mut masked = body.to_vec();
        for range in json {
            mask_json_value(&mut masked[range]);
        }
        return Cow::Owned(masked);
    }

    let mut ranges: Vec<Range<usize>> = find::form_hottoks(body).map(|(r, _)| r).collect();
    if looks_like_json {
        ranges.extend(find::lexical_json_hottoks(body));
    }
    if ranges.iter().all(Range::is_empty) {
        return Cow::Borrowed(body);
    }
    let mut masked = body.to_vec();
    for range in ranges {
        masked[range].fill(b'*');
    }
    Cow::Owned(masked)
}

/// Masks one valid JSON value in place, keeping it valid JSON of the same
/// length and structure: string contents become `*`, a number becomes `0`
/// padded with spaces.
fn mask_json_value(value: &mut [u8]) {
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'"' => {
                i += 1;
                let mut escaped = false;
                while i < value.len() && (escaped || value[i] != b'"') {
                    escaped = !escaped && value[i] == b'\\';
                    value[i] = b'*';
                    i += 1;
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                value[i] = b'0';
                i += 1;
                while i < value.len()
                    && matches!(value[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    value[i] = b' ';
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hottok::find::{BodyHottok, find};

    fn masked(body: &str) -> String {
        String::from_utf8(mask_hottok(body.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn json_values_are_masked_at_any_depth_and_stay_valid_json() {
        let body = r#"{"id":"1", "hottok" : "ab\"c\\d", "data":{"hottok":"x"},"note":"hottok","list":[{"hottok":"y"}]}"#;
        let out = masked(body);
        assert_eq!(
            out,
            r#"{"id":"1", "hottok" : "********", "data":{"hottok":"*"},"note":"hottok","list":[{"hottok":"*"}]}"#
        );
        let before: serde_json::Value = serde_json::from_str(body).unwrap();
        let after: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(after["id"], before["id"]);
        assert_eq!(after["note"], "hottok");
    }

    #[test]
    fn escaped_json_keys_are_masked_like_the_layer_reads_them() {
        let body = r#"{"hott\u006fk":"s3cr3t"}"#;
        assert_eq!(find(body.as_bytes()), BodyHottok::Found("s3cr3t".into()));
        assert_eq!(masked(body), r#"{"hott\u006fk":"******"}"#);
    }

    #[test]
    fn non_string_json_values_are_masked_and_stay_valid() {
        assert_eq!(masked(r#"{"hottok":12345}"#), r#"{"hottok":0    }"#);
        assert_eq!(masked(r#"{"hottok":-1.5e3}"#), r#"{"hottok":0     }"#);
        assert_eq!(
            masked(r#"{"hottok":{"a":["xy",7,true]}}"#),
            r#"{"hottok":{"*":["**",0,true]}}"#
        );
        assert_eq!(masked(r#"{"hottok":null}"#), r#"{"hottok":null}"#);
        for body in [r#"{"hottok":12345}"#, r#"{"hottok":{"a":["xy",7,true]}}"#] {
            serde_json::from_str::<serde_json::Value>(&masked(body)).unwrap();
        }
    }

    #[test]
    fn form_values_are_masked_as_sent_and_other_pairs_kept() {
        assert_eq!(
            masked("status=approved&hottok=s3cr3t&xhottok=keep&hottok="),
            "status=approved&hottok=******&xhottok=keep&hottok="
        );
        assert_eq!(masked("hott%6Fk=a%2Fb&x=1"), "hott%6Fk=*****&x=1");
        assert_eq!(masked("hottok=a+b"), "hottok=***");
    }

    #[test]
    fn nothing_to_mask_borrows_the_body() {
        for body in [
            &b"status=approved&hottok"[..],
            b"status=approved&hottok=",
            br#"{"event":"PURCHASE_APPROVED","data":{"note":"hottok"}}"#,
            b"",
            b"\xff\xfe",
        ] {
            assert!(matches!(mask_hottok(body), Cow::Borrowed(b) if b == body));
        }
    }

    #[test]
    fn broken_json_is_masked_lexically_and_as_a_form() {
        assert_eq!(
            masked(r#"{"hottok":"s3cr3t", "data":{"hott\u006fk": 99 "#),
            r#"{"hottok":"******", "data":{"hott\u006fk": ** "#
        );
        assert_eq!(
            masked(r#"{"hottok":"unterminated"#),
            r#"{"hottok":"************"#
        );
        assert_eq!(masked("[1]&hottok=abc"), "[1]&hottok=***");
    }

    #[test]
    fn the_layer_finds_no_token_in_a_masked_fixture() {
        for body in [
            &include_bytes!("../../tests/fixtures/v1/approved_1.form")[..],
            br#"{"hottok":"abc","callback_type":"1"}"#,
        ] {
            let BodyHottok::Found(token) = find(body) else {
                panic!("fixture without a hottok")
            };
            let out = mask_hottok(body);
            assert_eq!(out.len(), body.len());
            match find(&out) {
                BodyHottok::Found(masked) => {
                    assert!(masked.bytes().all(|b| b == b'*'), "{masked:?}");
                    assert_ne!(masked, token);
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
