//! Inputs found by the properties (`tests/properties.rs`) or by the fuzz
//! targets (`fuzz/`), replayed as ordinary tests. Each says what went wrong.

use hotmart_webhook::{Webhook, parse};

/// Parses `body`; if it parses, `to_wire()` must parse back equal (the
/// round-trip oracle of the fuzz target `parse`).
#[track_caller]
fn assert_round_trip_or_error(body: &[u8]) {
    if let Ok(webhook) = parse(body) {
        let wire = webhook.to_wire();
        let again = parse(&wire).unwrap_or_else(|e| {
            panic!(
                "{e}: {:?} wrote {:?}",
                String::from_utf8_lossy(body),
                String::from_utf8_lossy(&wire)
            )
        });
        assert_eq!(again, webhook);
    }
}

// Found by `arbitrary_bytes_give_ok_or_an_error_and_what_parses_round_trips`.
// Cause: a postback was recognised by the *key* `callback_type` (or
// `status`) alone, but an empty typed value is `None`, so `to_wire()` wrote
// an empty body (or one without any recognising field), which does not parse.
// Now a postback must carry a non-empty `status`/`callback_type`, or a
// `transaction`/`prod` (text: kept even when empty).
#[test]
fn a_postback_whose_only_recognising_field_is_empty_is_not_a_webhook() {
    for body in [
        &b"callback_type="[..],
        b"status=&x=1",
        b"callback_type&status",
    ] {
        assert!(parse(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        assert_round_trip_or_error(body);
    }
    let flat_json = br#"{"callback_type":"","name":"Ana"}"#;
    assert!(parse(flat_json).is_err());
    // An empty transaction is still a recognising field, and is written back.
    let body = b"transaction=&callback_type=";
    assert!(matches!(parse(body), Ok(Webhook::V1Purchase(_))));
    assert_round_trip_or_error(body);
}
