//! `Amount` and `RawJson` read through any serde deserializer, not only
//! `serde_json`'s slice reader: stored events are read back with
//! `serde_json::from_value` or `from_reader` (issue 10, section 4).

use hotmart_webhook::{Amount, RawJson};
use serde::Deserialize;
use serde_json::json;

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

#[test]
fn amount_reads_from_a_value_a_reader_and_a_slice_alike() {
    for (value, expected) in [
        (json!(1500), "1500"),
        (json!(5625.21), "5625.21"),
        (json!(0.000123), "0.000123"),
        (json!(-7.5), "-7.5"),
        (json!("149.50"), "149.50"),
    ] {
        let text = value.to_string();
        let from_value: Amount = serde_json::from_value(value).unwrap();
        let from_reader: Amount = serde_json::from_reader(text.as_bytes()).unwrap();
        let from_slice: Amount = serde_json::from_slice(text.as_bytes()).unwrap();
        assert_eq!(from_value, amount(expected), "{text}");
        assert_eq!(from_reader, from_slice, "{text}");
        assert_eq!(from_slice, amount(expected), "{text}");
    }
    // The slice and reader keep the digits exactly as written.
    let exact: Amount = serde_json::from_reader(&b"1500.10"[..]).unwrap();
    assert_eq!(exact.to_string(), "1500.10");
}

#[test]
fn amount_refuses_what_is_not_a_decimal_through_every_deserializer() {
    for value in [
        json!(true),
        json!("cheap"),
        json!([1]),
        json!({"value": 1}),
        json!(null),
    ] {
        let text = value.to_string();
        assert!(serde_json::from_value::<Amount>(value).is_err(), "{text}");
        assert!(
            serde_json::from_reader::<_, Amount>(text.as_bytes()).is_err(),
            "{text}"
        );
        assert!(
            serde_json::from_slice::<Amount>(text.as_bytes()).is_err(),
            "{text}"
        );
    }
}

#[test]
fn raw_json_reads_from_a_value_and_a_reader_owned_and_from_a_slice_borrowed() {
    let text = r#"{"plan":{"id":"PLAN123","tags":[1,true,null]}}"#;
    let value: serde_json::Value = serde_json::from_str(text).unwrap();

    let from_value = RawJson::deserialize(value.clone()).unwrap();
    assert!(!from_value.is_borrowed());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(from_value.get()).unwrap(),
        value
    );

    let mut reader = serde_json::Deserializer::from_reader(text.as_bytes());
    let from_reader = RawJson::deserialize(&mut reader).unwrap();
    assert!(!from_reader.is_borrowed());
    assert_eq!(from_reader.get(), text);

    let from_slice: RawJson<'_> = serde_json::from_str(text).unwrap();
    assert!(from_slice.is_borrowed());
    assert_eq!(from_slice.get(), text);

    for scalar in [json!(7), json!("x"), json!(null), json!(false)] {
        let raw = RawJson::deserialize(scalar.clone()).unwrap();
        assert_eq!(raw.get(), scalar.to_string());
    }
}
