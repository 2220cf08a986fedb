//! [`Webhook`] and the 2.0.0 [`Envelope`]: what [`parse`](crate::parse)
//! gives, and the accessors that read the same for every version.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::event::v1::{V1CartAbandonment, V1Purchase, V1SubscriptionCancellation, V1SwitchPlan};
use crate::event::{Event, Id, PurchaseStatus};
use crate::{Money, Problem, Text, Timestamp};

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
///         Webhook::V2(envelope) => println!("event {} ({:?})", envelope.event.name(), envelope.id),
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
/// [`parse`](crate::parse) reads any `2.x.y` version as 2.0.0 (the typed
/// event) and keeps the version that came in [`version`](Self::version).
/// When a body has both `creation_date` and `creationDate`, `creation_date`
/// (Hotmart's usual spelling) wins and the other is ignored.
///
/// The body's `hottok`, which Hotmart adds to some deliveries, is not kept:
/// the layer checks it, and a parsed event can then be logged, stored or
/// forwarded without carrying the account's secret.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Envelope<'a> {
    /// The event id (a UUID), the same across retries and resends:
    /// deduplicate on it. `None` only when the body had no string `id`
    /// (third-party emulators send such bodies); the event is then
    /// [`Event::Unknown`], and a receiver must not deduplicate it on an id.
    pub id: Option<Text<'a>>,
    /// When Hotmart created the event (`creation_date` or `creationDate`).
    pub creation_date: Option<Timestamp>,
    /// Which key carried the creation date.
    pub creation_date_key: KeyCase,
    /// The version as sent: `"2.0.0"`, or another `2.x.y` (read as 2.0.0);
    /// another major version makes the event [`Event::Unknown`].
    pub version: Option<Text<'a>>,
    /// The event, with its typed data.
    pub event: Event<'a>,
    /// The fields that did not read as their type and read as absent (see
    /// [`Webhook::problems`]).
    pub problems: Vec<Problem>,
}

impl Envelope<'_> {
    /// A copy independent of the body.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            id: self.id.map(Text::into_owned),
            creation_date: self.creation_date,
            creation_date_key: self.creation_date_key,
            version: self.version.map(Text::into_owned),
            event: self.event.into_owned(),
            problems: self.problems,
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
        if let Some(id) = &self.id {
            map.serialize_entry("id", id)?;
        }
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

    /// The 2.0.0 event id (`None` for v1, and for a 2.0.0 body without one).
    pub fn id(&self) -> Option<&str> {
        match self {
            Webhook::V2(e) => e.id.as_deref(),
            _ => None,
        }
    }

    /// The 2.0.0 event, `None` for v1 deliveries.
    ///
    /// ```
    /// use hotmart_webhook::{parse, Event};
    ///
    /// let webhook = parse(br#"{"id":"1","event":"SWITCH_PLAN","version":"2.0.0","data":{}}"#)?;
    /// assert!(matches!(webhook.event(), Some(Event::SwitchPlan(_))));
    /// assert!(parse(b"status=approved&transaction=HP1")?.event().is_none());
    /// # Ok::<(), hotmart_webhook::ParseError>(())
    /// ```
    pub fn event(&self) -> Option<&Event<'a>> {
        match self {
            Webhook::V2(e) => Some(&e.event),
            _ => None,
        }
    }

    /// The fields that did not read as their type: each read as absent
    /// (`None`), and is listed here with its path, what was expected and its
    /// byte offset. Empty for [`parse_strict`](crate::parse_strict), which
    /// fails instead. Log them, and answer `200` all the same: the delivery
    /// is authentic, and its key facts (id, event, transaction) read.
    ///
    /// ```
    /// let body = br#"{"id":"e1","event":"PURCHASE_APPROVED","version":"2.0.0",
    ///   "data":{"purchase":{"transaction":"HP1","recurrence_number":"2"}}}"#;
    /// let webhook = hotmart_webhook::parse(body)?;
    /// assert_eq!(webhook.transaction(), Some("HP1"));
    /// for problem in webhook.problems() {
    ///     // data.purchase.recurrence_number: invalid type: string "…", expected u32 (byte 105)
    ///     eprintln!("hotmart delivery {:?}: {problem}", webhook.id());
    /// }
    /// assert_eq!(webhook.problems()[0].path(), "data.purchase.recurrence_number");
    /// assert!(hotmart_webhook::parse_strict(body).is_err());
    /// # Ok::<(), hotmart_webhook::ParseError>(())
    /// ```
    pub fn problems(&self) -> &[Problem] {
        match self {
            Webhook::V2(e) => &e.problems,
            Webhook::V1Purchase(p) => &p.problems,
            Webhook::V1CartAbandonment(c) => &c.problems,
            Webhook::V1SubscriptionCancellation(c) => &c.problems,
            Webhook::V1SwitchPlan(s) => &s.problems,
        }
    }

    /// Takes the [`problems`](Self::problems) out, leaving none: to log them
    /// once, or to compare two parses of the same delivery.
    pub fn take_problems(&mut self) -> Vec<Problem> {
        std::mem::take(match self {
            Webhook::V2(e) => &mut e.problems,
            Webhook::V1Purchase(p) => &mut p.problems,
            Webhook::V1CartAbandonment(c) => &mut c.problems,
            Webhook::V1SubscriptionCancellation(c) => &mut c.problems,
            Webhook::V1SwitchPlan(s) => &mut s.problems,
        })
    }

    /// Puts the problems found by a tolerant parse in their place.
    pub(crate) fn with_problems(mut self, problems: Vec<Problem>) -> Self {
        if !problems.is_empty() {
            let slot = match &mut self {
                Webhook::V2(e) => &mut e.problems,
                Webhook::V1Purchase(p) => &mut p.problems,
                Webhook::V1CartAbandonment(c) => &mut c.problems,
                Webhook::V1SubscriptionCancellation(c) => &mut c.problems,
                Webhook::V1SwitchPlan(s) => &mut s.problems,
            };
            slot.extend(problems);
            slot.sort_by_key(Problem::offset);
        }
        self
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
                Value::from(e.id.as_deref()),
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
    /// back an equal value (without the [`problems`](Self::problems), whose
    /// fields are not written).
    ///
    /// Fails only if serialising fails, which a parsed value never does (a
    /// value built by hand could hold, say, a non-finite number).
    pub fn to_wire(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Webhook::V1Purchase(p) => Ok(p.to_form().into_bytes()),
            other => serde_json::to_vec(other),
        }
    }
}
