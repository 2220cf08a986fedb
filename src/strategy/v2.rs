//! 2.0.0 events of any kind, unknown ones included, and their envelope.

use super::*;

/// Event names found in third-party guides, which Hotmart never sends.
pub(super) const NOT_HOTMART: &[&str] = &[
    "PURCHASE_COMPLETED",
    "SUBSCRIPTION_CREATED",
    "SUBSCRIPTION_RENEWED",
    "COMMISSION_GENERATED",
    "PURCHASE_CANCELLED",
    "SUBSCRIPTION_CANCELED",
];

/// An event this crate does not model: an unknown name with any JSON `data`.
pub fn unknown_event() -> impl Strategy<Value = Event<'static>> {
    let name = prop_oneof![
        2 => select(NOT_HOTMART).prop_map(owned),
        2 => "[A-Z][A-Z_]{2,29}".prop_map(Text::from),
        1 => text(),
    ]
    .prop_filter("a modelled event name", |name| {
        !EVENT_NAMES.contains(&name.as_str())
    });
    (name, raw_json(json_value())).prop_map(|(name, data)| Event::Unknown { name, data })
}

pub(super) fn purchase_event(
    variant: fn(PurchaseData<'static>) -> Event<'static>,
    status: &'static str,
) -> BoxedStrategy<Event<'static>> {
    // The status observed with each event; unknown statuses stay as drawn.
    purchase_data()
        .prop_map(move |mut data| {
            if let Some(purchase) = &mut data.purchase {
                if purchase.status.as_ref().is_some_and(|s| !s.is_other()) {
                    purchase.status = Some(PurchaseStatus::from_text(owned(status)));
                }
            }
            variant(data)
        })
        .boxed()
}

/// Any 2.0.0 event: each of the catalogue, purchase events with the status
/// Hotmart sends with them, and unknown events.
pub fn v2_event() -> impl Strategy<Value = Event<'static>> {
    Union::new_weighted(vec![
        (3, purchase_event(Event::PurchaseApproved, "APPROVED")),
        (1, purchase_event(Event::PurchaseComplete, "COMPLETED")),
        (1, purchase_event(Event::PurchaseCanceled, "CANCELED")),
        (
            1,
            purchase_event(Event::PurchaseBilletPrinted, "BILLET_PRINTED"),
        ),
        (1, purchase_event(Event::PurchaseRefunded, "REFUNDED")),
        (1, purchase_event(Event::PurchaseChargeback, "CHARGEBACK")),
        (1, purchase_event(Event::PurchaseExpired, "EXPIRED")),
        (1, purchase_event(Event::PurchaseDelayed, "DELAYED")),
        (1, purchase_event(Event::PurchaseProtest, "DISPUTE")),
        (
            1,
            cart_abandonment()
                .prop_map(Event::PurchaseOutOfShoppingCart)
                .boxed(),
        ),
        (
            1,
            subscription_cancellation()
                .prop_map(Event::SubscriptionCancellation)
                .boxed(),
        ),
        (1, switch_plan().prop_map(Event::SwitchPlan).boxed()),
        (
            1,
            charge_date_update()
                .prop_map(Event::UpdateSubscriptionChargeDate)
                .boxed(),
        ),
        (
            1,
            club_first_access().prop_map(Event::ClubFirstAccess).boxed(),
        ),
        (
            1,
            club_module_completed()
                .prop_map(Event::ClubModuleCompleted)
                .boxed(),
        ),
        (
            1,
            order_fulfillment()
                .prop_map(Event::OrderFulfillment)
                .boxed(),
        ),
        (1, unknown_event().boxed()),
    ])
}

/// A 2.0.0 envelope: a UUID id, `creation_date` in epoch milliseconds
/// (`creationDate` for most `CLUB_FIRST_ACCESS`), version `2.0.0` (or
/// absent), any event; and sometimes another `version`, which makes even a
/// known event name [`Event::Unknown`].
pub fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    let id = prop_oneof![6 => uuid(), 1 => "[0-9]{1,19}".prop_map(Text::from), 1 => text()];
    let version = prop_oneof![
        12 => Just(Some(owned("2.0.0"))),
        2 => Just(None),
        1 => prop_oneof![Just(owned("1.0.0")), Just(owned("2.0")), text()]
            .prop_filter("2.0.0", |v| v != "2.0.0")
            .prop_map(Some),
    ];
    (id, opt(timestamp()), 0u8..10, version, v2_event()).prop_map(
        |(id, creation_date, coin, version, event)| {
            let camel = if matches!(event, Event::ClubFirstAccess(_)) {
                coin < 9
            } else {
                coin < 1
            };
            let creation_date_key = match creation_date {
                Some(_) if camel => KeyCase::Camel,
                _ => KeyCase::Snake,
            };
            let typed = version.as_deref().is_none_or(|v| v == "2.0.0");
            let event = if typed {
                event
            } else {
                // Another version: the parser keeps the data unparsed.
                struct Data<'r>(&'r Event<'static>);
                impl serde::Serialize for Data<'_> {
                    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        self.0.serialize_data(s)
                    }
                }
                let data = serde_json::value::to_raw_value(&Data(&event))
                    .expect("event data always serialises");
                Event::Unknown {
                    name: Text::from(event.name().to_owned()),
                    data: RawJson::from(data),
                }
            };
            Envelope {
                id: Some(id),
                creation_date,
                creation_date_key,
                version,
                event,
                problems: Vec::new(),
            }
        },
    )
}
