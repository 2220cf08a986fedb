//! Parts shared by several events: products, users, offers, plans, subscribers, addresses.

use super::*;

pub(super) fn product_ref() -> BoxedStrategy<ProductRef<'static>> {
    record!(ProductRef {
        id: opt(id()),
        name: opt(product_name())
    })
}

pub(super) fn user() -> BoxedStrategy<User<'static>> {
    record!(User {
        name: opt(person()),
        email: opt(email())
    })
}

pub(super) fn country() -> BoxedStrategy<Country<'static>> {
    record!(Country {
        name: opt(pick(&[
            "Brasil",
            "Chile",
            "Estados Unidos",
            "México",
            "España"
        ])),
        iso: opt(country_iso()),
    })
}

pub(super) fn offer() -> BoxedStrategy<Offer<'static>> {
    record!(Offer {
        code: opt(code()),
        key: opt(code()),
        coupon_code: opt(mixed("[A-Z0-9]{4,10}")),
        name: opt(text()),
        description: opt(text()),
        price: opt(money()),
        // `null` reads as an absent field.
        metadata: option::weighted(
            0.2,
            raw_json(json_value().prop_filter("null", |v| !v.is_null()))
        )
        .boxed(),
    })
}

pub(super) fn plan() -> BoxedStrategy<Plan<'static>> {
    record!(Plan {
        id: opt(id()),
        name: opt(pick(&["plano de teste", "Plano Anual", "Mensal"])),
        offer: opt(offer()),
        current: opt(any::<bool>()),
    })
}

pub(super) fn subscriber_phone() -> BoxedStrategy<SubscriberPhone<'static>> {
    record!(SubscriberPhone {
        ddd_phone: opt(digits(2)),
        phone: opt(digits(9)),
        ddd_cell: opt(digits(2)),
        cell: opt(digits(9)),
    })
}

pub(super) fn subscriber_code() -> BoxedStrategy<Text<'static>> {
    mixed("[A-Z0-9]{8}")
}

pub(super) fn subscriber() -> BoxedStrategy<Subscriber<'static>> {
    record!(Subscriber {
        code: opt(subscriber_code()),
        name: opt(person()),
        email: opt(email()),
        phone: opt(subscriber_phone()),
    })
}

pub(super) fn address() -> BoxedStrategy<Address<'static>> {
    record!(Address {
        country: opt(pick(&["Brasil", "Chile", "Portugal"])),
        country_iso: opt(country_iso()),
        zipcode: opt(mixed("[0-9]{5}-?[0-9]{3}")),
        zip_code: opt(mixed("[0-9]{8}")),
        state: opt(pick(&[
            "SP",
            "MG",
            "RJ",
            "São Paulo",
            "Región Metropolitana"
        ])),
        city: opt(pick(&[
            "São Paulo",
            "Uberlândia",
            "Santiago",
            "Belo Horizonte"
        ])),
        neighborhood: opt(text()),
        address: opt(text()),
        street: opt(text()),
        number: opt(digits(5)),
        complement: opt(text()),
    })
}
