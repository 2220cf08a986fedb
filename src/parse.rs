//! [`parse`]: one entry point for every payload version.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::{Category, ParseError};
use crate::event::in_place::Fill;
use crate::event::v1::{V1CartAbandonment, V1Purchase, V1SubscriptionCancellation, V1SwitchPlan};
use crate::event::{Event, Id, PurchaseData, PurchaseStatus};
use crate::{Money, RawJson, Text, Timestamp};

/// Any body Hotmart sends, typed.
///
/// ```
/// use hotmart_webhook::{parse, Webhook};
///
/// fn handle(body: &[u8]) -> Result<(), hotmart_webhook::ParseError> {
///     let webhook = parse(body)?;
///     // The common facts of a purchase read the same for v1 and v2:
///     if let (Some(tx), Some(status)) = (webhook.transaction(), webhook.purchase_status()) {
///         println!("{tx}: {status}");
///     }
///     match webhook {
///         Webhook::V2(envelope) => println!("event {} ({})", envelope.event.name(), envelope.id),
///         Webhook::V1Purchase(p) => println!("v1 postback {:?}", p.status),
///         _ => println!("another v1 event"),
///     }
///     Ok(())
/// }
/// handle(b"status=approved&transaction=HP1&email=ana%40example.com")?;
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
// Boxing the large variants would cost a heap allocation on every parse; a
// `Webhook` lives on the stack of one handler, so its size is the cheaper cost.
#[allow(clippy::large_enum_variant)]
pub enum Webhook<'a> {
    /// A 2.0.0 JSON delivery (every current event).
    V2(Envelope<'a>),
    /// A v1 form-encoded purchase postback.
    V1Purchase(V1Purchase<'a>),
    /// A v1 cart abandonment (camelCase JSON).
    V1CartAbandonment(V1CartAbandonment<'a>),
    /// A v1 subscription cancellation (camelCase JSON).
    V1SubscriptionCancellation(V1SubscriptionCancellation<'a>),
    /// A v1 plan switch (camelCase JSON).
    V1SwitchPlan(V1SwitchPlan<'a>),
}

/// Which spelling the envelope used for its creation date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyCase {
    /// `creation_date` (nearly every event).
    #[default]
    Snake,
    /// `creationDate` (`CLUB_FIRST_ACCESS`, some tests).
    Camel,
}

/// The 2.0.0 envelope: `id`, `creation_date`, `event`, `version` and the
/// typed `data` (in [`event`](Self::event)).
///
/// The body's `hottok`, which Hotmart adds to some deliveries, is not kept:
/// the layer checks it, and a parsed event can then be logged, stored or
/// forwarded without carrying the account's secret.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Envelope<'a> {
    /// The event id (a UUID), the same across retries and resends:
    /// deduplicate on it.
    pub id: Text<'a>,
    /// When Hotmart created the event (`creation_date` or `creationDate`).
    pub creation_date: Option<Timestamp>,
    /// Which key carried the creation date.
    pub creation_date_key: KeyCase,
    /// `"2.0.0"`; another value makes the event [`Event::Unknown`].
    pub version: Option<Text<'a>>,
    /// The event, with its typed data.
    pub event: Event<'a>,
}

impl Envelope<'_> {
    /// A copy independent of the body.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            id: self.id.into_owned(),
            creation_date: self.creation_date,
            creation_date_key: self.creation_date_key,
            version: self.version.map(Text::into_owned),
            event: self.event.into_owned(),
        }
    }
}

impl Serialize for Envelope<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Data<'r, 'a>(&'r Event<'a>);
        impl Serialize for Data<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize_data(serializer)
            }
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        if let Some(date) = &self.creation_date {
            let key = match self.creation_date_key {
                KeyCase::Snake => "creation_date",
                KeyCase::Camel => "creationDate",
            };
            map.serialize_entry(key, date)?;
        }
        map.serialize_entry("event", self.event.name())?;
        if let Some(version) = &self.version {
            map.serialize_entry("version", version)?;
        }
        map.serialize_entry("data", &Data(&self.event))?;
        map.end()
    }
}

impl Serialize for Webhook<'_> {
    /// Hotmart's wire names: the envelope for v2, the flat fields for a v1
    /// postback, the camelCase objects for the v1 JSON events.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Webhook::V2(e) => e.serialize(serializer),
            Webhook::V1Purchase(p) => p.serialize(serializer),
            Webhook::V1CartAbandonment(c) => c.serialize(serializer),
            Webhook::V1SubscriptionCancellation(c) => c.serialize(serializer),
            Webhook::V1SwitchPlan(s) => s.serialize(serializer),
        }
    }
}

impl<'a> Webhook<'a> {
    /// The payload version: `"2.0.0"` (or the envelope's own `version`), or
    /// `"1.0.0"`.
    pub fn version(&self) -> &str {
        match self {
            Webhook::V2(e) => e.version.as_deref().unwrap_or("2.0.0"),
            _ => "1.0.0",
        }
    }

    /// The 2.0.0 event name, or the v1 kind: `purchase`, `cart_abandonment`,
    /// `subscription_cancellation`, `switch_plan`.
    pub fn event_name(&self) -> &str {
        match self {
            Webhook::V2(e) => e.event.name(),
            Webhook::V1Purchase(_) => "purchase",
            Webhook::V1CartAbandonment(_) => "cart_abandonment",
            Webhook::V1SubscriptionCancellation(_) => "subscription_cancellation",
            Webhook::V1SwitchPlan(_) => "switch_plan",
        }
    }

    /// `false` exactly when this is a 2.0.0 [`Event::Unknown`].
    pub fn is_known(&self) -> bool {
        match self {
            Webhook::V2(e) => e.event.is_known(),
            _ => true,
        }
    }

    /// The 2.0.0 event id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Webhook::V2(e) => Some(&e.id),
            _ => None,
        }
    }

    /// The purchase transaction code (`HP…`), v1 or v2.
    pub fn transaction(&self) -> Option<&str> {
        match self {
            Webhook::V2(e) => match &e.event {
                Event::OrderFulfillment(f) => f.purchase.as_ref()?.transaction.as_deref(),
                event => event.purchase()?.transaction(),
            },
            Webhook::V1Purchase(p) => p.transaction.as_deref(),
            _ => None,
        }
    }

    /// The purchase status, v1 statuses mapped to their 2.0.0 names.
    pub fn purchase_status(&self) -> Option<PurchaseStatus<'_>> {
        match self {
            Webhook::V2(e) => match &e.event {
                Event::OrderFulfillment(f) => f.purchase.as_ref()?.status.clone(),
                event => event.purchase()?.status().cloned(),
            },
            Webhook::V1Purchase(p) => p.purchase_status(),
            _ => None,
        }
    }

    /// The buyer's (or subscriber's, or student's) e-mail.
    pub fn buyer_email(&self) -> Option<&str> {
        match self {
            Webhook::V2(e) => match &e.event {
                Event::PurchaseOutOfShoppingCart(c) => c.buyer.as_ref()?.email.as_deref(),
                Event::SubscriptionCancellation(c) => c.subscriber.as_ref()?.email.as_deref(),
                Event::SwitchPlan(s) => s.subscription.as_ref()?.user.as_ref()?.email.as_deref(),
                Event::UpdateSubscriptionChargeDate(c) => c.subscriber.as_ref()?.email.as_deref(),
                Event::ClubFirstAccess(c) => c.user.as_ref()?.email.as_deref(),
                Event::ClubModuleCompleted(c) => c.user.as_ref()?.email.as_deref(),
                Event::OrderFulfillment(f) => {
                    f.purchase.as_ref()?.shopper.as_ref()?.email.as_deref()
                }
                event => event.purchase()?.buyer_email(),
            },
            Webhook::V1Purchase(p) => p.email.as_deref(),
            Webhook::V1CartAbandonment(c) => c.buyer_vo.as_ref()?.email.as_deref(),
            Webhook::V1SubscriptionCancellation(c) => c.user_email.as_deref(),
            Webhook::V1SwitchPlan(s) => s
                .subscription
                .as_ref()?
                .subscriber
                .as_ref()?
                .user
                .as_ref()?
                .email
                .as_deref(),
        }
    }

    /// The product id.
    pub fn product_id(&self) -> Option<Id<'_>> {
        fn borrowed<'s>(id: &'s Id<'_>) -> Id<'s> {
            match id {
                Id::Number(n) => Id::Number(*n),
                Id::Text(t) => Id::Text(Text::borrowed(t.as_str())),
            }
        }
        let id = match self {
            Webhook::V2(e) => match &e.event {
                Event::PurchaseOutOfShoppingCart(c) => c.product.as_ref()?.id.as_ref(),
                Event::SubscriptionCancellation(c) => c.product.as_ref()?.id.as_ref(),
                Event::SwitchPlan(s) => s.subscription.as_ref()?.product.as_ref()?.id.as_ref(),
                Event::UpdateSubscriptionChargeDate(c) => {
                    c.subscription.as_ref()?.product.as_ref()?.id.as_ref()
                }
                Event::ClubFirstAccess(c) => c.product.as_ref()?.id.as_ref(),
                Event::ClubModuleCompleted(c) => c.product.as_ref()?.id.as_ref(),
                event => event.purchase()?.product_id(),
            },
            Webhook::V1Purchase(p) => return p.product_id(),
            Webhook::V1CartAbandonment(c) => c.product_id.as_ref(),
            Webhook::V1SwitchPlan(s) => s.subscription.as_ref()?.product.as_ref()?.id.as_ref(),
            Webhook::V1SubscriptionCancellation(_) => None,
        };
        id.map(borrowed)
    }

    /// The purchase price with its currency.
    pub fn price(&self) -> Option<Money<'_>> {
        let price = match self {
            Webhook::V2(e) => match &e.event {
                Event::OrderFulfillment(f) => f.purchase.as_ref()?.price.as_ref(),
                event => event.purchase()?.price(),
            },
            Webhook::V1Purchase(p) => return p.price_money(),
            _ => None,
        }?;
        Some(Money {
            value: price.value,
            currency_value: price.currency_value.as_deref().map(Text::borrowed),
        })
    }

    /// The subscriber code. A v1 cancellation whose `subscriberCode` came as
    /// a JSON number has no text to borrow: this gives `None`, and
    /// [`V1SubscriptionCancellation::subscriber_code`] holds the number.
    pub fn subscriber_code(&self) -> Option<&str> {
        match self {
            Webhook::V2(e) => match &e.event {
                Event::SubscriptionCancellation(c) => c.subscriber.as_ref()?.code.as_deref(),
                Event::SwitchPlan(s) => s.subscription.as_ref()?.subscriber_code.as_deref(),
                Event::UpdateSubscriptionChargeDate(c) => c.subscriber.as_ref()?.code.as_deref(),
                event => event.purchase()?.subscriber_code(),
            },
            Webhook::V1Purchase(p) => p.subscriber_code.as_deref(),
            Webhook::V1SubscriptionCancellation(c) => match c.subscriber_code.as_ref()? {
                Id::Text(t) => Some(t.as_str()),
                Id::Number(_) => None,
            },
            Webhook::V1SwitchPlan(s) => s
                .subscription
                .as_ref()?
                .subscriber
                .as_ref()?
                .code
                .as_deref(),
            Webhook::V1CartAbandonment(_) => None,
        }
    }

    /// The answer the integration guide documents for an accepted delivery:
    /// `200`, `content-type: application/json` and
    /// `{"success":true,"data":{"id":…,"event":…}}`; for v1, whose deliveries
    /// have no id, `{"success":true,"data":{"transaction":…,"status":…}}`
    /// with the status in its 2.0.0 spelling. The counterpart of
    /// [`ParseError::to_response`] and [`Rejection::to_response`](crate::Rejection::to_response).
    ///
    /// ```
    /// let webhook = hotmart_webhook::parse(b"status=approved&transaction=HP1")?;
    /// let response = webhook.accepted_response();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(
    ///     &response.body()[..],
    ///     br#"{"success":true,"data":{"transaction":"HP1","status":"APPROVED"}}"#
    /// );
    /// # Ok::<(), hotmart_webhook::ParseError>(())
    /// ```
    pub fn accepted_response(&self) -> http::Response<bytes::Bytes> {
        use serde_json::Value;
        // Written by hand to keep the documented key order (a serde_json map
        // sorts its keys); `Value`'s Display escapes the strings.
        let data = match self {
            Webhook::V2(e) => format!(
                r#"{{"id":{},"event":{}}}"#,
                Value::from(&*e.id),
                Value::from(e.event.name())
            ),
            v1 => {
                let status = v1.purchase_status();
                format!(
                    r#"{{"transaction":{},"status":{}}}"#,
                    Value::from(v1.transaction()),
                    Value::from(status.as_ref().map(PurchaseStatus::as_str))
                )
            }
        };
        let body = format!(r#"{{"success":true,"data":{data}}}"#);
        let mut response = http::Response::new(bytes::Bytes::from(body));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }

    /// A copy independent of the body, for queues and spawned tasks.
    pub fn into_owned(self) -> Webhook<'static> {
        match self {
            Webhook::V2(e) => Webhook::V2(e.into_owned()),
            Webhook::V1Purchase(p) => Webhook::V1Purchase(p.into_owned()),
            Webhook::V1CartAbandonment(c) => Webhook::V1CartAbandonment(c.into_owned()),
            Webhook::V1SubscriptionCancellation(c) => {
                Webhook::V1SubscriptionCancellation(c.into_owned())
            }
            Webhook::V1SwitchPlan(s) => Webhook::V1SwitchPlan(s.into_owned()),
        }
    }

    /// The body in Hotmart's wire format: JSON for v2 and the v1 JSON events,
    /// `application/x-www-form-urlencoded` for a v1 postback. Parsing it gives
    /// back an equal value.
    pub fn to_wire(&self) -> Vec<u8> {
        match self {
            Webhook::V1Purchase(p) => p.to_form().into_bytes(),
            other => serde_json::to_vec(other).unwrap_or_default(),
        }
    }
}

/// Parses any body Hotmart sends.
///
/// * a JSON object with `event` is a 2.0.0 envelope (keys in any order); its
///   `data` is typed by the event name, and an unknown name (or a `version`
///   other than `2.0.0`) gives [`Event::Unknown`] with the raw data;
/// * a JSON object without `event` is a v1 JSON event, told apart by its keys
///   (`affiliate` + `productName`, `cancellationDate`, `switchPlanDate`), or a
///   v1 postback re-encoded as a flat JSON object of strings;
/// * anything else is read as a v1 form postback (UTF-8; `+` and `%20` are
///   spaces), which must carry at least one of `status`, `callback_type`,
///   `transaction` or `prod` (an empty `status` or `callback_type` is absent).
///
/// Strings borrow from `body` unless they had to be unescaped or decoded.
/// Unknown fields are ignored; absent and `null` optional fields are `None`.
///
/// Hotmart never sends `PURCHASE_COMPLETED`, `SUBSCRIPTION_CREATED`,
/// `SUBSCRIPTION_RENEWED` or `COMMISSION_GENERATED` (names from third-party
/// guides): they parse as [`Event::Unknown`]. A renewal is `PURCHASE_APPROVED`
/// with `recurrence_number` > 1; commissions travel inside purchase events.
///
/// ```
/// use hotmart_webhook::{parse, Event, Webhook};
///
/// let body = br#"{"id":"12345","event":"SUBSCRIPTION_RENEWED","version":"2.0.0",
///   "creation_date":"2023-01-01T10:00:00Z","data":{"plan":{"id":"PLAN123"}}}"#;
/// let Webhook::V2(envelope) = parse(body)? else { unreachable!() };
/// assert!(!envelope.event.is_known());
/// assert_eq!(envelope.event.name(), "SUBSCRIPTION_RENEWED");
/// assert_eq!(envelope.creation_date.unwrap().as_millis(), 1_672_567_200_000);
/// # Ok::<(), hotmart_webhook::ParseError>(())
/// ```
pub fn parse(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err(ParseError::new(Category::Syntax, None, "empty body")),
        Some(b'{') => parse_json(body),
        Some(b'[') => {
            // Report a syntax error if it is not even JSON.
            serde_json::from_slice::<IgnoredAny>(body)
                .map_err(|e| ParseError::from_json(&e, None))?;
            Err(ParseError::new(
                Category::Data,
                None,
                "expected a JSON object, found an array",
            ))
        }
        Some(_) => parse_form(body).map(Webhook::V1Purchase),
    }
}

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
    /// `Some(body)`: type `data` in this pass (the single-pass attempt).
    typed: Option<&'b [u8]>,
    top: &'t mut TopLevel<'a>,
}

/// Reads `data` typed as one known event.
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
        while let Some(key) = map.next_key::<Text<'de>>()? {
            self.current.set("");
            match &*key {
                "id" => {
                    self.current.set("id");
                    let v = map.next_value()?;
                    once(&mut top.id, v, "id")?;
                }
                k @ ("creation_date" | "creationDate") => {
                    let (name, case) = if k == "creation_date" {
                        ("creation_date", KeyCase::Snake)
                    } else {
                        ("creationDate", KeyCase::Camel)
                    };
                    self.current.set(name);
                    let v: Option<Timestamp> = map.next_value()?;
                    if let Some(v) = v {
                        once(&mut top.creation_date, (v, case), "creation_date")?;
                    }
                }
                "event" => {
                    self.current.set("event");
                    let v = map.next_value()?;
                    once(&mut top.event, v, "event")?;
                }
                "version" => {
                    self.current.set("version");
                    let v = map.next_value()?;
                    once(&mut top.version, v, "version")?;
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
                            let v = map.next_value()?;
                            once(&mut top.data, v, "data")?;
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
/// the reference.
fn parse_json(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
    if let Some(webhook) = parse_json_single_pass(body) {
        return Ok(webhook);
    }
    parse_json_two_pass(body)
}

fn read_top_level<'a>(
    body: &'a [u8],
    current: &Cell<&'static str>,
) -> Result<TopLevel<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut top = TopLevel::default();
    let visitor = TopLevelVisitor {
        current,
        typed: None,
        top: &mut top,
    };
    TopLevelSeed(visitor).deserialize(&mut de)?;
    de.end()?;
    Ok(top)
}

fn parse_json_single_pass(body: &[u8]) -> Option<Webhook<'_>> {
    // One UTF-8 check of the whole body is much cheaper than serde_json's
    // check of every string on its own (a call per string); the two-pass
    // reading reports invalid UTF-8 where it is.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let mut top = TopLevel::default();
    let visitor = TopLevelVisitor {
        current: &Cell::new(""),
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
        id: id?,
        creation_date: creation_date.map(|(t, _)| t),
        creation_date_key: creation_date.map(|(_, k)| k).unwrap_or_default(),
        version,
        event: typed?,
    }))
}

fn parse_json_two_pass(body: &[u8]) -> Result<Webhook<'_>, ParseError> {
    let current = Cell::new("");
    let top = read_top_level(body, &current).map_err(|e| {
        let path = e.is_data().then(|| current.get().to_owned());
        ParseError::from_json(&e, path)
    })?;

    if let Some(name) = top.event {
        return parse_v2(body, top.id, top.creation_date, name, top.version, top.data)
            .map(Webhook::V2);
    }
    if top.v1_cart.0 && top.v1_cart.1 {
        return parse_typed(body).map(Webhook::V1CartAbandonment);
    }
    if top.v1_cancellation {
        return parse_typed(body).map(Webhook::V1SubscriptionCancellation);
    }
    if top.v1_switch_plan {
        return parse_typed(body).map(Webhook::V1SwitchPlan);
    }
    if top.v1_purchase {
        return parse_v1_json_purchase(body).map(Webhook::V1Purchase);
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

fn parse_v2<'a>(
    body: &'a [u8],
    id: Option<Text<'a>>,
    creation_date: Option<(Timestamp, KeyCase)>,
    name: Text<'a>,
    version: Option<Text<'a>>,
    data: Option<&'a RawValue>,
) -> Result<Envelope<'a>, ParseError> {
    let id = id.ok_or_else(|| missing("id"))?;
    let data = data.ok_or_else(|| missing("data"))?;
    let typed = version.as_deref().is_none_or(|v| v == "2.0.0");
    let parsed = if typed {
        Event::parse_data(&name, data.get())
    } else {
        None
    };
    let event = match parsed {
        Some(Ok(event)) => event,
        Some(Err(_)) => return Err(data_error(&name, data.get(), body)),
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

fn parse_typed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ParseError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de)
        .map_err(|e| ParseError::from_json(e.inner(), field_path(&e)))
}

/// The path of a failing field, `None` when the value itself is at fault:
/// `serde_path_to_error` writes an empty path as `"."`, which would turn
/// into `data..`.
fn field_path(e: &serde_path_to_error::Error<serde_json::Error>) -> Option<String> {
    e.path().iter().next().map(|_| e.path().to_string())
}

fn parse_v1_json_purchase(body: &[u8]) -> Result<V1Purchase<'_>, ParseError> {
    let pairs: Vec<(Text<'_>, Text<'_>)> = parse_typed::<FlatObject<'_>>(body)?.0;
    let mut purchase = V1Purchase::default();
    for (key, value) in pairs {
        set_v1_field(&mut purchase, key, value)?;
    }
    if !is_recognised(&purchase) {
        return Err(ParseError::new(
            Category::Data,
            Some("event".to_owned()),
            "not a Hotmart webhook: a JSON object without `event` and without the keys of a v1 event",
        ));
    }
    Ok(purchase)
}

/// A postback carries at least one of `status`, `callback_type`,
/// `transaction` or `prod`. An empty `status` or `callback_type` is absent
/// (an empty typed value is `None`), so it does not count: `to_wire` could
/// not write it back, and the body it wrote would not parse.
fn is_recognised(purchase: &V1Purchase<'_>) -> bool {
    purchase.status.is_some()
        || purchase.callback_type.is_some()
        || purchase.transaction.is_some()
        || purchase.prod.is_some()
}

/// A JSON object whose values are all strings, in order.
struct FlatObject<'a>(Vec<(Text<'a>, Text<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for FlatObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlatVisitor;
        impl<'de> Visitor<'de> for FlatVisitor {
            type Value = FlatObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FlatObject<'de>, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry()? {
                    pairs.push((k, v));
                }
                Ok(FlatObject(pairs))
            }
        }
        deserializer.deserialize_map(FlatVisitor)
    }
}

fn set_v1_field<'a>(
    purchase: &mut V1Purchase<'a>,
    key: Text<'a>,
    value: Text<'a>,
) -> Result<(), ParseError> {
    if key == "hottok" {
        return Ok(());
    }
    match purchase.set(&key, value) {
        Ok(None) => Ok(()),
        Ok(Some(value)) => {
            purchase.extra.push((key, value));
            Ok(())
        }
        Err(e) => Err(ParseError::new(
            Category::Data,
            Some(e.field.to_owned()),
            e.message,
        )),
    }
}

/// Parses a v1 form postback.
pub(crate) fn parse_form(body: &[u8]) -> Result<V1Purchase<'_>, ParseError> {
    let mut purchase = V1Purchase::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let key = decode_form(key)?;
        let value = decode_form(value)?;
        set_v1_field(&mut purchase, key, value)?;
    }
    if !is_recognised(&purchase) {
        return Err(ParseError::new(
            Category::Syntax,
            None,
            "not a Hotmart webhook: neither a JSON object nor a v1 form postback \
             (no non-empty `status` or `callback_type`, no `transaction` or `prod` field)",
        ));
    }
    Ok(purchase)
}

/// Decodes one form component: borrowed when there is nothing to decode.
fn decode_form(raw: &[u8]) -> Result<Text<'_>, ParseError> {
    let not_utf8 = || ParseError::new(Category::Syntax, None, "form body is not valid UTF-8");
    if !raw.iter().any(|&b| b == b'+' || b == b'%') {
        return std::str::from_utf8(raw)
            .map(Text::borrowed)
            .map_err(|_| not_utf8());
    }
    // One buffer: `+` is a space, then `%XX` is a byte (so `%2B` stays a
    // `+`), and a `%` without two hex digits is kept as it is — what
    // replacing `+` and then `percent_decode` give, with one allocation.
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'+' => b' ',
            b'%' => match (
                raw.get(i + 1).and_then(|&b| hex(b)),
                raw.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(hi), Some(lo)) => {
                    i += 2;
                    hi << 4 | lo
                }
                _ => b'%',
            },
            b => b,
        };
        decoded.push(byte);
        i += 1;
    }
    String::from_utf8(decoded)
        .map(Text::from)
        .map_err(|_| not_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_inside_data_give_their_position_in_the_whole_body() {
        let body = b"{\"id\":\"1\",\"event\":\"PURCHASE_APPROVED\",\"version\":\"2.0.0\",\n\
            \"data\":{\"purchase\":{\"recurrence_number\":\"x\"}}}";
        let err = parse(body).unwrap_err();
        assert_eq!(err.path(), Some("data.purchase.recurrence_number"));
        let (line, column) = err.position().unwrap();
        assert_eq!(line, 2);
        let second_line = body.split(|&b| b == b'\n').nth(1).unwrap();
        let value_at = second_line.windows(3).position(|w| w == b"\"x\"").unwrap() + 1;
        assert!(
            (value_at..=value_at + 2).contains(&column),
            "{column} vs {value_at}"
        );

        let one_line = br#"{"data":{"purchase":{"recurrence_number":"x"}},"id":"1","event":"PURCHASE_APPROVED"}"#;
        let (line, column) = parse(one_line).unwrap_err().position().unwrap();
        let value_at = one_line.windows(3).position(|w| w == b"\"x\"").unwrap() + 1;
        assert_eq!(line, 1);
        assert!(
            (value_at..=value_at + 2).contains(&column),
            "{column} vs {value_at}"
        );
    }

    #[test]
    fn accepted_responses_carry_the_id_and_event_or_the_v1_transaction_and_status() {
        let v2 =
            parse(br#"{"id":"e\"1","event":"SOMETHING_NEW","version":"2.0.0","data":{}}"#).unwrap();
        let response = v2.accepted_response();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": true, "data": {"id": "e\"1", "event": "SOMETHING_NEW"}})
        );

        let v1 = parse(b"transaction=HP1&status=refunded&email=ana%40example.com").unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(v1.accepted_response().body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": true, "data": {"transaction": "HP1", "status": "REFUNDED"}})
        );

        let cancellation = parse(br#"{"hottok":"x","cancellationDate":1656013119173}"#).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(cancellation.accepted_response().body()).unwrap();
        assert_eq!(
            json["data"],
            serde_json::json!({"transaction": null, "status": null})
        );
    }

    #[test]
    fn form_components_without_escapes_are_borrowed() {
        assert!(decode_form(b"HP1121336654889").unwrap().is_borrowed());
        assert_eq!(decode_form(b"Pessoa+F%C3%ADsica").unwrap(), "Pessoa Física");
        assert_eq!(decode_form(b"a%20b").unwrap(), "a b");
        assert!(decode_form(b"%FF").is_err());
        // The same as replacing `+` and then percent-decoding.
        for raw in [
            &b"a+b%2Bc"[..],
            b"%",
            b"%4",
            b"%4g%41",
            b"100%",
            b"%%41",
            b"%c3%a1+%C3%A9",
            b"+%2b+",
        ] {
            let plus: Vec<u8> = raw
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            let reference: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
            assert_eq!(
                decode_form(raw).unwrap().as_bytes(),
                reference,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}

#[cfg(test)]
mod single_pass_tests {
    use super::*;

    /// The single pass, when it answers, answers what the two passes do.
    fn agrees(body: &[u8]) -> bool {
        let fast = parse_json_single_pass(body);
        if let Some(fast) = &fast {
            assert_eq!(Ok(fast), parse_json_two_pass(body).as_ref());
        }
        fast.is_some()
    }

    #[test]
    fn every_v2_fixture_takes_the_single_pass_with_the_same_result() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v2");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            assert!(agrees(&body), "{} took the two-pass path", path.display());
        }
    }

    #[test]
    fn a_wrong_guess_or_another_version_falls_back() {
        let cases: &[(&[u8], bool)] = &[
            // `event` first: no guess needed.
            (br#"{"event":"SUBSCRIPTION_CANCELLATION","id":"1","data":{"product":{"id":1}}}"#, true),
            // A nested "event" key after the real one misleads the guess.
            (br#"{"data":{"product":{"id":1}},"event":"SUBSCRIPTION_CANCELLATION","id":"1","x":{"event":"PURCHASE_APPROVED"}}"#, false),
            // Another version: the data stays raw (Unknown).
            (br#"{"data":{"purchase":{}},"id":"1","event":"PURCHASE_APPROVED","version":"3.0.0"}"#, false),
            // An unknown event.
            (br#"{"data":{"plan":{}},"id":"1","event":"SUBSCRIPTION_RENEWED"}"#, false),
            // Escaped event name: no guess, the two passes decide.
            (br#"{"data":{},"id":"1","event":"PURCHASE_APPROVE\u0044"}"#, false),
            // A data error: the two passes report it.
            (br#"{"data":{"purchase":[]},"id":"1","event":"PURCHASE_APPROVED"}"#, false),
            // No id.
            (br#"{"data":{},"event":"PURCHASE_APPROVED"}"#, false),
        ];
        for (body, single) in cases {
            assert_eq!(agrees(body), *single, "{}", String::from_utf8_lossy(body));
            // Whatever the path, `parse` gives the two-pass answer.
            assert_eq!(parse(body), parse_json_two_pass(body));
        }
    }
}
