//! 2.0.0 JSON deliveries, and the dispatch of JSON bodies: one pass when it
//! can be, else the envelope first and then `data`, typed by the event name.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Mode, field_path, parse_typed, v1};
use crate::error::{Category, ParseError};
use crate::event::in_place::Fill;
use crate::event::{Event, PurchaseData};
use crate::problem::{self, read_or_note};
use crate::{Envelope, KeyCase, RawJson, Text, Timestamp, Webhook};

/// What the first pass over a JSON object found.
#[derive(Default)]
struct TopLevel<'a> {
    id: Option<Text<'a>>,
    creation_date: Option<(Timestamp, KeyCase)>,
    event: Option<Text<'a>>,
    version: Option<Text<'a>>,
    data: Option<&'a RawValue>,
    /// `data` typed in the single pass, for the event named by the body's
    /// `event` when it came first, else by [`guess_event`];
    /// [`parse_json_single_pass`] checks it against the real `event` and
    /// `version`.
    typed: Option<Event<'a>>,
    v1_cart: (bool, bool),
    v1_cancellation: bool,
    v1_switch_plan: bool,
    v1_purchase: bool,
}

/// Fills a [`TopLevel`] in place: the typed event is a few kilobytes, and
/// returning it by value through serde's layers would copy it each time.
struct TopLevelVisitor<'c, 'b, 't, 'a> {
    /// The key whose value is being read, for the error path.
    current: &'c Cell<&'static str>,
    /// Read the envelope's fields tolerantly: a value of another type, or a
    /// key seen twice, is noted as a problem instead of failing.
    tolerant: bool,
    /// `Some(body)`: type `data` in this pass (the single-pass attempt).
    typed: Option<&'b [u8]>,
    top: &'t mut TopLevel<'a>,
}

/// Reads `data` typed as one known event, into its final place.
struct DataSeed<'t, 'a> {
    name: &'static str,
    slot: &'t mut Option<Event<'a>>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        // The purchase events, by far the largest, and the cancellation are
        // built where they stay.
        if let Some(variant) = Event::purchase_variant(self.name) {
            let data = self
                .slot
                .insert(variant(PurchaseData::default()))
                .purchase_mut()
                .expect("a purchase variant");
            return deserializer.deserialize_map(Fill(data));
        }
        if self.name == "SUBSCRIPTION_CANCELLATION" {
            let slot = self
                .slot
                .insert(Event::SubscriptionCancellation(Default::default()));
            let Event::SubscriptionCancellation(data) = slot else {
                unreachable!("just inserted")
            };
            return deserializer.deserialize_map(Fill(data));
        }
        *self.slot = Some(Event::deserialize_data(self.name, deserializer)?);
        Ok(())
    }
}

/// The event name of a body whose `data` comes before `event` (Hotmart's
/// order): the value of the last `"event"` key, found from the end, when it
/// is a plain string naming a known event. Only a guess: a nested key, odd
/// spacing or escapes make it wrong or absent, and the caller checks it.
fn guess_event(body: &[u8]) -> Option<&'static str> {
    const KEY: &[u8] = b"\"event\"";
    // From the end, test only the positions holding the closing quote.
    let at = (KEY.len()..=body.len())
        .rev()
        .find(|&end| body[end - 1] == b'"' && &body[end - KEY.len()..end] == KEY)?;
    let rest = &body[at..];
    fn skip_ws(s: &[u8]) -> &[u8] {
        let n = s.iter().take_while(|b| b.is_ascii_whitespace()).count();
        &s[n..]
    }
    let rest = skip_ws(rest).strip_prefix(b":")?;
    let rest = skip_ws(rest).strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    Event::known_name(&rest[..end])
}

impl<'de> Visitor<'de> for TopLevelVisitor<'_, '_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Hotmart webhook object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        fn once<T, E: de::Error>(
            slot: &mut Option<T>,
            value: T,
            key: &'static str,
        ) -> Result<(), E> {
            if slot.replace(value).is_some() {
                return Err(E::duplicate_field(key));
            }
            Ok(())
        }
        let top = self.top;
        let tolerant = self.tolerant;
        // Tolerantly, a value of another type reads as absent, and the first
        // of two values wins; both are noted.
        fn read<'de, T: de::Deserialize<'de>, A: MapAccess<'de>>(
            map: &mut A,
            tolerant: bool,
            slot: &mut Option<T>,
            key: &'static str,
        ) -> Result<(), A::Error> {
            if !tolerant {
                let value = map.next_value()?;
                return once(slot, value, key);
            }
            let raw: &'de RawValue = map.next_value()?;
            if let Some(value) = read_or_note(raw) {
                if slot.is_some() {
                    problem::note(raw.get(), format!("duplicate field `{key}`"));
                } else {
                    *slot = Some(value);
                }
            }
            Ok(())
        }
        while let Some(key) = map.next_key::<Text<'de>>()? {
            self.current.set("");
            match &*key {
                "id" => {
                    self.current.set("id");
                    read(&mut map, tolerant, &mut top.id, "id")?;
                }
                k @ ("creation_date" | "creationDate") => {
                    let (name, case) = if k == "creation_date" {
                        ("creation_date", KeyCase::Snake)
                    } else {
                        ("creationDate", KeyCase::Camel)
                    };
                    self.current.set(name);
                    if tolerant {
                        // `creation_date` wins over `creationDate`.
                        let mut date = None;
                        read(&mut map, true, &mut date, name)?;
                        match (date, &top.creation_date) {
                            (Some(date), None) => top.creation_date = Some((date, case)),
                            (Some(date), Some((_, KeyCase::Camel))) if case == KeyCase::Snake => {
                                top.creation_date = Some((date, case));
                            }
                            _ => {}
                        }
                    } else {
                        let v: Option<Timestamp> = map.next_value()?;
                        if let Some(v) = v {
                            once(&mut top.creation_date, (v, case), "creation_date")?;
                        }
                    }
                }
                "event" => {
                    self.current.set("event");
                    read(&mut map, tolerant, &mut top.event, "event")?;
                }
                "version" => {
                    self.current.set("version");
                    read(&mut map, tolerant, &mut top.version, "version")?;
                }
                "data" => {
                    self.current.set("data");
                    let known = match (self.typed, &top.event) {
                        (None, _) => None,
                        (Some(_), Some(name)) => Event::known_name(name.as_bytes()),
                        (Some(body), None) => guess_event(body),
                    };
                    if top.typed.is_some() {
                        return Err(de::Error::duplicate_field("data"));
                    }
                    match known {
                        Some(name) if top.data.is_none() => {
                            map.next_value_seed(DataSeed {
                                name,
                                slot: &mut top.typed,
                            })?;
                        }
                        _ => {
                            let v: &'de RawValue = map.next_value()?;
                            if tolerant && top.data.is_some() {
                                problem::note(v.get(), "duplicate field `data`".to_owned());
                            } else {
                                once(&mut top.data, v, "data")?;
                            }
                        }
                    }
                }
                // The keys that identify a v1 JSON event count only with a
                // value: `null` reads as an absent field.
                k @ ("affiliate" | "productName" | "cancellationDate" | "switchPlanDate") => {
                    let present = map.next_value::<Option<IgnoredAny>>()?.is_some();
                    match k {
                        "affiliate" => top.v1_cart.0 |= present,
                        "productName" => top.v1_cart.1 |= present,
                        "cancellationDate" => top.v1_cancellation |= present,
                        _ => top.v1_switch_plan |= present,
                    }
                }
                other => {
                    if matches!(other, "callback_type" | "status" | "transaction" | "prod") {
                        top.v1_purchase = true;
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct TopLevelSeed<'c, 'b, 't, 'a>(TopLevelVisitor<'c, 'b, 't, 'a>);

impl<'de> DeserializeSeed<'de> for TopLevelSeed<'_, '_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self.0)
    }
}

/// One pass over the body when it can be: `data` is typed while the
/// envelope is read, for the event that came before it or, in Hotmart's
/// order (`data` first), for the event guessed from the end of the body.
/// Anything unexpected (an error, a wrong guess, another `version`) drops
/// the attempt and runs the two-pass reading, whose results and errors are
/// the reference; tolerantly, that reading notes the fields that failed.
pub(super) fn parse_json(body: &[u8], mode: Mode) -> Result<Webhook<'_>, ParseError> {
    if let Some(webhook) = parse_json_single_pass(body) {
        return Ok(webhook);
    }
    match mode {
        Mode::Strict => parse_json_two_pass(body, Mode::Strict),
        Mode::Tolerant => {
            let (webhook, problems) =
                problem::tolerantly(body, || parse_json_two_pass(body, Mode::Tolerant));
            webhook.map(|w| w.with_problems(problems))
        }
    }
}

fn read_top_level<'a>(
    body: &'a [u8],
    current: &Cell<&'static str>,
    mode: Mode,
) -> Result<TopLevel<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut top = TopLevel::default();
    let visitor = TopLevelVisitor {
        current,
        tolerant: mode == Mode::Tolerant,
        typed: None,
        top: &mut top,
    };
    TopLevelSeed(visitor).deserialize(&mut de)?;
    de.end()?;
    Ok(top)
}

pub(super) fn parse_json_single_pass(body: &[u8]) -> Option<Webhook<'_>> {
    // One UTF-8 check of the whole body is much cheaper than serde_json's
    // check of every string on its own (a call per string); the two-pass
    // reading reports invalid UTF-8 where it is.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let mut top = TopLevel::default();
    let visitor = TopLevelVisitor {
        current: &Cell::new(""),
        tolerant: false,
        typed: Some(body),
        top: &mut top,
    };
    TopLevelSeed(visitor).deserialize(&mut de).ok()?;
    de.end().ok()?;
    let confirmed = match (&top.typed, &top.event) {
        (Some(event), Some(name)) => *name == event.name(),
        _ => false,
    } && top.version.as_deref().is_none_or(|v| v == "2.0.0")
        && top.id.is_some();
    if !confirmed {
        return None;
    }
    let TopLevel {
        id,
        creation_date,
        version,
        typed,
        ..
    } = top;
    Some(Webhook::V2(Envelope {
        id: Some(id?),
        creation_date: creation_date.map(|(t, _)| t),
        creation_date_key: creation_date.map(|(_, k)| k).unwrap_or_default(),
        version,
        event: typed?,
        problems: Vec::new(),
    }))
}

pub(super) fn parse_json_two_pass(body: &[u8], mode: Mode) -> Result<Webhook<'_>, ParseError> {
    let current = Cell::new("");
    let top = read_top_level(body, &current, mode).map_err(|e| {
        let path = e.is_data().then(|| current.get().to_owned());
        ParseError::from_json(&e, path)
    })?;

    if let Some(name) = top.event {
        return parse_v2(
            body,
            top.id,
            top.creation_date,
            name,
            top.version,
            top.data,
            mode,
        )
        .map(Webhook::V2);
    }
    if top.v1_cart.0 && top.v1_cart.1 {
        return parse_typed(body, mode).map(Webhook::V1CartAbandonment);
    }
    if top.v1_cancellation {
        return parse_typed(body, mode).map(Webhook::V1SubscriptionCancellation);
    }
    if top.v1_switch_plan {
        return parse_typed(body, mode).map(Webhook::V1SwitchPlan);
    }
    if top.v1_purchase {
        return v1::parse_json_purchase(body, mode).map(Webhook::V1Purchase);
    }
    Err(ParseError::new(
        Category::Data,
        Some("event".to_owned()),
        "not a Hotmart webhook: a JSON object without `event` and without the keys of a v1 event",
    ))
}

fn missing(field: &str) -> ParseError {
    ParseError::new(
        Category::Data,
        Some(field.to_owned()),
        format!("missing field `{field}`"),
    )
}

/// `true` for the versions read as 2.0.0: `2.0.0` itself and, tolerantly,
/// any `2.x.y` (digits only).
fn reads_as_v2(version: &str, mode: Mode) -> bool {
    if mode == Mode::Strict {
        return version == "2.0.0";
    }
    let mut parts = version.split('.');
    parts.next() == Some("2")
        && parts
            .by_ref()
            .take(2)
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .count()
            == 2
        && parts.next().is_none()
}

fn parse_v2<'a>(
    body: &'a [u8],
    id: Option<Text<'a>>,
    creation_date: Option<(Timestamp, KeyCase)>,
    name: Text<'a>,
    version: Option<Text<'a>>,
    data: Option<&'a RawValue>,
    mode: Mode,
) -> Result<Envelope<'a>, ParseError> {
    let strict = mode == Mode::Strict;
    if strict && id.is_none() {
        return Err(missing("id"));
    }
    let data = match data {
        Some(data) => data,
        None if strict => return Err(missing("data")),
        None => RawValue::NULL,
    };
    // Without an id (an emulator's body), the delivery is kept unknown: it
    // cannot be deduplicated, so it must not trigger effects.
    let typed = id.is_some() && version.as_deref().is_none_or(|v| reads_as_v2(v, mode));
    let parsed = if typed {
        Event::parse_data(&name, data.get())
    } else {
        None
    };
    let event = match parsed {
        Some(Ok(event)) => event,
        Some(Err(_)) if strict => return Err(data_error(&name, data.get(), body)),
        Some(Err(err)) => {
            // `data` itself is not an object: keep it raw, note why.
            let mut message = crate::error::redact(&err.to_string());
            if let Some(i) = message.rfind(" at line ") {
                message.truncate(i);
            }
            problem::note(data.get(), message);
            Event::Unknown {
                name,
                data: RawJson::borrowed(data),
            }
        }
        None => Event::Unknown {
            name,
            data: RawJson::borrowed(data),
        },
    };
    Ok(Envelope {
        id,
        creation_date: creation_date.map(|(t, _)| t),
        creation_date_key: creation_date.map(|(_, k)| k).unwrap_or_default(),
        version,
        event,
        problems: Vec::new(),
    })
}

/// Re-parses failing `data` with path tracking (errors are rare, so the fast
/// path does not pay for tracking).
fn data_error(name: &str, data: &str, body: &[u8]) -> ParseError {
    match Event::parse_data_tracked(name, data) {
        Some(Err(e)) => ParseError::from_json(e.inner(), field_path(&e))
            .with_path_prefix("data")
            .with_position_in(body, data),
        _ => ParseError::new(Category::Data, Some("data".to_owned()), "invalid data"),
    }
}
