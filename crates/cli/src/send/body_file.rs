//! `--body FILE`: a captured body sent as it is, its `hottok` (a top-level
//! JSON property or a form field) replaced by `--hottok` when it has one.
//! Every other byte is kept, so a real delivery can be replayed exactly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;
use hotmart_webhook::{Webhook, parse};
use serde_json::value::RawValue;

use super::deliveries::{Delivery, FORM, JSON};

/// Reads `path` into a delivery, or a one-line reason.
pub(crate) fn load(path: &Path, hottok: &str) -> Result<Delivery, String> {
    let original =
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_json = original.trim_ascii_start().starts_with(b"{");
    let body = if is_json {
        replace_json_hottok(&original, hottok)
    } else {
        replace_form_hottok(&original, hottok)
    };
    let (event, id, transaction, v1) = match parse(&body) {
        Ok(webhook) => (
            webhook.event_name().to_owned(),
            webhook.id().map(str::to_owned),
            webhook.transaction().map(str::to_owned),
            !matches!(webhook, Webhook::V2(_)),
        ),
        // Sent anyway: testing how a receiver treats a body it cannot read
        // is a use of --body too.
        Err(_) => ("unparsed".to_owned(), None, None, !is_json),
    };
    Ok(Delivery {
        event,
        id,
        transaction,
        body: Bytes::from(body),
        content_type: if is_json { JSON } else { FORM },
        hottok_header: !v1,
    })
}

/// The body with the value of its top-level `"hottok"` replaced; unchanged
/// when it has none or is not a JSON object.
fn replace_json_hottok(body: &[u8], hottok: &str) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return body.to_vec();
    };
    let Ok(map) = serde_json::from_str::<HashMap<Cow<'_, str>, &RawValue>>(text) else {
        return body.to_vec();
    };
    let Some(raw) = map.get("hottok") else {
        return body.to_vec();
    };
    // The raw value borrows from `text`: its offset locates the bytes to
    // replace.
    let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
    let end = start + raw.get().len();
    let mut out = Vec::with_capacity(body.len() + hottok.len());
    out.extend_from_slice(&body[..start]);
    out.extend_from_slice(serde_json::Value::from(hottok).to_string().as_bytes());
    out.extend_from_slice(&body[end..]);
    out
}

/// The form with every `hottok` field's value replaced; the other fields
/// keep their bytes and order.
fn replace_form_hottok(body: &[u8], hottok: &str) -> Vec<u8> {
    let encoded: String = form_urlencoded::byte_serialize(hottok.as_bytes()).collect();
    let trimmed = body.trim_ascii_end();
    let fields: Vec<Vec<u8>> = trimmed
        .split(|&b| b == b'&')
        .map(|field| {
            let key = field.split(|&b| b == b'=').next().unwrap_or_default();
            let is_hottok = form_urlencoded::parse(key)
                .next()
                .is_some_and(|(k, _)| k == "hottok");
            if is_hottok {
                [b"hottok=".as_slice(), encoded.as_bytes()].concat()
            } else {
                field.to_vec()
            }
        })
        .collect();
    let mut out = fields.join(&b'&');
    out.extend_from_slice(&body[trimmed.len()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_hottok_is_replaced_and_nothing_else_moves() {
        let body = br#"{"data": {"hottok": "inner"}, "hottok" : "XXXX00", "id":"1"}"#;
        let out = replace_json_hottok(body, "new\"tok");
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"data": {"hottok": "inner"}, "hottok" : "new\"tok", "id":"1"}"#
        );
    }

    #[test]
    fn a_body_without_a_hottok_is_sent_as_it_is() {
        let body = b"{\n  \"id\": \"1\"\n}\n";
        assert_eq!(replace_json_hottok(body, "t"), body);
        assert_eq!(replace_json_hottok(b"{not json", "t"), b"{not json");
    }

    #[test]
    fn a_form_hottok_is_replaced_in_place() {
        let body = b"callback_type=1&hottok=XXX000&status=approved&name=A+B\n";
        let out = replace_form_hottok(body, "a b&c");
        assert_eq!(
            out,
            b"callback_type=1&hottok=a+b%26c&status=approved&name=A+B\n"
        );
        assert_eq!(
            replace_form_hottok(b"status=approved", "t"),
            b"status=approved"
        );
    }
}
