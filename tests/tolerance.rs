//! `parse` never refuses an authentic delivery over a field's type: the field
//! reads as absent and becomes a `Problem`; `parse_strict` keeps failing
//! (issue 10, section 1). The property over generated deliveries is in
//! `tests/properties.rs`.

use hotmart_webhook::{Event, KeyCase, Webhook, parse, parse_strict};

const APPROVED: &[u8] = include_bytes!("fixtures/v2/PURCHASE_APPROVED_9.json");

/// The fixture with the first occurrence of `from` replaced by `to`.
fn approved_with(from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(APPROVED).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

fn envelope<'w, 'a>(webhook: &'w Webhook<'a>) -> &'w hotmart_webhook::Envelope<'a> {
    match webhook {
        Webhook::V2(envelope) => envelope,
        other => panic!("not 2.0.0: {other:?}"),
    }
}

#[test]
fn a_field_of_another_type_reads_as_absent_and_is_reported_with_its_path_and_offset() {
    let body = approved_with(
        r#""has_co_production":false"#,
        r#""has_co_production":"no""#,
    );
    let webhook = parse(&body).unwrap();
    let [problem] = webhook.problems() else {
        panic!("{:?}", webhook.problems())
    };
    assert_eq!(problem.path(), "data.product.has_co_production");
    assert_eq!(problem.expected(), "a boolean");
    assert_eq!(&body[problem.offset()..problem.offset() + 4], b"\"no\"");
    let Some(Event::PurchaseApproved(purchase)) = webhook.event() else {
        panic!()
    };
    assert_eq!(purchase.product.as_ref().unwrap().has_co_production, None);
    // Everything else reads as in the untouched fixture.
    let mut expected = parse(APPROVED).unwrap();
    let Webhook::V2(e) = &mut expected else {
        panic!()
    };
    let Event::PurchaseApproved(p) = &mut e.event else {
        panic!()
    };
    p.product.as_mut().unwrap().has_co_production = None;
    let mut got = webhook.clone();
    got.take_problems();
    assert_eq!(got, expected);

    let err = parse_strict(&body).unwrap_err();
    assert_eq!(err.path(), Some("data.product.has_co_production"));
}

#[test]
fn several_problems_are_listed_in_body_order() {
    let body = String::from_utf8(approved_with(
        r#""is_funnel":false"#,
        r#""is_funnel":"false""#,
    ))
    .unwrap()
    .replacen(
        r#""legal_nature":"Pessoa Física""#,
        r#""legal_nature":7"#,
        1,
    )
    .replacen(
        r#""installments_number":12"#,
        r#""installments_number":{"n":12}"#,
        1,
    );
    let webhook = parse(body.as_bytes()).unwrap();
    let paths: Vec<&str> = webhook.problems().iter().map(|p| p.path()).collect();
    assert_eq!(
        paths,
        [
            "data.purchase.is_funnel",
            "data.purchase.payment.installments_number",
            "data.producer.legal_nature",
        ]
    );
    assert_eq!(webhook.transaction(), Some("HP16015479281022"));
    assert_eq!(webhook.problems().len(), 3);
}

#[test]
fn problems_never_show_the_value() {
    let body = approved_with(
        r#""has_co_production":false"#,
        r#""has_co_production":"leak.me@example.com""#,
    );
    let webhook = parse(&body).unwrap();
    for problem in webhook.problems() {
        for shown in [
            problem.to_string(),
            format!("{problem:?}"),
            problem.message().to_owned(),
        ] {
            assert!(!shown.contains("leak.me"), "{shown}");
        }
    }
    assert_eq!(webhook.problems().len(), 1);
}

#[test]
fn any_2_x_y_version_is_typed_and_the_envelope_keeps_the_one_that_came() {
    for version in ["2.1.0", "2.0.1", "2.10.3"] {
        let body = approved_with(r#""version":"2.0.0""#, &format!(r#""version":"{version}""#));
        let webhook = parse(&body).unwrap();
        assert!(
            matches!(webhook.event(), Some(Event::PurchaseApproved(_))),
            "{version}"
        );
        assert_eq!(webhook.version(), version);
        assert_eq!(envelope(&webhook).version.as_deref(), Some(version));
        assert!(webhook.problems().is_empty());
        // Strictly, only 2.0.0 is typed.
        assert!(!parse_strict(&body).unwrap().is_known(), "{version}");
    }
    for version in ["3.0.0", "1.0.0", "2.1", "2.x.0", "2.0.0-beta", "20.0.0"] {
        let body = approved_with(r#""version":"2.0.0""#, &format!(r#""version":"{version}""#));
        let webhook = parse(&body).unwrap();
        assert!(!webhook.is_known(), "{version}");
        assert_eq!(webhook.event_name(), "PURCHASE_APPROVED");
    }
}

#[test]
fn both_date_spellings_are_no_error_and_creation_date_wins() {
    let snake_first = br#"{"id":"e1","creation_date":1000,"creationDate":2000,"event":"X","version":"2.0.0","data":{}}"#;
    let camel_first = br#"{"id":"e1","creationDate":2000,"creation_date":1000,"event":"X","version":"2.0.0","data":{}}"#;
    for body in [&snake_first[..], &camel_first[..]] {
        let webhook = parse(body).unwrap();
        let envelope = envelope(&webhook);
        assert_eq!(envelope.creation_date.unwrap().as_millis(), 1000);
        assert_eq!(envelope.creation_date_key, KeyCase::Snake);
        assert!(webhook.problems().is_empty());
        assert!(parse_strict(body).is_err());
    }
    // A creation_date that does not read leaves the other spelling.
    let body = br#"{"id":"e1","creation_date":true,"creationDate":2000,"event":"X","data":{}}"#;
    let webhook = parse(body).unwrap();
    assert_eq!(envelope(&webhook).creation_date.unwrap().as_millis(), 2000);
    assert_eq!(webhook.problems()[0].path(), "creation_date");
}

#[test]
fn an_event_without_id_or_version_is_an_unknown_delivery_with_that_name() {
    let body = br#"{"event":"PURCHASE_APPROVED","data":{"purchase":{"transaction":"HP1"}}}"#;
    let webhook = parse(body).unwrap();
    assert!(!webhook.is_known());
    assert_eq!(webhook.event_name(), "PURCHASE_APPROVED");
    assert_eq!(webhook.id(), None);
    assert_eq!(envelope(&webhook).id, None);
    let Some(Event::Unknown { data, .. }) = webhook.event() else {
        panic!()
    };
    assert_eq!(data.get(), r#"{"purchase":{"transaction":"HP1"}}"#);
    assert_eq!(
        parse_strict(body).unwrap_err().path(),
        Some("id"),
        "strictly, a missing id is an error"
    );

    // Nothing but an event name.
    let webhook = parse(br#"{"event":"SOMETHING"}"#).unwrap();
    assert_eq!(webhook.event_name(), "SOMETHING");
    let Some(Event::Unknown { data, .. }) = webhook.event() else {
        panic!()
    };
    assert_eq!(data.get(), "null");

    // A numeric id does not read: a problem, and an unknown delivery.
    let webhook = parse(br#"{"id":17,"event":"PURCHASE_APPROVED","data":{}}"#).unwrap();
    assert!(!webhook.is_known());
    assert_eq!(webhook.problems()[0].path(), "id");
}

#[test]
fn data_that_is_not_an_object_keeps_the_event_unknown_and_is_a_problem() {
    let webhook = parse(br#"{"id":"1","event":"PURCHASE_APPROVED","data":[1,2]}"#).unwrap();
    assert!(!webhook.is_known());
    assert_eq!(webhook.event_name(), "PURCHASE_APPROVED");
    assert_eq!(webhook.problems()[0].path(), "data");
    assert_eq!(webhook.problems()[0].expected(), "a JSON object");
}

#[test]
fn a_duplicate_envelope_key_keeps_the_first_value_and_is_a_problem() {
    let webhook = parse(br#"{"id":"1","id":"2","event":"X","event":"Y","data":{}}"#).unwrap();
    assert_eq!(webhook.id(), Some("1"));
    assert_eq!(webhook.event_name(), "X");
    let paths: Vec<&str> = webhook.problems().iter().map(|p| p.path()).collect();
    assert_eq!(paths, ["id", "event"]);
    assert!(parse_strict(br#"{"id":"1","id":"2","event":"X","data":{}}"#).is_err());
}

#[test]
fn what_still_fails_is_a_body_that_is_not_json_or_a_form_or_not_hotmart() {
    for body in [
        &b""[..],
        b"{\"id\":",
        b"{\"event\":\"X\"} trailing",
        b"[1,2]",
        br#"{"hello":"world"}"#,
        b"hello=world",
        b"\xff\xfe",
    ] {
        assert!(parse(body).is_err(), "{}", String::from_utf8_lossy(body));
    }
    // An `event` that is not a string does not identify a delivery.
    assert!(parse(br#"{"event":7,"id":"1","data":{}}"#).is_err());
}

#[test]
fn a_v1_form_value_of_another_type_reads_as_absent() {
    let body = b"status=approved&transaction=HP1&price=abc&recurrency=3rd&status=refunded";
    let webhook = parse(body).unwrap();
    let Webhook::V1Purchase(purchase) = &webhook else {
        panic!()
    };
    assert_eq!(purchase.price, None);
    assert_eq!(purchase.recurrency, None);
    assert_eq!(purchase.transaction.as_deref(), Some("HP1"));
    let paths: Vec<(&str, usize)> = webhook
        .problems()
        .iter()
        .map(|p| (p.path(), p.offset()))
        .collect();
    let at = |needle: &str| {
        body.windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap()
    };
    assert_eq!(
        paths,
        [
            ("price", at("abc")),
            ("recurrency", at("3rd")),
            ("status", at("refunded")),
        ]
    );
    assert!(
        webhook.problems()[0].expected().contains("decimal"),
        "{}",
        webhook.problems()[0]
    );
    assert!(parse_strict(body).is_err());
}

#[test]
fn a_v1_flat_json_value_of_another_type_reads_as_absent() {
    let body = br#"{"status":"approved","transaction":"HP1","price":{"v":1},"prod":7}"#;
    let webhook = parse(body).unwrap();
    let Webhook::V1Purchase(purchase) = &webhook else {
        panic!("{webhook:?}")
    };
    assert_eq!(purchase.price, None);
    assert_eq!(purchase.prod, None);
    let paths: Vec<&str> = webhook.problems().iter().map(|p| p.path()).collect();
    assert_eq!(paths, ["price", "prod"]);
    assert!(parse_strict(body).is_err());
}

#[test]
fn a_v1_json_event_field_of_another_type_reads_as_absent() {
    let body = br#"{"cancellationDate":1656013119173,"subscriptionId":"x","userEmail":["a"]}"#;
    let webhook = parse(body).unwrap();
    let Webhook::V1SubscriptionCancellation(cancellation) = &webhook else {
        panic!("{webhook:?}")
    };
    assert_eq!(cancellation.user_email, None);
    assert_eq!(webhook.problems()[0].path(), "userEmail");
    assert!(parse_strict(body).is_err());
}

#[test]
fn every_fixture_parses_without_problems() {
    for dir in ["v2", "v1"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(dir);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            let Ok(webhook) = parse(&body) else { continue };
            assert!(
                webhook.problems().is_empty(),
                "{}: {:?}",
                path.display(),
                webhook.problems()
            );
            assert_eq!(Ok(webhook), parse_strict(&body), "{}", path.display());
        }
    }
}
