//! The v1 form path. The input is a form body: either as it comes (made to
//! sniff as a form, never as JSON), or, when its first byte is odd, a list of
//! `key=value` lines encoded with a form serializer, which reaches the typed
//! fields with valid encodings. What parses must be a `V1Purchase` whose
//! `to_form()` parses back equal (the problems aside: what did not read is
//! not written).
#![no_main]

use hotmart_webhook::{Webhook, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body: Vec<u8> = if mode % 2 == 1 {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for line in rest.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let (key, value) = line.split_once('=').unwrap_or((&line, ""));
            form.append_pair(key, value);
        }
        form.finish().into_bytes()
    } else {
        // A body whose first visible byte opens JSON goes to the JSON parser;
        // an empty leading pair keeps it on the form path.
        match rest.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => [&b"&"[..], rest].concat(),
            _ => rest.to_vec(),
        }
    };
    let Ok(mut webhook) = parse(&body) else {
        return;
    };
    // Values that did not read are problems, and are not written back.
    webhook.take_problems();
    let Webhook::V1Purchase(purchase) = &webhook else {
        panic!("a form body parsed as {}", webhook.event_name());
    };
    let form = purchase.to_form();
    assert_eq!(form.as_bytes(), &webhook.to_wire().unwrap()[..]);
    match parse(form.as_bytes()) {
        Ok(mut again) => {
            again.take_problems();
            assert_eq!(again, webhook, "form {form:?}");
        }
        Err(e) => panic!(
            "to_form() does not parse: {e}\nbody: {:?}\nform: {form:?}",
            String::from_utf8_lossy(&body)
        ),
    }
    let _ = (
        purchase.purchase_status(),
        purchase.price_money(),
        purchase.fields().count(),
    );
});
