//! `parse` on any bytes, with the round-trip oracle: what parses is written
//! back with `to_wire()` and must parse to an equal value; `into_owned()` is
//! equal too. Bad input may give an error, never a panic.
#![no_main]

use hotmart_webhook::{Webhook, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(webhook) = parse(data) else {
        return;
    };
    // The accessors read every variant without panicking.
    let _ = (
        webhook.version(),
        webhook.event_name(),
        webhook.is_known(),
        webhook.id(),
        webhook.transaction(),
        webhook.purchase_status(),
        webhook.buyer_email(),
        webhook.product_id(),
        webhook.price().map(|p| p.minor_units()),
        webhook.subscriber_code(),
    );
    let owned: Webhook<'static> = webhook.clone().into_owned();
    assert_eq!(owned, webhook, "into_owned changed the value");

    // The problems' fields are not written back.
    let mut webhook = webhook;
    webhook.take_problems();
    let wire = webhook.to_wire().unwrap();
    let mut again = match parse(&wire) {
        Ok(again) => again,
        Err(e) => panic!(
            "to_wire() does not parse: {e}\ninput: {:?}\nwire:  {:?}",
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&wire)
        ),
    };
    again.take_problems();
    assert_eq!(
        again,
        webhook,
        "to_wire() parsed to another value\ninput: {:?}\nwire:  {:?}",
        String::from_utf8_lossy(data),
        String::from_utf8_lossy(&wire)
    );
});
