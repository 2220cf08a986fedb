//! The bodies: one template per event and format, shaped like Hotmart's real
//! captures (`templates/`, see its README), with a fresh event id,
//! transaction and timestamps rendered into each delivery.

use std::borrow::Cow;

use bytes::Bytes;
use hotmart_webhook::Timestamp;
use hotmart_webhook::event::EVENT_NAMES;

use crate::cli::Format;

/// What one delivery sends, and what its history lines show.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    /// The event name shown in the history.
    pub(crate) event: String,
    /// The 2.0.0 event id.
    pub(crate) id: Option<String>,
    /// The purchase transaction (`HP…`), when the event has one.
    pub(crate) transaction: Option<String>,
    /// The exact bytes sent, every attempt.
    pub(crate) body: Bytes,
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub(crate) content_type: &'static str,
    /// Whether the hottok travels in the `X-HOTMART-HOTTOK` header (2.0.0)
    /// rather than in the body (1.0.0).
    pub(crate) hottok_header: bool,
}

pub(crate) const JSON: &str = "application/json";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

macro_rules! v2_templates {
    ($($name:literal),* $(,)?) => {
        /// The 2.0.0 templates, by event name (Hotmart's "Send test" batch of
        /// 2025-11, and the documentation's example for `ORDER_FULFILLMENT`).
        const V2: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../templates/v2/", $name, ".json")))),*
        ];
    };
}

v2_templates![
    "PURCHASE_APPROVED",
    "PURCHASE_COMPLETE",
    "PURCHASE_CANCELED",
    "PURCHASE_BILLET_PRINTED",
    "PURCHASE_REFUNDED",
    "PURCHASE_CHARGEBACK",
    "PURCHASE_EXPIRED",
    "PURCHASE_DELAYED",
    "PURCHASE_PROTEST",
    "PURCHASE_OUT_OF_SHOPPING_CART",
    "SUBSCRIPTION_CANCELLATION",
    "SWITCH_PLAN",
    "UPDATE_SUBSCRIPTION_CHARGE_DATE",
    "CLUB_FIRST_ACCESS",
    "CLUB_MODULE_COMPLETED",
    "ORDER_FULFILLMENT",
];

/// The v1 purchase postback (Hotmart's 1.0.0 "Send test", 42 fields).
const V1_FORM: &str = include_str!("../../templates/v1/purchase.form");

/// The v1 `status` of each purchase event (lowercase, `canceled` with one L,
/// `dispute` for a refund request).
const V1_STATUSES: &[(&str, &str)] = &[
    ("PURCHASE_APPROVED", "approved"),
    ("PURCHASE_COMPLETE", "completed"),
    ("PURCHASE_CANCELED", "canceled"),
    ("PURCHASE_BILLET_PRINTED", "billet_printed"),
    ("PURCHASE_REFUNDED", "refunded"),
    ("PURCHASE_CHARGEBACK", "chargeback"),
    ("PURCHASE_EXPIRED", "expired"),
    ("PURCHASE_DELAYED", "delayed"),
    ("PURCHASE_PROTEST", "dispute"),
];

/// The three v1 JSON events, by the 2.0.0 name of the same event.
const V1_JSON: &[(&str, &str)] = &[
    (
        "PURCHASE_OUT_OF_SHOPPING_CART",
        include_str!("../../templates/v1/cart_abandonment.json"),
    ),
    (
        "SUBSCRIPTION_CANCELLATION",
        include_str!("../../templates/v1/subscription_cancellation.json"),
    ),
    (
        "SWITCH_PLAN",
        include_str!("../../templates/v1/switch_plan.json"),
    ),
];

/// One kind of delivery the generator can make: an event in a format.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kind {
    pub(crate) event: &'static str,
    format: Format,
    template: &'static str,
    /// The v1 form's `status`.
    status: Option<&'static str>,
}

/// Every event name `format` can carry, in catalogue order.
pub(crate) fn names(format: Format) -> Vec<&'static str> {
    match format {
        Format::V2 => EVENT_NAMES.to_vec(),
        Format::V1Form => V1_STATUSES.iter().map(|(name, _)| *name).collect(),
        Format::V1Json => V1_JSON.iter().map(|(name, _)| *name).collect(),
    }
}

/// The kind for `event` in `format`, or a one-line reason.
pub(crate) fn kind(event: &str, format: Format) -> Result<Kind, String> {
    let lookup = |table: &[(&'static str, &'static str)]| {
        table
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(event))
            .copied()
    };
    let found = match format {
        Format::V2 => lookup(V2).map(|(event, template)| Kind {
            event,
            format,
            template,
            status: None,
        }),
        Format::V1Form => lookup(V1_STATUSES).map(|(event, status)| Kind {
            event,
            format,
            template: V1_FORM,
            status: Some(status),
        }),
        Format::V1Json => lookup(V1_JSON).map(|(event, template)| Kind {
            event,
            format,
            template,
            status: None,
        }),
    };
    found.ok_or_else(|| {
        let format_name = match format {
            Format::V2 => "v2",
            Format::V1Form => "v1-form",
            Format::V1Json => "v1-json",
        };
        format!(
            "unknown event {event:?} for --format {format_name}; it has: {}",
            names(format).join(", ")
        )
    })
}

/// Fresh values for one delivery.
struct Fresh {
    id: String,
    transaction: String,
    user_key: String,
    subscriber_code: String,
    now: i64,
}

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

impl Kind {
    /// A new delivery of this kind: fresh id, transaction and timestamps
    /// around `now_ms`; `hottok` goes in the body where Hotmart puts it.
    pub(crate) fn generate(&self, hottok: &str, now_ms: i64) -> Delivery {
        let fresh = Fresh {
            id: uuid_v4(),
            transaction: transaction(),
            user_key: (0..16).map(|_| fastrand::alphanumeric()).collect(),
            // Eight capitals and digits, like Hotmart's subscriber codes: a
            // launch has many subscribers, and a receiver keying v1 events on
            // the subscriber must see distinct ones.
            subscriber_code: (0..8)
                .map(|_| fastrand::alphanumeric().to_ascii_uppercase())
                .collect(),
            now: now_ms,
        };
        let form = self.format == Format::V1Form;
        let body = render(self.template.trim_end(), |name| {
            self.value(name, &fresh, hottok, form)
        });
        let has_transaction = self.template.contains("{{transaction}}");
        Delivery {
            event: self.event.to_owned(),
            id: (self.format == Format::V2).then(|| fresh.id.clone()),
            transaction: has_transaction.then(|| fresh.transaction.clone()),
            body: Bytes::from(body),
            content_type: if form { FORM } else { JSON },
            hottok_header: self.format == Format::V2,
        }
    }

    /// The text of placeholder `name`, escaped for the template's syntax.
    fn value(
        &self,
        name: &str,
        fresh: &Fresh,
        hottok: &str,
        form: bool,
    ) -> Option<Cow<'static, str>> {
        let now = fresh.now;
        // An order a minute before the event, approved two seconds later.
        let order_date = now - MINUTE;
        let iso = |millis: i64| {
            let text = Timestamp::from_millis(millis).to_string();
            if form { text.replace(':', "%3A") } else { text }
        };
        Some(match name {
            "id" => fresh.id.clone().into(),
            "transaction" => fresh.transaction.clone().into(),
            "user_key" => fresh.user_key.clone().into(),
            "subscriber_code" => fresh.subscriber_code.clone().into(),
            "now" => now.to_string().into(),
            "earlier" => (now - 1000).to_string().into(),
            "order_date" => order_date.to_string().into(),
            "approved_date" => (order_date + 2000).to_string().into(),
            "next_day" => (now + DAY).to_string().into(),
            "next_charge" => (now + 30 * DAY).to_string().into(),
            "next_charge_iso" => {
                // Hotmart writes this one date with milliseconds.
                let midday = (now + 30 * DAY).div_euclid(DAY) * DAY + DAY / 2;
                Timestamp::from_millis(midday)
                    .to_string()
                    .replace('Z', ".000Z")
                    .into()
            }
            // Midnight UTC a week after the order, as Hotmart writes it.
            "warranty_date" => iso((order_date + 7 * DAY).div_euclid(DAY) * DAY).into(),
            "purchase_date" => iso(order_date / 1000 * 1000).into(),
            "confirmation_date" => iso(order_date / 1000 * 1000 + 2000).into(),
            "status" => self.status?.into(),
            "hottok" if form => form_urlencoded::byte_serialize(hottok.as_bytes())
                .collect::<String>()
                .into(),
            "hottok" => {
                let quoted = serde_json::Value::from(hottok).to_string();
                quoted[1..quoted.len() - 1].to_owned().into()
            }
            _ => return None,
        })
    }
}

/// Replaces every `{{name}}` of `template` by `value(name)` (unknown names
/// are left as they are, which the tests catch).
fn render(template: &str, value: impl Fn(&str) -> Option<Cow<'static, str>>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = &after[..end];
                match value(name) {
                    Some(text) => out.push_str(&text),
                    None => {
                        out.push_str("{{");
                        out.push_str(name);
                        out.push_str("}}");
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A random (version 4) UUID, as Hotmart's event ids are.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A transaction code shaped like production's: `HP` and ten digits.
fn transaction() -> String {
    let mut code = String::from("HP");
    code.extend((0..10).map(|_| char::from(b'0' + fastrand::u8(0..10))));
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    // Strictly: a generated body must fit the typed model, not merely be
    // tolerated with problems.
    use hotmart_webhook::{Event, Webhook, parse_strict as parse};

    const HOTTOK: &str = "tok+en/&\"with=odd chars";
    const NOW: i64 = 1_764_460_800_000; // 2025-11-30T00:00:00Z

    fn every(format: Format) -> Vec<Delivery> {
        names(format)
            .into_iter()
            .map(|name| kind(name, format).unwrap().generate(HOTTOK, NOW))
            .collect()
    }

    #[test]
    fn every_event_name_has_a_v2_body_that_parses_into_that_event() {
        assert_eq!(names(Format::V2), EVENT_NAMES);
        for name in EVENT_NAMES {
            let delivery = kind(name, Format::V2)
                .unwrap_or_else(|e| panic!("{e}"))
                .generate(HOTTOK, NOW);
            let body = std::str::from_utf8(&delivery.body).unwrap();
            assert!(
                !body.contains("{{"),
                "{name}: unrendered placeholder in {body}"
            );
            let webhook = parse(&delivery.body).unwrap_or_else(|e| panic!("{name}: {e}\n{body}"));
            let Webhook::V2(envelope) = &webhook else {
                panic!("{name}: not a 2.0.0 delivery")
            };
            assert_eq!(envelope.event.name(), *name);
            assert!(envelope.event.is_known(), "{name}");
            assert_eq!(envelope.id.as_deref(), delivery.id.as_deref());
            assert_eq!(envelope.creation_date.unwrap().as_millis(), NOW);
            assert_eq!(
                webhook.transaction(),
                delivery.transaction.as_deref(),
                "{name}"
            );
            assert!(
                body.starts_with(r#"{"data":{"#),
                "Hotmart sends data first: {name}"
            );
            assert_eq!(delivery.content_type, JSON);
            assert!(delivery.hottok_header);
        }
    }

    #[test]
    fn every_purchase_event_has_a_v1_form_with_its_status() {
        let deliveries = every(Format::V1Form);
        assert_eq!(deliveries.len(), 9);
        for delivery in deliveries {
            let webhook = parse(&delivery.body).unwrap();
            let Webhook::V1Purchase(purchase) = &webhook else {
                panic!("{}: not a v1 postback", delivery.event)
            };
            let v2_status = webhook.purchase_status().unwrap();
            // The v1 status maps to the status of the 2.0.0 event of that name.
            let v2_body = kind(&delivery.event, Format::V2)
                .unwrap()
                .generate(HOTTOK, NOW)
                .body;
            let v2 = parse(&v2_body).unwrap();
            let Webhook::V2(envelope) = v2 else {
                unreachable!()
            };
            let Some(data) = envelope.event.purchase() else {
                unreachable!()
            };
            assert_eq!(Some(&v2_status), data.status(), "{}", delivery.event);
            assert_eq!(
                purchase.transaction.as_deref(),
                delivery.transaction.as_deref()
            );
            assert_eq!(delivery.content_type, FORM);
            assert!(!delivery.hottok_header);
            let fields: Vec<(String, String)> = form_urlencoded::parse(&delivery.body)
                .into_owned()
                .collect();
            assert!(fields.contains(&("hottok".into(), HOTTOK.into())));
        }
    }

    #[test]
    fn the_three_v1_json_events_parse_as_their_v1_shape() {
        let deliveries = every(Format::V1Json);
        let kinds: Vec<&str> = deliveries
            .iter()
            .map(|d| {
                let webhook = parse(&d.body).unwrap_or_else(|e| panic!("{}: {e}", d.event));
                let value: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
                assert_eq!(value["hottok"], HOTTOK);
                assert!(!d.hottok_header);
                match webhook {
                    Webhook::V1CartAbandonment(_) => "cart",
                    Webhook::V1SubscriptionCancellation(c) => {
                        assert_eq!(c.cancellation_date.unwrap().as_millis(), NOW - 1000);
                        "cancellation"
                    }
                    Webhook::V1SwitchPlan(_) => "switch",
                    other => panic!("{}: parsed as {}", d.event, other.event_name()),
                }
            })
            .collect();
        assert_eq!(kinds, ["cart", "cancellation", "switch"]);
    }

    #[test]
    fn each_delivery_gets_a_fresh_id_and_transaction() {
        let kind = kind("purchase_approved", Format::V2).unwrap();
        let a = kind.generate(HOTTOK, NOW);
        let b = kind.generate(HOTTOK, NOW + 1);
        assert_ne!(a.id, b.id);
        assert_ne!(a.transaction, b.transaction);
        let id = a.id.unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let tx = a.transaction.unwrap();
        assert!(tx.starts_with("HP") && tx.len() == 12, "{tx}");
    }

    #[test]
    fn each_delivery_has_its_own_subscriber() {
        for format in [Format::V2, Format::V1Form, Format::V1Json] {
            for name in [
                "PURCHASE_APPROVED",
                "SUBSCRIPTION_CANCELLATION",
                "SWITCH_PLAN",
            ] {
                let Ok(kind) = kind(name, format) else {
                    continue;
                };
                let a = parse(&kind.generate(HOTTOK, NOW).body)
                    .unwrap()
                    .subscriber_code()
                    .map(str::to_owned);
                let b = parse(&kind.generate(HOTTOK, NOW).body)
                    .unwrap()
                    .subscriber_code()
                    .map(str::to_owned);
                assert!(a.is_some(), "{name} {format:?}");
                assert_ne!(a, b, "{name} {format:?}");
            }
        }
    }

    #[test]
    fn timestamps_follow_the_delivery_time() {
        let body = kind("PURCHASE_APPROVED", Format::V2)
            .unwrap()
            .generate(HOTTOK, NOW)
            .body;
        let Webhook::V2(envelope) = parse(&body).unwrap() else {
            unreachable!()
        };
        let Event::PurchaseApproved(p) = &envelope.event else {
            unreachable!()
        };
        let purchase = p.purchase.as_ref().unwrap();
        assert_eq!(purchase.order_date.unwrap().as_millis(), NOW - MINUTE);
        assert_eq!(
            purchase.approved_date.unwrap().as_millis(),
            NOW - MINUTE + 2000
        );
        let warranty = p.product.as_ref().unwrap().warranty_date.unwrap();
        assert_eq!(warranty.to_string(), "2025-12-06T00:00:00Z");
    }

    #[test]
    fn the_v2_hottok_is_escaped_in_the_one_event_that_carries_it_in_the_body() {
        let delivery = kind("UPDATE_SUBSCRIPTION_CHARGE_DATE", Format::V2)
            .unwrap()
            .generate(HOTTOK, NOW);
        let value: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(value["hottok"], HOTTOK);
        assert_eq!(
            value["data"]["subscription"]["date_next_charge"],
            "2025-12-30T12:00:00.000Z"
        );
    }

    #[test]
    fn an_event_a_format_cannot_carry_is_a_clear_error() {
        let error = kind("PURCHASE_APPROVED", Format::V1Json).unwrap_err();
        assert!(
            error.contains("v1-json") && error.contains("SWITCH_PLAN"),
            "{error}"
        );
        assert!(kind("PURCHASE_COMPLETED", Format::V2).is_err());
    }
}
