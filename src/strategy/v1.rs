//! Version 1.0.0: the form postback and the three JSON events.

use super::*;

/// Keys a v1 postback's unknown (`extra`) fields never use: the typed
/// fields, `hottok` (checked and dropped), and the keys that make a JSON
/// object another kind of delivery.
pub(super) const RESERVED_KEYS: &[&str] = &[
    "hottok",
    "id",
    "event",
    "version",
    "data",
    "creation_date",
    "creationDate",
    "affiliate",
    "productName",
    "cancellationDate",
    "switchPlanDate",
];

pub(super) fn extra_field() -> BoxedStrategy<(Text<'static>, Text<'static>)> {
    let key = prop_oneof![
        2 => select(&[
            "subscription_date_next_charge",
            "parent_purchase_transaction",
            "order_bump_ids",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "quantityTickets",
            "order_id",
        ][..])
        .prop_map(owned),
        2 => "[a-z][a-z_]{0,15}".prop_map(Text::from),
        1 => text(),
    ]
    .prop_filter("a typed or reserved key", |key| {
        !V1_PURCHASE_FIELDS.contains(&key.as_str()) && !RESERVED_KEYS.contains(&key.as_str())
    });
    (key, text()).boxed()
}

pub(super) fn v1_amount() -> BoxedStrategy<Amount> {
    (0i64..10_000_000, 0u32..=2)
        .prop_map(|(m, s)| Amount::new(Decimal::new(m, s)))
        .boxed()
}

pub(super) fn v1_date() -> BoxedStrategy<Timestamp> {
    prop_oneof![
        3 => iso_timestamp(),
        1 => timestamp().boxed(),
    ]
    .boxed()
}

/// A v1 form purchase postback: typed fields with valid values, text fields
/// that may be empty (`aff=`), unknown fields in `extra`; at least one of
/// `status`, `callback_type`, `transaction`, `prod`.
pub fn v1_purchase() -> impl Strategy<Value = V1Purchase<'static>> {
    let fields = record!(V1Purchase {
        prod: opt(mixed("0{0,4}[0-9]{1,7}")),
        prod_name: opt(product_name()),
        off: opt(code()),
        price: opt(prop_oneof![3 => v1_amount(), 1 => amount().boxed()]),
        aff: opt(prop_oneof![Just(owned("")), mixed("[A-Z][0-9]{8}[A-Z]")]),
        aff_name: opt(person()),
        email: opt(email()),
        name: opt(person()),
        first_name: opt(person()),
        last_name: opt(person()),
        doc: opt(digits(14)),
        phone_local_code: opt(digits(3)),
        phone_number: opt(digits(9)),
        phone_checkout_local_code: opt(digits(9)),
        phone_checkout_number: opt(digits(9)),
        address: opt(text()),
        address_number: opt(digits(5)),
        address_country: opt(pick(&["Brasil", "Chile"])),
        address_district: opt(text()),
        address_comp: opt(text()),
        address_city: opt(pick(&["São Paulo", "Uberlândia"])),
        address_state: opt(pick(&["SP", "MG"])),
        address_zip_code: opt(mixed("[0-9]{5}-?[0-9]{3}")),
        transaction: opt(prop_oneof![6 => transaction(), 1 => text()]),
        xcod: opt(text()),
        src: opt(text()),
        status: opt(open_enum::<V1Status<'static>>()),
        payment_engine: opt(open_enum::<V1PaymentEngine<'static>>()),
        payment_type: opt(open_enum::<V1PaymentType<'static>>()),
        hotkey: opt(text()),
        name_subscription_plan: opt(pick(&["plano de teste", "Plano Anual"])),
        subscriber_code: opt(subscriber_code()),
        recurrency_period: opt(prop_oneof![
            select(&[7u32, 30, 60, 90, 180, 360][..]),
            any::<u32>()
        ]),
        recurrency: opt(1u32..30),
        cms_marketplace: opt(v1_amount()),
        cms_vendor: opt(v1_amount()),
        cms_aff: opt(v1_amount()),
        coupon_code: opt(mixed("[A-Z0-9]{4,10}")),
        callback_type: opt(prop_oneof![4 => 1u32..=2, 1 => any::<u32>()]),
        subscription_status: opt(open_enum::<V1SubscriptionStatus<'static>>()),
        transaction_ext: opt(transaction()),
        sck: opt(text()),
        purchase_date: opt(v1_date()),
        confirmation_purchase_date: opt(v1_date()),
        billet_url: opt(url()),
        currency_code_from: opt(currency()),
        original_offer_price: opt(v1_amount()),
        currency: opt(currency()),
        signature_status: opt(pick(&["active", "Active", "Canceled by client"])),
        billet_barcode: opt(digits(48)),
        producer_name: opt(person()),
        producer_document: opt(digits(14)),
        producer_legal_nature: opt(open_enum::<LegalNature<'static>>()),
        currency_code_from_: opt(currency()),
        refusal_reason: opt(text()),
        doc_type: opt(open_enum::<DocumentType<'static>>()),
        full_price: opt(v1_amount()),
        warranty_date: opt(v1_date()),
        cms_aff_currency: opt(currency()),
        product_support_email: opt(email()),
        amount: opt(any::<i64>()),
        aff_cms_rate_currency: opt(currency()),
        aff_cms_rate_commission: opt(amount()),
        aff_cms_rate_conversion: opt(amount()),
        installments_number: opt(1u32..=12),
        receiver_type: opt(open_enum::<ReceiverType<'static>>()),
        product_offer_payment_mode: opt(open_enum::<PaymentMode<'static>>()),
        has_co_production: opt(any::<bool>()),
        funnel: opt(any::<bool>()),
        order_bump: opt(any::<bool>()),
        extra: vec(extra_field(), 0..4),
        problems: Just(Vec::new()),
    });
    (fields, transaction()).prop_map(|(mut purchase, transaction)| {
        let recognised = purchase.status.is_some()
            || purchase.callback_type.is_some()
            || purchase.transaction.is_some()
            || purchase.prod.is_some();
        if !recognised {
            purchase.transaction = Some(transaction);
        }
        purchase
    })
}

pub(super) fn v1_plan() -> BoxedStrategy<V1Plan<'static>> {
    record!(V1Plan {
        name: opt(pick(&["plano de teste", "Plano Anual"])),
        max_charge_cycles: opt(any::<i64>()),
        recurrency_period: opt(prop_oneof![Just(30i64), Just(360i64), any::<i64>()]),
        offer: opt(offer()),
        value: opt(amount()),
        currency_code: opt(currency()),
    })
}

/// A v1 cart abandonment (always with `affiliate` and `productName`, the
/// keys that identify it).
pub fn v1_cart_abandonment() -> impl Strategy<Value = V1CartAbandonment<'static>> {
    record!(V1CartAbandonment {
        affiliate: any::<bool>().prop_map(Some),
        user_key: opt(code()),
        product_name: product_name().prop_map(Some),
        product_id: opt(id()),
        product_ucode: opt(uuid()),
        product_category: opt(id()),
        buyer_vo: opt(cart_buyer()),
        has_negotiate: opt(any::<bool>()),
        subscription_plan_id: opt(id()),
        problems: Just(Vec::new()),
    })
}

/// A v1 subscription cancellation (always with `cancellationDate`; dates as
/// epoch milliseconds or ISO-8601 strings).
pub fn v1_subscription_cancellation() -> impl Strategy<Value = V1SubscriptionCancellation<'static>>
{
    record!(V1SubscriptionCancellation {
        subscription_id: opt(id()),
        subscriber_code: opt(prop_oneof![
            3 => subscriber_code().prop_map(Id::Text),
            1 => id().boxed(),
        ]),
        cancellation_date: timestamp().prop_map(Some),
        user_name: opt(person()),
        user_email: opt(email()),
        actual_recurrence_value: opt(amount()),
        product_name: opt(product_name()),
        subscription_plan_name: opt(text()),
        date_next_charge: opt(timestamp()),
        problems: Just(Vec::new()),
    })
}

/// A v1 plan switch (always with `switchPlanDate`).
pub fn v1_switch_plan() -> impl Strategy<Value = V1SwitchPlan<'static>> {
    record!(V1SwitchPlan {
        switch_plan_date: timestamp().prop_map(Some),
        subscription: opt(record!(V1Subscription {
            product: opt(product_ref()),
            recurrence_number: opt(1u32..30),
            status: opt(pick(&["ACTIVE", "CANCELLED_BY_CUSTOMER"])),
            subscriber: opt(record!(V1Subscriber {
                code: opt(subscriber_code()),
                user: opt(user()),
            })),
            plan: opt(v1_plan()),
        })),
        new_subscription_plan: opt(v1_plan()),
        previous_subscription_plan: opt(v1_plan()),
        problems: Just(Vec::new()),
    })
}

/// Any v1 delivery: the form postback or one of the three JSON events.
pub fn v1_webhook() -> impl Strategy<Value = Webhook<'static>> {
    prop_oneof![
        3 => v1_purchase().prop_map(Webhook::V1Purchase),
        1 => v1_cart_abandonment().prop_map(Webhook::V1CartAbandonment),
        1 => v1_subscription_cancellation().prop_map(Webhook::V1SubscriptionCancellation),
        1 => v1_switch_plan().prop_map(Webhook::V1SwitchPlan),
    ]
}
