//! Inputs found by the properties (`tests/properties.rs`) or by the fuzz
//! targets (`fuzz/`), replayed as ordinary tests. Each says what went wrong.

use hotmart_webhook::{Webhook, parse, parse_strict};

/// Parses `body`; if it parses, `to_wire()` must parse back equal (the
/// round-trip oracle of the fuzz target `parse`).
#[track_caller]
fn assert_round_trip_or_error(body: &[u8]) {
    if let Ok(mut webhook) = parse(body) {
        webhook.take_problems();
        let wire = webhook.to_wire().unwrap();
        let mut again = parse(&wire).unwrap_or_else(|e| {
            panic!(
                "{e}: {:?} wrote {:?}",
                String::from_utf8_lossy(body),
                String::from_utf8_lossy(&wire)
            )
        });
        again.take_problems();
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

// Found by `mutated_fixtures_give_ok_or_an_error_and_what_parses_round_trips`
// (a SUBSCRIPTION_CANCELLATION fixture whose `creation_date` became
// "0000-01-01T00:00:00+01:00"). Cause: the offset moved the instant into the
// year -1, which parsed, but the writer formats four-digit years and wrote
// "-001-12-31T23:00:00Z", which does not parse. ISO dates now have to fall
// inside the years 0000-9999 once the offset is applied (tolerantly, such a
// date reads as absent and is a problem).
#[test]
fn an_iso_date_pushed_out_of_the_years_0000_to_9999_by_its_offset_is_an_error() {
    let body = |date: &str| {
        format!(
            r#"{{"id":"e1","creation_date":"{date}","event":"X","version":"2.0.0","data":{{}}}}"#
        )
    };
    for date in ["0000-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"] {
        assert!(parse_strict(body(date).as_bytes()).is_err(), "{date}");
        let text = body(date);
        let webhook = parse(text.as_bytes()).unwrap();
        let Webhook::V2(envelope) = &webhook else {
            panic!("{webhook:?}")
        };
        assert_eq!(envelope.creation_date, None);
        assert_eq!(webhook.problems().len(), 1);
        assert_eq!(webhook.problems()[0].path(), "creation_date");
        assert_round_trip_or_error(body(date).as_bytes());
    }
    for date in [
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
        "0000-01-01T01:00:00+01:00",
    ] {
        assert!(parse(body(date).as_bytes()).is_ok(), "{date}");
        assert_round_trip_or_error(body(date).as_bytes());
    }
}

// Found while checking the v1 dispatch against the round-trip oracle of the
// fuzz target `parse` (then confirmed by a probe). Cause: the keys that identify a v1 JSON event
// (`affiliate` + `productName`, `cancellationDate`, `switchPlanDate`) counted
// even with a `null` value, which reads as an absent field and is not
// written back: `{"affiliate":null,"productName":"x"}` parsed as a cart
// abandonment and wrote `{"productName":"x"}`, which is no webhook. A key
// whose value is `null` no longer identifies an event.
#[test]
fn a_v1_json_event_key_whose_value_is_null_does_not_identify_the_event() {
    assert!(parse(br#"{"affiliate":null,"productName":"x"}"#).is_err());
    assert!(parse(br#"{"cancellationDate":null}"#).is_err());
    assert!(matches!(
        parse(br#"{"cancellationDate":null,"switchPlanDate":1}"#),
        Ok(Webhook::V1SwitchPlan(_))
    ));
    for body in [
        &br#"{"affiliate":null,"productName":"x"}"#[..],
        br#"{"cancellationDate":null,"switchPlanDate":1}"#,
        br#"{"switchPlanDate":null,"status":"approved"}"#,
        br#"{"affiliate":false,"productName":"x","cancellationDate":null}"#,
    ] {
        assert_round_trip_or_error(body);
    }
}

// Found by the fuzz target `layer`. Not a defect of the layer: its JSON
// finder skips the values it does not read without validating their UTF-8
// (serde_json's `IgnoredAny` does not), so a v1 JSON body with the right
// top-level hottok and stray non-UTF-8 bytes inside another string is
// authentic and accepted, while the target's oracle (`serde_json::Value`)
// refused the whole body and expected a 401. Accepting is the right side:
// the token proves the sender; the receiver stores the body and records that
// it does not parse. The oracle now reads such a body as lossy UTF-8, and
// `mask_hottok`, through the same finder, still hides the token.
#[tokio::test]
async fn a_json_body_with_the_right_hottok_and_stray_non_utf8_bytes_elsewhere_is_authentic() {
    use bytes::Bytes;
    use hotmart_webhook::{Hottok, VerifiedBody, VerifyHottokLayer, mask_hottok};
    use http_body_util::Full;
    use tower::{ServiceBuilder, ServiceExt};

    let body: &'static [u8] = b"{\"hottok\":\"secret-token-1234\",\"x\":\"a\xff\xfeb\"}";
    let service = ServiceBuilder::new()
        .layer(VerifyHottokLayer::new(
            Hottok::new("secret-token-1234").unwrap(),
        ))
        .service_fn(|_: http::Request<VerifiedBody<Full<Bytes>>>| async {
            Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
        });
    let request = http::Request::post("/hotmart")
        .body(Full::new(Bytes::from_static(body)))
        .unwrap();
    assert_eq!(service.oneshot(request).await.unwrap().status(), 200);

    let masked = mask_hottok(body);
    assert_eq!(masked.len(), body.len());
    assert!(!masked.windows(17).any(|w| w == b"secret-token-1234"));
    assert!(
        parse(body).is_err(),
        "not UTF-8: stored as unparsed, not typed"
    );
}
