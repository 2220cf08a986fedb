//! [`parse`] and [`parse_strict`]: one entry point for every payload
//! version. The types are in `webhook.rs`, the 2.0.0 reading in `v2.rs`, the
//! v1 postback in `v1.rs`.

mod v1;
mod v2;
mod webhook;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::{Category, ParseError};

pub use webhook::{Envelope, KeyCase, Webhook};

/// How a body is read: failing on the first field of another type, or
/// noting it and reading it as absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Strict,
    Tolerant,
}

/// Parses any body Hotmart sends, tolerantly: never fails on an authentic
/// delivery whose fields have unexpected types.
///
/// * a JSON object with `event` is a 2.0.0 envelope (keys in any order); its
///   `data` is typed by the event name, and an unknown name (or a `version`
///   other than `2.0.0`) gives [`Event::Unknown`](crate::Event::Unknown) with the raw data;
/// * a JSON object without `event` is a v1 JSON event, told apart by its keys
///   (`affiliate` + `productName`, `cancellationDate`, `switchPlanDate`), or a
///   v1 postback re-encoded as a flat JSON object of strings;
/// * anything else is read as a v1 form postback (UTF-8; `+` and `%20` are
///   spaces), which must carry at least one of `status`, `callback_type`,
///   `transaction` or `prod` (an empty `status` or `callback_type` is absent).
///
/// Strings borrow from `body` unless they had to be unescaped or decoded.
/// Unknown fields are ignored; absent and `null` optional fields are `None`.
///
/// # Tolerance
///
/// A field whose value has an unexpected type or shape (a number as a
/// string, an object where a list was) reads as absent, and is listed in
/// [`Webhook::problems`] with its path, what was expected and its byte
/// offset. Any `2.x.y` version is read as 2.0.0 ([`Envelope::version`] says
/// which came); both `creation_date` and `creationDate` present is no error
/// (`creation_date` wins). A JSON object with an `event` but without a
/// string `id` is an [`Event::Unknown`](crate::Event::Unknown) with that
/// name (and `id` `None`), as is one whose `data` is missing or not an
/// object.
///
/// What still fails: a body that is not JSON or a form (invalid JSON,
/// invalid UTF-8, empty), and one that does not identify as a Hotmart
/// delivery at all. [`parse_strict`] fails on every problem instead.
///
/// Hotmart never sends `PURCHASE_COMPLETED`, `SUBSCRIPTION_CREATED`,
/// `SUBSCRIPTION_RENEWED` or `COMMISSION_GENERATED` (names from third-party
/// guides): they parse as [`Event::Unknown`](crate::Event::Unknown). A renewal is `PURCHASE_APPROVED`
/// with `recurrence_number` > 1; commissions travel inside purchase events.
///
/// ```
/// use hotmart_webhook::{parse, Event, Webhook};
///
/// let body = br#"{"id":"12345","event":"SUBSCRIPTION_RENEWED","version":"2.0.0",
///   "creation_date":"2023-01-01T10:00:00Z","data":{"plan":{"id":"PLAN123"}}}"#;
/// let Webhook::V2(envelope) = parse(body)? else { unreachable!() };
/// assert!(!envelope.event.is_known());
/// assert_eq!(envelope.event.name(), "SUBSCRIPTION_RENEWED");
/// assert_eq!(envelope.creation_date.unwrap().as_millis(), 1_672_567_200_000);
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
    read(body, Mode::Tolerant)
}

/// Parses like [`parse`], but fails on the first field whose value has an
/// unexpected type, on a body with both `creation_date` and `creationDate`,
/// on a 2.0.0 body without `id` or `data`; reads only version `2.0.0` as
/// typed. For tests, and for receivers that would rather refuse such bodies.
///
/// ```
/// let body = br#"{"id":"e1","event":"PURCHASE_APPROVED","version":"2.0.0",
///   "data":{"product":{"has_co_production":"no"}}}"#;
/// let err = hotmart_webhook::parse_strict(body).unwrap_err();
/// assert_eq!(err.path(), Some("data.product.has_co_production"));
/// assert_eq!(hotmart_webhook::parse(body)?.problems().len(), 1);
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
pub fn parse_strict(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
    read(body, Mode::Strict)
}

fn read(body: &[u8], mode: Mode) -> Result<Webhook<'_>, ParseError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(ParseError::new(Category::Syntax, None, "empty body")),
        Some(b'{') => v2::parse_json(body, mode),
        Some(b'[') => {
            // Report a syntax error if it is not even JSON.
            serde_json::from_slice::<IgnoredAny>(body)
                .map_err(|e| ParseError::from_json(&e, None))?;
            Err(ParseError::new(
                Category::Data,
                None,
                "expected a JSON object, found an array",
            ))
        }
        Some(_) => v1::parse_form(body, mode).map(Webhook::V1Purchase),
    }
}

/// Reads a whole JSON body as `T`. Tolerantly, without path tracking (the
/// fields note their own problems); strictly, or when that fails, with it.
fn parse_typed<'a, T: Deserialize<'a>>(body: &'a [u8], mode: Mode) -> Result<T, ParseError> {
    if mode == Mode::Tolerant {
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de)
        .map_err(|e| ParseError::from_json(e.inner(), field_path(&e)))
}

/// The path of a failing field, `None` when the value itself is at fault:
/// `serde_path_to_error` writes an empty path as `"."`, which would turn
/// into `data..`.
fn field_path(e: &serde_path_to_error::Error<serde_json::Error>) -> Option<String> {
    e.path().iter().next().map(|_| e.path().to_string())
}

#[cfg(test)]
mod tests {
    use super::v1::decode_form;
    use super::*;

    #[test]
    fn errors_inside_data_give_their_position_in_the_whole_body() {
        let body = b"{\"id\":\"1\",\"event\":\"PURCHASE_APPROVED\",\"version\":\"2.0.0\",\n\
            \"data\":{\"purchase\":{\"recurrence_number\":\"x\"}}}";
        let err = parse_strict(body).unwrap_err();
        assert_eq!(err.path(), Some("data.purchase.recurrence_number"));
        let (line, column) = err.position().unwrap();
        assert_eq!(line, 2);
        let second_line = body.split(|&b| b == b'\n').nth(1).unwrap();
        let value_at = second_line.windows(3).position(|w| w == b"\"x\"").unwrap() + 1;
        assert!(
            (value_at..=value_at + 2).contains(&column),
            "{column} vs {value_at}"
        );

        let one_line = br#"{"data":{"purchase":{"recurrence_number":"x"}},"id":"1","event":"PURCHASE_APPROVED"}"#;
        let (line, column) = parse_strict(one_line).unwrap_err().position().unwrap();
        let value_at = one_line.windows(3).position(|w| w == b"\"x\"").unwrap() + 1;
        assert_eq!(line, 1);
        assert!(
            (value_at..=value_at + 2).contains(&column),
            "{column} vs {value_at}"
        );
    }

    #[test]
    fn accepted_responses_carry_the_id_and_event_or_the_v1_transaction_and_status() {
        let v2 =
            parse(br#"{"id":"e\"1","event":"SOMETHING_NEW","version":"2.0.0","data":{}}"#).unwrap();
        let response = v2.accepted_response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": true, "data": {"id": "e\"1", "event": "SOMETHING_NEW"}})
        );

        let v1 = parse(b"transaction=HP1&status=refunded&email=ana%40example.com").unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(v1.accepted_response().body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": true, "data": {"transaction": "HP1", "status": "REFUNDED"}})
        );

        let cancellation = parse(br#"{"hottok":"x","cancellationDate":1656013119173}"#).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(cancellation.accepted_response().body()).unwrap();
        assert_eq!(
            json["data"],
            serde_json::json!({"transaction": null, "status": null})
        );
    }

    #[test]
    fn form_components_without_escapes_are_borrowed() {
        assert!(decode_form(b"HP1121336654889").unwrap().is_borrowed());
        assert_eq!(decode_form(b"Pessoa+F%C3%ADsica").unwrap(), "Pessoa Física");
        assert_eq!(decode_form(b"a%20b").unwrap(), "a b");
        assert!(decode_form(b"%FF").is_err());
        // The same as replacing `+` and then percent-decoding.
        for raw in [
            &b"a+b%2Bc"[..],
            b"%",
            b"%4",
            b"%4g%41",
            b"100%",
            b"%%41",
            b"%c3%a1+%C3%A9",
            b"+%2b+",
        ] {
            let plus: Vec<u8> = raw
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            let reference: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
            assert_eq!(
                decode_form(raw).unwrap().as_bytes(),
                reference,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}

#[cfg(test)]
mod single_pass_tests {
    use super::v2::{parse_json_single_pass, parse_json_two_pass};
    use super::*;

    fn parse_json_two_pass_strict(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
        parse_json_two_pass(body, Mode::Strict)
    }

    /// The single pass, when it answers, answers what the two passes do.
    fn agrees(body: &[u8]) -> bool {
        let fast = parse_json_single_pass(body);
        if let Some(fast) = &fast {
            assert_eq!(Ok(fast), parse_json_two_pass_strict(body).as_ref());
        }
        fast.is_some()
    }

    #[test]
    fn every_v2_fixture_takes_the_single_pass_with_the_same_result() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v2");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            assert!(agrees(&body), "{} took the two-pass path", path.display());
        }
    }

    #[test]
    fn a_wrong_guess_or_another_version_falls_back() {
        let cases: &[(&[u8], bool)] = &[
            // `event` first: no guess needed.
            (br#"{"event":"SUBSCRIPTION_CANCELLATION","id":"1","data":{"product":{"id":1}}}"#, true),
            // A nested "event" key after the real one misleads the guess.
            (br#"{"data":{"product":{"id":1}},"event":"SUBSCRIPTION_CANCELLATION","id":"1","x":{"event":"PURCHASE_APPROVED"}}"#, false),
            // Another version: the data stays raw (Unknown).
            (br#"{"data":{"purchase":{}},"id":"1","event":"PURCHASE_APPROVED","version":"3.0.0"}"#, false),
            // An unknown event.
            (br#"{"data":{"plan":{}},"id":"1","event":"SUBSCRIPTION_RENEWED"}"#, false),
            // Escaped event name: no guess, the two passes decide.
            (br#"{"data":{},"id":"1","event":"PURCHASE_APPROVE\u0044"}"#, false),
            // A data error: the two passes report it.
            (br#"{"data":{"purchase":[]},"id":"1","event":"PURCHASE_APPROVED"}"#, false),
            // No id.
            (br#"{"data":{},"event":"PURCHASE_APPROVED"}"#, false),
        ];
        for (body, single) in cases {
            assert_eq!(agrees(body), *single, "{}", String::from_utf8_lossy(body));
            // Whatever the path, `parse` gives the two-pass answer.
            assert_eq!(parse_strict(body), parse_json_two_pass_strict(body));
        }
    }
}

#[cfg(all(test, feature = "proptest"))]
mod single_pass_properties {
    use super::v2::{parse_json_single_pass, parse_json_two_pass};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The one-pass reading (in-place filling) and the two-pass one (the
        /// derived impls) agree on every generated 2.0.0 delivery, and the
        /// one pass answers for every known event at version 2.0.0.
        #[test]
        fn one_pass_and_two_passes_agree_on_generated_deliveries(
            webhook in crate::strategy::webhook()
        ) {
            let Webhook::V2(envelope) = &webhook else { return Ok(()) };
            let body = webhook.to_wire().unwrap();
            let fast = parse_json_single_pass(&body);
            if let Some(fast) = &fast {
                let two = parse_json_two_pass(&body, Mode::Strict);
                prop_assert_eq!(Ok(fast), two.as_ref());
            }
            let typed = envelope.event.is_known()
                && envelope.version.as_deref().is_none_or(|v| v == "2.0.0");
            prop_assert_eq!(fast.is_some(), typed, "{}", String::from_utf8_lossy(&body));
        }
    }
}
