//! Every real payload in `tests/fixtures` parses into its typed variant, and
//! the typed value carries every field of the original.

use std::fs;
use std::path::{Path, PathBuf};

use hotmart_webhook::{Event, Webhook, parse};
use serde_json::Value;

fn fixtures(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The event name a fixture file is named after (`PURCHASE_APPROVED_4.json`).
fn event_of_file(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy();
    stem.rsplit_once('_').unwrap().0.to_owned()
}

fn without_hottok(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("hottok");
    v
}

#[test]
fn every_v2_fixture_parses_into_its_typed_event() {
    let files = fixtures("v2", "json");
    assert!(files.len() >= 40, "only {} v2 fixtures", files.len());
    for path in files {
        let body = fs::read(&path).unwrap();
        let webhook = parse(&body).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        let Webhook::V2(envelope) = &webhook else {
            panic!("{}: not a v2 envelope", name(&path))
        };
        assert!(
            envelope.event.is_known(),
            "{} landed in Unknown",
            name(&path)
        );
        assert_eq!(
            envelope.event.name(),
            event_of_file(&path),
            "{}",
            name(&path)
        );
        assert_eq!(webhook.version(), "2.0.0");
    }
}

#[test]
fn v2_fixtures_agree_with_their_json_on_common_fields() {
    for path in fixtures("v2", "json") {
        let body = fs::read(&path).unwrap();
        let json: Value = serde_json::from_slice(&body).unwrap();
        let webhook = parse(&body).unwrap();
        let file = name(&path);
        let Webhook::V2(envelope) = &webhook else {
            unreachable!()
        };

        assert_eq!(envelope.id.as_deref(), json["id"].as_str(), "{file}: id");
        let created = json
            .get("creation_date")
            .or(json.get("creationDate"))
            .and_then(Value::as_i64);
        assert_eq!(
            envelope.creation_date.map(|t| t.as_millis()),
            created,
            "{file}: creation_date"
        );

        let data = &json["data"];
        if let Some(purchase) = envelope.event.purchase() {
            assert_eq!(
                purchase.transaction(),
                data["purchase"]["transaction"].as_str(),
                "{file}"
            );
            assert_eq!(
                purchase.status().map(|s| s.as_str()),
                data["purchase"]["status"].as_str(),
                "{file}: status"
            );
            assert_eq!(
                purchase.buyer_email(),
                data["buyer"]["email"].as_str(),
                "{file}: email"
            );
            assert_eq!(
                purchase.product_id().and_then(|id| id.as_i64()),
                data["product"]["id"].as_i64(),
                "{file}: product id"
            );
            let price = purchase.price().map(|m| m.value.to_f64());
            assert_eq!(
                price,
                data["purchase"]["price"]["value"].as_f64(),
                "{file}: price"
            );
            assert_eq!(
                purchase.subscriber_code(),
                data["subscription"]["subscriber"]["code"].as_str(),
                "{file}: subscriber"
            );
            let commissions = purchase.commissions.as_deref().unwrap_or_default();
            let json_commissions = data["commissions"].as_array().map_or(0, Vec::len);
            assert_eq!(commissions.len(), json_commissions, "{file}: commissions");
        }
        assert_eq!(
            webhook.buyer_email().is_some(),
            has_any_email(data),
            "{file}: email accessor"
        );
    }
}

fn has_any_email(data: &Value) -> bool {
    [
        "/buyer/email",
        "/subscriber/email",
        "/user/email",
        "/subscription/user/email",
        "/purchase/shopper/email",
    ]
    .iter()
    .any(|p| data.pointer(p).is_some())
}

#[test]
fn serialising_a_v2_fixture_gives_back_every_field_but_the_hottok() {
    for path in fixtures("v2", "json") {
        let body = fs::read(&path).unwrap();
        let original = without_hottok(serde_json::from_slice(&body).unwrap());
        let webhook = parse(&body).unwrap();
        let serialised = serde_json::to_value(&webhook).unwrap();
        assert_eq!(serialised, original, "{}", name(&path));
    }
}

#[test]
fn every_fixture_survives_the_wire_round_trip() {
    for path in fixtures("v2", "json")
        .into_iter()
        .chain(fixtures("v1", "form"))
    {
        let body = fs::read(&path).unwrap();
        let webhook = parse(&body).unwrap();
        let wire = webhook.to_wire().unwrap();
        let again = parse(&wire).unwrap_or_else(|e| panic!("{}: {e}", name(&path)));
        assert_eq!(again, webhook, "{}", name(&path));
        // And through serde_json, which every receiver that stores events uses.
        let json = serde_json::to_vec(&webhook).unwrap();
        assert_eq!(parse(&json).unwrap(), webhook, "{} via JSON", name(&path));
    }
}

#[test]
fn the_v1_fixture_parses_every_field_with_its_type() {
    let body = fs::read("tests/fixtures/v1/approved_1.form").unwrap();
    let Webhook::V1Purchase(p) = parse(&body).unwrap() else {
        panic!("not a v1 purchase")
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    assert_eq!(pairs.len(), 42, "the fixture has 42 fields");
    // Every field but the hottok is kept, with its value, as the form had it.
    let kept: Vec<(String, String)> = p
        .fields()
        .map(|(k, v)| (k.to_owned(), v.into_owned()))
        .collect();
    for (k, v) in &pairs {
        if k == "hottok" {
            continue;
        }
        let typed_value = kept
            .iter()
            .find(|(kk, _)| kk == k)
            .map(|(_, vv)| vv.as_str());
        match typed_value {
            Some(value) => {
                let same = value == v
                    || value
                        .parse::<f64>()
                        .ok()
                        .zip(v.parse::<f64>().ok())
                        .is_some_and(|(a, b)| a == b);
                assert!(same, "{k}: {value} vs {v}");
            }
            // Only empty values of typed fields may be dropped.
            None => assert!(v.is_empty(), "{k}={v} was lost"),
        }
    }
    assert!(p.extra.is_empty(), "unknown fields: {:?}", p.extra);
    assert_eq!(p.status.as_ref().unwrap().as_str(), "approved");
    assert_eq!(p.price.unwrap().to_minor_units(2), Some(150_000));
    assert_eq!(
        p.producer_legal_nature.as_ref().unwrap().as_str(),
        "Pessoa Física"
    );
    assert_eq!(p.purchase_date.unwrap().to_string(), "2017-11-27T11:49:04Z");
    assert_eq!(p.callback_type, Some(1));
    assert_eq!(p.installments_number, Some(12));
    assert_eq!(p.has_co_production, Some(false));
    assert_eq!(p.transaction.as_deref(), Some("HP1121336654889"));
    assert_eq!(p.subscriber_code.as_deref(), Some("I9OT62C3"));
}

#[test]
fn the_fixtures_cover_every_event_of_the_catalogue() {
    let covered: Vec<String> = fixtures("v2", "json")
        .iter()
        .map(|p| event_of_file(p))
        .collect();
    for name in hotmart_webhook::event::EVENT_NAMES {
        assert!(covered.iter().any(|c| c == name), "no fixture for {name}");
    }
    let _ = Event::purchase; // the accessor used above exists for every purchase event
}
