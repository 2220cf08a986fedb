//! Behaviour of `parse` on 2.0.0 JSON bodies: borrowing and escapes, key
//! order, forward compatibility, Hotmart's documented type drift, exact money,
//! renewals and malformed bodies (issue 3).

use std::fs;
use std::path::Path;

use hotmart_webhook::event::{
    BusinessModel, CommissionSource, DocumentType, Id, PaymentType, PurchaseData, PurchaseStatus,
    SubscriptionManagementStatus, SubscriptionStatus,
};
use hotmart_webhook::{
    Amount, Category, Decimal, Encoding, Envelope, Event, KeyCase, ParseError, Webhook, parse,
};
use serde_json::Value;

// ---------------------------------------------------------------- helpers

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn envelope(body: &[u8]) -> Envelope<'_> {
    match parse(body) {
        Ok(Webhook::V2(envelope)) => envelope,
        Ok(other) => panic!("not a 2.0.0 envelope: {other:?}"),
        Err(e) => panic!("{e}"),
    }
}

fn purchase<'e>(envelope: &'e Envelope<'_>) -> &'e PurchaseData<'e> {
    envelope
        .event
        .purchase()
        .unwrap_or_else(|| panic!("{} is not a purchase event", envelope.event.name()))
}

/// The strict reading's error (`parse` reads most of these bodies
/// tolerantly: `tests/tolerance.rs`).
fn error(body: &[u8]) -> ParseError {
    match hotmart_webhook::parse_strict(body) {
        Ok(parsed) => panic!("parsed: {parsed:?}"),
        Err(e) => e,
    }
}

/// The body re-serialised by the crate, as a JSON value.
fn rewired(body: &[u8]) -> Value {
    let webhook = parse(body).unwrap();
    let wire = webhook.to_wire().unwrap();
    assert_eq!(
        parse(&wire).unwrap(),
        webhook,
        "to_wire does not round-trip"
    );
    serde_json::from_slice(&wire).unwrap()
}

/// Expands a template: `<<…>>` segments are kept (delimiters removed) when
/// `keep` is true and dropped otherwise.
fn variant(template: &str, keep: bool) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("<<") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find(">>").expect("unclosed <<");
        if keep {
            out.push_str(&rest[start + 2..end]);
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A `PURCHASE_APPROVED` whose `purchase` object gets `purchase_fields`
/// (a JSON fragment without braces).
fn approved_with(purchase_fields: &str) -> String {
    format!(
        r#"{{"data":{{"product":{{"id":5381714,"name":"App"}},"buyer":{{"email":"ana@example.com"}},
        "purchase":{{{purchase_fields}}}}},
        "id":"083bb5a0-f7e0-414b-b600-585a015403f2","creation_date":1747447467789,
        "event":"PURCHASE_APPROVED","version":"2.0.0"}}"#
    )
}

fn assert_error(err: &ParseError, category: Category, path: Option<&str>) {
    assert_eq!(err.category(), category, "{err:?}");
    let status = match category {
        Category::Syntax => 400,
        _ => 422,
    };
    assert_eq!(err.status().as_u16(), status, "{err:?}");
    assert_eq!(err.is_syntax(), category == Category::Syntax, "{err:?}");
    assert_eq!(err.is_data(), category == Category::Data, "{err:?}");
    assert_eq!(err.path(), path, "{err:?}");
    assert!(!err.message().is_empty());
}

// ------------------------------------------------- 1. escapes and borrowing

/// The same purchase twice: once as Hotmart sends it (raw UTF-8, nothing
/// escaped), once with `\u00e2`, `\/` and `\"` escapes in several fields.
const PLAIN: &str = r#"{"data":{"product":{"id":5381714,"name":"Curso Avançado"},
  "buyer":{"email":"ana/souza@example.com","address":{"city":"Uberlândia"},"document_type":"PASSPORT"},
  "purchase":{"transaction":"HP2363007968","status":"UNDER_REVIEW","payment":{"type":"CRYPTO"}},
  "subscription":{"subscriber":{"code":"IY8BW62L"}}},
  "id":"083bb5a0-f7e0-414b-b600-585a015403f2","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;

const ESCAPED: &str = r#"{"data":{"product":{"id":5381714,"name":"Curso \"Avan\u00e7ado\""},
  "buyer":{"email":"ana\/souza@example.com","address":{"city":"Uberl\u00e2ndia"},"document_type":"PASS\u0050ORT"},
  "purchase":{"transaction":"HP236300\u0037968","status":"UNDER\u005fREVIEW","payment":{"type":"CRYPT\u004f"}},
  "subscription":{"subscriber":{"code":"IY8BW62L"}}},
  "id":"083bb5a0-f7e0-414b-b600-585a015403f2","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;

#[test]
fn unescaped_strings_borrow_from_the_body() {
    let envelope = envelope(PLAIN.as_bytes());
    let p = purchase(&envelope);
    let purchase = p.purchase.as_ref().unwrap();
    let buyer = p.buyer.as_ref().unwrap();

    assert!(envelope.id.as_ref().unwrap().is_borrowed());
    let transaction = purchase.transaction.as_ref().unwrap();
    assert_eq!(transaction, "HP2363007968");
    assert!(transaction.is_borrowed());
    let email = buyer.email.as_ref().unwrap();
    assert_eq!(email, "ana/souza@example.com");
    assert!(email.is_borrowed());
    let name = p.product.as_ref().unwrap().name.as_ref().unwrap();
    assert_eq!(name, "Curso Avançado");
    assert!(name.is_borrowed(), "raw UTF-8 needs no decoding");
    let city = buyer.address.as_ref().unwrap().city.as_ref().unwrap();
    assert!(city.is_borrowed());

    let Some(PurchaseStatus::Other(status)) = &purchase.status else {
        panic!("{:?}", purchase.status)
    };
    assert_eq!(status, "UNDER_REVIEW");
    assert!(status.is_borrowed());
    let Some(PaymentType::Other(kind)) = &purchase.payment.as_ref().unwrap().kind else {
        panic!()
    };
    assert!(kind.is_borrowed());
    let Some(DocumentType::Other(doc)) = &buyer.document_type else {
        panic!()
    };
    assert!(doc.is_borrowed());
}

#[test]
fn escaped_strings_are_decoded_and_owned() {
    let envelope = envelope(ESCAPED.as_bytes());
    let p = purchase(&envelope);
    let purchase = p.purchase.as_ref().unwrap();
    let buyer = p.buyer.as_ref().unwrap();

    let transaction = purchase.transaction.as_ref().unwrap();
    assert_eq!(transaction, "HP2363007968");
    assert!(!transaction.is_borrowed());
    let email = buyer.email.as_ref().unwrap();
    assert_eq!(email, "ana/souza@example.com", "\\/ is a slash");
    assert!(!email.is_borrowed());
    let name = p.product.as_ref().unwrap().name.as_ref().unwrap();
    assert_eq!(name, "Curso \"Avançado\"", "\\\" and \\u00e7 decode");
    assert!(!name.is_borrowed());
    let city = buyer.address.as_ref().unwrap().city.as_ref().unwrap();
    assert_eq!(city, "Uberlândia");
    assert!(!city.is_borrowed());

    let Some(PurchaseStatus::Other(status)) = &purchase.status else {
        panic!("{:?}", purchase.status)
    };
    assert_eq!(status, "UNDER_REVIEW");
    assert!(!status.is_borrowed());
    let Some(PaymentType::Other(kind)) = &purchase.payment.as_ref().unwrap().kind else {
        panic!()
    };
    assert_eq!(kind, "CRYPTO");
    assert!(!kind.is_borrowed());
    let Some(DocumentType::Other(doc)) = &buyer.document_type else {
        panic!()
    };
    assert_eq!(doc, "PASSPORT");
    assert!(!doc.is_borrowed());

    // Fields without escapes in the same body still borrow.
    assert!(envelope.id.as_ref().unwrap().is_borrowed());
    assert!(
        p.subscription
            .as_ref()
            .unwrap()
            .subscriber
            .as_ref()
            .unwrap()
            .code
            .as_ref()
            .unwrap()
            .is_borrowed()
    );
}

#[test]
fn escaped_and_unescaped_spellings_of_the_same_text_parse_equal() {
    let plain = envelope(PLAIN.as_bytes());
    let escaped = envelope(ESCAPED.as_bytes());
    // Only the product name differs (it gained quotes); compare everything else.
    let (p, e) = (purchase(&plain), purchase(&escaped));
    assert_eq!(p.purchase, e.purchase);
    assert_eq!(p.buyer, e.buyer);
    assert_eq!(p.subscription, e.subscription);
}

#[test]
fn an_escaped_known_enum_value_still_maps_to_its_variant() {
    let body = approved_with(r#""status":"APPROV\u0045D","payment":{"type":"P\u0049X"}"#);
    let envelope = envelope(body.as_bytes());
    let purchase = purchase(&envelope).purchase.as_ref().unwrap();
    assert_eq!(purchase.status, Some(PurchaseStatus::Approved));
    assert_eq!(
        purchase.payment.as_ref().unwrap().kind,
        Some(PaymentType::Pix)
    );
}

/// Parses a body that lives only inside this function.
fn parse_detached(body: Vec<u8>) -> Webhook<'static> {
    let webhook = parse(&body).unwrap();
    webhook.into_owned()
    // `body` is dropped here: the result cannot borrow from it.
}

#[test]
fn into_owned_outlives_the_body_and_equals_the_borrowed_value() {
    for body in [PLAIN, ESCAPED] {
        let owned: Webhook<'static> = parse_detached(body.as_bytes().to_vec());
        let borrowed = parse(body.as_bytes()).unwrap();
        assert_eq!(owned, borrowed);
        let Webhook::V2(envelope) = &owned else {
            panic!()
        };
        assert!(!envelope.id.as_ref().unwrap().is_borrowed());
        let transaction = purchase(envelope).purchase.as_ref().unwrap();
        assert!(!transaction.transaction.as_ref().unwrap().is_borrowed());
    }
    // Unknown events keep their raw data through into_owned as well.
    let unknown = br#"{"id":"1","event":"SOMETHING_NEW","version":"2.0.0","data":{"a":[1, 2]}}"#;
    let owned = parse_detached(unknown.to_vec());
    assert_eq!(owned, parse(unknown).unwrap());
}

// ------------------------------------------------------------ 2. key order

/// Builds an envelope with its keys in `order` and `data` as given.
fn envelope_in_order(order: &[&str], data: &str) -> String {
    let parts: Vec<String> = order
        .iter()
        .map(|key| match *key {
            "data" => format!(r#""data":{data}"#),
            "hottok" => r#""hottok":"XXXX0000""#.to_owned(),
            "id" => r#""id":"083bb5a0-f7e0-414b-b600-585a015403f2""#.to_owned(),
            "creation_date" => r#""creation_date":1747447467789"#.to_owned(),
            "event" => r#""event":"PURCHASE_APPROVED""#.to_owned(),
            "version" => r#""version":"2.0.0""#.to_owned(),
            other => panic!("{other}"),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

const DATA_ORDER_A: &str = r#"{"product":{"id":5381714,"name":"App","has_co_production":false},
  "buyer":{"email":"ana@example.com","name":"Ana"},
  "commissions":[{"value":1.4,"source":"MARKETPLACE","currency_value":"BRL"}],
  "purchase":{"transaction":"HP2363007968","status":"APPROVED","price":{"value":7,"currency_value":"BRL"},"recurrence_number":2},
  "subscription":{"status":"ACTIVE","subscriber":{"code":"IY8BW62L"}}}"#;

const DATA_ORDER_B: &str = r#"{"subscription":{"subscriber":{"code":"IY8BW62L"},"status":"ACTIVE"},
  "purchase":{"recurrence_number":2,"price":{"currency_value":"BRL","value":7},"status":"APPROVED","transaction":"HP2363007968"},
  "commissions":[{"currency_value":"BRL","source":"MARKETPLACE","value":1.4}],
  "buyer":{"name":"Ana","email":"ana@example.com"},
  "product":{"has_co_production":false,"name":"App","id":5381714}}"#;

#[test]
fn key_order_does_not_change_the_parsed_event() {
    // Hotmart's wire order (data first), the history screen's order (data
    // last), and a shuffle.
    let wire = envelope_in_order(
        &["data", "hottok", "id", "creation_date", "event", "version"],
        DATA_ORDER_A,
    );
    let history = envelope_in_order(
        &["id", "creation_date", "event", "version", "data", "hottok"],
        DATA_ORDER_A,
    );
    let shuffled = envelope_in_order(
        &["version", "data", "event", "id", "creation_date"],
        DATA_ORDER_B,
    );
    let event_last = envelope_in_order(
        &["id", "data", "creation_date", "version", "event"],
        DATA_ORDER_B,
    );
    let expected = parse(wire.as_bytes()).unwrap();
    let Webhook::V2(e) = &expected else { panic!() };
    assert_eq!(e.event.name(), "PURCHASE_APPROVED");
    assert!(purchase(e).is_renewal());
    for body in [&history, &shuffled, &event_last] {
        assert_eq!(parse(body.as_bytes()).unwrap(), expected, "{body}");
    }
}

// ------------------------------------------------- 3. forward compatibility

#[test]
fn an_unknown_event_keeps_its_name_and_raw_data() {
    let data = r#"{"voucher": {"code":"ABC", "uses": [1, 2.50, null]},  "when":"2026-01-01"}"#;
    let body = format!(
        r#"{{"data":{data},"id":"e1","creation_date":1747447467789,"event":"VOUCHER_REDEEMED","version":"2.0.0"}}"#
    );
    let webhook = parse(body.as_bytes()).unwrap();
    assert!(!webhook.is_known());
    assert_eq!(webhook.event_name(), "VOUCHER_REDEEMED");
    assert_eq!(webhook.transaction(), None);
    let Webhook::V2(envelope) = &webhook else {
        panic!()
    };
    let Event::Unknown { name, data: raw } = &envelope.event else {
        panic!("{:?}", envelope.event)
    };
    assert_eq!(name, "VOUCHER_REDEEMED");
    assert_eq!(raw.get(), data, "the data text is kept byte for byte");
    assert!(raw.is_borrowed());
    assert!(!envelope.event.is_known());
    // And re-serialised as it came.
    assert_eq!(
        rewired(body.as_bytes())["data"],
        serde_json::from_str::<Value>(data).unwrap()
    );
}

/// The shapes of the third-party guide (seed 003): not Hotmart's events.
const GUIDE_BODIES: [(&str, &str); 4] = [
    (
        "PURCHASE_COMPLETED",
        r#"{"product":{"id":"PROD123","name":"My Digital Product","price":99.99},"buyer":{"email":"buyer@example.com","name":"John Doe","document":"12345678901"},"purchase":{"transaction":"TXN123456789","status":"COMPLETED","price":99.99,"currency_code":"BRL","payment_method":"CREDIT_CARD"},"producer":{"name":"Producer Name"},"affiliates":[{"name":"Affiliate Name","email":"affiliate@example.com"}]}"#,
    ),
    (
        "SUBSCRIPTION_CREATED",
        r#"{"product":{"id":"PROD123","name":"Monthly Subscription","price":29.99},"buyer":{"email":"subscriber@example.com","name":"Jane Smith"},"subscription":{"subscriber_code":"SUB123456","plan":{"id":"PLAN123","name":"Monthly Plan","price":29.99,"recurrence_period":1,"recurrence_type":"MONTH"},"status":"ACTIVE","date_next_charge":"2023-02-01T10:00:00Z"}}"#,
    ),
    (
        "SUBSCRIPTION_RENEWED",
        r#"{"product":{"id":"PROD123","name":"Monthly Subscription"},"purchase":{"transaction":"TXN987","price":29.99},"subscription":{"subscriber_code":"SUB123456","plan":{"id":"PLAN123"},"date_next_charge":"2023-03-01T10:00:00Z"}}"#,
    ),
    (
        "COMMISSION_GENERATED",
        r#"{"commission":{"id":"COMM123456","value":19.99,"currency_code":"BRL"},"purchase":{"transaction":"TXN123456789","price":99.99},"product":{"id":"PROD123","name":"My Digital Product"},"affiliate":{"name":"Affiliate Name","email":"affiliate@example.com"}}"#,
    ),
];

#[test]
fn third_party_guide_event_names_parse_as_unknown_with_an_iso_creation_date() {
    for (event, data) in GUIDE_BODIES {
        let body = format!(
            r#"{{"id":"12345","event":"{event}","version":"2.0.0","creation_date":"2023-01-01T10:00:00Z","data":{data}}}"#
        );
        let webhook = parse(body.as_bytes()).unwrap_or_else(|e| panic!("{event}: {e}"));
        assert!(!webhook.is_known(), "{event}");
        let Webhook::V2(envelope) = &webhook else {
            panic!()
        };
        let Event::Unknown { name, data: raw } = &envelope.event else {
            panic!("{event} was typed: {:?}", envelope.event)
        };
        assert_eq!(name, event);
        assert_eq!(raw.get(), data, "{event}");
        let created = envelope.creation_date.expect("ISO creation_date parses");
        assert_eq!(created.as_millis(), 1_672_567_200_000, "{event}");
        assert_eq!(created.encoding(), Encoding::Iso8601, "{event}");
        assert_eq!(envelope.creation_date_key, KeyCase::Snake);
        // Not forced through the typed purchase parser.
        assert_eq!(webhook.transaction(), None, "{event}");
        assert_eq!(webhook.price(), None, "{event}");
        // The ISO date is written back as ISO.
        assert_eq!(
            rewired(body.as_bytes())["creation_date"],
            "2023-01-01T10:00:00Z"
        );
    }
}

#[test]
fn a_known_event_name_under_another_version_is_unknown() {
    // The data would not even fit the 2.0.0 purchase shape.
    let data = r#"{"purchase":{"transaction":"HP1","price":99.99}}"#;
    let body = format!(
        r#"{{"id":"1","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"3.0.0","data":{data}}}"#
    );
    let webhook = parse(body.as_bytes()).unwrap();
    assert!(!webhook.is_known());
    assert_eq!(webhook.version(), "3.0.0");
    let Webhook::V2(envelope) = &webhook else {
        panic!()
    };
    assert_eq!(envelope.version.as_deref(), Some("3.0.0"));
    let Event::Unknown { name, data: raw } = &envelope.event else {
        panic!("{:?}", envelope.event)
    };
    assert_eq!(name, "PURCHASE_APPROVED");
    assert_eq!(raw.get(), data);
}

#[test]
fn unknown_enum_values_are_kept_in_other_and_reserialised_unchanged() {
    let body = br#"{"data":{
      "buyer":{"email":"ana@example.com","document":"","document_type":""},
      "commissions":[{"value":1,"source":"PARTNER"},{"value":2,"source":"PRODUCER"}],
      "purchase":{"transaction":"HP1","status":"PENDING_REVIEW","payment":{"type":"CRYPTO_WALLET"},
        "business_model":"D","invoice_by":"MARKETPLACE_X"},
      "subscription":{"status":"PAUSED"}},
      "id":"1","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    let envelope = envelope(body);
    let p = purchase(&envelope);
    let purchase = p.purchase.as_ref().unwrap();
    assert_eq!(
        purchase.status,
        Some(PurchaseStatus::Other("PENDING_REVIEW".into()))
    );
    assert!(purchase.status.as_ref().unwrap().is_other());
    assert_eq!(
        purchase.payment.as_ref().unwrap().kind,
        Some(PaymentType::Other("CRYPTO_WALLET".into()))
    );
    assert_eq!(
        purchase.business_model,
        Some(BusinessModel::Other("D".into()))
    );
    assert_eq!(
        purchase.invoice_by.as_ref().map(|i| i.as_str()),
        Some("MARKETPLACE_X")
    );
    let commissions = p.commissions.as_deref().unwrap();
    assert_eq!(
        commissions[0].source,
        Some(CommissionSource::Other("PARTNER".into()))
    );
    assert_eq!(commissions[1].source, Some(CommissionSource::Producer));
    assert_eq!(
        p.buyer.as_ref().unwrap().document_type,
        Some(DocumentType::Other("".into())),
        "an empty document type is a value, not an absence"
    );
    assert_eq!(
        p.subscription.as_ref().unwrap().status,
        Some(SubscriptionStatus::Other("PAUSED".into()))
    );

    let wire = rewired(body);
    let data = &wire["data"];
    assert_eq!(data["purchase"]["status"], "PENDING_REVIEW");
    assert_eq!(data["purchase"]["payment"]["type"], "CRYPTO_WALLET");
    assert_eq!(data["purchase"]["business_model"], "D");
    assert_eq!(data["purchase"]["invoice_by"], "MARKETPLACE_X");
    assert_eq!(data["commissions"][0]["source"], "PARTNER");
    assert_eq!(data["buyer"]["document_type"], "");
    assert_eq!(data["subscription"]["status"], "PAUSED");
}

/// A purchase with unknown fields (in `<<…>>`) at every level.
const WITH_UNKNOWN_FIELDS: &str = r#"{<<"delivery_attempt":3,"meta":{"x":[1,{"y":null}]},>>
  "data":{<<"loyalty":{"points":10,"tier":"gold"},>>
    "product":{"id":5381714,<<"catalog_rank":8,>>"name":"App"},
    "affiliates":[{"affiliate_code":"","name":""<<,"rank":1>>}],
    "buyer":{"email":"ana@example.com",<<"loyalty_id":"00000000-0000-4000-8000-000000000000",>>
      "address":{"country_iso":"BR"<<,"geo":{"lat":-23.5,"lon":-46.6}>>}},
    "producer":{"name":"P"<<,"rating":4.5>>},
    "commissions":[{"value":1.4,"source":"MARKETPLACE"<<,"tax":[0.1,0.2]>>}],
    "purchase":{"transaction":"HP1","status":"APPROVED",<<"fraud_score":0.02,"flags":[],>>
      "price":{"value":7,"currency_value":"BRL"<<,"cents":700>>},
      "payment":{"type":"PIX"<<,"wallet":{"provider":"x"}>>},
      "offer":{"code":"aukjngrt"<<,"metadata":{"k":"v"},"tags":["a"]>>},
      "origin":{"sck":"HOTMART_PRODUCT_PAGE"<<,"utm":"x">>}},
    "subscription":{"status":"ACTIVE",<<"renewals":[{"n":1}],>>
      "plan":{"id":1,"name":"Anual"<<,"period":"YEAR">>},
      "subscriber":{"code":"IY8BW62L"<<,"since":null>>}}},
  "id":"1","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0"<<,"trace":true>>}"#;

#[test]
fn unknown_fields_at_every_level_are_ignored() {
    let with = variant(WITH_UNKNOWN_FIELDS, true);
    let without = variant(WITH_UNKNOWN_FIELDS, false);
    let parsed_with = envelope(with.as_bytes());
    let parsed_without = envelope(without.as_bytes());
    // `offer.metadata` is a documented field; every other addition is ignored.
    let mut expected = parsed_without.clone();
    let Event::PurchaseApproved(data) = &mut expected.event else {
        panic!()
    };
    let offer = data.purchase.as_mut().unwrap().offer.as_mut().unwrap();
    assert!(offer.metadata.is_none());
    let Event::PurchaseApproved(with_data) = &parsed_with.event else {
        panic!()
    };
    let metadata = with_data.purchase.as_ref().unwrap().offer.as_ref().unwrap();
    assert_eq!(metadata.metadata.as_ref().unwrap().get(), r#"{"k":"v"}"#);
    offer.metadata = metadata.metadata.clone();
    assert_eq!(parsed_with, expected);
}

/// A purchase with `null` for optional fields (in `<<…>>`) at several levels.
const WITH_NULLS: &str = r#"{"data":{<<"subscription":null,"shipping":null,>>
    "product":{"id":5381714,"name":"App"<<,"warranty_date":null,"content":null>>},
    "affiliates":[{"affiliate_code":""<<,"name":null>>}],
    "buyer":{"email":"ana@example.com"<<,"address":null,"document_type":null>>},
    "commissions":[{"value":1.4<<,"currency_value":null,"source":null,"currency_conversion":null>>}],
    "purchase":{"transaction":"HP1",<<"status":null,"approved_date":null,"price":null,"recurrence_number":null,"business_model":null,"offer":null,>>
      "payment":{"installments_number":1<<,"type":null,"pix_expiration_date":null>>}}},
  "id":"1",<<"creation_date":null,"hottok":null,>>"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;

#[test]
fn null_optional_fields_at_every_level_are_none() {
    let with = variant(WITH_NULLS, true);
    let without = variant(WITH_NULLS, false);
    let parsed = envelope(with.as_bytes());
    assert_eq!(parsed, envelope(without.as_bytes()));
    assert_eq!(parsed.creation_date, None);
    let p = purchase(&parsed);
    assert_eq!(p.subscription, None);
    assert_eq!(p.product.as_ref().unwrap().warranty_date, None);
    assert_eq!(p.buyer.as_ref().unwrap().address, None);
    assert_eq!(p.commissions.as_deref().unwrap()[0].source, None);
    let purchase = p.purchase.as_ref().unwrap();
    assert_eq!(purchase.status, None);
    assert_eq!(purchase.price, None);
    assert_eq!(purchase.payment.as_ref().unwrap().kind, None);
}

// ---------------------------------------------------- 4. documented drift

#[test]
fn a_numeric_string_product_id_in_club_module_completed_is_read() {
    let body = br#"{"id":"1","creation_date":1747447467789,"event":"CLUB_MODULE_COMPLETED","version":"2.0.0",
      "data":{"product":{"id":"4062912","name":"Curso"},"user":{"name":"Ana","email":"ana@example.com"},
      "module":{"id":"gOpgkaor7J","name":"Modulo 1"}}}"#;
    let webhook = parse(body).unwrap();
    let id = webhook.product_id().unwrap();
    assert_eq!(id, Id::Text("4062912".into()), "the string form is kept");
    assert_eq!(id.as_i64(), Some(4_062_912));
    assert_eq!(webhook.buyer_email(), Some("ana@example.com"));
    let Webhook::V2(envelope) = &webhook else {
        panic!()
    };
    let Event::ClubModuleCompleted(club) = &envelope.event else {
        panic!()
    };
    assert_eq!(
        club.module.as_ref().unwrap().id.as_deref(),
        Some("gOpgkaor7J")
    );
    assert_eq!(rewired(body)["data"]["product"]["id"], "4062912");
}

#[test]
fn a_string_order_date_and_an_iso_warranty_date_are_read() {
    let body =
        br#"{"id":"1","creation_date":1747447467789,"event":"PURCHASE_APPROVED","version":"2.0.0",
      "data":{"product":{"id":1,"warranty_date":"2025-05-23T00:00:00Z"},
      "purchase":{"transaction":"HP1","order_date":"123243546","approved_date":1747447464000}}}"#;
    let envelope = envelope(body);
    let p = purchase(&envelope);
    let order_date = p.purchase.as_ref().unwrap().order_date.unwrap();
    assert_eq!(order_date.as_millis(), 123_243_546);
    assert_eq!(order_date.encoding(), Encoding::MillisString);
    let approved = p.purchase.as_ref().unwrap().approved_date.unwrap();
    assert_eq!(approved.encoding(), Encoding::Millis);
    let warranty = p.product.as_ref().unwrap().warranty_date.unwrap();
    assert_eq!(warranty.as_millis(), 1_747_958_400_000);
    assert_eq!(warranty.encoding(), Encoding::Iso8601);
    // Each keeps its wire form.
    let wire = rewired(body);
    assert_eq!(wire["data"]["purchase"]["order_date"], "123243546");
    assert_eq!(
        wire["data"]["purchase"]["approved_date"],
        1_747_447_464_000_i64
    );
    assert_eq!(
        wire["data"]["product"]["warranty_date"],
        "2025-05-23T00:00:00Z"
    );
}

#[test]
fn charge_date_updates_read_snake_and_camel_case_alike() {
    let snake = br#"{"data":{"subscriber":{"code":"QG5LHFHP","email":"bruno@example.com"},
      "subscription":{"product":{"name":"Assinatura","id":4756866},"old_charge_day":7,"new_charge_day":1,
      "date_next_charge":"2022-09-01T12:00:00.000Z","status":"ACTIVE"},
      "plan":{"offer":{"code":"gp2z4nti"},"name":"assinatura","id":827121}},
      "id":"bc91fa06","creation_date":1663951146081,"event":"UPDATE_SUBSCRIPTION_CHARGE_DATE","version":"2.0.0"}"#;
    let camel = br#"{"data":{"subscriber":{"code":"QG5LHFHP","email":"bruno@example.com"},
      "subscription":{"product":{"name":"Assinatura","id":4756866},"oldChargeDay":7,"newChargeDay":1,
      "dateNextCharge":"2022-09-01T12:00:00.000Z","status":"ACTIVE"},
      "plan":{"offer":{"code":"gp2z4nti"},"name":"assinatura","id":827121}},
      "id":"bc91fa06","creationDate":1663951146081,"event":"UPDATE_SUBSCRIPTION_CHARGE_DATE","version":"2.0.0"}"#;
    let (snake_env, camel_env) = (envelope(snake), envelope(camel));
    let Event::UpdateSubscriptionChargeDate(update) = &camel_env.event else {
        panic!("{:?}", camel_env.event)
    };
    let subscription = update.subscription.as_ref().unwrap();
    assert_eq!(subscription.old_charge_day, Some(7));
    assert_eq!(subscription.new_charge_day, Some(1));
    let next = subscription.date_next_charge.unwrap();
    assert_eq!(next.as_millis(), 1_662_033_600_000);
    assert_eq!(next.encoding(), Encoding::Iso8601Millis);
    assert_eq!(
        subscription.status,
        Some(SubscriptionManagementStatus::Active)
    );

    assert_eq!(snake_env.event, camel_env.event);
    assert_eq!(snake_env.creation_date, camel_env.creation_date);
    assert_eq!(
        camel_env.creation_date.map(|t| t.as_millis()),
        Some(1_663_951_146_081)
    );
    assert_eq!(snake_env.creation_date_key, KeyCase::Snake);
    assert_eq!(camel_env.creation_date_key, KeyCase::Camel);
    let wire = rewired(camel);
    assert_eq!(wire["creationDate"], 1_663_951_146_081_i64);
    assert_eq!(
        wire["data"]["subscription"]["date_next_charge"],
        "2022-09-01T12:00:00.000Z"
    );
}

#[test]
fn club_first_access_reads_the_camel_case_creation_date() {
    let body = br#"{"data":{"product":{"id":5036092,"name":"Curso"},"user":{"name":"Ana","email":"ana@example.com"}},
      "id":"815d801d","creationDate":1746033394872,"event":"CLUB_FIRST_ACCESS","version":"2.0.0"}"#;
    let envelope = envelope(body);
    assert!(matches!(envelope.event, Event::ClubFirstAccess(_)));
    assert_eq!(
        envelope.creation_date.map(|t| t.as_millis()),
        Some(1_746_033_394_872)
    );
    assert_eq!(envelope.creation_date_key, KeyCase::Camel);
    let wire = rewired(body);
    assert_eq!(wire["creationDate"], 1_746_033_394_872_i64);
    assert!(wire.get("creation_date").is_none());
}

fn status_of(status: &str) -> PurchaseStatus<'static> {
    let body = approved_with(&format!(r#""transaction":"HP1","status":"{status}""#));
    let envelope = envelope(body.as_bytes());
    purchase(&envelope).status().cloned().unwrap().into_owned()
}

#[test]
fn documented_and_observed_status_spellings_map_to_one_variant() {
    for (observed, documented, variant) in [
        ("COMPLETED", "COMPLETE", PurchaseStatus::Completed),
        ("CANCELED", "CANCELLED", PurchaseStatus::Canceled),
        (
            "BILLET_PRINTED",
            "PRINTED_BILLET",
            PurchaseStatus::BilletPrinted,
        ),
        ("DISPUTE", "PROTESTED", PurchaseStatus::Dispute),
    ] {
        assert_eq!(status_of(observed), variant, "{observed}");
        assert_eq!(status_of(documented), variant, "{documented}");
        assert!(!status_of(documented).is_other());
        // Serialising writes the spelling seen in traffic.
        assert_eq!(status_of(documented).as_str(), observed);
    }
}

#[test]
fn seller_and_vendor_cancellation_spellings_map_to_one_variant() {
    for spelling in ["CANCELLED_BY_SELLER", "CANCELED_BY_VENDOR"] {
        let purchase_body = format!(
            r#"{{"data":{{"purchase":{{"transaction":"HP1"}},"subscription":{{"status":"{spelling}"}}}},
            "id":"1","creation_date":1,"event":"PURCHASE_CANCELED","version":"2.0.0"}}"#
        );
        let envelope_ = envelope(purchase_body.as_bytes());
        assert_eq!(
            purchase(&envelope_).subscription.as_ref().unwrap().status,
            Some(SubscriptionStatus::CanceledBySeller),
            "{spelling} in a purchase"
        );

        let switch_body = format!(
            r#"{{"data":{{"switch_plan_date":1553729084000,"subscription":{{"subscriber_code":"9W2LNSG4","status":"{spelling}"}},"plans":[]}},
            "id":"1","creation_date":1,"event":"SWITCH_PLAN","version":"2.0.0"}}"#
        );
        let envelope_ = envelope(switch_body.as_bytes());
        let Event::SwitchPlan(switch) = &envelope_.event else {
            panic!()
        };
        assert_eq!(
            switch.subscription.as_ref().unwrap().status,
            Some(SubscriptionManagementStatus::CanceledBySeller),
            "{spelling} in a plan switch"
        );
    }
}

// ---------------------------------------------------------- 5. exact money

#[test]
fn commission_values_sum_exactly_as_decimals() {
    let body =
        br#"{"data":{"commissions":[{"value":0.1,"source":"MARKETPLACE","currency_value":"BRL"},
      {"value":0.2,"source":"PRODUCER","currency_value":"BRL"}],"purchase":{"transaction":"HP1"}},
      "id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    let envelope = envelope(body);
    let sum: Decimal = purchase(&envelope)
        .commissions
        .as_deref()
        .unwrap()
        .iter()
        .map(|c| c.value.unwrap().decimal())
        .sum();
    assert_eq!(sum, Decimal::new(3, 1));
    assert_eq!(sum.to_string(), "0.3");
    assert_ne!(0.1_f64 + 0.2_f64, 0.3_f64, "the reason floats are not used");
}

/// The Chilean production purchase of 2025-12 (abridged): CLP with decimals,
/// USD commissions converted to BRL at a six-decimal rate, an integer value.
const CHILEAN: &[u8] = br#"{"data":{"product":{"id":1,"name":"Curso"},
  "commissions":[{"value":7,"source":"MARKETPLACE","currency_value":"USD"},
    {"value":200.36,"source":"PRODUCER","currency_value":"USD",
     "currency_conversion":{"converted_value":1085.88,"converted_to_currency":"BRL","conversion_rate":5.419698}}],
  "purchase":{"transaction":"HP06308826321","status":"APPROVED",
    "price":{"value":5625.21,"currency_value":"CLP"},"full_price":{"value":6694,"currency_value":"CLP"},
    "original_offer_price":{"value":6.18,"currency_value":"USD"},"business_model":"A"}},
  "id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;

#[test]
fn money_keeps_every_decimal_digit_as_sent() {
    let envelope = envelope(CHILEAN);
    let p = purchase(&envelope);
    let purchase = p.purchase.as_ref().unwrap();
    let price = purchase.price.as_ref().unwrap();
    assert_eq!(price.value.to_string(), "5625.21");
    assert_eq!(price.value.decimal(), Decimal::new(562_521, 2));
    assert_eq!(price.currency(), Some("CLP"));
    let commissions = p.commissions.as_deref().unwrap();
    let seven = commissions[0].value.unwrap();
    assert_eq!(seven, "7".parse::<Amount>().unwrap());
    assert_eq!(
        seven,
        "7.00".parse::<Amount>().unwrap(),
        "equality is numeric"
    );
    let conversion = commissions[1].currency_conversion.as_ref().unwrap();
    assert_eq!(
        conversion.conversion_rate.unwrap().decimal(),
        Decimal::new(5_419_698, 6)
    );
    assert_eq!(
        conversion.converted_value.unwrap().decimal(),
        Decimal::new(108_588, 2)
    );
    assert_eq!(purchase.business_model, Some(BusinessModel::A));

    let wire = String::from_utf8(parse(CHILEAN).unwrap().to_wire().unwrap()).unwrap();
    for digits in ["5625.21", "5.419698", "1085.88", "6.18", "200.36"] {
        assert!(wire.contains(digits), "{digits} not in {wire}");
    }
    assert!(
        wire.contains(r#""value":7,"#),
        "the integer stays an integer: {wire}"
    );
}

#[test]
fn minor_units_follow_the_currency_exponent() {
    let envelope = envelope(CHILEAN);
    let purchase = purchase(&envelope).purchase.as_ref().unwrap();
    let price = purchase.price.as_ref().unwrap();
    // CLP has no minor unit: 5625.21 CLP is not a whole number of pesos.
    assert_eq!(price.minor_units(), None);
    assert_eq!(price.value.to_minor_units(0), None);
    assert_eq!(price.value.to_minor_units(2), Some(562_521));
    assert_eq!(
        purchase.full_price.as_ref().unwrap().minor_units(),
        Some(6694)
    );
    assert_eq!(
        purchase
            .original_offer_price
            .as_ref()
            .unwrap()
            .minor_units(),
        Some(618)
    );

    let brl = approved_with(
        r#""transaction":"HP1","price":{"value":1385.22,"currency_value":"BRL"},"full_price":{"value":7,"currency_value":"BRL"}"#,
    );
    let envelope = self::envelope(brl.as_bytes());
    let purchase = self::purchase(&envelope).purchase.as_ref().unwrap();
    assert_eq!(
        purchase.price.as_ref().unwrap().minor_units(),
        Some(138_522)
    );
    assert_eq!(
        purchase.full_price.as_ref().unwrap().minor_units(),
        Some(700)
    );
}

// -------------------------------------------------------------- 9. renewals

#[test]
fn a_purchase_approved_with_recurrence_three_is_a_renewal() {
    let body = approved_with(r#""transaction":"HP1","status":"APPROVED","recurrence_number":3"#);
    let envelope = envelope(body.as_bytes());
    assert!(matches!(envelope.event, Event::PurchaseApproved(_)));
    assert!(purchase(&envelope).is_renewal());
}

#[test]
fn a_first_charge_or_a_one_off_purchase_is_not_a_renewal() {
    for fields in [
        r#""transaction":"HP1","recurrence_number":1"#,
        r#""transaction":"HP1""#,
    ] {
        let body = approved_with(fields);
        let envelope = envelope(body.as_bytes());
        assert!(!purchase(&envelope).is_renewal(), "{fields}");
    }
}

// ------------------------------------------------------ 6. malformed bodies

#[test]
fn an_empty_or_blank_body_is_a_syntax_error() {
    for body in [&b""[..], b" ", b" \r\n\t  \n"] {
        let err = error(body);
        assert_error(&err, Category::Syntax, None);
    }
}

#[test]
fn every_truncation_of_a_real_fixture_is_a_syntax_error() {
    let body = fixture("v2/PURCHASE_APPROVED_4.json");
    let end = body.iter().rposition(|&b| b == b'}').unwrap();
    for len in 1..end {
        let err = error(&body[..len]);
        assert_eq!(err.category(), Category::Syntax, "cut at {len}: {err:?}");
        assert_eq!(err.status().as_u16(), 400);
    }
}

#[test]
fn a_json_array_is_a_data_error() {
    for body in [
        &b"[]"[..],
        br#" [{"id":"1","event":"PURCHASE_APPROVED","data":{}}]"#,
    ] {
        let err = error(body);
        assert_error(&err, Category::Data, None);
    }
    // An array that is not even JSON is a syntax error.
    assert_eq!(error(b"[1, 2").category(), Category::Syntax);
}

#[test]
fn binary_garbage_is_a_syntax_error() {
    let garbage: Vec<u8> = (0..=255u8).rev().cycle().take(1024).collect();
    assert_error(&error(&garbage), Category::Syntax, None);
    assert_error(
        &error(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        Category::Syntax,
        None,
    );
    assert_error(&error(b"{\xff\xfe}"), Category::Syntax, None);
    // Valid UTF-8 but neither JSON nor a Hotmart form.
    assert_error(&error(b"hello world"), Category::Syntax, None);
}

#[test]
fn a_wrong_price_type_names_its_path() {
    for value in ["true", r#"{"amount":7}"#, "[7]"] {
        let body = approved_with(&format!(
            r#""transaction":"HP1","price":{{"value":{value},"currency_value":"BRL"}}"#
        ));
        let err = error(body.as_bytes());
        assert_error(&err, Category::Data, Some("data.purchase.price.value"));
    }
}

#[test]
fn a_wrong_commission_value_names_the_array_index() {
    let body = br#"{"data":{"commissions":[{"value":1.4,"source":"MARKETPLACE"},{"value":"5,60","source":"PRODUCER"}],
      "purchase":{"transaction":"HP1"}},"id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    let err = error(body);
    assert_error(&err, Category::Data, Some("data.commissions[1].value"));
    assert!(
        err.to_string().contains("data.commissions[1].value"),
        "{err}"
    );
}

#[test]
fn a_wrong_recurrence_number_names_its_path() {
    for value in [r#""3""#, "-1", "2.5", "true"] {
        let body = approved_with(&format!(
            r#""transaction":"HP1","recurrence_number":{value}"#
        ));
        let err = error(body.as_bytes());
        assert_error(
            &err,
            Category::Data,
            Some("data.purchase.recurrence_number"),
        );
    }
}

#[test]
fn a_wrong_data_type_names_data() {
    for data in [r#""purchase""#, "7", "null", "true"] {
        let body = format!(
            r#"{{"id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0","data":{data}}}"#
        );
        let err = error(body.as_bytes());
        assert_error(&err, Category::Data, Some("data"));
    }
}

#[test]
fn an_array_in_place_of_an_object_is_a_data_error() {
    let data_array =
        br#"{"id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0","data":[]}"#;
    assert_error(&error(data_array), Category::Data, Some("data"));
    let purchase_array =
        br#"{"id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0",
      "data":{"purchase":["HP1","APPROVED"]}}"#;
    assert_error(
        &error(purchase_array),
        Category::Data,
        Some("data.purchase"),
    );
}

#[test]
fn a_numeric_envelope_id_is_a_data_error_at_id() {
    let body = br#"{"id":12345,"creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0","data":{}}"#;
    assert_error(&error(body), Category::Data, Some("id"));
}

#[test]
fn a_boolean_creation_date_is_a_data_error_at_creation_date() {
    let body = br#"{"data":{},"id":"1","creation_date":true,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    assert_error(&error(body), Category::Data, Some("creation_date"));
    let body = br#"{"data":{},"id":"1","creation_date":"yesterday","event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    assert_error(&error(body), Category::Data, Some("creation_date"));
}

#[test]
fn a_missing_id_or_data_is_a_data_error_naming_it() {
    let no_id = br#"{"creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0","data":{}}"#;
    assert_error(&error(no_id), Category::Data, Some("id"));
    let no_data = br#"{"id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}"#;
    assert_error(&error(no_data), Category::Data, Some("data"));
    // Also for an event this crate does not model.
    let no_data = br#"{"id":"1","event":"SOMETHING_NEW","version":"2.0.0"}"#;
    assert_error(&error(no_data), Category::Data, Some("data"));
}

#[test]
fn a_json_object_that_is_no_hotmart_payload_is_a_data_error() {
    for body in [
        &br#"{}"#[..],
        br#"{"hello":"world","items":[1,2]}"#,
        br#"{"type":"charge.succeeded","data":{"object":{}}}"#,
    ] {
        let err = error(body);
        assert_eq!(err.category(), Category::Data, "{err:?}");
        assert_eq!(err.status().as_u16(), 422);
    }
}

const SECRET_HOTTOK: &str = "ysewXlAZI1Qw3kHq9LmN2pRt5VbX7cYz518471";

#[test]
fn errors_never_show_the_hottok_or_a_misplaced_email() {
    let email = "leak.me@example.com";
    let bodies = [
        // The e-mail where a boolean belongs.
        format!(
            r#"{{"data":{{"purchase":{{"transaction":"HP1","is_funnel":"{email}"}}}},"hottok":"{SECRET_HOTTOK}",
            "id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}}"#
        ),
        // The e-mail where a number belongs.
        format!(
            r#"{{"hottok":"{SECRET_HOTTOK}","data":{{"purchase":{{"transaction":"HP1","price":{{"value":"{email}"}}}}}},
            "id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}}"#
        ),
        // The hottok itself in a typed field.
        format!(
            r#"{{"data":{{"purchase":{{"transaction":"HP1","recurrence_number":"{SECRET_HOTTOK}"}}}},
            "id":"1","creation_date":1,"event":"PURCHASE_APPROVED","version":"2.0.0"}}"#
        ),
        // In the envelope.
        format!(
            r#"{{"data":{{}},"hottok":"{SECRET_HOTTOK}","id":"1","creation_date":"{email}","event":"PURCHASE_APPROVED","version":"2.0.0"}}"#
        ),
        // The e-mail inside an array where a string belongs.
        format!(
            r#"{{"hottok":"{SECRET_HOTTOK}","id":"1","event":"PURCHASE_APPROVED","version":"2.0.0",
            "data":{{"buyer":{{"email":["{email}"]}}}}}}"#
        ),
        // A syntax error right after the secret.
        format!(r#"{{"hottok":"{SECRET_HOTTOK}","id":"{email}" "event"}}"#),
    ];
    for body in &bodies {
        let err = error(body.as_bytes());
        for shown in [
            err.to_string(),
            format!("{err:?}"),
            err.message().to_owned(),
        ] {
            assert!(!shown.contains(SECRET_HOTTOK), "hottok in {shown:?}");
            assert!(!shown.contains(email), "e-mail in {shown:?}");
            assert!(!shown.contains("leak.me"), "e-mail in {shown:?}");
        }
    }
}

#[test]
fn a_valid_body_with_a_hottok_does_not_keep_it() {
    let body = envelope_in_order(
        &["data", "hottok", "id", "creation_date", "event", "version"],
        DATA_ORDER_A,
    )
    .replace("XXXX0000", SECRET_HOTTOK);
    let webhook = parse(body.as_bytes()).unwrap();
    assert!(!format!("{webhook:?}").contains(SECRET_HOTTOK));
    assert!(
        !String::from_utf8(webhook.to_wire().unwrap())
            .unwrap()
            .contains(SECRET_HOTTOK)
    );
    assert_eq!(
        serde_json::to_value(&webhook).unwrap().get("hottok"),
        None::<&Value>
    );
}
